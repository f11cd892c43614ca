/* EG-1: DELAY, ATTACK, RELEASE. Holds full level while the gate is on.
 *
 * A rising gate starts the delay; the attack begins when the delay has run out (if the
 * gate is still on). The gate is the S-trigger logic of EG-1 TRIG IN and TRIG IN.
 * Output 0..1 (the engine scales it to 0..+5 V).
 */
#ifndef MS20_EG1_H
#define MS20_EG1_H

#include "envelope.h"

typedef struct {
    float level;
    float attack_coef, release_coef;
    int delay_samples;   /* setting */
    int delay_left;      /* counting down after a rising gate */
    int attacking;
    int gate;
} eg1_state;

static inline void eg1_init(eg1_state *s)
{
    s->level = 0.0f;
    s->attack_coef = s->release_coef = 1.0f;
    s->delay_samples = s->delay_left = 0;
    s->attacking = 0;
    s->gate = 0;
}

static inline float eg1_tick(eg1_state *s, int gate)
{
    if (gate && !s->gate) {
        s->delay_left = s->delay_samples;
        s->attacking = 1;
    }
    s->gate = gate;
    if (!gate) {
        s->attacking = 0;
        s->level -= s->release_coef * s->level;
    } else if (s->delay_left > 0) {
        s->delay_left--;
    } else if (s->attacking) {
        s->level += s->attack_coef * (ENVELOPE_ATTACK_OVERSHOOT - s->level);
        if (s->level >= 1.0f) {
            s->level = 1.0f;
            s->attacking = 0;
        }
    }
    return s->level;
}

#endif
