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
    /* From the knobs (mg_set): phase step, where the peak sits, volts per unit of phase. */
    float inc, rise, up_slope, down_slope;
} mg_state;

static inline void mg_set(mg_state *s, float freq_hz, float shape, float inv_fs)
{
    float rise = clampf(shape, 0.01f, 0.99f);
    s->inc = freq_hz * inv_fs;
    s->rise = rise;
    s->up_slope = 5.0f / rise;
    s->down_slope = 5.0f / (1.0f - rise);
}

static inline void mg_init(mg_state *s)
{
    s->phase = 0.0f;
    mg_set(s, 0.0f, 0.5f, 0.0f);
}

static inline void mg_tick(mg_state *s, float *tri_v, float *rect_v)
{
    float p = s->phase;
    int rising = p < s->rise;
    *tri_v = rising ? p * s->up_slope - 2.5f : 2.5f - (p - s->rise) * s->down_slope;
    *rect_v = rising ? 5.0f : 0.0f;
    p += s->inc;
    s->phase = p - (float)(p >= 1.0f);
}

#endif
