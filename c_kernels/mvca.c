/* Modulation VCA setup (see mvca.h). */
#include "mvca.h"
#include "dsp/smoother.h"

#define MVCA_RESPONSE_MS 4.0f

void mvca_init(mvca_state *s, float fs_hz)
{
    s->gain = 0.0f;
    s->coef = smoother_coef(MVCA_RESPONSE_MS, fs_hz);
}
