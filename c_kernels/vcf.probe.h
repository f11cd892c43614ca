/* Test probes for the filter section (declared for cffi in vcf.cdef; not used by the engine). */
#ifndef MS20_VCF_PROBE_H
#define MS20_VCF_PROBE_H

/* Run a fresh filter section over n samples with per-sample cutoffs (cycles per sample at
 * fs) and feedback gains; writes volts to out. Denormals flush,
 * as in the engine. */
void vcf_probe_render(float fs, const float *in, const float *hp_fc, const float *hp_k, const float *lp_fc,
                      const float *lp_k, float *out, int n);

#endif
