/* The filter section: the MS-20's Korg35 HPF into LPF in series (hpf.h, lpf.h), both with
 * a diode clipper in their resonance loops, run together at twice the engine rate between
 * a half-band interpolator and decimator (dsp/oversampler.h).
 * Cutoffs in cycles per sample at the engine rate (f / fs, 0.00002..0.45, may move every
 * sample); k is the Korg35 feedback gain (0 .. 2.2, self-oscillation from 2). Input and
 * output in volts (audio about +-1 V; up to +-10 V with EXT SIGNAL).
 */
#ifndef MS20_VCF_H
#define MS20_VCF_H

#include <stdint.h>

#include "dsp/oversampler.h"
#include "hpf.h"
#include "lpf.h"

typedef struct {
    upsampler2 up;
    downsampler2 down;
    hpf_state hp;
    lpf_state lp;
    /* Coefficients and the inputs they were made from: recomputed only when those move. */
    hpf_coefs hc;
    lpf_coefs lc;
    uint64_t hp_in, lp_in; /* (cutoff, PEAK) as given, bit for bit (vcf.c: pair_bits) */
    int hp_loop;      /* HPF PEAK above 0: its resonance loop runs */
    int noise_on;     /* noise_gain is not 0 */
    float hp_noise, lp_noise; /* each PEAK's share of noise_gain */
    float noise_gain; /* volts per LCG step: the seed noise level for the PEAKs set */
    uint32_t seed; /* the circuit's noise floor: lets a full PEAK start whistling from silence */
} vcf_state;

void vcf_init(vcf_state *s, float fs_hz);
void vcf_reset(vcf_state *s);
float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_k, float lp_fc, float lp_k);

#endif
