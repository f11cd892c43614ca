/* VCO-2 (STUB: naive waveforms; see vco2.h). */
#include "vco2.h"

#define VCO2_PULSE_DUTY 0.25f

static void advance(vco2_state *s, float freq)
{
    float p = s->phase + freq;
    s->phase = p - (float)(p >= 1.0f);
}

static float render_sawtooth(vco2_state *s, float freq, const vco1_state *v1)
{
    (void)v1;
    advance(s, freq);
    return 1.0f - 2.0f * s->phase;
}

static float render_square(vco2_state *s, float freq, const vco1_state *v1)
{
    (void)v1;
    advance(s, freq);
    return s->phase < 0.5f ? 1.0f : -1.0f;
}

static float render_pulse(vco2_state *s, float freq, const vco1_state *v1)
{
    (void)v1;
    advance(s, freq);
    return (s->phase < VCO2_PULSE_DUTY ? 1.0f : -1.0f) + 0.5f;
}

static float render_ring(vco2_state *s, float freq, const vco1_state *v1)
{
    advance(s, freq);
    return (s->phase < VCO2_PULSE_DUTY ? 1.0f : -1.0f) * v1->rect;
}

void vco2_reset(vco2_state *s) { s->phase = 0.0f; }

void vco2_init(vco2_state *s)
{
    vco2_reset(s);
    vco2_set_wave(s, VCO2_SAWTOOTH);
}

void vco2_set_wave(vco2_state *s, int wave)
{
    static float (*const renders[])(vco2_state *, float, const vco1_state *) = {
        render_sawtooth, render_square, render_pulse, render_ring};
    s->render = renders[(unsigned)wave < 4u ? wave : VCO2_SAWTOOTH];
}
