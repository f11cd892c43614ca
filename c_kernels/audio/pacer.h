/* A virtual DAC clock for outputs that have none (the null sink, ALSA's null and file
 * plugins): it drains `rate` frames per second from a buffer of `periods` periods, so a
 * writer waits exactly as it would on a sound card, and a write that comes after the
 * buffer ran dry is an underrun: the frames are dropped and the next write restarts the
 * stream, as ALSA does with start_threshold 1.
 *
 * It also keeps what the benchmark reports (deadline misses, worst lateness, a histogram
 * of slack: audio still queued when a write came) and where the DAC's playhead was at any
 * moment (note-on to sound latency). Times are CLOCK_MONOTONIC nanoseconds. Read by cffi
 * with the '#' lines stripped.
 */
#ifndef MS20_AUDIO_PACER_H
#define MS20_AUDIO_PACER_H

#include <stdint.h>

typedef struct ms20_pacer ms20_pacer;

enum ms20_pacer_consts {
    MS20_SLACK_BIN_NS = 50000, /* slack histogram resolution: 50 us */
    MS20_SLACK_BINS = 256      /* 12.8 ms; more slack lands in the last bin */
};

typedef struct {
    int64_t writes;
    int64_t deadline_misses;   /* writes that came after the DAC needed their first frame */
    int64_t worst_lateness_ns; /* latest write against its deadline once the buffer had filled
                                  (negative: still early); also what the slack histogram counts */
    int64_t worst_wake_ns;     /* latest the system woke the writer after its wait ended */
    int64_t frames_written;    /* played or queued, over every run */
    int64_t buffer_frames;
} ms20_pacer_stats;

/* Setup: the only allocation. NULL if out of memory or the sizes make no sense. */
ms20_pacer *ms20_pacer_create(int32_t rate, int32_t period, int32_t periods);
void ms20_pacer_destroy(ms20_pacer *pacer);

/* Writer (the audio thread): account for `frames` frames written at now_ns. Returns frames,
 * or -EPIPE when the DAC ran dry before this write came (the frames are dropped). *wake_ns
 * receives the moment the frames fit into the buffer, which the writer sleeps until, or 0. */
int32_t ms20_pacer_write_rt(ms20_pacer *pacer, int64_t now_ns, int32_t frames, int64_t *wake_ns);

/* Writer: it woke `late_ns` after the wake_ns it asked for (scheduling latency). */
void ms20_pacer_woke_rt(ms20_pacer *pacer, int64_t late_ns);

/* Writer: the stream is dropped (device closed); the next write starts a new run. */
void ms20_pacer_stop_rt(ms20_pacer *pacer);

/* Any thread, lock-free. Frames the DAC had played by `ns`, or -1 before the first write. */
int64_t ms20_pacer_playhead_at(const ms20_pacer *pacer, int64_t ns);
void ms20_pacer_get_stats(const ms20_pacer *pacer, ms20_pacer_stats *stats);

/* Copies up to n slack bins (MS20_SLACK_BIN_NS each) into bins; returns how many. */
int32_t ms20_pacer_slack_histogram(const ms20_pacer *pacer, int64_t *bins, int32_t n);

#endif
