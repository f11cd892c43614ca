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

/* From the knobs (mg_set): phase step, where the peak sits, volts per unit of phase. */
typedef struct {
    float inc, rise, up_slope, down_slope;
} mg_settings;

typedef struct {
    float phase; /* 0..1 */
} mg_state;

/* Per sample while FREQUENCY or WAVE FORM ramp (both are smoothed): no libm here. */
static inline void mg_set(mg_settings *t, float freq_hz, float shape, float inv_fs)
{
    float rise = clampf(shape, 0.01f, 0.99f);
    t->inc = freq_hz * inv_fs;
    t->rise = rise;
    t->up_slope = 5.0f / rise;
    t->down_slope = 5.0f / (1.0f - rise);
}

static inline void mg_settings_init(mg_settings *t) { mg_set(t, 0.0f, 0.5f, 0.0f); }

static inline void mg_init(mg_state *s) { s->phase = 0.0f; }

static inline void mg_tick(mg_state *s, const mg_settings *t, float *tri_v, float *rect_v)
{
    float p = s->phase;
    int rising = p < t->rise;
    *tri_v = rising ? p * t->up_slope - 2.5f : 2.5f - (p - t->rise) * t->down_slope;
    *rect_v = rising ? 5.0f : 0.0f;
    p += t->inc;
    s->phase = p - (float)(p >= 1.0f);
}

#endif
