/* The keyboard section: KBD CV (Hz/V) with portamento, and KBD TRIG (S-trigger).
 *
 * Notes arrive as numbers (60 = C4). Portamento glides in pitch (semitones), like a
 * constant-time glide on an exponential VCO; the output is Hz/V: 1 V = C4 at 8'.
 * A retrigger opens the S-trigger for a few samples so the envelopes see a new edge.
 */
#ifndef MS20_KEYBOARD_H
#define MS20_KEYBOARD_H

#include "dsp/fastmath.h"

#define KEYBOARD_RETRIGGER_GAP 2 /* samples the trigger line stays open on a retrigger */

typedef struct {
    float pitch;        /* semitones, gliding */
    float cv_v;         /* Hz/V of pitch, recomputed only while it moves */
    float target;       /* semitones of the key that sounds */
    float glide_coef;   /* per-sample one-pole coefficient, 1 = no portamento */
    int gate;
    int gap;            /* samples left of a retrigger gap */
    float trig_v;       /* KBD TRIG, recomputed on keys and when a gap ends */
} keyboard_state;

/* Gate off, no gap: the S-trigger line open (+5 V). */
static inline void keyboard_release(keyboard_state *s)
{
    s->gate = 0;
    s->gap = 0;
    s->trig_v = 5.0f;
}

static inline void keyboard_init(keyboard_state *s)
{
    s->pitch = s->target = 60.0f;
    s->cv_v = 1.0f;
    s->glide_coef = 1.0f;
    keyboard_release(s);
}

/* Glide time is the time to cover 99 % of an interval (4.6 time constants). */
void keyboard_set_portamento(keyboard_state *s, float ms, float fs_hz);

static inline void keyboard_key(keyboard_state *s, float note, int gate, int retrigger)
{
    if (!s->gate && gate && s->glide_coef >= 1.0f && s->pitch != note) {
        s->pitch = note; /* no glide: jump (the tick recomputes the CV as the pitch moves) */
        s->cv_v = exp2_fast((note - 60.0f) * (1.0f / 12.0f));
    }
    s->target = note;
    s->gap = (retrigger && gate && s->gate) ? KEYBOARD_RETRIGGER_GAP : 0;
    s->gate = gate;
    s->trig_v = (gate && s->gap == 0) ? 0.0f : 5.0f;
}

/* Writes KBD CV (volts, Hz/V) and KBD TRIG (volts, S-trigger). */
static inline void keyboard_tick(keyboard_state *s, float *cv_v, float *trig_v)
{
    if (s->pitch != s->target) { /* gliding: rare enough that a branch beats the arithmetic */
        float moved = s->pitch + s->glide_coef * (s->target - s->pitch);
        if (moved != s->pitch) s->cv_v = exp2_fast((moved - 60.0f) * (1.0f / 12.0f));
        s->pitch = moved;
    }
    *cv_v = s->cv_v;
    *trig_v = s->trig_v;
    if (s->gap && --s->gap == 0) s->trig_v = s->gate ? 0.0f : 5.0f;
}

#endif
