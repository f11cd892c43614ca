/* The modulation VCA: a two-quadrant multiplier whose gain follows MVCA CONTROL IN
 * (0 V closed, +5 V unity, up to 2x) through a slow one-pole, like the original's
 * vactrol-ish response. Works on audio and CV alike.
 */
#ifndef MS20_MVCA_H
#define MS20_MVCA_H

#include "dsp/fastmath.h"

typedef struct {
    float coef; /* per-sample smoothing of the control */
} mvca_settings;

typedef struct {
    float gain;
} mvca_state;

void mvca_settings_init(mvca_settings *t, float fs_hz);

static inline void mvca_reset(mvca_state *s) { s->gain = 0.0f; }

static inline float mvca_tick(mvca_state *s, const mvca_settings *t, float in_v, float control_v)
{
    float target = clampf(control_v * 0.2f, 0.0f, 2.0f);
    s->gain += t->coef * (target - s->gain);
    return clampf(in_v, -10.0f, 10.0f) * s->gain;
}

#endif
