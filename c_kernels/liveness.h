/* Which modules are live: whose outputs reach something that sounds or leaves the box.
 *
 * The sinks are the VCA's audio path (the filters' mix, their cutoff inputs whose depth
 * knob is not at 0, INITIAL GAIN), the VCOs' pitch inputs, the envelopes' trigger inputs and
 * CV OUT 1 and 2. A module is live when an input that a live reader reads is patched (or
 * normalled) to one of its outputs; the rule runs to a fixed point, so chains and feedback
 * loops (OUTPUT into the ESP) are followed. Only the modules named below may be skipped; the
 * rest always run (cheap, or in the audio path). A depth knob counts as reading its input
 * while its value is not exactly 0: then 0 times the input adds nothing, whatever the input.
 * While knobs ramp and cables fade, both ends count: a knob is up if it is up now or where it
 * is going, and a fading input reads the output it leaves as well as the one it goes to.
 */
#ifndef MS20_LIVENESS_H
#define MS20_LIVENESS_H

#include "jacks.h"
#include "params.h"

/* The modules the render loop may skip, as bits (also named in engine.probe.h for tests). */
enum {
    LIVE_ESP = 1,   /* all five ESP outputs */
    LIVE_MG = 2,
    LIVE_VCO2 = 4,  /* no jack: live while VCO-2 LEVEL is up */
    LIVE_UTILITY = 8, /* noise, S/H and MVCA: each rarely patched, skipped together */
    LIVE_ALL = 15
};

/* The skippable modules that are live when input i reads routed[i] and also[i], and a knob
 * is up where param or also_param is not 0 (in the kernel's units). Outside ramps, pass the
 * same arrays twice. Runs per event, never per sample. */
unsigned liveness(const unsigned char routed[MS20_INPUT_COUNT], const unsigned char also[MS20_INPUT_COUNT],
                  const float param[MS20_PARAM_COUNT], const float also_param[MS20_PARAM_COUNT]);

#endif
