/* Sinks for the audio thread: a sound card through libasound (playback plus, when asked, a
 * capture stream for LINE IN), paced by the system clock when the PCM never blocks (the
 * null and file plugins), or the null sink: the pacer alone. The hardware parameters are
 * read back after hw_params, because a driver may round the period or refuse a rate.
 * The mono voice goes to every channel as S16_LE or S32_LE; LINE IN is the first channel.
 */
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotonic.h"
#include "sink.h"
#include "sink.probe.h"

/* Full scale that float32 represents exactly, per format. */
#define S16_SCALE 32767.0f
#define S32_SCALE 2147483392.0f

static int frame_bytes(const ms20_sink *s) { return s->channels * (s->format == MS20_FORMAT_S32_LE ? 4 : 2); }

/* -- setup ------------------------------------------------------------------------------ */

/* alsa-lib prints its complaints to stderr itself: with a card missing, one line in the
 * journal every retry, for ever. While a sink opens they are kept here instead (libasound
 * has one handler per process, so the buffer is global), and the open hands the last one to
 * the supervisor, which reports a failure once, with its reason. At any other time, on the
 * audio thread above all, they are dropped without formatting: its own counters say what
 * went wrong there. */
static char alsa_message[sizeof ((ms20_sink_granted *)0)->alsa_message];
static int alsa_keeping; /* an open is running (opens run on the supervisor's thread only) */

static void keep_alsa_message(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
    if (!__atomic_load_n(&alsa_keeping, __ATOMIC_ACQUIRE)) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(alsa_message, sizeof alsa_message, fmt, ap);
    va_end(ap);
}

static int set_params(snd_pcm_t *pcm, const ms20_sink_config *c, ms20_sink_granted *g, int32_t *step)
{
    snd_pcm_hw_params_t *hw;
    int err = snd_pcm_hw_params_malloc(&hw);
    if (err < 0) {
        *step = MS20_SINK_NOMEM;
        return err;
    }
    unsigned rate = (unsigned)c->rate, periods = (unsigned)c->periods;
    snd_pcm_uframes_t period = (snd_pcm_uframes_t)c->period;
    snd_pcm_format_t format = c->format == MS20_FORMAT_S32_LE ? SND_PCM_FORMAT_S32_LE : SND_PCM_FORMAT_S16_LE;
    *step = MS20_SINK_PARAMS;
    if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0) goto done;
    if ((err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) goto done;
    *step = MS20_SINK_FORMAT;
    if ((err = snd_pcm_hw_params_set_format(pcm, hw, format)) < 0) goto done;
    if ((err = snd_pcm_hw_params_set_channels(pcm, hw, (unsigned)c->channels)) < 0) goto done;
    *step = MS20_SINK_PARAMS;
    if ((err = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, 0)) < 0) goto done;
    if ((err = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, 0)) < 0) goto done;
    if ((err = snd_pcm_hw_params_set_periods_near(pcm, hw, &periods, 0)) < 0) goto done;
    if ((err = snd_pcm_hw_params(pcm, hw)) < 0) goto done;
    snd_pcm_hw_params_get_rate(hw, &rate, 0);
    snd_pcm_hw_params_get_period_size(hw, &period, 0);
    snd_pcm_hw_params_get_periods(hw, &periods, 0);
    g->rate = (int32_t)rate;
    g->period = (int32_t)period;
    g->periods = (int32_t)periods;
    g->channels = c->channels;
    g->format = c->format;
    *step = MS20_SINK_OK;
done:
    snd_pcm_hw_params_free(hw);
    return err;
}

static snd_pcm_t *open_pcm(const char *name, snd_pcm_stream_t stream, const ms20_sink_config *c,
                           ms20_sink_granted *g, int32_t *step, int32_t *error)
{
    snd_pcm_t *pcm = 0;
    int err = snd_pcm_open(&pcm, name, stream, 0);
    if (err < 0) {
        *step = MS20_SINK_OPEN;
        *error = -err;
        return 0;
    }
    if ((err = set_params(pcm, c, g, step)) < 0) {
        *error = -err;
        snd_pcm_close(pcm);
        return 0;
    }
    return pcm;
}

static void open_capture(ms20_sink *s, const ms20_sink_config *c, ms20_sink_granted *g)
{
    ms20_sink_granted cg;
    ms20_sink_config cc = *c;
    cc.rate = g->rate; /* what playback got */
    cc.period = g->period;
    cc.periods = g->periods;
    s->cap = open_pcm(c->capture, SND_PCM_STREAM_CAPTURE, &cc, &cg, &g->capture_step, &g->capture_error);
    if (s->cap && (cg.rate != g->rate || cg.period != g->period)) {
        snd_pcm_close(s->cap);
        s->cap = 0;
        g->capture_step = MS20_SINK_MISMATCH;
        g->capture_error = EINVAL;
    }
    g->capture = s->cap != 0;
}

static ms20_sink *open_sink(const ms20_sink_config *c, ms20_sink_granted *g)
{
    ms20_sink *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    if (c->device) {
        s->pcm = open_pcm(c->device, SND_PCM_STREAM_PLAYBACK, c, g, &g->step, &g->error);
        if (!s->pcm) {
            free(s);
            return 0;
        }
        if (c->capture) open_capture(s, c, g);
    } else {
        g->rate = c->rate, g->period = c->period, g->periods = c->periods;
        g->channels = c->channels, g->format = c->format;
        s->adc_clock = g->capture = c->capture != 0;
    }
    s->rate = g->rate, s->period = g->period, s->periods = g->periods;
    s->channels = g->channels, s->format = g->format;
    s->tap = c->tap, s->tap_len = c->tap_len, s->tap_frames = c->tap_frames;
    s->tap_ring = c->tap_ring && c->tap_len > 0;
    if (c->paced || !c->device) {
        s->pacer = ms20_pacer_create(s->rate, s->period, s->periods);
        if (!s->pacer) goto nomem;
    }
    s->out_frames = calloc((size_t)s->period, (size_t)frame_bytes(s));
    s->in_frames = calloc((size_t)s->period, (size_t)frame_bytes(s));
    if (!s->out_frames || !s->in_frames) goto nomem;
    return s;
nomem:
    ms20_sink_destroy(s);
    memset(g, 0, sizeof *g);
    g->step = MS20_SINK_NOMEM;
    g->error = ENOMEM;
    return 0;
}

ms20_sink *ms20_sink_open(const ms20_sink_config *c, ms20_sink_granted *g)
{
    memset(g, 0, sizeof *g);
    snd_lib_error_set_handler(keep_alsa_message);
    alsa_message[0] = '\0';
    __atomic_store_n(&alsa_keeping, 1, __ATOMIC_RELEASE);
    ms20_sink *s = open_sink(c, g);
    __atomic_store_n(&alsa_keeping, 0, __ATOMIC_RELEASE);
    memcpy(g->alsa_message, alsa_message, sizeof alsa_message);
    return s;
}

void ms20_sink_close(ms20_sink *s)
{
    if (!s) return;
    if (s->pcm) snd_pcm_close(s->pcm);
    if (s->cap) snd_pcm_close(s->cap);
    s->pcm = s->cap = 0;
    if (s->pacer) ms20_pacer_stop_rt(s->pacer); /* the writer has stopped by now */
}

void ms20_sink_destroy(ms20_sink *s)
{
    if (!s) return;
    ms20_sink_close(s);
    ms20_pacer_destroy(s->pacer);
    free(s->out_frames);
    free(s->in_frames);
    free(s);
}

const ms20_pacer *ms20_sink_pacer(const ms20_sink *s) { return s->pacer; }

/* -- the audio thread's side ------------------------------------------------------------- */

static inline float quantize(float x, float scale)
{
    float s = x * scale;
    if (s != s) return 0.0f; /* NaN: the engine resets itself; play silence meanwhile */
    s = s < scale ? s : scale;
    return s > -scale ? s : -scale;
}

static void to_s16_rt(const float *mono, int16_t *frames, int n, int channels)
{
    for (int i = 0; i < n; ++i) {
        int16_t v = (int16_t)lrintf(quantize(mono[i], S16_SCALE));
        for (int c = 0; c < channels; ++c) frames[i * channels + c] = v;
    }
}

static void to_s32_rt(const float *mono, int32_t *frames, int n, int channels)
{
    for (int i = 0; i < n; ++i) {
        int32_t v = (int32_t)lrintf(quantize(mono[i], S32_SCALE));
        for (int c = 0; c < channels; ++c) frames[i * channels + c] = v;
    }
}

static void from_s16_rt(const int16_t *frames, float *mono, int n, int channels)
{
    for (int i = 0; i < n; ++i) mono[i] = (float)frames[i * channels] * (1.0f / S16_SCALE);
}

static void from_s32_rt(const int32_t *frames, float *mono, int n, int channels)
{
    for (int i = 0; i < n; ++i) mono[i] = (float)frames[i * channels] * (1.0f / S32_SCALE);
}

/* The format is chosen once per period, outside the sample loops. */
static void to_pcm_rt(int32_t format, int32_t channels, const float *mono, void *frames, int n)
{
    if (format == MS20_FORMAT_S32_LE)
        to_s32_rt(mono, frames, n, channels);
    else
        to_s16_rt(mono, frames, n, channels);
}

static void from_pcm_rt(int32_t format, int32_t channels, const void *frames, float *mono, int n)
{
    if (format == MS20_FORMAT_S32_LE)
        from_s32_rt(frames, mono, n, channels);
    else
        from_s16_rt(frames, mono, n, channels);
}

/* Test probes (sink.probe.h): the conversions alone. */
void sink_probe_to_pcm(int32_t format, int32_t channels, const float *mono, void *frames, int32_t n)
{
    to_pcm_rt(format, channels, mono, frames, n);
}

void sink_probe_from_pcm(int32_t format, int32_t channels, const void *frames, float *mono, int32_t n)
{
    from_pcm_rt(format, channels, frames, mono, n);
}

static void sleep_until_rt(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0) == EINTR) {
    }
}

/* An xrun (or suspend) is recovered here and reported as -EPIPE; other errors pass up. */
static int recover_rt(snd_pcm_t *pcm, int err)
{
    if (err != -EPIPE && err != -ESTRPIPE) return err;
    err = snd_pcm_recover(pcm, err, 1);
    return err < 0 ? err : -EPIPE;
}

/* The virtual capture stream: a period is there once its last frame has been sampled;
 * a reader more than a buffer behind has overrun, and the stream restarts. */
static int adc_read_rt(ms20_sink *s, float *line_in, int n)
{
    memset(line_in, 0, sizeof(float) * (size_t)n);
    int64_t now = monotonic_ns();
    if (!s->adc_frames) s->adc_t0 = now;
    int64_t due = s->adc_t0 + muldiv(s->adc_frames + n, 1000000000, s->rate);
    if (now - due > muldiv((int64_t)s->period * s->periods, 1000000000, s->rate)) {
        s->adc_frames = 0;
        return -EPIPE;
    }
    sleep_until_rt(due);
    s->adc_frames += n;
    return n;
}

int sink_read_rt(ms20_sink *s, float *line_in, int n)
{
    if (s->adc_clock) return adc_read_rt(s, line_in, n);
    char *p = s->in_frames;
    int got = 0;
    while (got < n) {
        snd_pcm_sframes_t r = snd_pcm_readi(s->cap, p + (size_t)got * frame_bytes(s), (snd_pcm_uframes_t)(n - got));
        if (r == -EINTR || r == -EAGAIN) continue;
        if (r < 0) {
            memset(line_in, 0, sizeof(float) * (size_t)n);
            return recover_rt(s->cap, (int)r);
        }
        got += (int)r;
    }
    from_pcm_rt(s->format, s->channels, s->in_frames, line_in, n);
    return n;
}

static void tap_rt(ms20_sink *s, const float *out, int n)
{
    int64_t at = *s->tap_frames; /* this thread is the only writer */
    if (s->tap_ring) {
        /* The last tap_len samples, wrapping: readers copy behind tap_frames (web scope). */
        int64_t k = at % s->tap_len, first = s->tap_len - k < n ? s->tap_len - k : n;
        memcpy(s->tap + k, out, sizeof(float) * (size_t)first);
        if (first < n) memcpy(s->tap, out + first, sizeof(float) * (size_t)(n - first));
    } else {
        int64_t room = s->tap_len - at;
        if (room > 0) memcpy(s->tap + at, out, sizeof(float) * (size_t)(room < n ? room : n));
    }
    __atomic_store_n(s->tap_frames, at + n, __ATOMIC_RELEASE);
}

int sink_write_rt(ms20_sink *s, const float *out, int n)
{
    if (s->pacer) {
        int64_t wake;
        if (ms20_pacer_write_rt(s->pacer, monotonic_ns(), n, &wake) < 0) return -EPIPE;
        if (wake) {
            sleep_until_rt(wake);
            ms20_pacer_woke_rt(s->pacer, monotonic_ns() - wake);
        }
    }
    if (s->pcm) {
        to_pcm_rt(s->format, s->channels, out, s->out_frames, n);
        const char *p = s->out_frames;
        int done = 0;
        while (done < n) {
            snd_pcm_sframes_t r =
                snd_pcm_writei(s->pcm, p + (size_t)done * frame_bytes(s), (snd_pcm_uframes_t)(n - done));
            if (r == -EINTR || r == -EAGAIN) continue;
            if (r < 0) return recover_rt(s->pcm, (int)r);
            done += (int)r;
        }
    }
    if (s->tap) tap_rt(s, out, n);
    return n;
}
