/* Keyboard section: coefficient setup (see keyboard.h). */
#include "keyboard.h"
#include <math.h>

void keyboard_set_portamento(keyboard_state *s, float ms, float fs_hz)
{
    float samples = ms * 0.001f * fs_hz / 4.6f;
    s->glide_coef = samples <= 1.0f ? 1.0f : 1.0f - expf(-1.0f / samples);
}
