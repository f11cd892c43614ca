/* CLOCK_MONOTONIC in nanoseconds: the time base of the audio thread, the pacer and Python's
 * time.monotonic_ns(), so MIDI stamps and the audio clock compare directly.
 */
#ifndef MS20_AUDIO_MONOTONIC_H
#define MS20_AUDIO_MONOTONIC_H

#include <stdint.h>
#include <time.h>

static inline int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* a * b / c without overflowing for a run of days (a = frames or ns, b and c below 2^31):
 * frames to nanoseconds at a rate, and back. */
static inline int64_t muldiv(int64_t a, int64_t b, int64_t c) { return a / c * b + a % c * b / c; }

#endif
