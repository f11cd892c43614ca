/* Test probes for the sinks' sample conversion (declared to cffi in sink.cdef).
 *
 * sink_probe_to_pcm: n mono samples to n interleaved frames of `channels` in `format`
 * (ms20_sample_format), as the audio thread writes them to a card.
 * sink_probe_from_pcm: the first channel of n frames back to mono, as LINE IN is read.
 */
#ifndef MS20_AUDIO_SINK_PROBE_H
#define MS20_AUDIO_SINK_PROBE_H

#include <stdint.h>

void sink_probe_to_pcm(int32_t format, int32_t channels, const float *mono, void *frames, int32_t n);
void sink_probe_from_pcm(int32_t format, int32_t channels, const void *frames, float *mono, int32_t n);

#endif
