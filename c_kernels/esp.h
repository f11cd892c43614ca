/* The External Signal Processor: preamp -> band-pass -> F-V converter, envelope
 * follower and threshold trigger.
 *
 * STUB (preamp and a crude envelope only) until the full ESP lands. Gain is linear;
 * cuts in Hz; threshold in volts; CV ADJUST a ratio. Outputs in volts: F-V as Hz/V
 * (1 V = 261.63 Hz), ENV 0..+5 V, TRIG an S-trigger (0 V while above threshold).
 */
#ifndef MS20_ESP_H
#define MS20_ESP_H

typedef struct {
    float amp, band_pass, fv, env, trig;
} esp_outputs;

typedef struct {
    float fs_hz;
    float env;
    float low_cut_hz, high_cut_hz;
} esp_state;

void esp_init(esp_state *s, float fs_hz);
void esp_reset(esp_state *s);
void esp_set_band(esp_state *s, float low_cut_hz, float high_cut_hz);
void esp_tick(esp_state *s, float in_v, float gain, float cv_adjust, float threshold_v, esp_outputs *out);

#endif
