/* VCO-1: band-limited triangle, sawtooth, rectangle and white noise (see vco1.h).
 *
 * One uint32 phase drives every wave; a second one, offset by PW, marks the rectangle's
 * falling edge (derived where needed: the other waves only note the PW). Jumps get a BLEP,
 * the triangle's corners a BLAMP, at their exact sub-sample time (phase past the wrap over
 * the increment), so FM at audio rate stays band-limited. This file instantiates the BLEP
 * tables for both VCOs.
 */
#define MS20_BLEP_TABLES
#include "vco1.h"

#include <math.h>

#include "noise.h"

/* Moves the phase and notes the PW; returns the increment. freq comes clamped to 0..0.45,
 * so an increment is below half a cycle and crossings are unambiguous. */
static inline uint32_t advance(vco1_state *s, float freq, float pw)
{
    uint32_t inc = (uint32_t)(freq * BLEP_CYCLE);
    s->phase += inc;
    s->pw = pw;
    return inc;
}

static float render_triangle(vco1_state *s, float freq, float pw)
{
    uint32_t inc = advance(s, freq, pw), p = s->phase;
    uint32_t from_peak = p ^ 0x80000000u; /* phase - half a cycle */
    float bend = 8.0f * (float)inc * BLEP_INV_CYCLE; /* slope +-4 f flips at each corner */
    if (p < inc) blep_ramp(&s->blep, bend, blep_since(p, inc));
    if (from_peak < inc) blep_ramp(&s->blep, -bend, blep_since(from_peak, inc));
    /* -1 at phase 0, +1 at half a cycle */
    return blep_tick(&s->blep, 1.0f - fabsf((float)(int32_t)from_peak) * (2.0f / 2147483648.0f));
}

static float render_sawtooth(vco1_state *s, float freq, float pw)
{
    uint32_t inc = advance(s, freq, pw), p = s->phase;
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    return blep_tick(&s->blep, 1.0f - (float)p * (2.0f * BLEP_INV_CYCLE));
}

/* The rectangle's edges in a tick where the phase wrapped or the level changed. */
static void rectangle_edges(vco1_state *s, uint32_t p, uint32_t inc, uint32_t q, uint32_t q_inc)
{
    /* At PW 0 both edges land together and cancel exactly: silent, as on the panel. */
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    if (vco1_pw_crossed(q, q_inc))
        blep_step(&s->blep, (int32_t)q_inc >= 0 ? -2.0f : 2.0f, vco1_pw_since(q, q_inc));
}

static float render_rectangle(vco1_state *s, float freq, float pw)
{
    float duty = vco1_duty(pw);
    uint32_t p0 = s->phase, q0 = s->pw_phase;
    uint32_t inc = advance(s, freq, pw), p = s->phase;
    uint32_t q = vco1_pw_phase(p, duty);
    s->pw_phase = q;
    int high = vco1_rect_high(p, q);
    /* Without a wrap the level changes only where the falling edge passed. */
    if ((p < inc) | (high != vco1_rect_high(p0, q0))) rectangle_edges(s, p, inc, q, q - q0);
    /* +-1 minus its mean, 2 duty - 1 */
    return blep_tick(&s->blep, (high ? 2.0f : 0.0f) - 2.0f * duty);
}

/* The phase still runs: RING reads the rectangle under any wave. */
static float render_noise(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    return blep_tick(&s->blep, noise_white(&s->seed));
}

void vco1_reset(vco1_state *s)
{
    s->phase = 0u;
    s->pw = 0.5f;
    s->pw_phase = vco1_pw_phase(0u, 0.5f);
    blep_reset(&s->blep);
}

void vco1_init(vco1_state *s, uint32_t seed)
{
    s->seed = seed ? seed : 1u;
    vco1_reset(s);
    vco1_set_wave(s, VCO1_SAWTOOTH);
}

void vco1_set_wave(vco1_state *s, int wave)
{
    static float (*const renders[])(vco1_state *, float, float) = {
        render_triangle, render_sawtooth, render_rectangle, render_noise};
    s->render = renders[(unsigned)wave < 4u ? wave : VCO1_SAWTOOTH];
    s->pw_phase = vco1_pw_phase(s->phase, vco1_duty(s->pw)); /* the rectangle picks up here */
}
