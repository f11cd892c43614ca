/* The engine's insides, for engine.c and its test probe (engine.probe.c) only: the public
 * face is engine.h, where ms20_engine is opaque.
 */
#ifndef MS20_ENGINE_STATE_H
#define MS20_ENGINE_STATE_H

#include "engine.h"
#include "eg1.h"
#include "eg2.h"
#include "esp.h"
#include "keyboard.h"
#include "liveness.h"
#include "mg.h"
#include "mvca.h"
#include "noise.h"
#include "patchbay.h"
#include "rt/spsc_queue.h"
#include "sample_hold.h"
#include "vca.h"
#include "vcf.h"
#include "vco1.h"
#include "vco2.h"

#define PARAM_SLOTS ((MS20_PARAM_COUNT + 7) & ~7) /* padded so the smoothing loop vectorises */

struct ms20_engine {
    float fs, inv_fs;
    int64_t now;
    spsc_queue queue;
    ms20_stats stats;

    /* Parameters: targets as they arrive (in the smoother's domain), values as ramped. */
    float target[PARAM_SLOTS];
    float value[PARAM_SLOTS];
    float smooth_coef;
    int smooth_span;  /* samples a ramp runs after the last change */
    int smoothing;    /* samples left of the current ramp */
    int switches[MS20_SWITCH_COUNT];
    float vco1_scale, vco2_scale;
    float log2_inv_fs;
    /* From parameter values, recomputed only while they move (publish_params): */
    float vco2_gain;     /* VCO-2's scale times 2^(PITCH/12) */
    float pitch_oct;     /* log2 of cycles per sample per volt at 8': tune, bend, rate */
    float hp_oct, lp_oct; /* log2 of the cutoff knobs in cycles per sample */
    exp2_cache pitch_exp, hp_exp, lp_exp; /* modulated exponents often hold still */
    cvft_law_cache hp_law, lp_law; /* the OTA board's cutoff law (dsp/cv_feedthrough.h) */

    /* The skippable modules (liveness.h) the loops leave out, once ramps are over and while
     * they run: chosen when events change the cables or the knobs, never per sample. */
    unsigned skipped, ramp_skipped;
    unsigned asleep; /* what the last loop left out: a module it did not run wakes as it runs */
    int skipping; /* 0: every module runs always (tests compare the two, engine.probe.h) */

    /* The sections' settings, changed by events only ... */
    keyboard_settings kbd_set;
    mg_settings mg_set;
    eg1_settings eg1_set;
    eg2_settings eg2_set;
    mvca_settings mvca_set;
    vca_settings vca_set;
    /* ... and their states, which the render loop changes and a reset puts to rest. */
    patchbay_state bay;
    keyboard_state kbd;
    noise_state noise;
    mg_state mg;
    esp_state esp;
    eg1_state eg1;
    eg2_state eg2;
    sample_hold_state sh;
    mvca_state mvca;
    vco1_state vco1;
    vco2_state vco2;
    vcf_state vcf;
    vca_state vca;
};

/* Chooses which modules the loops skip, from the cables and the knobs (where they are and
 * where they ramp to; fading cables at both ends). Call after events. */
void ms20_choose_loop(ms20_engine *e);

#endif
