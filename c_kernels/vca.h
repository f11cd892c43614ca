/* The VCA and the output stage: gain from EG-2 plus INITIAL GAIN (volts / 5), a little
 * even-order dirt as on the original's transistor VCA, then VOLUME, a DC blocker, a soft
 * limiter that stays linear below 0.8, and a second DC blocker after it: a feedback
 * patch (OUTPUT -> ESP -> filters) can drive the limiter with a lopsided wave, and the
 * limiter's output then holds DC that the loop would keep. A final clamp keeps [-1, 1]
 * (the second blocker could overshoot a limited wave; in use it never acts).
 * The input is the filter section's output, already bounded (+-12 V), and the first DC
 * blocker at most doubles a bounded signal, so neither needs a clamp of its own.
 */
#ifndef MS20_VCA_H
#define MS20_VCA_H

#include <math.h>

#include "dsp/fastmath.h"

#define VCA_DIRT 0.06f     /* second-harmonic content at full gain, about -30 dB */
#define VCA_KNEE 0.8f

typedef struct {
    float dc_coef;         /* the DC blockers' pole */
} vca_settings;

typedef struct {
    float dc_x, dc_y;      /* DC blocker state, before the limiter */
    float dc2_x, dc2_y;    /* ... and after it */
} vca_state;

void vca_settings_init(vca_settings *t, float fs_hz);

static inline void vca_reset(vca_state *s) { s->dc_x = s->dc_y = s->dc2_x = s->dc2_y = 0.0f; }

static inline float vca_tick(vca_state *s, float in_v, float eg2_v, float initial_gain_v)
{
    float gain = clampf((eg2_v + initial_gain_v) * 0.2f, 0.0f, 1.5f);
    float x = in_v * gain;
    return x + VCA_DIRT * x * x;
}

/* The soft limiter: linear up to VCA_KNEE, then a tanh knee to 1. NaN passes, for the
 * engine to catch. */
static inline float soft_limit(float y)
{
    float a = fabsf(y);
    if (!(a > VCA_KNEE)) return y;
    float limited = VCA_KNEE + (1.0f - VCA_KNEE) * tanh_fast((a - VCA_KNEE) / (1.0f - VCA_KNEE));
    return y < 0.0f ? -limited : limited;
}

/* VOLUME, DC blocker (the dirt adds DC), soft limiter, DC blocker (the limiter's own). */
static inline float output_tick(vca_state *s, const vca_settings *t, float in_v, float volume)
{
    float x = in_v * volume;
    float y = x - s->dc_x + t->dc_coef * s->dc_y;
    s->dc_x = x;
    s->dc_y = y;
    float l = soft_limit(y);
    float z = l - s->dc2_x + t->dc_coef * s->dc2_y;
    s->dc2_x = l;
    s->dc2_y = z;
    return z > 1.0f ? 1.0f : z < -1.0f ? -1.0f : z; /* NaN passes (both compares false) */
}

#endif
