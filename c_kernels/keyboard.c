/* Keyboard section: coefficient setup (see keyboard.h). */
#include "keyboard.h"

#include "dsp/units.h"

#define GLIDE_TIME_CONSTANTS 4.6f /* 99 % of the interval: ln(100) */

void keyboard_set_portamento(keyboard_settings *t, float ms, float fs_hz)
{
    t->glide_coef = onepole_coef_ms(ms, fs_hz, GLIDE_TIME_CONSTANTS);
}
