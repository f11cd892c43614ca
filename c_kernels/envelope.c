/* Envelope segment coefficients (see envelope.h). */
#include "envelope.h"

#include <math.h>

#include "dsp/units.h"

float envelope_attack_coef(float ms, float fs_hz)
{
    return onepole_coef_ms(ms, fs_hz, logf(ENVELOPE_ATTACK_OVERSHOOT / (ENVELOPE_ATTACK_OVERSHOOT - 1.0f)));
}

float envelope_fall_coef(float ms, float fs_hz) { return onepole_coef_ms(ms, fs_hz, logf(1000.0f)); }
