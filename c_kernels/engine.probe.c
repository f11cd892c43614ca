/* Test probes for module skipping (engine.probe.h). */
#include "engine.probe.h"

#include "engine_state.h"

/* The probe's names for the bits are liveness.h's. */
typedef char skip_bits_match[(int)MS20_SKIP_ESP == LIVE_ESP && (int)MS20_SKIP_MG == LIVE_MG &&
                                     (int)MS20_SKIP_VCO2 == LIVE_VCO2 && (int)MS20_SKIP_UTILITY == LIVE_UTILITY
                                 ? 1
                                 : -1];

void ms20_probe_set_skipping(ms20_engine *e, int on)
{
    e->skipping = on != 0;
    ms20_choose_loop(e);
}

unsigned ms20_probe_skipped(const ms20_engine *e) { return e->skipped; }
