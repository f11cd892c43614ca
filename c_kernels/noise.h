/* The noise generator: white (an LCG, uniform) and pink (Paul Kellet's economy
 * three-pole filter on the same white source, -3 dB/oct within +-0.5 dB from 10 Hz to
 * 20 kHz at 44.1 kHz). Both about 1 V peak.
 */
#ifndef MS20_NOISE_H
#define MS20_NOISE_H

#include <stdint.h>

typedef struct {
    uint32_t seed;
    float b0, b1, b2;
} noise_state;

static inline void noise_init(noise_state *s, uint32_t seed)
{
    s->seed = seed ? seed : 0x9e3779b9u;
    s->b0 = s->b1 = s->b2 = 0.0f;
}

/* A full-period 32-bit LCG (Numerical Recipes' constants): its weak low bits only round
 * the float, whose 24 bits come from the top of the word. Two operations a sample. */
static inline float noise_white(uint32_t *seed)
{
    uint32_t x = *seed * 1664525u + 1013904223u;
    *seed = x;
    return (float)(int32_t)x * (1.0f / 2147483648.0f);
}

static inline void noise_tick(noise_state *s, float *white_v, float *pink_v)
{
    float w = noise_white(&s->seed);
    s->b0 = 0.99765f * s->b0 + w * 0.0990460f;
    s->b1 = 0.96300f * s->b1 + w * 0.2965164f;
    s->b2 = 0.57000f * s->b2 + w * 1.0526913f;
    *white_v = w;
    *pink_v = (s->b0 + s->b1 + s->b2 + w * 0.1848f) * 0.25f;
}

#endif
