/* The sink as the audio thread sees it (internal: Python uses audio_rt.h). One period per
 * call; each call only converts, copies and blocks on the device or the pacer.
 */
#ifndef MS20_AUDIO_SINK_H
#define MS20_AUDIO_SINK_H

#include <stdint.h>
#include "audio_rt.h"

struct ms20_sink {
    struct _snd_pcm *pcm; /* ALSA's snd_pcm_t; NULL: the null sink (the pacer alone) */
    struct _snd_pcm *cap; /* NULL: no LINE IN from a card */
    /* The null sink's capture side, when asked for: a virtual ADC clock that delivers
     * silence at the card's pace from the first read on, as a card's capture stream does. */
    int32_t adc_clock;
    int64_t adc_t0, adc_frames;
    ms20_pacer *pacer;
    int32_t rate, period, periods, channels, format;
    void *out_frames, *in_frames; /* one period, interleaved, in the card's format */
    float *tap;
    int64_t tap_len, *tap_frames;
    int32_t tap_ring;
};

/* Whether LINE IN is read (a card's capture stream or the null sink's virtual one). */
static inline int sink_has_capture(const ms20_sink *s) { return s->cap != 0 || s->adc_clock; }

/* LINE IN for one period: n, or -EPIPE after an overrun (recovered, line_in silent), or
 * -errno when the capture device failed. */
int sink_read_rt(ms20_sink *sink, float *line_in, int n);

/* Play one period: n, or -EPIPE after an underrun (the period was dropped and the stream
 * prepared again), or -errno when the device failed. */
int sink_write_rt(ms20_sink *sink, const float *out, int n);

#endif
