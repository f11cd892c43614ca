/* Sequence lock: one writer publishes a few words, any number of readers copy them
 * without a lock and without ever making the writer wait.
 *
 * The writer makes the counter odd, stores, makes it even; a reader retries when the
 * counter was odd or moved while it read. The protected words are stored and loaded with
 * relaxed atomics (ATOMIC_STORE/ATOMIC_LOAD), so there is no data race to speak of.
 */
#ifndef MS20_RT_SEQLOCK_H
#define MS20_RT_SEQLOCK_H

#include <stdint.h>

#define ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

#define SEQLOCK_TRIES 10000 /* a reader gives up (and says so) rather than spin forever */

static inline void seqlock_write_begin_rt(uint32_t *seq)
{
    __atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void seqlock_write_end_rt(uint32_t *seq) { __atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE); }

/* The counter to check against, or an odd number while the writer is inside. */
static inline uint32_t seqlock_read_begin(const uint32_t *seq) { return __atomic_load_n(seq, __ATOMIC_ACQUIRE); }

/* 1 when what was read since seqlock_read_begin returned `start` is consistent. */
static inline int seqlock_read_valid(const uint32_t *seq, uint32_t start)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return !(start & 1u) && __atomic_load_n(seq, __ATOMIC_RELAXED) == start;
}

#endif
