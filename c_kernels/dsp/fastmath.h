/* Cheap, accurate-enough math for the per-sample path.
 *
 * exp2_fast: 2^x to about 9e-5 relative error (0.15 cent), for pitch and cutoff.
 * clampf:   a clamp that also maps NaN to the lower bound, so a bad value can never
 *           travel round a feedback patch.
 * Inputs are plain floats; nothing here allocates or branches on data except clamps.
 */
#ifndef MS20_DSP_FASTMATH_H
#define MS20_DSP_FASTMATH_H

#include <stdint.h>
#include <string.h>

#define MS20_PI 3.14159265358979323846f

/* NaN compares false, so it falls to lo; then the upper bound. */
static inline float clampf(float x, float lo, float hi)
{
    x = x > lo ? x : lo;
    return x < hi ? x : hi;
}

/* 2^x for x in [-60, 60]: integer part into the exponent bits, fraction by a
 * degree-5 polynomial (Horner). */
static inline float exp2_fast(float x)
{
    x = clampf(x, -60.0f, 60.0f);
    float xi = (float)(int32_t)(x + 61.0f) - 61.0f; /* floor without a branch or libm */
    float f = x - xi;
    float p = 1.0f + f * (0.693147182f + f * (0.240226507f + f * (0.0555041087f
                       + f * (0.00961812911f + f * 0.00133335581f))));
    int32_t bits = ((int32_t)xi + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Rational tanh approximation (Pade 7/6), |error| < 1e-4, saturates to
 * +-1: the soft clipper used by the VCA dirt and the output limiter. */
static inline float tanh_fast(float x)
{
    x = clampf(x, -4.97f, 4.97f);
    float x2 = x * x;
    float a = x * (135135.0f + x2 * (17325.0f + x2 * (378.0f + x2)));
    float b = 135135.0f + x2 * (62370.0f + x2 * (3150.0f + x2 * 28.0f));
    return clampf(a / b, -1.0f, 1.0f);
}

#endif
