/* The filter section: HPF into LPF in series (Korg35 style).
 *
 * STUB (linear one-pole HPF into two-pole LPF, no resonance) until the nonlinear,
 * oversampled Korg35 pair lands. Cutoffs in cycles per sample at the engine rate
 * (f / fs, clamped by the caller to 0.00002..0.45); k is the Korg35 feedback gain
 * (0 .. 2.2; self-oscillation from 2). Input and output in volts (audio about +-1 V).
 */
#ifndef MS20_VCF_H
#define MS20_VCF_H

typedef struct {
    float hp_s, lp_s1, lp_s2;
} vcf_state;

void vcf_init(vcf_state *s, float fs_hz);
void vcf_reset(vcf_state *s);
float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_k, float lp_fc, float lp_k);

#endif
