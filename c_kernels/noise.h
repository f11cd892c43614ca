/* The noise generator: white (an LCG, uniform) and pink (Paul Kellet's economy
 * three-pole filter on the same white source, -3 dB/oct within +-0.5 dB from 10 Hz to
 * 20 kHz at 44.1 kHz). Both about 1 V peak.
 */
#ifndef MS20_NOISE_H
#define MS20_NOISE_H

#include <stdint.h>

/* The three poles and the direct term run as one 4-lane step: lane 3 has no pole, so it
 * holds w * 0.1848; pink is the sum of the lanes. */
typedef float noise_v4 __attribute__((vector_size(16)));
typedef int32_t noise_i4 __attribute__((vector_size(16)));
#if defined(__clang__)
#define NOISE_SWAP_HALVES(v) __builtin_shufflevector((v), (v), 2, 3, 0, 1)
#else
#define NOISE_SWAP_HALVES(v) __builtin_shuffle((v), (noise_i4){2, 3, 0, 1})
#endif

typedef struct {
    uint32_t seed;
    noise_v4 b; /* pole states, and the direct term */
} noise_state;

static inline void noise_init(noise_state *s, uint32_t seed)
{
    noise_v4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
    s->seed = seed ? seed : 0x9e3779b9u;
    s->b = zero;
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
    static const noise_v4 pole = {0.99765f, 0.96300f, 0.57000f, 0.0f};
    static const noise_v4 gain = {0.0990460f * 0.25f, 0.2965164f * 0.25f, 1.0526913f * 0.25f, 0.1848f * 0.25f};
    float w = noise_white(&s->seed);
    noise_v4 b = pole * s->b + w * gain; /* scaled by 1/4 already: the pink output's level */
    s->b = b;
    *white_v = w;
    noise_v4 pairs = b + NOISE_SWAP_HALVES(b); /* one shuffle and one add, then a scalar add */
    *pink_v = pairs[0] + pairs[1];
}

#endif
