/* ESP (STUB: preamp and envelope only; see esp.h). */
#include "esp.h"
#include "dsp/fastmath.h"

void esp_reset(esp_state *s) { s->env = 0.0f; }

void esp_init(esp_state *s, float fs_hz)
{
    s->fs_hz = fs_hz;
    esp_reset(s);
    esp_set_band(s, 20.0f, 20000.0f);
}

void esp_set_band(esp_state *s, float low_cut_hz, float high_cut_hz)
{
    s->low_cut_hz = low_cut_hz;
    s->high_cut_hz = high_cut_hz;
}

void esp_tick(esp_state *s, float in_v, float gain, float cv_adjust, float threshold_v, esp_outputs *out)
{
    float amp = tanh_fast(clampf(in_v, -10.0f, 10.0f) * gain);
    float a = amp < 0.0f ? -amp : amp;
    s->env += (a > s->env ? 0.01f : 0.001f) * (a - s->env);
    out->amp = amp;
    out->band_pass = amp;
    out->fv = cv_adjust;
    out->env = 5.0f * s->env;
    out->trig = s->env > threshold_v ? 0.0f : 5.0f;
}
