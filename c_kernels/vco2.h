/* VCO-2: sawtooth, square, narrow pulse (about 25 %), RING (VCO-1's rectangle at its PW
 * times VCO-2's pulse, a switching ring modulator).
 *
 * STUB (naive waveforms) until the band-limited oscillator lands. freq in cycles per
 * sample; call after vco1_tick, since RING reads VCO-1's state. Output about +-1 V.
 */
#ifndef MS20_VCO2_H
#define MS20_VCO2_H

#include "vco1.h"

enum vco2_wave { VCO2_SAWTOOTH = 0, VCO2_SQUARE = 1, VCO2_PULSE = 2, VCO2_RING = 3 };

typedef struct vco2_state vco2_state;
struct vco2_state {
    float phase;
    float (*render)(vco2_state *s, float freq, const vco1_state *vco1);
};

void vco2_init(vco2_state *s);
void vco2_reset(vco2_state *s);
void vco2_set_wave(vco2_state *s, int wave);

static inline float vco2_tick(vco2_state *s, float freq, const vco1_state *vco1)
{
    return s->render(s, freq, vco1);
}

#endif
