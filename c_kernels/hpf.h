/* The MS-20 high-pass filter in either revision: the low-pass circuit with its normal input
 * grounded and the signal fed to the foot of the second capacitor (Stinchcombe's section 7:
 * 6 dB/oct below the cutoff, a resonant peak above). Korg35: the input through the same
 * 12k/47 attenuator into C13's foot (dsp/korg35_core.h), run by vcf.h in lane 0 of the
 * section's two Korg35 cores (the LPF in lane 1); OTA: the input into C5's foot
 * (dsp/ota_core.h). Runs at the oversampled rate; volts in, volts out at unity passband
 * gain, halved for the decimator (dsp/oversampler.h).
 */
#ifndef MS20_HPF_H
#define MS20_HPF_H

#include "dsp/korg35_core.h"
#include "dsp/ota_core.h"

/* The simulated Korg35 HPF's passband over the LPF's (tools/spice: 1.05 (s^2 + s) / ...). */
#define K35_HPF_GAIN 1.05f
#define HPF_K35_LANE 0
/* Volts out per volt of the core's output (unity passband, halved for the decimator). */
#define HPF_K35_OUT (0.5f * K35_HPF_GAIN * K35_BUFFER / K35_PASSBAND)

typedef struct {
    ota_state ota;
} hpf_state;

typedef struct {
    ota_coefs ota; /* the Korg35's are the section's korg35_lane_coefs (vcf.h) */
} hpf_coefs;

static inline void hpf_reset_ota(hpf_state *s) { ota_reset(&s->ota); }

/* The Korg35 HPF's core takes the attenuated input x_hp at C13's foot and -r x_hp at C12's
 * foot (korg35_step: the simulated HPF's (s^2 + s) numerator). */

static inline float hpf_step_ota(hpf_state *s, const hpf_coefs *c, float x)
{
    /* PEAK at 0: the second stage alone (a branch on a setting, never mispredicted) */
    return 0.5f * (c->ota.open ? ota_step_hp_open(&s->ota, &c->ota, x)
                               : ota_step(&s->ota, &c->ota, diode_gain_ota, 0.0f, x));
}

#endif
