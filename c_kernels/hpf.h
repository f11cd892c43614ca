/* The MS-20 high-pass filter in either revision: the low-pass circuit with its normal input
 * grounded and the signal fed to the foot of the second capacitor (Stinchcombe's section 7:
 * 6 dB/oct below the cutoff, a resonant peak above). Korg35: the input through the same
 * 12k/47 attenuator into C13's foot (dsp/korg35_core.h); OTA: the input into C5's foot
 * (dsp/ota_core.h). Runs at the oversampled rate; volts in, volts out at unity passband
 * gain, halved for the decimator (dsp/oversampler.h).
 */
#ifndef MS20_HPF_H
#define MS20_HPF_H

#include "dsp/korg35_core.h"
#include "dsp/ota_core.h"

/* The simulated Korg35 HPF's passband over the LPF's (tools/spice: 1.05 (s^2 + s) / ...). */
#define K35_HPF_GAIN 1.05f

typedef struct {
    korg35_state k35;
    ota_state ota;
} hpf_state;

typedef struct {
    korg35_coefs k35;
    ota_coefs ota;
} hpf_coefs;

static inline void hpf_reset_korg35(hpf_state *s) { korg35_reset(&s->k35); }

static inline void hpf_reset_ota(hpf_state *s) { ota_reset(&s->ota); }

static inline float hpf_step_korg35(hpf_state *s, const hpf_coefs *c, float x)
{
    float xa = K35_ATTEN * x;
    /* PEAK at 0 and the cutoff at the bottom (the usual setting): the open core, a third of
     * the cost; the branch follows a setting, so the predictor never misses it */
    float y = c->k35.open ? korg35_step_open(&s->k35, &c->k35, diode_gain_korg35, xa, -K35_R * xa)
                          : korg35_step(&s->k35, &c->k35, diode_gain_korg35, 0.0f, xa, -K35_R * xa);
    return y * (0.5f * K35_HPF_GAIN * K35_BUFFER / K35_PASSBAND);
}

static inline float hpf_step_ota(hpf_state *s, const hpf_coefs *c, float x)
{
    /* PEAK at 0: the second stage alone (a branch on a setting, never mispredicted) */
    return 0.5f * (c->ota.open ? ota_step_hp_open(&s->ota, &c->ota, x)
                               : ota_step(&s->ota, &c->ota, diode_gain_ota, 0.0f, x));
}

#endif
