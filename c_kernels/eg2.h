/* EG-2: HOLD, ATTACK, DECAY, SUSTAIN, RELEASE.
 *
 * HOLD keeps the gate on for a while after it falls. A rising gate restarts the attack
 * from the present level (as the capacitor would). Output 0..1; the engine scales it to
 * volts and also offers it referenced to SUSTAIN for the filters' EG2/EXT knobs.
 */
#ifndef MS20_EG2_H
#define MS20_EG2_H

#include "envelope.h"

typedef struct {
    float level;
    float attack_coef, decay_coef, release_coef;
    int hold_samples; /* setting */
    int hold_left;
    int attacking;
    int gate;         /* the gate after HOLD */
    int input_gate;   /* the gate as it arrives */
} eg2_state;

static inline void eg2_init(eg2_state *s)
{
    s->level = 0.0f;
    s->attack_coef = s->decay_coef = s->release_coef = 1.0f;
    s->hold_samples = s->hold_left = 0;
    s->attacking = 0;
    s->gate = s->input_gate = 0;
}

static inline float eg2_tick(eg2_state *s, int input_gate, float sustain)
{
    if (input_gate) s->hold_left = s->hold_samples;
    else if (s->hold_left > 0) s->hold_left--;
    int gate = input_gate || s->hold_left > 0;
    if (input_gate && !s->input_gate) s->attacking = 1;
    s->input_gate = input_gate;
    s->gate = gate;
    if (!gate) {
        s->attacking = 0;
        s->level -= s->release_coef * s->level;
    } else if (s->attacking) {
        s->level += s->attack_coef * (ENVELOPE_ATTACK_OVERSHOOT - s->level);
        if (s->level >= 1.0f) {
            s->level = 1.0f;
            s->attacking = 0;
        }
    } else {
        s->level += s->decay_coef * (sustain - s->level);
    }
    return s->level;
}

#endif
