/* EG-1: DELAY, ATTACK, RELEASE. Holds full level while the gate is on.
 *
 * A rising gate starts the delay; the attack begins when the delay has run out (if the
 * gate is still on). The gate is the S-trigger logic of EG-1 TRIG IN and TRIG IN.
 * Output 0..1 (the engine scales it to 0..+5 V). The segment changes only on gate edges
 * and at the ends of delay and attack, so a sample costs a compare and one segment's step.
 */
#ifndef MS20_EG1_H
#define MS20_EG1_H

#include "envelope.h"

enum { EG1_DELAY, EG1_ATTACK, EG1_FULL, EG1_RELEASE };

typedef struct {
    float level;
    float attack_coef, release_coef;
    int delay_samples;   /* setting */
    int delay_left;      /* counting down after a rising gate */
    int segment;
    int gate;
} eg1_state;

static inline void eg1_init(eg1_state *s)
{
    s->level = 0.0f;
    s->attack_coef = s->release_coef = 1.0f;
    s->delay_samples = s->delay_left = 0;
    s->segment = EG1_RELEASE;
    s->gate = 0;
}

static inline void eg1_gate(eg1_state *s, int gate)
{
    s->gate = gate;
    s->delay_left = s->delay_samples;
    s->segment = !gate ? EG1_RELEASE : s->delay_samples > 0 ? EG1_DELAY : EG1_ATTACK;
}

/* DELAY and ATTACK: a few hundred samples per note. */
static inline void eg1_rise(eg1_state *s)
{
    if (s->segment == EG1_DELAY) { /* the level holds where it was */
        if (--s->delay_left == 0) s->segment = EG1_ATTACK;
    } else if (envelope_attack(&s->level, s->attack_coef)) {
        s->segment = EG1_FULL;
    }
}

static inline float eg1_tick(eg1_state *s, int gate)
{
    if (gate != s->gate) eg1_gate(s, gate);
    /* the usual segments first: a note's sustain (FULL: nothing to do) and its release */
    if (s->segment == EG1_RELEASE) s->level -= s->release_coef * s->level;
    else if (s->segment != EG1_FULL) eg1_rise(s);
    return s->level;
}

#endif
