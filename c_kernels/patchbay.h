/* The patch bay: which output each input reads, with a click-free change of source.
 *
 * Every module writes its outputs into one array of jack values per sample and reads each
 * input through patchbay_read, so any output can feed any input at audio rate. Outputs
 * computed later in the sample than the reader arrive one sample late: that is the only
 * delay a feedback patch sees. A new cable crossfades the input from its old source to the
 * new one over PATCHBAY_FADE_MS: while it fades, the input reads a slot of its own that
 * patchbay_fade mixes once per sample, so a read is always one indexed load.
 */
#ifndef MS20_PATCHBAY_H
#define MS20_PATCHBAY_H

#include "jacks.h"

#define PATCHBAY_FADE_MS 5.0f
#define PATCHBAY_SLOTS (MS20_OUTPUT_COUNT + MS20_INPUT_COUNT) /* outputs, then fade slots */

typedef struct {
    float jack[PATCHBAY_SLOTS];               /* volts at every output this sample; fade mixes */
    unsigned char source[MS20_INPUT_COUNT];   /* the slot each input reads now */
    unsigned char routed[MS20_INPUT_COUNT];   /* the output each input is patched to */
    unsigned char previous[MS20_INPUT_COUNT]; /* the output it is fading away from */
    float fade[MS20_INPUT_COUNT];             /* 1 -> 0: weight of the previous output */
    float fade_step;
    int fade_samples;                         /* a whole fade's length */
    int fading;                               /* samples the fades still run; 0: none */
} patchbay_state;

void patchbay_init(patchbay_state *p, float fs_hz);

/* Apply a whole patch: route[i] is the output feeding input i, or -1 for its normal.
 * Out-of-range sources fall back to the normal. */
void patchbay_apply(patchbay_state *p, const signed char *route);

/* Mix the fade slots from the outputs' latest values (called once, first in the sample,
 * while p->fading is not 0). */
void patchbay_fade(patchbay_state *p);

static inline float patchbay_read(const patchbay_state *p, int input) { return p->jack[p->source[input]]; }

#endif
