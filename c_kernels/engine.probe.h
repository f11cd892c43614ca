/* Test probes for the engine's module skipping (declared to cffi in engine.cdef).
 *
 * ms20_probe_set_skipping: 0 makes every module run in every sample (the reference the
 * tests compare the lean loops with), 1 restores skipping. Call between renders.
 * ms20_probe_skipped: the MS20_SKIP_* bits of the modules the event-free loop leaves out
 * now (as of the last render, or creation).
 */
#ifndef MS20_ENGINE_PROBE_H
#define MS20_ENGINE_PROBE_H

#include "engine.h"

enum ms20_skip { MS20_SKIP_ESP = 1, MS20_SKIP_MG = 2, MS20_SKIP_VCO2 = 4, MS20_SKIP_UTILITY = 8 };

void ms20_probe_set_skipping(ms20_engine *engine, int on);
unsigned ms20_probe_skipped(const ms20_engine *engine);

#endif
