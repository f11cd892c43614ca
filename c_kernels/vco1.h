/* VCO-1: triangle, sawtooth, rectangle (PW 50 % down to silent), white noise.
 *
 * STUB (naive waveforms) until the band-limited oscillator lands: the interface below is
 * the contract the engine uses. freq is in cycles per sample (f / fs, 0..0.45); pw is the
 * rectangle's duty (0.5 square .. 0 silent). Output about +-1 V, zero mean.
 * VCO-2's RING reads `rect` (VCO-1's rectangle, +-1, at its PW) after vco1_tick.
 */
#ifndef MS20_VCO1_H
#define MS20_VCO1_H

#include <stdint.h>

enum vco1_wave { VCO1_TRIANGLE = 0, VCO1_SAWTOOTH = 1, VCO1_RECTANGLE = 2, VCO1_NOISE = 3 };

typedef struct vco1_state vco1_state;
struct vco1_state {
    float phase;
    float rect;          /* +-1: the rectangle at PW, whatever the selected wave */
    uint32_t seed;
    float (*render)(vco1_state *s, float freq, float pw); /* chosen by vco1_set_wave */
};

void vco1_init(vco1_state *s, uint32_t seed);
void vco1_reset(vco1_state *s);
void vco1_set_wave(vco1_state *s, int wave);

static inline float vco1_tick(vco1_state *s, float freq, float pw) { return s->render(s, freq, pw); }

#endif
