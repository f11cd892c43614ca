/* The MS-20 engine: the public API the Python firmware calls through cffi.
 *
 * One engine renders the whole instrument, mono, at one sample rate (44.1-96 kHz).
 * The control thread pushes events (knobs, switches, keys, patches) into a lock-free
 * single-producer/single-consumer queue; the audio thread renders and applies each event
 * at its sample time. This file is read by cffi with the '#' lines stripped, so it holds
 * only declarations cffi can parse.
 */
#ifndef MS20_ENGINE_H
#define MS20_ENGINE_H

#include <stdint.h>
#include "jacks.h"
#include "params.h"

typedef struct ms20_engine ms20_engine;

enum ms20_event_type {
    MS20_EV_PARAM = 0,  /* index: ms20_param, value: in the parameter's unit */
    MS20_EV_SWITCH = 1, /* index: ms20_switch, value: position 0..3 */
    MS20_EV_KEY = 2,    /* index: MS20_KEY_* flags, value: note number (60 = C4) */
    MS20_EV_PATCH = 3,  /* route[]: the whole patch, applied at once */
    MS20_EV_RESET = 4,  /* panic: envelopes, filters and delay lines to rest */
    MS20_EV_SETTING = 5 /* index: ms20_setting, value: the setting's choice */
};

/* Settings that are no knob or switch of the panel (config files, patch files). */
enum ms20_setting {
    MS20_SET_ESP_FV_CHARACTER = 0,  /* 0: the accurate F-V, 1: vintage (a tachometer, docs/esp.md) */
    MS20_SET_ESP_PITCH_TRIGGERS = 1, /* 1: TRIG also fires on legato pitch changes (accurate F-V) */
    MS20_SET_FILTER = 2 /* 0: the Korg35 filters (the default), 1: the OTA board; crossfades 10 ms */
};

enum ms20_key_flags {
    MS20_KEY_GATE = 1,      /* a key is held after this event */
    MS20_KEY_RETRIGGER = 2  /* a new (non-legato) note: fire the envelopes */
};

enum ms20_route { MS20_ROUTE_NORMAL = -1 };

typedef struct {
    int64_t time;   /* absolute sample time (ms20_time() + offset); past times apply at once */
    int32_t type;   /* ms20_event_type */
    int32_t index;
    float value;
    int8_t route[MS20_INPUT_COUNT]; /* PATCH: the output feeding each input, or NORMAL */
} ms20_event;

typedef struct {
    uint64_t events_applied;
    uint64_t events_dropped;   /* pushes refused because the queue was full */
    uint64_t nonfinite_resets; /* times a non-finite value was caught and the voice reset */
} ms20_stats;

/* Setup and teardown: the only places that allocate. NULL if the rate is out of range. */
ms20_engine *ms20_create(float sample_rate);
void ms20_destroy(ms20_engine *engine);

/* Control thread. Returns 1 if queued, 0 if the queue is full (the event is dropped). */
int ms20_push_nonrt(ms20_engine *engine, const ms20_event *event);

/* Audio thread. line_in may be NULL (silence); cv_out may be NULL, else it receives n
 * interleaved pairs (CV OUT 1, CV OUT 2) in volts. out receives n mono samples in [-1, 1]. */
void ms20_render_rt(ms20_engine *engine, const float *line_in, float *out, float *cv_out, int n);

/* The sample time of the next sample render will produce. */
int64_t ms20_time(const ms20_engine *engine);

/* The value an output jack held at the last rendered sample (meters, tests). A module whose
 * outputs reach nothing is not rendered (liveness.h): its jacks hold their last values. */
float ms20_jack(const ms20_engine *engine, int output);

/* The source each input reads now (after normals and cables). */
int ms20_route_of(const ms20_engine *engine, int input);

void ms20_get_stats(const ms20_engine *engine, ms20_stats *stats);

float ms20_sample_rate(const ms20_engine *engine);

#endif
