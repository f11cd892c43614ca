/* VCO-1: triangle, sawtooth, rectangle (PW 50 % down to silent), white noise.
 *
 * Band-limited: naive waves plus BLEP residuals at each jump, BLAMP at the triangle's
 * corners (dsp/blep.h), so output lags the call by BLEP_LATENCY samples. freq is in cycles
 * per sample (f / fs, 0..0.45, clamped by the caller; may change every sample); pw is the
 * rectangle's duty (0.5 square .. 0 silent). Output about +-1 V, zero mean (the pulse's DC is
 * removed analytically). Phase and PW are kept whatever the wave: VCO-2's RING rebuilds the
 * rectangle's edges from them.
 */
#ifndef MS20_VCO1_H
#define MS20_VCO1_H

#include <stdint.h>

#include "dsp/blep.h"
#include "dsp/fastmath.h"

enum vco1_wave { VCO1_TRIANGLE = 0, VCO1_SAWTOOTH = 1, VCO1_RECTANGLE = 2, VCO1_NOISE = 3 };

typedef struct vco1_state vco1_state;
struct vco1_state {
    uint32_t phase;       /* 2^32 = one cycle; the rectangle rises as it wraps */
    float pw;             /* the PW of the last tick, as given (RING reads it) */
    uint32_t pw_phase;    /* the rectangle's falling-edge phase (kept by the rectangle wave only) */
    uint32_t seed;
    blep_buffer blep;
    float (*render)(vco1_state *s, float freq, float pw); /* chosen by vco1_set_wave */
};

void vco1_init(vco1_state *s, uint32_t seed);
void vco1_reset(vco1_state *s);
void vco1_set_wave(vco1_state *s, int wave);

static inline float vco1_tick(vco1_state *s, float freq, float pw) { return s->render(s, freq, pw); }

/* The rectangle's duty as used: PW clamped to 0..0.5, NaN to 0 (silent). */
static inline float vco1_duty(float pw) { return clampf(pw, 0.0f, 0.5f); }

/* The falling edge is where pw_phase = phase - duty wraps, so the rectangle is the
 * difference of two sawtooth phases: exact at any PW and under PW modulation. */
static inline uint32_t vco1_pw_phase(uint32_t phase, float duty)
{
    return phase - (uint32_t)(duty * BLEP_CYCLE);
}

/* Whether the rectangle is high at a phase pair: high while phase < PW, which is exactly
 * when subtracting PW borrowed, i.e. pw_phase > phase. Never high at PW 0. */
static inline int vco1_rect_high(uint32_t phase, uint32_t pw_phase) { return pw_phase > phase; }

/* Whether pw_phase crossed zero in a tick that moved it by pw_inc: the rectangle fell or,
 * when a widening pulse outran a slow phase, rose again (pw_inc < 0 as int32). */
static inline int vco1_pw_crossed(uint32_t pw_phase, uint32_t pw_inc)
{
    return (int32_t)pw_inc >= 0 ? pw_phase < pw_inc : pw_phase >= pw_inc;
}

/* For a tick where vco1_pw_crossed: how long ago, in samples (0..1). */
static inline float vco1_pw_since(uint32_t pw_phase, uint32_t pw_inc)
{
    return (float)(int32_t)pw_phase / (float)(int32_t)pw_inc;
}

#endif
