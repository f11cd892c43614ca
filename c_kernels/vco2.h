/* VCO-2: sawtooth, square, narrow pulse (25 %), RING (VCO-1's rectangle at its PW times
 * VCO-2's pulse, a switching ring modulator: a +-1 wave that flips at every edge of either).
 *
 * Band-limited with BLEP residuals like VCO-1 (same latency). freq in cycles per sample
 * (0..0.45, clamped by the caller; may change every sample); call right after vco1_tick
 * every sample, since RING reads the edges VCO-1 made in that sample. Output about +-1 V,
 * zero mean.
 */
#ifndef MS20_VCO2_H
#define MS20_VCO2_H

#include "vco1.h"

enum vco2_wave { VCO2_SAWTOOTH = 0, VCO2_SQUARE = 1, VCO2_PULSE = 2, VCO2_RING = 3 };

typedef struct vco2_state vco2_state;
struct vco2_state {
    uint32_t phase;        /* 2^32 = one cycle; pulses rise as it wraps */
    uint32_t v1_phase;     /* VCO-1's phases one tick ago (RING finds its edges from them) */
    uint32_t v1_pw_phase;
    blep_buffer blep;
    float (*render)(vco2_state *s, float freq, const vco1_state *vco1);
};

void vco2_init(vco2_state *s);
void vco2_reset(vco2_state *s);
void vco2_set_wave(vco2_state *s, int wave);
/* After ticks were left out (the engine skips VCO-2 while its level is 0): RING takes
 * VCO-1's phases afresh rather than find edges from stale ones. */
void vco2_resume(vco2_state *s);

static inline float vco2_tick(vco2_state *s, float freq, const vco1_state *vco1)
{
    return s->render(s, freq, vco1);
}

#endif
