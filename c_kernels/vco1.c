/* VCO-1: band-limited triangle, sawtooth, rectangle and white noise (see vco1.h).
 *
 * One uint32 phase drives every wave; a second one, offset by PW, marks the rectangle's
 * falling edge. Jumps get a BLEP, the triangle's corners a BLAMP, at their exact
 * sub-sample time (phase past the wrap divided by the increment), so FM at audio rate
 * stays band-limited. This file instantiates the BLEP tables for both VCOs.
 */
#define MS20_BLEP_TABLES
#include "vco1.h"

#include <math.h>

#include "dsp/fastmath.h"
#include "noise.h"

#define VCO1_FREQ_MAX 0.49f /* keeps increments below half a cycle, so crossings are unambiguous */
#define VCO1_PW_MAX 0.5f

/* Moves both phases; returns the rectangle's duty as used (clamped, NaN to 0). */
static inline float advance(vco1_state *s, float freq, float pw)
{
    float duty = clampf(pw, 0.0f, VCO1_PW_MAX);
    uint32_t inc = (uint32_t)(clampf(freq, 0.0f, VCO1_FREQ_MAX) * BLEP_CYCLE);
    uint32_t phase = s->phase + inc;
    uint32_t pw_phase = phase - (uint32_t)(duty * BLEP_CYCLE);
    s->pw_inc = pw_phase - s->pw_phase;
    s->pw_phase = pw_phase;
    s->phase = phase;
    s->inc = inc;
    return duty;
}

static float render_triangle(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    uint32_t p = s->phase, inc = s->inc;
    uint32_t from_peak = p ^ 0x80000000u; /* phase - half a cycle */
    float bend = 8.0f * (float)inc * BLEP_INV_CYCLE; /* slope +-4 f flips at each corner */
    if (p < inc) blep_ramp(&s->blep, bend, blep_since(p, inc));
    if (from_peak < inc) blep_ramp(&s->blep, -bend, blep_since(from_peak, inc));
    /* -1 at phase 0, +1 at half a cycle */
    return blep_tick(&s->blep, 1.0f - fabsf((float)(int32_t)from_peak) * (2.0f / 2147483648.0f));
}

static float render_sawtooth(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    uint32_t p = s->phase, inc = s->inc;
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    return blep_tick(&s->blep, 1.0f - (float)p * (2.0f * BLEP_INV_CYCLE));
}

static float render_rectangle(vco1_state *s, float freq, float pw)
{
    float duty = advance(s, freq, pw);
    uint32_t p = s->phase, inc = s->inc, q = s->pw_phase, q_inc = s->pw_inc;
    /* At PW 0 both edges land together and cancel exactly: silent, as on the panel. */
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    if (vco1_pw_crossed(q, q_inc))
        blep_step(&s->blep, (int32_t)q_inc >= 0 ? -2.0f : 2.0f, vco1_pw_since(q, q_inc));
    /* +-1 minus its mean, 2 duty - 1 */
    return blep_tick(&s->blep, vco1_rect_level(p, q) + 1.0f - 2.0f * duty);
}

/* The phases still run: RING reads the rectangle under any wave. */
static float render_noise(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    return blep_tick(&s->blep, noise_white(&s->seed));
}

void vco1_reset(vco1_state *s)
{
    s->phase = 0u;
    s->pw_phase = 0u;
    s->inc = 0u;
    s->pw_inc = 0u;
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
}
