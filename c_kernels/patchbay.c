/* Patch bay routing (see patchbay.h). */
#define MS20_JACK_TABLES
#include "patchbay.h"
#include <string.h>

#include "dsp/units.h"

void patchbay_init(patchbay_state *p, float fs_hz)
{
    memset(p, 0, sizeof *p);
    p->jack[MS20_OUT_STRIG_OPEN] = 5.0f;
    for (int i = 0; i < MS20_INPUT_COUNT; ++i)
        p->source[i] = p->routed[i] = p->previous[i] = ms20_input_normal[i];
    p->fade_step = 1.0f / ms_to_samples_f(PATCHBAY_FADE_MS, fs_hz);
    p->fade_samples = (int)ms_to_samples_f(PATCHBAY_FADE_MS, fs_hz) + 1; /* 1 / fade_step, rounded down, + 1 */
}

void patchbay_apply(patchbay_state *p, const signed char *route)
{
    for (int i = 0; i < MS20_INPUT_COUNT; ++i) {
        int r = route[i];
        unsigned char out = (r >= 0 && r < MS20_OUTPUT_COUNT) ? (unsigned char)r : ms20_input_normal[i];
        if (out == p->routed[i]) continue;
        /* Fade from whichever source the listener mostly hears now, even mid-fade. */
        p->previous[i] = p->fade[i] > 0.5f ? p->previous[i] : p->routed[i];
        p->routed[i] = out;
        p->fade[i] = 1.0f;
        p->source[i] = (unsigned char)(MS20_OUTPUT_COUNT + i);
        p->jack[MS20_OUTPUT_COUNT + i] = p->jack[p->previous[i]];
        p->fading = p->fade_samples;
    }
}

void patchbay_fade(patchbay_state *p)
{
    /* The render loop ticks fades for exactly `fading` samples: the last one lands every
     * fade still running (a rounding step short at most). */
    int last = p->fading == 1;
    for (int i = 0; i < MS20_INPUT_COUNT; ++i) {
        if (p->source[i] < MS20_OUTPUT_COUNT) continue;
        float f = p->fade[i] - p->fade_step;
        if (f <= 0.0f || last) {
            p->fade[i] = 0.0f;
            p->source[i] = p->routed[i];
            continue;
        }
        p->fade[i] = f;
        float now = p->jack[p->routed[i]];
        p->jack[MS20_OUTPUT_COUNT + i] = now + f * (p->jack[p->previous[i]] - now);
    }
    p->fading--;
}
