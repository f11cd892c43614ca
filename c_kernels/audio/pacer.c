/* The virtual DAC clock (pacer.h): frame n of a run is due at t0 + n / rate; a write is in
 * time when it comes before its first frame is due, and waits while the buffer is full.
 * Runs (restarts after an underrun) are remembered in a ring so the playhead can be found
 * for a moment in the recent past. The writer is the audio thread; readers use a seqlock.
 */
#define _GNU_SOURCE /* clock_gettime in monotonic.h, under -std=c99 */
#include <errno.h>
#include <stdlib.h>

#include "../rt/seqlock.h"
#include "monotonic.h"
#include "pacer.h"

#define RUNS 256 /* restarts remembered for playhead_at (older ones are forgotten) */
#define NS 1000000000LL

struct ms20_pacer {
    int64_t rate, buffer;
    int32_t running;
    int64_t t0;      /* when the current run's first frame started playing */
    int64_t written; /* frames written in the current run */
    int64_t base;    /* frames written (and played) in earlier runs */
    int64_t run_t0[RUNS], run_base[RUNS];
    int64_t runs;
    uint32_t seq; /* guards running .. runs for readers */
    int64_t writes, misses, worst_lateness_ns, worst_wake_ns;
    int64_t slack[MS20_SLACK_BINS];
};

static inline int64_t deadline_ns(const ms20_pacer *p, int64_t frame) { return p->t0 + muldiv(frame, NS, p->rate); }

ms20_pacer *ms20_pacer_create(int32_t rate, int32_t period, int32_t periods)
{
    if (rate <= 0 || period <= 0 || periods <= 0) return 0;
    ms20_pacer *p = calloc(1, sizeof *p);
    if (!p) return 0;
    p->rate = rate;
    p->buffer = (int64_t)period * periods;
    p->worst_lateness_ns = INT64_MIN / 2;
    return p;
}

void ms20_pacer_destroy(ms20_pacer *p) { free(p); }

int32_t ms20_pacer_write_rt(ms20_pacer *p, int64_t now, int32_t frames, int64_t *wake_ns)
{
    *wake_ns = 0;
    seqlock_write_begin_rt(&p->seq);
    if (!p->running) {
        /* Like ALSA with start_threshold 1: the first write after prepare starts the DAC. */
        int k = (int)(p->runs % RUNS);
        ATOMIC_STORE(&p->running, 1);
        ATOMIC_STORE(&p->t0, now);
        ATOMIC_STORE(&p->written, 0);
        ATOMIC_STORE(&p->run_t0[k], now);
        ATOMIC_STORE(&p->run_base[k], p->base);
        ATOMIC_STORE(&p->runs, p->runs + 1);
    }
    int64_t lateness = now - deadline_ns(p, p->written);
    int32_t result = frames;
    if (p->written >= p->buffer) { /* while the buffer first fills, writes are early by design */
        int64_t bin = -lateness / MS20_SLACK_BIN_NS;
        bin = bin < 0 ? 0 : bin >= MS20_SLACK_BINS ? MS20_SLACK_BINS - 1 : bin;
        ATOMIC_STORE(&p->slack[bin], p->slack[bin] + 1);
        if (lateness > p->worst_lateness_ns) ATOMIC_STORE(&p->worst_lateness_ns, lateness);
    }
    if (lateness > 0) {
        /* The DAC needed this write's first frame before it came: underrun. */
        ATOMIC_STORE(&p->misses, p->misses + 1);
        ATOMIC_STORE(&p->base, p->base + p->written);
        ATOMIC_STORE(&p->written, 0);
        ATOMIC_STORE(&p->running, 0);
        result = -EPIPE;
    } else {
        int64_t room_at = deadline_ns(p, p->written + frames - p->buffer);
        if (room_at > now) *wake_ns = room_at;
        ATOMIC_STORE(&p->written, p->written + frames);
    }
    ATOMIC_STORE(&p->writes, p->writes + 1);
    seqlock_write_end_rt(&p->seq);
    return result;
}

void ms20_pacer_woke_rt(ms20_pacer *p, int64_t late_ns)
{
    if (late_ns > p->worst_wake_ns) ATOMIC_STORE(&p->worst_wake_ns, late_ns);
}

void ms20_pacer_stop_rt(ms20_pacer *p)
{
    seqlock_write_begin_rt(&p->seq);
    ATOMIC_STORE(&p->base, p->base + p->written);
    ATOMIC_STORE(&p->written, 0);
    ATOMIC_STORE(&p->running, 0);
    seqlock_write_end_rt(&p->seq);
}

static int64_t playhead_read(const ms20_pacer *p, int64_t ns)
{
    int64_t runs = ATOMIC_LOAD(&p->runs);
    int64_t total = ATOMIC_LOAD(&p->base) + ATOMIC_LOAD(&p->written);
    if (runs == 0) return -1;
    int64_t kept = runs < RUNS ? runs : RUNS;
    for (int64_t back = 0; back < kept; ++back) {
        int64_t run = runs - 1 - back;
        int64_t t0 = ATOMIC_LOAD(&p->run_t0[run % RUNS]);
        if (ns < t0) continue;
        int64_t base = ATOMIC_LOAD(&p->run_base[run % RUNS]);
        int64_t end = back ? ATOMIC_LOAD(&p->run_base[(run + 1) % RUNS]) : total;
        int64_t played = muldiv(ns - t0, p->rate, NS);
        return base + (played < end - base ? played : end - base);
    }
    return ATOMIC_LOAD(&p->run_base[(runs - kept) % RUNS]); /* before the oldest run kept */
}

int64_t ms20_pacer_playhead_at(const ms20_pacer *p, int64_t ns)
{
    for (int i = 0; i < SEQLOCK_TRIES; ++i) {
        uint32_t s = seqlock_read_begin(&p->seq);
        int64_t head = playhead_read(p, ns);
        if (seqlock_read_valid(&p->seq, s)) return head;
    }
    return -1;
}

void ms20_pacer_get_stats(const ms20_pacer *p, ms20_pacer_stats *st)
{
    st->writes = ATOMIC_LOAD(&p->writes);
    st->deadline_misses = ATOMIC_LOAD(&p->misses);
    st->worst_lateness_ns = ATOMIC_LOAD(&p->worst_lateness_ns);
    st->worst_wake_ns = ATOMIC_LOAD(&p->worst_wake_ns);
    st->frames_written = ATOMIC_LOAD(&p->base) + ATOMIC_LOAD(&p->written);
    st->buffer_frames = p->buffer;
}

int32_t ms20_pacer_slack_histogram(const ms20_pacer *p, int64_t *bins, int32_t n)
{
    int32_t m = n < MS20_SLACK_BINS ? n : MS20_SLACK_BINS;
    for (int32_t i = 0; i < m; ++i) bins[i] = ATOMIC_LOAD(&p->slack[i]);
    return m;
}
