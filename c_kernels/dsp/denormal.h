/* Flush-to-zero for the audio thread: denormals cost hundreds of cycles each on x86 and
 * appear in every decaying filter or envelope tail. Set on entry to render, restored on
 * exit so the caller's (Python's) floating-point mode is untouched.
 */
#ifndef MS20_DSP_DENORMAL_H
#define MS20_DSP_DENORMAL_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
typedef unsigned int fp_mode;
static inline fp_mode fp_mode_flush_denormals(void)
{
    fp_mode old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ | DAZ */
    return old;
}
static inline void fp_mode_restore(fp_mode old) { _mm_setcsr(old); }
#elif defined(__aarch64__)
typedef uint64_t fp_mode;
static inline fp_mode fp_mode_flush_denormals(void)
{
    uint64_t old;
    __asm__ volatile("mrs %0, fpcr" : "=r"(old));
    __asm__ volatile("msr fpcr, %0" ::"r"(old | (1ull << 24))); /* FZ */
    return old;
}
static inline void fp_mode_restore(fp_mode old) { __asm__ volatile("msr fpcr, %0" ::"r"(old)); }
#elif defined(__arm__)
typedef uint32_t fp_mode;
static inline fp_mode fp_mode_flush_denormals(void)
{
    uint32_t old;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(old));
    __asm__ volatile("vmsr fpscr, %0" ::"r"(old | (1u << 24))); /* FZ */
    return old;
}
static inline void fp_mode_restore(fp_mode old) { __asm__ volatile("vmsr fpscr, %0" ::"r"(old)); }
#else
typedef int fp_mode;
static inline fp_mode fp_mode_flush_denormals(void) { return 0; }
static inline void fp_mode_restore(fp_mode old) { (void)old; }
#endif

#endif
