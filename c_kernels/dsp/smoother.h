/* The one parameter smoother: a one-pole low-pass stepped once per sample.
 *
 * Time constant in ms. Per-sample steps (never "ramp over the block") keep the output
 * identical at any render block size.
 */
#ifndef MS20_DSP_SMOOTHER_H
#define MS20_DSP_SMOOTHER_H

#include <math.h>

/* Coefficient for a time constant of ms milliseconds at rate fs_hz. */
static inline float smoother_coef(float ms, float fs_hz)
{
    float samples = ms * 0.001f * fs_hz;
    return samples < 1.0f ? 1.0f : 1.0f - expf(-1.0f / samples);
}

static inline float smoother_step(float value, float target, float coef)
{
    return value + coef * (target - value);
}

#endif
