/* MG, the modulation generator: one phase, two outputs.
 *
 * WAVE FORM (shape 0..1) moves the peak of the bipolar wave from the start of the cycle
 * (ramp down) through the middle (triangle) to the end (ramp up); the unipolar rectangle
 * is high during the rising part, so its width follows the same knob. Frequency in Hz.
 * Outputs in volts: triangle -2.5..+2.5, rectangle 0..+5.
 */
#ifndef MS20_MG_H
#define MS20_MG_H

#include "dsp/fastmath.h"

typedef struct {
    float phase; /* 0..1 */
} mg_state;

static inline void mg_init(mg_state *s) { s->phase = 0.0f; }

static inline void mg_tick(mg_state *s, float freq_hz, float shape, float inv_fs,
                           float *tri_v, float *rect_v)
{
    float rise = clampf(shape, 0.01f, 0.99f);
    float p = s->phase;
    float up = -1.0f + 2.0f * p / rise;
    float down = 1.0f - 2.0f * (p - rise) / (1.0f - rise);
    int rising = p < rise;
    *tri_v = 2.5f * (rising ? up : down);
    *rect_v = rising ? 5.0f : 0.0f;
    p += freq_hz * inv_fs;
    s->phase = p - (float)(p >= 1.0f);
}

#endif
