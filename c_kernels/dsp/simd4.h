/* Four float lanes for running several copies of one circuit side by side (GCC/Clang vector
 * extensions: SSE on x86-64, NEON on aarch64, plain per-lane C elsewhere or with
 * MS20_PORTABLE). Arithmetic is the extension's (+ - * / and scalars broadcast); here are
 * the few operations it lacks, with fastmath.h's NaN rule for max and min (a NaN in a gives b).
 */
#ifndef MS20_DSP_SIMD4_H
#define MS20_DSP_SIMD4_H

#include <math.h>
#include <stdint.h>

#if defined(__aarch64__) && !defined(MS20_PORTABLE)
#include <arm_neon.h>
#endif

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f v4_splat(float x) { return (v4f){x, x, x, x}; }

#if defined(__GNUC__) && defined(__SSE__) && !defined(MS20_PORTABLE)
static inline v4f v4_max(v4f a, v4f b) { return __builtin_ia32_maxps(a, b); }
static inline v4f v4_min(v4f a, v4f b) { return __builtin_ia32_minps(a, b); }
static inline v4f v4_sqrt(v4f a) { return __builtin_ia32_sqrtps(a); }
#elif defined(__aarch64__) && !defined(MS20_PORTABLE)
static inline v4f v4_max(v4f a, v4f b) { return vmaxnmq_f32(a, b); }
static inline v4f v4_min(v4f a, v4f b) { return vminnmq_f32(a, b); }
static inline v4f v4_sqrt(v4f a) { return vsqrtq_f32(a); }
#else
static inline v4f v4_max(v4f a, v4f b)
{
    for (int i = 0; i < 4; ++i) a[i] = a[i] > b[i] ? a[i] : b[i];
    return a;
}
static inline v4f v4_min(v4f a, v4f b)
{
    for (int i = 0; i < 4; ++i) a[i] = a[i] < b[i] ? a[i] : b[i];
    return a;
}
static inline v4f v4_sqrt(v4f a)
{
    for (int i = 0; i < 4; ++i) a[i] = sqrtf(a[i]);
    return a;
}
#endif

static inline v4f v4_clamp(v4f x, float lo, float hi) { return v4_min(v4_max(x, v4_splat(lo)), v4_splat(hi)); }

static inline v4f v4_abs(v4f x)
{
    v4i m = (v4i)x & 0x7fffffff;
    return (v4f)m;
}

#endif
