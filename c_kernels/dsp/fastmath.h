/* Cheap, accurate-enough math for the per-sample path.
 *
 * exp2_fast:   2^x to 2.8e-6 relative error (0.005 cent), for pitch and cutoff;
 *              exp2_bounded when the caller has already clamped, exp2_cached when the
 *              exponent often holds still.
 * clampf:      a clamp that also maps NaN to the lower bound, so a bad value can never
 *              travel round a feedback patch; maxf and minf, its halves.
 * Inputs are plain floats; nothing here allocates, and only exp2_cached branches.
 */
#ifndef MS20_DSP_FASTMATH_H
#define MS20_DSP_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define MS20_PI 3.14159265358979323846f

/* maxf(a, b) = a > b ? a : b and minf(a, b) = a < b ? a : b: a NaN in a gives b (clampf's
 * NaN rule). One instruction each: SSE's maxss/minss have exactly these semantics (inline
 * asm, because GCC turns the ternaries into compare-and-branch and the intrinsics into
 * lane shuffles), AArch64's fmaxnm/fminnm (fmaxf/fminf) return the number. */
#if defined(__GNUC__) && defined(__SSE__) && !defined(MS20_PORTABLE)
static inline float maxf(float a, float b)
{
    __asm__("maxss %1, %0" : "+x"(a) : "xm"(b));
    return a;
}
static inline float minf(float a, float b)
{
    __asm__("minss %1, %0" : "+x"(a) : "xm"(b));
    return a;
}
#elif defined(__aarch64__) && !defined(MS20_PORTABLE)
static inline float maxf(float a, float b) { return fmaxf(a, b); }
static inline float minf(float a, float b) { return fminf(a, b); }
#else
static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }
#endif

static inline float clampf(float x, float lo, float hi) { return minf(maxf(x, lo), hi); }

/* 2^x for |x| <= 126 (finite: callers clamp): the nearest integer n goes into the
 * exponent bits, 2^f for f = x - n in [-0.5, 0.5] comes from a degree-4 polynomial fitted
 * for relative error (2.8e-6, 0.005 cent; exact at 0). Rounding is the 1.5 * 2^23 trick:
 * adding it leaves n in the low mantissa bits, with no float-int conversion. */
static inline float exp2_bounded(float x)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float r = x + magic;
    int32_t n;
    memcpy(&n, &r, sizeof n);
    float f = x - (r - magic);
    float p = 1.0f + f * (0.693124200f + f * (0.240240990f + f * (0.0559063700f + f * 0.00958282000f)));
    int32_t bits;
    memcpy(&bits, &p, sizeof bits);
    bits += (int32_t)((uint32_t)(n - 0x4b400000) << 23);
    memcpy(&p, &bits, sizeof p);
    return p;
}

/* 2^clamp(x, lo, hi), recomputed only when x moves: a modulation input that holds still
 * (an unpatched normal, a settled envelope) costs a compare. NaN never equals itself, so
 * it always takes the clamp. */
typedef struct {
    float x, y;
} exp2_cache;

static inline void exp2_cache_init(exp2_cache *c)
{
    c->x = NAN; /* unequal to anything: the first call computes */
    c->y = 1.0f;
}

static inline float exp2_cached(exp2_cache *c, float x, float lo, float hi)
{
    if (x != c->x) {
        c->x = x;
        c->y = exp2_bounded(clampf(x, lo, hi));
    }
    return c->y;
}

/* 2^x for any x, NaN included (as 2^-60). */
static inline float exp2_fast(float x) { return exp2_bounded(clampf(x, -60.0f, 60.0f)); }

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
