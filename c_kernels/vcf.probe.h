/* Test probes for the filter section (declared for cffi in vcf.cdef; not used by the engine). */
#ifndef MS20_VCF_PROBE_H
#define MS20_VCF_PROBE_H

/* Run a fresh filter section in revision rev (0 Korg35, 1 OTA) over n samples with
 * per-sample cutoffs (cycles per sample at fs) and PEAK pot travels (0..1); writes volts
 * to out. At sample switch_at (-1: never) it switches to the other revision. Denormals
 * flush, as in the engine. */
void vcf_probe_render(float fs, int rev, int switch_at, const float *in, const float *hp_fc, const float *hp_peak,
                      const float *lp_fc, const float *lp_peak, float *out, int n);

/* One filter alone (lowpass 1: the LPF, 0: the HPF), oversampled as in the section. */
void vcf_probe_filter(float fs, int rev, int lowpass, const float *in, const float *fc, const float *peak, float *out,
                      int n);

/* The OTA board's cutoff (cycles per sample at fs) for the exponential law's fc: the engine
 * maps each cutoff through it while that revision plays (dsp/cv_feedthrough.h). */
float vcf_probe_ota_law(float fs, float fc);

#endif
