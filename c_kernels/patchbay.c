/* Patch bay routing (see patchbay.h). */
#define MS20_JACK_TABLES
#include "patchbay.h"
#include <string.h>

void patchbay_init(patchbay_state *p, float fs_hz)
{
    memset(p, 0, sizeof *p);
    p->jack[MS20_OUT_STRIG_OPEN] = 5.0f;
    for (int i = 0; i < MS20_INPUT_COUNT; ++i)
        p->source[i] = p->previous[i] = ms20_input_normal[i];
    p->fade_step = 1.0f / (PATCHBAY_FADE_MS * 0.001f * fs_hz);
}

void patchbay_apply(patchbay_state *p, const signed char *route)
{
    for (int i = 0; i < MS20_INPUT_COUNT; ++i) {
        int r = route[i];
        unsigned char src = (r >= 0 && r < MS20_OUTPUT_COUNT) ? (unsigned char)r : ms20_input_normal[i];
        if (src == p->source[i]) continue;
        /* Start from where the listener is now, even mid-fade, so nothing jumps. */
        p->previous[i] = p->fade[i] > 0.5f ? p->previous[i] : p->source[i];
        p->fade[i] = 1.0f;
        p->source[i] = src;
        p->fading = 1;
    }
}
