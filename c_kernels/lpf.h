/* The MS-20 low-pass filter in either revision, 12 dB/oct with a resonant peak. Korg35: the
 * input through the 12k/47 attenuator into Q2 (dsp/korg35_core.h), run by vcf.h in lane 1
 * of the section's two Korg35 cores; OTA: the input into
 * X1's summing divider through R19 (dsp/ota_core.h; the circuit inverts, the output is
 * turned back so that both revisions keep the input's polarity). Runs at the oversampled
 * rate; volts in, volts out at unity passband gain, halved for the decimator
 * (dsp/oversampler.h).
 */
#ifndef MS20_LPF_H
#define MS20_LPF_H

#include "dsp/korg35_core.h"
#include "dsp/ota_core.h"

#define LPF_K35_LANE 1
/* Volts out per volt of the core's output (unity passband, halved for the decimator). */
#define LPF_K35_OUT (0.5f * K35_BUFFER / K35_PASSBAND)

typedef struct {
    ota_state ota;
} lpf_state;

typedef struct {
    ota_coefs ota; /* the Korg35's are the section's korg35_lane_coefs (vcf.h) */
} lpf_coefs;

static inline void lpf_reset_ota(lpf_state *s) { ota_reset(&s->ota); }

static inline float lpf_step_ota(lpf_state *s, const lpf_coefs *c, float x)
{
    return -0.5f * ota_step(&s->ota, &c->ota, diode_gain_ota, x, 0.0f);
}

#endif
