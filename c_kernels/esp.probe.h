/* Test probe for the ESP on its own (tests/dsp/test_esp.py): runs a fresh ESP over a
 * buffer with fixed knobs. Any output pointer may be NULL. Not for the audio thread.
 */
#ifndef MS20_ESP_PROBE_H
#define MS20_ESP_PROBE_H

void esp_probe_render(float fs, const float *in, int n, float gain, float low, float high, float cv_adjust,
                      float threshold, float *amp, float *bp, float *fv, float *env, float *trig);
/* The same with the F-V's character (0 accurate, 1 vintage) and pitch-change triggers. */
void esp_probe_render_fv(float fs, const float *in, int n, float gain, float low, float high, float cv_adjust,
                         float threshold, int character, int pitch_triggers, float *amp, float *bp, float *fv,
                         float *env, float *trig);

#endif
