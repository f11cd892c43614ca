/* The patch bay: which output each input reads, with a click-free change of source.
 *
 * Every module writes its outputs into one array of jack values per sample and reads each
 * input through patchbay_read, so any output can feed any input at audio rate. Outputs
 * computed later in the sample than the reader arrive one sample late: that is the only
 * delay a feedback patch sees. A new cable crossfades the input from its old source to the
 * new one over PATCHBAY_FADE_MS.
 */
#ifndef MS20_PATCHBAY_H
#define MS20_PATCHBAY_H

#include "jacks.h"

#define PATCHBAY_FADE_MS 5.0f

typedef struct {
    float jack[MS20_OUTPUT_COUNT];     /* volts at every output, this sample */
    unsigned char source[MS20_INPUT_COUNT];
    unsigned char previous[MS20_INPUT_COUNT];
    float fade[MS20_INPUT_COUNT];      /* 1 -> 0: weight of the previous source */
    float fade_step;
    int fading;                        /* inputs still crossfading */
} patchbay_state;

void patchbay_init(patchbay_state *p, float fs_hz);

/* Apply a whole patch: route[i] is the output feeding input i, or -1 for its normal.
 * Out-of-range sources fall back to the normal. */
void patchbay_apply(patchbay_state *p, const signed char *route);

static inline float patchbay_read(const patchbay_state *p, int input)
{
    float now = p->jack[p->source[input]];
    if (!p->fading) return now;
    return now + p->fade[input] * (p->jack[p->previous[input]] - now);
}

static inline void patchbay_tick(patchbay_state *p)
{
    if (!p->fading) return;
    int still = 0;
    for (int i = 0; i < MS20_INPUT_COUNT; ++i) {
        float f = p->fade[i] - p->fade_step;
        f = f > 0.0f ? f : 0.0f;
        p->fade[i] = f;
        still += f > 0.0f;
    }
    p->fading = still;
}

#endif
