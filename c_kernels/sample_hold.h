/* S/H: track-and-hold. Follows S/H IN while the clock is above 1.3 V, holds the last value
 * when it falls. Volts in, volts out.
 */
#ifndef MS20_SAMPLE_HOLD_H
#define MS20_SAMPLE_HOLD_H

#define SAMPLE_HOLD_THRESHOLD_V 1.3f

typedef struct {
    float held;
} sample_hold_state;

static inline void sample_hold_init(sample_hold_state *s) { s->held = 0.0f; }

static inline float sample_hold_tick(sample_hold_state *s, float in_v, float clock_v)
{
    s->held = clock_v > SAMPLE_HOLD_THRESHOLD_V ? in_v : s->held;
    return s->held;
}

#endif
