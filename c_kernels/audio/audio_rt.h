/* The box's audio path in C: a sink (a sound card through ALSA, full duplex when it has an
 * input, or a paced null sink) and a real-time thread that renders the engine into it
 * period by period. Python opens the sink, starts and stops the thread and reads the
 * counters; the thread never calls Python, so the GIL cannot delay a period.
 *
 * Setup (open, start) may allocate and fail; the thread's loop only renders, converts and
 * blocks on the device. Times are CLOCK_MONOTONIC nanoseconds. Read by cffi with the '#'
 * lines stripped.
 */
#ifndef MS20_AUDIO_RT_H
#define MS20_AUDIO_RT_H

#include <stdint.h>
#include "../engine.h"
#include "pacer.h"

typedef struct ms20_sink ms20_sink;
typedef struct ms20_audio ms20_audio;

enum ms20_sample_format { MS20_FORMAT_S16_LE = 0, MS20_FORMAT_S32_LE = 1 };

/* Where opening failed: the errno alone does not say what to change. */
enum ms20_sink_step {
    MS20_SINK_OK = 0,
    MS20_SINK_OPEN = 1,     /* snd_pcm_open: missing, busy, no permission */
    MS20_SINK_FORMAT = 2,   /* the card refused the sample format or channel count */
    MS20_SINK_PARAMS = 3,   /* rate, period or buffer refused */
    MS20_SINK_MISMATCH = 4, /* capture could not match playback's rate and period */
    MS20_SINK_NOMEM = 5
};

typedef struct {
    const char *device;  /* ALSA playback PCM, or NULL for the paced null sink */
    const char *capture; /* ALSA capture PCM for LINE IN, or NULL */
    int32_t rate, period, periods, channels, format;
    int32_t paced;       /* the system clock paces writes (PCMs that never block: null, file) */
    float *tap;          /* NULL, or room for tap_len samples of the mono output as played */
    int64_t tap_len;
    int64_t *tap_frames; /* frames played so far (also past tap_len), for tap readers */
    int32_t tap_ring;    /* 1: the tap wraps round (the last tap_len samples: the web scope) */
} ms20_sink_config;

typedef struct {
    int32_t rate, period, periods, channels, format; /* read back from the driver */
    int32_t capture;                                 /* 1: LINE IN is read from the capture PCM */
    int32_t step, error;                             /* playback: where it failed and the errno */
    int32_t capture_step, capture_error;             /* why LINE IN is off, when it was asked for */
    char alsa_message[160];                          /* alsa-lib's last complaint while opening */
} ms20_sink_granted;

/* Setup: open the device(s) and allocate. NULL on failure (granted->step, ->error say why). */
ms20_sink *ms20_sink_open(const ms20_sink_config *config, ms20_sink_granted *granted);
/* Release the device(s); the pacer's readings stay until destroy. Idempotent. */
void ms20_sink_close(ms20_sink *sink);
void ms20_sink_destroy(ms20_sink *sink);
/* The virtual DAC clock of a paced sink, or NULL. */
const ms20_pacer *ms20_sink_pacer(const ms20_sink *sink);

enum ms20_audio_counter {
    MS20_AUDIO_PERIODS = 0,
    MS20_AUDIO_XRUNS = 1,         /* playback underruns, each recovered with a fade-in */
    MS20_AUDIO_CAPTURE_XRUNS = 2, /* LINE IN overruns: one silent period of LINE IN each */
    MS20_AUDIO_BUSY_NS = 3,       /* time spent rendering, summed */
    MS20_AUDIO_WORST_BUSY_NS = 4,
    MS20_AUDIO_HEARTBEAT_NS = 5,  /* when the last period started */
    MS20_AUDIO_COUNTERS = 6
};

enum ms20_audio_state {
    MS20_AUDIO_IDLE = 0,    /* no thread */
    MS20_AUDIO_RUNNING = 1,
    MS20_AUDIO_LOST = 2,    /* the device failed (unplugged, I/O error): reopen it */
    MS20_AUDIO_FAILED = 3   /* an error reopening cannot fix (a bug): give up */
};

enum ms20_audio_consts { MS20_AUDIO_WARM_UP_PERIODS = 16 };

/* Setup. The engine must outlive the audio object. */
ms20_audio *ms20_audio_create(ms20_engine *engine);
void ms20_audio_destroy(ms20_audio *audio); /* stops the thread first */

/* Start the thread on an open sink: 0, or -errno (no memory, no thread). The thread asks
 * for SCHED_FIFO `priority` (0: inherit); *realtime is 1 when it got it. */
int32_t ms20_audio_start(ms20_audio *audio, ms20_sink *sink, int32_t priority, int32_t *realtime);
/* Ask the thread to end after its period and wait for it. */
void ms20_audio_stop(ms20_audio *audio);

/* Any thread, lock-free. */
int32_t ms20_audio_state(const ms20_audio *audio);
/* Why the thread ended: an errno (0 if asked to stop); *capture is 1 if LINE IN failed. */
int32_t ms20_audio_error(const ms20_audio *audio, int32_t *capture);
int64_t ms20_audio_counter(const ms20_audio *audio, int32_t counter);
/* CV OUT 1/2 in volts at the end of the last period. */
float ms20_audio_cv_out(const ms20_audio *audio, int32_t jack);
/* The engine sample time matching monotonic time ns; 0 when no period has started. */
int32_t ms20_audio_sample_at(const ms20_audio *audio, int64_t ns, int64_t *sample);

/* Test hooks: the next period sleeps `ns` after rendering (a stalled render); the next
 * write fails with errno `error` as the device would. */
void ms20_audio_inject_stall(ms20_audio *audio, int64_t ns);
void ms20_audio_inject_error(ms20_audio *audio, int32_t error);

#endif
