/* VCO-1 (STUB: naive waveforms; see vco1.h). */
#include "vco1.h"
#include "noise.h"

static void advance(vco1_state *s, float freq, float pw)
{
    float p = s->phase + freq;
    s->phase = p - (float)(p >= 1.0f);
    s->rect = s->phase < pw ? 1.0f : -1.0f;
}

static float render_triangle(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    float p = s->phase;
    return p < 0.5f ? 4.0f * p - 1.0f : 3.0f - 4.0f * p;
}

static float render_sawtooth(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    return 1.0f - 2.0f * s->phase;
}

static float render_rectangle(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    return s->rect - (2.0f * pw - 1.0f);
}

static float render_noise(vco1_state *s, float freq, float pw)
{
    advance(s, freq, pw);
    return noise_white(&s->seed);
}

void vco1_reset(vco1_state *s)
{
    s->phase = 0.0f;
    s->rect = 1.0f;
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
