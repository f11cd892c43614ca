/* VCO-2: band-limited sawtooth, square, 25 % pulse and RING (see vco2.h).
 *
 * Pulses are one phase compared with a fixed duty; RING multiplies VCO-1's rectangle
 * level by VCO-2's pulse level and puts a BLEP on every edge of either, in time order,
 * since each edge flips the product.
 */
#include "vco2.h"

#include "dsp/fastmath.h"

#define VCO2_SQUARE_DUTY 0.5f
#define VCO2_PULSE_DUTY 0.25f
/* RING's VCO-2 side: the narrow pulse, as the reference describes ("VCO-2's pulse"); a
 * documented choice, since sources do not say which of VCO-2's pulses feeds the ring. */
#define VCO2_RING_DUTY VCO2_PULSE_DUTY

/* Moves the phase; returns the increment. freq comes clamped to 0..0.45, so an increment
 * is below half a cycle and crossings are unambiguous. */
static inline uint32_t advance(vco2_state *s, float freq)
{
    uint32_t inc = (uint32_t)(freq * BLEP_CYCLE);
    s->phase += inc;
    return inc;
}

static float render_sawtooth(vco2_state *s, float freq, const vco1_state *v1)
{
    uint32_t inc = advance(s, freq), p = s->phase;
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    return blep_tick(&s->blep, 1.0f - (float)p * (2.0f * BLEP_INV_CYCLE));
}

/* A pulse of fixed duty: rises as the phase wraps, falls as phase - duty wraps. */
static inline float pulse(vco2_state *s, float freq, float duty)
{
    uint32_t inc = advance(s, freq), p = s->phase;
    uint32_t from_fall = p - (uint32_t)(duty * BLEP_CYCLE);
    if (p < inc) blep_step(&s->blep, 2.0f, blep_since(p, inc));
    if (from_fall < inc) blep_step(&s->blep, -2.0f, blep_since(from_fall, inc));
    return blep_tick(&s->blep, (from_fall > p ? 2.0f : 0.0f) - 2.0f * duty); /* level - mean */
}

static float render_square(vco2_state *s, float freq, const vco1_state *v1)
{
    return pulse(s, freq, VCO2_SQUARE_DUTY);
}

static float render_pulse(vco2_state *s, float freq, const vco1_state *v1)
{
    return pulse(s, freq, VCO2_PULSE_DUTY);
}

/* Sorts up to four edge times, earliest (largest time since) first. */
static void sort_edges(float *since, int n)
{
    for (int i = 1; i < n; ++i) {
        float x = since[i];
        int j = i;
        for (; j > 0 && since[j - 1] < x; --j) since[j] = since[j - 1];
        since[j] = x;
    }
}

/* RING's edges in a tick where either oscillator had one: each flips the product, so in
 * time order the steps alternate and end at this sample's level. */
static void ring_edges(vco2_state *s, float level, uint32_t p1, uint32_t inc1, uint32_t q1, uint32_t q_inc1,
                       uint32_t p, uint32_t inc, uint32_t from_fall)
{
    float since[4];
    int edges = 0;
    if (p1 < inc1) since[edges++] = blep_since(p1, inc1);
    if (vco1_pw_crossed(q1, q_inc1)) since[edges++] = vco1_pw_since(q1, q_inc1);
    if (p < inc) since[edges++] = blep_since(p, inc);
    if (from_fall < inc) since[edges++] = blep_since(from_fall, inc);
    sort_edges(since, edges);
    float step = (edges & 1) ? 2.0f * level : -2.0f * level;
    for (int i = 0; i < edges; ++i, step = -step) blep_step(&s->blep, step, since[i]);
}

static float render_ring(vco2_state *s, float freq, const vco1_state *v1)
{
    const uint32_t ring_width = (uint32_t)(VCO2_RING_DUTY * BLEP_CYCLE);
    uint32_t inc = advance(s, freq), p = s->phase, from_fall = p - ring_width;
    float duty1 = vco1_duty(v1->pw);
    uint32_t p1 = v1->phase, q1 = vco1_pw_phase(p1, duty1);
    uint32_t p1_before = s->v1_phase, q1_before = s->v1_pw_phase;
    s->v1_phase = p1;
    s->v1_pw_phase = q1;

    int high1 = vco1_rect_high(p1, q1);
    float level = high1 == (from_fall > p) ? 1.0f : -1.0f; /* the product of two +-1 levels */
    /* VCO-1's falling edge shows as a level change without a wrap. */
    if ((p1 < p1 - p1_before) | (high1 != vco1_rect_high(p1_before, q1_before)) | (p < inc) | (from_fall < inc))
        ring_edges(s, level, p1, p1 - p1_before, q1, q1 - q1_before, p, inc, from_fall);
    /* The product's mean for unrelated pitches: (2 pw - 1)(2 duty - 1). */
    return blep_tick(&s->blep, level - (2.0f * duty1 - 1.0f) * (2.0f * VCO2_RING_DUTY - 1.0f));
}

/* The first RING tick after the switch: VCO-1's phases one tick ago are not known, so take
 * them as unmoved (its edges in this one sample are missed, a click under the switch's own). */
static float render_ring_first(vco2_state *s, float freq, const vco1_state *v1)
{
    s->v1_phase = v1->phase;
    s->v1_pw_phase = vco1_pw_phase(v1->phase, vco1_duty(v1->pw));
    s->render = render_ring;
    return render_ring(s, freq, v1);
}

void vco2_reset(vco2_state *s)
{
    s->phase = 0u;
    s->v1_phase = 0u;
    s->v1_pw_phase = 0u;
    blep_reset(&s->blep);
    if (s->render == render_ring) s->render = render_ring_first; /* VCO-1 may have reset too */
}

void vco2_resume(vco2_state *s)
{
    if (s->render == render_ring) s->render = render_ring_first;
}

void vco2_init(vco2_state *s)
{
    vco2_set_wave(s, VCO2_SAWTOOTH);
    vco2_reset(s);
}

void vco2_set_wave(vco2_state *s, int wave)
{
    static float (*const renders[])(vco2_state *, float, const vco1_state *) = {
        render_sawtooth, render_square, render_pulse, render_ring_first};
    s->render = renders[(unsigned)wave < 4u ? wave : VCO2_SAWTOOTH];
}
