/* Test probe for the ESP on its own (esp.probe.h, tests/dsp/test_esp.py): kept out of
 * esp.c so the audio path's file holds only what the engine runs.
 */
#include "esp.h"
#include "esp.probe.h"

/* A fresh ESP, fixed knobs and F-V settings (esp_set_fv), per-sample outputs. */
void esp_probe_render_fv(float fs, const float *in, int n, float gain, float low, float high, float cv_adjust,
                         float threshold, int character, int pitch_triggers, float *amp, float *bp, float *fv,
                         float *env, float *trig)
{
    esp_state s;
    float o[ESP_OUTPUTS];
    esp_init(&s, fs);
    esp_set_band(&s, low, high);
    esp_set_fv(&s, character, pitch_triggers);
    esp_held_outputs(&s, o);
    for (int i = 0; i < n; ++i) {
        esp_tick(&s, in[i], gain, cv_adjust, threshold, o);
        if (amp) amp[i] = o[ESP_AMP];
        if (bp) bp[i] = o[ESP_BAND_PASS];
        if (fv) fv[i] = o[ESP_FV];
        if (env) env[i] = o[ESP_ENV];
        if (trig) trig[i] = o[ESP_TRIG];
    }
}

void esp_probe_render(float fs, const float *in, int n, float gain, float low, float high, float cv_adjust,
                      float threshold, float *amp, float *bp, float *fv, float *env, float *trig)
{
    esp_probe_render_fv(fs, in, n, gain, low, high, cv_adjust, threshold, ESP_FV_ACCURATE, 1, amp, bp, fv, env,
                        trig);
}
