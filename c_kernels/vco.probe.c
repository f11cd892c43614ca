/* Test probe for the oscillators alone (vco.probe.h, declared to cffi in vco.cdef): kept
 * out of the sections' own files, as production code never calls it.
 */
#include "vco.probe.h"

#include "dsp/fastmath.h"
#include "vco1.h"
#include "vco2.h"

void vco_probe_render(int which, int wave, const float *freq1, const float *pw1, const float *freq2,
                      float *out, int n)
{
    vco1_state v1;
    vco2_state v2;
    vco1_init(&v1, 0x2545f491u);
    vco2_init(&v2);
    vco1_set_wave(&v1, which == 1 ? wave : VCO1_SAWTOOTH);
    vco2_set_wave(&v2, wave);
    for (int i = 0; i < n; ++i) {
        /* the engine's clamp: VCO inputs arrive within 0..0.45 */
        float o1 = vco1_tick(&v1, clampf(freq1[i], 0.0f, 0.45f), pw1[i]);
        float o2 = vco2_tick(&v2, clampf(freq2[i], 0.0f, 0.45f), &v1);
        out[i] = which == 1 ? o1 : o2;
    }
}

int vco_probe_latency(void) { return BLEP_LATENCY; }
