/* EG-1: DELAY, ATTACK, RELEASE. Holds full level while the gate is on.
 *
 * A rising gate starts the delay; the attack begins when the delay has run out (if the
 * gate is still on). The gate is the S-trigger logic of EG-1 TRIG IN and TRIG IN.
 * Output 0..1 (the engine scales it to 0..+5 V). The segment changes only on gate edges
 * and at the ends of delay and attack, so a sample costs a compare and one segment's step.
 * Times arrive in ms through the setters.
 */
#ifndef MS20_EG1_H
#define MS20_EG1_H

#include "dsp/units.h"
#include "envelope.h"

enum { EG1_DELAY, EG1_ATTACK, EG1_FULL, EG1_RELEASE };

/* The knobs, as per-sample steps: changed by the setters, read by the tick. */
typedef struct {
    float attack_coef, release_coef;
    int delay_samples;
} eg1_settings;

/* What the tick changes: a reset touches only this. */
typedef struct {
    float level;
    int delay_left;      /* counting down after a rising gate */
    int segment;
    int gate;
} eg1_state;

static inline void eg1_settings_init(eg1_settings *t)
{
    t->attack_coef = t->release_coef = 1.0f;
    t->delay_samples = 0;
}

static inline void eg1_set_delay(eg1_settings *t, float ms, float fs_hz) { t->delay_samples = ms_to_samples(ms, fs_hz); }
static inline void eg1_set_attack(eg1_settings *t, float ms, float fs_hz) { t->attack_coef = envelope_attack_coef(ms, fs_hz); }
static inline void eg1_set_release(eg1_settings *t, float ms, float fs_hz) { t->release_coef = envelope_fall_coef(ms, fs_hz); }

static inline void eg1_reset(eg1_state *s)
{
    s->level = 0.0f;
    s->delay_left = 0;
    s->segment = EG1_RELEASE;
    s->gate = 0;
}

static inline void eg1_gate(eg1_state *s, const eg1_settings *t, int gate)
{
    s->gate = gate;
    s->delay_left = t->delay_samples;
    s->segment = !gate ? EG1_RELEASE : t->delay_samples > 0 ? EG1_DELAY : EG1_ATTACK;
}

/* DELAY and ATTACK: a few hundred samples per note. */
static inline void eg1_rise(eg1_state *s, const eg1_settings *t)
{
    if (s->segment == EG1_DELAY) { /* the level holds where it was */
        if (--s->delay_left == 0) s->segment = EG1_ATTACK;
    } else if (envelope_attack(&s->level, t->attack_coef)) {
        s->segment = EG1_FULL;
    }
}

__attribute__((always_inline)) static inline float eg1_tick(eg1_state *s, const eg1_settings *t, int gate)
{
    if (gate != s->gate) eg1_gate(s, t, gate);
    /* the usual segments first: a note's sustain (FULL: nothing to do) and its release */
    if (s->segment == EG1_RELEASE) s->level -= t->release_coef * s->level;
    else if (s->segment != EG1_FULL) eg1_rise(s, t);
    return s->level;
}

#endif
