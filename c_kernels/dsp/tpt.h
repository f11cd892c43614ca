/* Trapezoidal (TPT, zero-delay-feedback) one-pole pieces and their cutoff prewarping.
 * Reference: V. Zavalishin, "The Art of VA Filter Design", ch. 3 (TPT one-pole written as
 * an instantaneous response y = G x + (1 - G) s). Cutoffs in cycles per sample at the rate
 * the one-poles run; G = g / (1 + g) with g = tan(pi fc).
 */
#ifndef MS20_DSP_TPT_H
#define MS20_DSP_TPT_H

#include "fastmath.h"

/* tan(pi fc) as num / den: the [3/2] Pade approximant of tan, 1e-4 relative error at the
 * top of the range (fc = 0.225, pi fc = 0.707), far smaller below; 0.2 cent at worst.
 * Split in two so callers get G = num / (num + den) and 1 / g = den / num from one pair. */
static inline void tpt_tan_pi(float fc, float *num, float *den)
{
    float x = MS20_PI * fc, x2 = x * x;
    *num = x * (15.0f - x2);
    *den = 15.0f - 6.0f * x2;
}

/* tan x / x - 1 by its series in x2 = x^2 (x = pi fc, to 0.2 % at x = 0.7): how far the
 * prewarped integrators lower a response's frequencies under the cutoff (by x / tan x), for
 * the stopband corrections (korg35_set_hp_foot, ota_set_hp_foot). */
static inline float tpt_warp(float x2) { return x2 * (1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (17.0f / 315.0f))); }

/* One-pole low-pass step: returns the output and advances the state (s' = 2 y - s).
 * The high-pass output of the same one-pole is x minus the return value. */
static inline float tpt_lp(float *s, float G, float x)
{
    float v = G * (x - *s);
    float y = *s + v;
    *s = y + v;
    return y;
}

#endif
