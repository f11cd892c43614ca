/* Band-limited jumps for the oscillators: a naive waveform plus tabulated residuals of a
 * windowed-sinc step (BLEP, for jumps in value) and of its integral (BLAMP, for jumps in
 * slope), added around each jump at its sub-sample position (tables: dsp/blep_table.h).
 *
 * The residual is linear phase, so it starts BLEP_LATENCY samples before the jump: the
 * output is the naive wave delayed by BLEP_LATENCY samples plus the residuals. Phases are
 * uint32 fractions of a cycle (2^32 = one cycle): exact tuning, free wrap-around.
 */
#ifndef MS20_DSP_BLEP_H
#define MS20_DSP_BLEP_H

#include <stdint.h>
#include <string.h>

#include "blep_table.h"

#define BLEP_LATENCY (BLEP_TAPS / 2)
#define BLEP_SPAN 64 /* samples between moves of the window back to the start */
#define BLEP_CYCLE 4294967296.0f
#define BLEP_INV_CYCLE (1.0f / 4294967296.0f)

/* acc[pos] is the sample due out now, acc[pos + k] the one due k samples later. Jumps add
 * into a contiguous run, so the loop is straight and vectorises; every BLEP_SPAN samples
 * the live tail moves back to the start instead of wrapping an index per tap. */
typedef struct {
    float acc[BLEP_SPAN + BLEP_TAPS];
    int pos;
} blep_buffer;

static inline void blep_reset(blep_buffer *b) { memset(b, 0, sizeof *b); }

/* Adds `height` times a residual for a jump `since` samples (0..1) before the newest sample. */
static inline void blep_add(blep_buffer *b, const float (*table)[BLEP_TAPS], float height, float since)
{
    float x = since * (float)BLEP_PHASES;
    int j = (int)x;
    j -= j >= BLEP_PHASES; /* since == 1 is the last row's far end */
    float w1 = height * (x - (float)j), w0 = height - w1;
    const float *restrict r0 = table[j];
    const float *restrict r1 = table[j + 1];
    float *restrict a = b->acc + b->pos;
    for (int k = 0; k < BLEP_TAPS; ++k) a[k] += w0 * r0[k] + w1 * r1[k];
}

/* A step of `height` volts. */
static inline void blep_step(blep_buffer *b, float height, float since)
{
    blep_add(b, ms20_blep_step, height, since);
}

/* A change of slope of `slope` volts per sample. */
static inline void blep_ramp(blep_buffer *b, float slope, float since)
{
    blep_add(b, ms20_blep_ramp, slope, since);
}

/* Queues this sample's naive value and returns the band-limited sample due now. */
static inline float blep_tick(blep_buffer *b, float naive)
{
    int pos = b->pos;
    b->acc[pos + BLEP_LATENCY] += naive;
    float y = b->acc[pos];
    if (++pos == BLEP_SPAN) {
        /* Slots 0..SPAN-1 are spent; the next TAPS-1 move to the front, the rest clear. */
        memcpy(b->acc, b->acc + BLEP_SPAN, (BLEP_TAPS - 1) * sizeof(float));
        memset(b->acc + BLEP_TAPS - 1, 0, BLEP_SPAN * sizeof(float));
        pos = 0;
    }
    b->pos = pos;
    return y;
}

/* Where a phase `x` (uint32) that just moved forward by `inc` crossed zero: the time
 * since the crossing in samples (0..1). Call only when x < inc (it did cross). */
static inline float blep_since(uint32_t x, uint32_t inc) { return (float)x / (float)inc; }

#endif
