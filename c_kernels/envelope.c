/* Envelope segment coefficients (see envelope.h). */
#include "envelope.h"
#include <math.h>

static float rc_coef(float ms, float fs_hz, float time_constants)
{
    float tau_samples = ms * 0.001f * fs_hz / time_constants;
    return tau_samples <= 1.0f ? 1.0f : 1.0f - expf(-1.0f / tau_samples);
}

float envelope_attack_coef(float ms, float fs_hz)
{
    return rc_coef(ms, fs_hz, logf(ENVELOPE_ATTACK_OVERSHOOT / (ENVELOPE_ATTACK_OVERSHOOT - 1.0f)));
}

float envelope_fall_coef(float ms, float fs_hz) { return rc_coef(ms, fs_hz, logf(1000.0f)); }
