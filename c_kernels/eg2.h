/* EG-2: HOLD, ATTACK, DECAY, SUSTAIN, RELEASE.
 *
 * HOLD keeps the gate on for a while after it falls. A rising gate restarts the attack
 * from the present level (as the capacitor would). Output 0..1; the engine scales it to
 * volts and also offers it referenced to SUSTAIN for the filters' EG2/EXT knobs. The
 * segment changes only on gate edges, at the end of HOLD and of the attack, so a sample
 * costs a compare and one segment's step. Times arrive in ms through the setters; SUSTAIN
 * (0..1) per sample, as it is smoothed.
 */
#ifndef MS20_EG2_H
#define MS20_EG2_H

#include "dsp/units.h"
#include "envelope.h"

enum { EG2_ATTACK, EG2_DECAY, EG2_RELEASE }; /* DECAY runs on into SUSTAIN */

/* The knobs, as per-sample steps: changed by the setters, read by the tick. */
typedef struct {
    float attack_coef, decay_coef, release_coef;
    int hold_samples;
} eg2_settings;

/* What the tick changes: a reset touches only this. */
typedef struct {
    float level;
    int hold_left;    /* samples HOLD still keeps the gate on after the input fell */
    int segment;
    int input_gate;   /* the gate as it arrives */
    int watch;        /* eg2_tick calls eg2_gate when the input differs: -1 while HOLD counts */
} eg2_state;

static inline void eg2_settings_init(eg2_settings *t)
{
    t->attack_coef = t->decay_coef = t->release_coef = 1.0f;
    t->hold_samples = 0;
}

static inline void eg2_set_hold(eg2_settings *t, float ms, float fs_hz) { t->hold_samples = ms_to_samples(ms, fs_hz); }
static inline void eg2_set_attack(eg2_settings *t, float ms, float fs_hz) { t->attack_coef = envelope_attack_coef(ms, fs_hz); }
static inline void eg2_set_decay(eg2_settings *t, float ms, float fs_hz) { t->decay_coef = envelope_fall_coef(ms, fs_hz); }
static inline void eg2_set_release(eg2_settings *t, float ms, float fs_hz) { t->release_coef = envelope_fall_coef(ms, fs_hz); }

static inline void eg2_reset(eg2_state *s)
{
    s->level = 0.0f;
    s->hold_left = 0;
    s->segment = EG2_RELEASE;
    s->input_gate = s->watch = 0;
}

/* An input edge, or a sample of HOLD: the gate stays on for hold_samples - 1 samples
 * after the one where the input fell. */
static inline void eg2_gate(eg2_state *s, const eg2_settings *t, int input_gate)
{
    if (input_gate != s->input_gate) {
        s->input_gate = input_gate;
        s->hold_left = input_gate ? 0 : t->hold_samples - 1;
        if (input_gate) s->segment = EG2_ATTACK;
    } else {
        --s->hold_left;
    }
    if (!input_gate && s->hold_left <= 0) {
        s->hold_left = 0;
        s->segment = EG2_RELEASE;
    }
    s->watch = s->hold_left > 0 ? -1 : input_gate;
}

__attribute__((always_inline)) static inline float eg2_tick(eg2_state *s, const eg2_settings *t, int input_gate, float sustain)
{
    if (input_gate != s->watch) eg2_gate(s, t, input_gate);
    switch (s->segment) {
    case EG2_ATTACK:
        if (envelope_attack(&s->level, t->attack_coef)) s->segment = EG2_DECAY;
        break;
    case EG2_DECAY: s->level += t->decay_coef * (sustain - s->level); break;
    default: s->level -= t->release_coef * s->level; break; /* EG2_RELEASE */
    }
    return s->level;
}

#endif
