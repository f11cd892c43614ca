/* The one parameter smoother: a one-pole low-pass stepped once per sample.
 *
 * Time constant in ms. Per-sample steps (never "ramp over the block") keep the output
 * identical at any render block size.
 */
#ifndef MS20_DSP_SMOOTHER_H
#define MS20_DSP_SMOOTHER_H

#include "units.h"

/* Coefficient for a time constant of ms milliseconds at rate fs_hz. */
static inline float smoother_coef(float ms, float fs_hz) { return onepole_coef_ms(ms, fs_hz, 1.0f); }

#endif
