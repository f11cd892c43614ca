/* Test probes for the oscillators alone (declared to cffi in vco.cdef).
 *
 * vco_probe_render: n samples of one VCO from fresh state, freq and pw per sample.
 * which 1: VCO-1 at `wave`, freq1, pw1. which 2: VCO-2 at `wave`, freq2, with VCO-1
 * running beside it at freq1, pw1 (what RING reads). Output delayed by vco_probe_latency().
 */
#ifndef MS20_VCO_PROBE_H
#define MS20_VCO_PROBE_H

void vco_probe_render(int which, int wave, const float *freq1, const float *pw1, const float *freq2,
                      float *out, int n);
int vco_probe_latency(void);

#endif
