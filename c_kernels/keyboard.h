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

/* The PORTAMENTO knob as a per-sample step: changed by keyboard_set_portamento. */
typedef struct {
    float glide_coef;   /* per-sample one-pole coefficient, 1 = no portamento */
} keyboard_settings;

/* What keys and the tick change: a reset (keyboard_release) touches only this. */
typedef struct {
    float target;       /* semitones of the key that sounds */
    float rest;         /* semitones still to glide: the pitch is target - rest */
    float cv_v;         /* Hz/V of the pitch, recomputed only while it moves */
    int gate;
    int gap;            /* samples left of a retrigger gap */
    float trig_v;       /* KBD TRIG, recomputed on keys and when a gap ends */
    int moving;         /* gliding, or a gap or its end not yet written: the tick has work */
} keyboard_state;

/* The outputs, in the order of their jacks (KBD CV, KBD TRIG). */
enum { KBD_CV, KBD_TRIG };

/* CV and TRIG move only on keys, while gliding and when a gap ends, so they are written to
 * their jacks only then: by keyboard_key and keyboard_tick, and by the caller after a reset. */
static inline void keyboard_outputs(const keyboard_state *s, float *out)
{
    out[KBD_CV] = s->cv_v;
    out[KBD_TRIG] = s->trig_v;
}

/* Gate off, no gap: the S-trigger line open (+5 V). */
static inline void keyboard_release(keyboard_state *s)
{
    s->gate = 0;
    s->gap = 0;
    s->trig_v = 5.0f;
    s->moving = s->rest != 0.0f; /* a glide goes on */
}

static inline void keyboard_init(keyboard_state *s)
{
    s->target = 60.0f;
    s->rest = 0.0f;
    s->cv_v = 1.0f;
    keyboard_release(s);
}

static inline void keyboard_settings_init(keyboard_settings *t) { t->glide_coef = 1.0f; }

/* Glide time is the time to cover 99 % of an interval (4.6 time constants). */
void keyboard_set_portamento(keyboard_settings *t, float ms, float fs_hz);

static inline void keyboard_key(keyboard_state *s, const keyboard_settings *t, float note, int gate, int retrigger,
                                float *out)
{
    float pitch = s->target - s->rest;
    if (!s->gate && gate && t->glide_coef >= 1.0f && pitch != note) {
        pitch = note; /* no glide: jump */
        s->cv_v = exp2_fast((note - 60.0f) * (1.0f / 12.0f));
    }
    s->target = note;
    s->rest = note - pitch;
    s->gap = (retrigger && gate && s->gate) ? KEYBOARD_RETRIGGER_GAP : 0;
    s->gate = gate;
    s->trig_v = (gate && s->gap == 0) ? 0.0f : 5.0f;
    s->moving = s->rest != 0.0f || s->gap;
    keyboard_outputs(s, out);
}

/* A glide step and the gap's count. The glide shrinks what is left of the interval rather
 * than stepping the pitch: steps near a high pitch would round to its float spacing, a
 * long glide would run 9 % short and stall cents away from the key. It ends where the
 * pitch rounds to the key. */
static inline void keyboard_move(keyboard_state *s, const keyboard_settings *t, float *out)
{
    if (s->rest != 0.0f) {
        s->rest -= t->glide_coef * s->rest;
        float pitch = s->target - s->rest;
        if (pitch == s->target) s->rest = 0.0f;
        s->cv_v = exp2_fast((pitch - 60.0f) * (1.0f / 12.0f));
    }
    keyboard_outputs(s, out);
    if (s->gap && --s->gap == 0) s->trig_v = s->gate ? 0.0f : 5.0f;
    s->moving = s->rest != 0.0f || s->gap || s->trig_v != out[KBD_TRIG];
}

/* Writes KBD CV (volts, Hz/V) and KBD TRIG (volts, S-trigger) when they move. */
static inline void keyboard_tick(keyboard_state *s, const keyboard_settings *t, float *out)
{
    if (s->moving) keyboard_move(s, t, out);
}

#endif
