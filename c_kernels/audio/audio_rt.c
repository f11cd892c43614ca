/* The audio thread (audio_rt.h): one period at a time, read LINE IN, render the engine,
 * write to the sink, in the Bela manner: start() allocates and may fail, the loop only
 * renders. An underrun is counted and recovered once, without a click storm: the dropped
 * period is replayed after a re-primed buffer of silence, faded in over one period.
 *
 * Everything the control side reads is a relaxed atomic written by this thread alone (the
 * anchor for MIDI timing is a seqlock pair), so neither side ever waits for the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rt/seqlock.h"
#include "audio_rt.h"
#include "monotonic.h"
#include "sink.h"

#define NS 1000000000LL
#define STACK_BYTES (256 * 1024) /* locked by mlockall: keep it small */

struct ms20_audio {
    ms20_engine *engine;
    ms20_sink *sink;
    pthread_t thread;
    int joinable;
    int32_t period;
    float *out, *line_in, *cv, *silence, *fade;
    /* control -> audio */
    int32_t stop;
    int64_t stall_ns;
    int32_t inject_error;
    /* audio -> control */
    int32_t state, error, error_capture;
    int64_t counter[MS20_AUDIO_COUNTERS];
    uint32_t cv_bits[2];
    uint32_t anchor_seq;
    int64_t anchor_sample, anchor_ns, rate;
};

static inline void add_rt(ms20_audio *a, int which, int64_t by) { ATOMIC_STORE(&a->counter[which], a->counter[which] + by); }

static void publish_anchor_rt(ms20_audio *a, int64_t sample, int64_t ns)
{
    seqlock_write_begin_rt(&a->anchor_seq);
    ATOMIC_STORE(&a->anchor_sample, sample);
    ATOMIC_STORE(&a->anchor_ns, ns);
    seqlock_write_end_rt(&a->anchor_seq);
}

static int write_rt(ms20_audio *a, const float *buf)
{
    int32_t injected = __atomic_exchange_n(&a->inject_error, 0, __ATOMIC_RELAXED);
    return injected ? -injected : sink_write_rt(a->sink, buf, a->period);
}

/* Queue silence so that the next period has a full buffer behind it: periods - 1 periods
 * when the write paces the loop. In full duplex the capture read paces it, and capture
 * starts only at that first read, a period after playback: a full buffer of silence keeps
 * periods - 1 periods queued while a period renders, where periods - 1 would leave one. */
static int prime_rt(ms20_audio *a)
{
    for (int i = sink_has_capture(a->sink) ? 0 : 1; i < a->sink->periods; ++i) {
        int r = write_rt(a, a->silence);
        if (r == -EPIPE)
            add_rt(a, MS20_AUDIO_XRUNS, 1);
        else if (r < 0)
            return r;
    }
    return 0;
}

static int loop_rt(ms20_audio *a)
{
    const int n = a->period;
    const float *line_in = sink_has_capture(a->sink) ? a->line_in : 0;
    float *out = a->out, *cv = a->cv;
    /* Warm up before the card starts: the first renders pay for first-touch page faults and
     * the queued panel, which would otherwise land in the first real periods as underruns. */
    for (int i = 0; i < MS20_AUDIO_WARM_UP_PERIODS; ++i) ms20_render_rt(a->engine, a->line_in, out, cv, n);
    int r = prime_rt(a);
    if (r < 0) return r;
    while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
        if (line_in && (r = sink_read_rt(a->sink, a->line_in, n)) < 0) {
            if (r != -EPIPE) {
                ATOMIC_STORE(&a->error_capture, 1);
                return r;
            }
            add_rt(a, MS20_AUDIO_CAPTURE_XRUNS, 1); /* one silent period of LINE IN */
        }
        int64_t t = monotonic_ns();
        publish_anchor_rt(a, ms20_time(a->engine), t);
        ms20_render_rt(a->engine, line_in, out, cv, n);
        uint32_t bits[2];
        memcpy(bits, cv + 2 * n - 2, sizeof bits);
        ATOMIC_STORE(&a->cv_bits[0], bits[0]);
        ATOMIC_STORE(&a->cv_bits[1], bits[1]);
        int64_t stall = __atomic_exchange_n(&a->stall_ns, 0, __ATOMIC_RELAXED);
        if (stall) {
            struct timespec ts = {(time_t)(stall / NS), (long)(stall % NS)};
            nanosleep(&ts, 0);
        }
        int64_t busy = monotonic_ns() - t;
        add_rt(a, MS20_AUDIO_BUSY_NS, busy);
        if (busy > a->counter[MS20_AUDIO_WORST_BUSY_NS]) ATOMIC_STORE(&a->counter[MS20_AUDIO_WORST_BUSY_NS], busy);
        r = write_rt(a, out);
        if (r == -EPIPE) {
            /* Underrun: the card played silence and this period was dropped. Re-prime the
             * buffer, then replay the period faded in: one soft gap, not a run of clicks. */
            add_rt(a, MS20_AUDIO_XRUNS, 1);
            if ((r = prime_rt(a)) < 0) return r;
            for (int i = 0; i < n; ++i) out[i] *= a->fade[i];
            r = write_rt(a, out);
            if (r == -EPIPE) add_rt(a, MS20_AUDIO_XRUNS, 1);
        }
        if (r < 0 && r != -EPIPE) return r;
        add_rt(a, MS20_AUDIO_PERIODS, 1);
        ATOMIC_STORE(&a->counter[MS20_AUDIO_HEARTBEAT_NS], t);
    }
    return 0;
}

static void *audio_main(void *arg)
{
    ms20_audio *a = arg;
    int r = loop_rt(a);
    publish_anchor_rt(a, 0, 0); /* no clock while stopped */
    int err = -r;
    ATOMIC_STORE(&a->error, err);
    /* A device that went away or failed can be reopened; a refused call is our bug. */
    int32_t state = !err ? MS20_AUDIO_IDLE
                    : (err == EBADFD || err == EINVAL || err == EFAULT) ? MS20_AUDIO_FAILED
                                                                          : MS20_AUDIO_LOST;
    __atomic_store_n(&a->state, state, __ATOMIC_RELEASE);
    return 0;
}

/* -- control side ---------------------------------------------------------------------- */

ms20_audio *ms20_audio_create(ms20_engine *engine)
{
    ms20_audio *a = calloc(1, sizeof *a);
    if (a) a->engine = engine;
    return a;
}

static void free_buffers(ms20_audio *a)
{
    free(a->out);
    free(a->line_in);
    free(a->cv);
    free(a->silence);
    free(a->fade);
    a->out = a->line_in = a->cv = a->silence = a->fade = 0;
}

static int alloc_buffers(ms20_audio *a, int n)
{
    free_buffers(a);
    a->out = calloc((size_t)n, sizeof(float));
    a->line_in = calloc((size_t)n, sizeof(float));
    a->cv = calloc(2 * (size_t)n, sizeof(float));
    a->silence = calloc((size_t)n, sizeof(float));
    a->fade = calloc((size_t)n, sizeof(float));
    if (!a->out || !a->line_in || !a->cv || !a->silence || !a->fade) return -ENOMEM;
    for (int i = 0; i < n; ++i) a->fade[i] = (float)i / (float)n;
    return 0;
}

static int create_thread(ms20_audio *a, int32_t priority)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    int err = EPERM;
    if (priority > 0) {
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = priority;
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
        err = pthread_create(&a->thread, &attr, audio_main, a);
    }
    if (err) { /* not allowed (no rtprio) or not asked: the creator's scheduling */
        pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
        int again = pthread_create(&a->thread, &attr, audio_main, a);
        err = again ? -again : 1;
    } else {
        err = 0;
    }
    pthread_attr_destroy(&attr);
    return err; /* 0: real-time, 1: normal, < 0: no thread */
}

int32_t ms20_audio_start(ms20_audio *a, ms20_sink *sink, int32_t priority, int32_t *realtime)
{
    *realtime = 0;
    if (a->joinable) return -EBUSY;
    if (alloc_buffers(a, sink->period) < 0) return -ENOMEM;
    a->sink = sink;
    a->period = sink->period;
    ATOMIC_STORE(&a->rate, (int64_t)sink->rate);
    ATOMIC_STORE(&a->stop, 0);
    ATOMIC_STORE(&a->error, 0);
    ATOMIC_STORE(&a->error_capture, 0);
    __atomic_store_n(&a->state, MS20_AUDIO_RUNNING, __ATOMIC_RELEASE);
    /* The thread takes no signals: SIGINT/SIGTERM go to Python's threads, and never cut a
     * write or a sleep short. It inherits the mask in force when it is created. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = create_thread(a, priority);
    pthread_sigmask(SIG_SETMASK, &old, 0);
    if (r < 0) {
        ATOMIC_STORE(&a->state, MS20_AUDIO_IDLE);
        return r;
    }
    a->joinable = 1;
    *realtime = r == 0;
    return 0;
}

void ms20_audio_stop(ms20_audio *a)
{
    if (!a->joinable) return;
    __atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
    pthread_join(a->thread, 0);
    a->joinable = 0;
}

void ms20_audio_destroy(ms20_audio *a)
{
    if (!a) return;
    ms20_audio_stop(a);
    free_buffers(a);
    free(a);
}

int32_t ms20_audio_state(const ms20_audio *a) { return __atomic_load_n(&a->state, __ATOMIC_ACQUIRE); }

int32_t ms20_audio_error(const ms20_audio *a, int32_t *capture)
{
    *capture = ATOMIC_LOAD(&a->error_capture);
    return ATOMIC_LOAD(&a->error);
}

int64_t ms20_audio_counter(const ms20_audio *a, int32_t counter)
{
    return (unsigned)counter < MS20_AUDIO_COUNTERS ? ATOMIC_LOAD(&a->counter[counter]) : 0;
}

float ms20_audio_cv_out(const ms20_audio *a, int32_t jack)
{
    uint32_t bits = (unsigned)jack < 2 ? ATOMIC_LOAD(&a->cv_bits[jack]) : 0;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

int32_t ms20_audio_sample_at(const ms20_audio *a, int64_t ns, int64_t *sample)
{
    for (int i = 0; i < SEQLOCK_TRIES; ++i) {
        uint32_t s = seqlock_read_begin(&a->anchor_seq);
        int64_t at_sample = ATOMIC_LOAD(&a->anchor_sample), at_ns = ATOMIC_LOAD(&a->anchor_ns);
        if (!seqlock_read_valid(&a->anchor_seq, s)) continue;
        if (!at_ns) return 0;
        int64_t d = (ns - at_ns) * ATOMIC_LOAD(&a->rate);
        int64_t q = d / NS - (d % NS < 0); /* floor: an event just before the anchor */
        *sample = at_sample + q;
        return 1;
    }
    return 0;
}

void ms20_audio_inject_stall(ms20_audio *a, int64_t ns) { ATOMIC_STORE(&a->stall_ns, ns); }

void ms20_audio_inject_error(ms20_audio *a, int32_t error) { ATOMIC_STORE(&a->inject_error, error); }
