/* Time and frequency in the units the panel speaks (ms, Hz) turned into what a per-sample
 * loop steps with: sample counts, one-pole coefficients and poles. Setup-time helpers
 * (expf), never called per sample.
 */
#ifndef MS20_DSP_UNITS_H
#define MS20_DSP_UNITS_H

#include <math.h>

#include "fastmath.h"

/* ms at fs_hz as a (fractional) number of samples. */
static inline float ms_to_samples_f(float ms, float fs_hz) { return ms * 0.001f * fs_hz; }

/* ms at fs_hz, rounded to whole samples. */
static inline int ms_to_samples(float ms, float fs_hz) { return (int)(ms_to_samples_f(ms, fs_hz) + 0.5f); }

/* The coefficient c of a one-pole step y += c (target - y) whose segment of ms milliseconds
 * spans `time_constants` time constants (1: ms is the time constant itself). A time
 * constant of one sample or less jumps (c = 1). */
static inline float onepole_coef_ms(float ms, float fs_hz, float time_constants)
{
    float tau_samples = ms_to_samples_f(ms, fs_hz) / time_constants;
    return tau_samples <= 1.0f ? 1.0f : 1.0f - expf(-1.0f / tau_samples);
}

/* The pole (the feedback y[n-1] keeps) of a one-pole low-pass with its corner at f_hz,
 * impulse invariant: exp(-2 pi f / fs). */
static inline float onepole_pole_hz(float f_hz, float fs_hz) { return expf(-2.0f * MS20_PI * f_hz / fs_hz); }

#endif
