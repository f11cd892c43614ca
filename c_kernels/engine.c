/* The MS-20 engine: owns every module, applies queued events at their sample times and
 * runs the whole instrument one sample at a time, so that the patch bay can route any
 * output to any input at audio rate.
 *
 * Order within a sample (later readers see this sample's value, earlier ones the last):
 * keyboard, performance controls, noise, MG, ESP, EG-1, EG-2, S/H, MVCA, VCOs, mixer,
 * filters, VCA, output. Units: volts at the jacks (docs/signals.md), Hz/V for pitch.
 *
 * Every output is bounded and finite by construction (LINE IN is clamped where it enters,
 * every module saturates or clamps its own state), so inputs are read unclamped except
 * where a module's range is part of its model.
 *
 * Modules whose outputs reach nothing (liveness.h) are left out of the loops that run
 * between events: each combination of skipped modules has a loop of its own (with and
 * without the ramps' step), chosen when events change the cables or the knobs, so no sample
 * tests what is live. The audio is the same bit for bit as with every module running
 * (tests/test_skipping.py) until a module wakes: it resumes from where it stopped. Which code
 * goes in a .c and which in a .h: c_kernels/README.md.
 */
#define MS20_PARAM_TABLES /* this file instantiates the smoothing tables */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/denormal.h"
#include "dsp/fastmath.h"
#include "dsp/smoother.h"
#include "dsp/units.h"
#include "engine_state.h"

#define QUEUE_CAPACITY 4096u
#define SMOOTHING_MS 5.0f
#define SMOOTHING_SPAN 12.0f      /* time constants a ramp runs before it snaps (6e-6 left) */
#define C4_HZ 261.6255653f        /* 1 V of Hz/V pitch CV at 8' */
#define STRIG_THRESHOLD_V 1.3f    /* an S-trigger input below this is "on" */
#define LOG2_FC_MIN -15.6096405f  /* filter cutoffs: log2 of 0.00002 .. 0.45 cycles per sample */
#define LOG2_FC_MAX -1.15200309f
#define PITCH_OCT_RANGE 60.0f     /* exponential FM beyond this many octaves is clamped */
#define OSC_FREQ_MAX 0.45f

/* The keyboard and esp_tick write their outputs straight into their jacks, which
 * jacks.toml keeps in order. */
typedef char kbd_jacks_in_order[MS20_OUT_KBD_TRIG == MS20_OUT_KBD_CV + KBD_TRIG ? 1 : -1];
typedef char esp_jacks_in_order[MS20_OUT_ESP_BP == MS20_OUT_ESP_AMP + ESP_BAND_PASS &&
                                        MS20_OUT_ESP_FV == MS20_OUT_ESP_AMP + ESP_FV &&
                                        MS20_OUT_ESP_ENV == MS20_OUT_ESP_AMP + ESP_ENV &&
                                        MS20_OUT_ESP_TRIG == MS20_OUT_ESP_AMP + ESP_TRIG
                                    ? 1
                                    : -1];

static const float vco1_scales[4] = {0.25f, 0.5f, 1.0f, 2.0f}; /* 32' 16' 8' 4' */
static const float vco2_scales[4] = {0.5f, 1.0f, 2.0f, 4.0f};  /* 16' 8' 4' 2' */

static void publish_params(ms20_engine *e);

/* Out of line: the render loop's safety net calls it, and every loop variant would carry a copy. */
__attribute__((noinline)) static void reset_voice(ms20_engine *e)
{
    eg1_reset(&e->eg1);
    eg2_reset(&e->eg2);
    keyboard_release(&e->kbd);
    sample_hold_init(&e->sh);
    mvca_reset(&e->mvca);
    vco1_reset(&e->vco1);
    vco2_reset(&e->vco2);
    vcf_reset(&e->vcf);
    esp_reset(&e->esp);
    vca_reset(&e->vca);
    for (int i = 0; i < PATCHBAY_SLOTS; ++i)
        if (i != MS20_OUT_STRIG_OPEN) e->bay.jack[i] = 0.0f;
    esp_held_outputs(&e->esp, &e->bay.jack[MS20_OUT_ESP_AMP]); /* TRIG open, F-V held */
    keyboard_outputs(&e->kbd, &e->bay.jack[MS20_OUT_KBD_CV]);
    publish_params(e); /* the wheel and CV jacks keep carrying their controls */
}

/* What follows from parameter values alone, computed when they move rather than per sample:
 * the jacks that carry a parameter (wheel, momentary switch, CV inputs), VCO-2's detune, and
 * the knob parts of the exponents for pitch and cutoffs (with the sample rate folded in). */
static void publish_params(ms20_engine *e)
{
    float *jack = e->bay.jack;
    const float *v = e->value;
    jack[MS20_OUT_WHEEL] = v[MS20_P_WHEEL_V];
    jack[MS20_OUT_MOMENTARY] = v[MS20_P_MOMENTARY] > 0.5f ? 0.0f : 5.0f;
    jack[MS20_OUT_CV_IN_1] = v[MS20_P_CV_IN_1_V];
    jack[MS20_OUT_CV_IN_2] = v[MS20_P_CV_IN_2_V];
    e->vco2_gain = e->vco2_scale * exp2_fast(v[MS20_P_VCO2_PITCH_SEMI] * (1.0f / 12.0f));
    e->pitch_oct = log2f(C4_HZ) + e->log2_inv_fs +
                   (v[MS20_P_MASTER_TUNE_SEMI] + v[MS20_P_PITCH_BEND_SEMI]) * (1.0f / 12.0f);
    e->hp_oct = v[MS20_P_HPF_CUTOFF_HZ] + e->log2_inv_fs;
    e->lp_oct = v[MS20_P_LPF_CUTOFF_HZ] + e->log2_inv_fs;
    mg_set(&e->mg_set, v[MS20_P_MG_FREQ_HZ], v[MS20_P_MG_SHAPE], e->inv_fs);
}

/* Settings that are not smoothed turn into coefficients here, off the per-sample path. */
static void apply_setting(ms20_engine *e, int p, float v)
{
    float fs = e->fs;
    switch (p) {
    case MS20_P_PORTAMENTO_MS: keyboard_set_portamento(&e->kbd_set, v, fs); break;
    case MS20_P_EG1_DELAY_MS: eg1_set_delay(&e->eg1_set, v, fs); break;
    case MS20_P_EG1_ATTACK_MS: eg1_set_attack(&e->eg1_set, v, fs); break;
    case MS20_P_EG1_RELEASE_MS: eg1_set_release(&e->eg1_set, v, fs); break;
    case MS20_P_EG2_HOLD_MS: eg2_set_hold(&e->eg2_set, v, fs); break;
    case MS20_P_EG2_ATTACK_MS: eg2_set_attack(&e->eg2_set, v, fs); break;
    case MS20_P_EG2_DECAY_MS: eg2_set_decay(&e->eg2_set, v, fs); break;
    case MS20_P_EG2_RELEASE_MS: eg2_set_release(&e->eg2_set, v, fs); break;
    case MS20_P_ESP_LOW_CUT_HZ:
    case MS20_P_ESP_HIGH_CUT_HZ:
        esp_set_band(&e->esp, e->value[MS20_P_ESP_LOW_CUT_HZ], e->value[MS20_P_ESP_HIGH_CUT_HZ]);
        break;
    default: break;
    }
}

static void set_param(ms20_engine *e, int p, float v)
{
    if ((unsigned)p >= MS20_PARAM_COUNT || !isfinite(v)) return;
    if (ms20_param_log2[p]) v = log2f(clampf(v, 1.0f, 40000.0f)); /* panel.toml's smooth_log2 */
    e->target[p] = v;
    if (ms20_param_smoothed[p]) {
        e->smoothing = e->smooth_span;
    } else {
        e->value[p] = v;
        apply_setting(e, p, v);
        publish_params(e);
    }
}

static void set_switch(ms20_engine *e, int s, int pos)
{
    if ((unsigned)s >= MS20_SWITCH_COUNT) return;
    pos = pos < 0 ? 0 : pos > 3 ? 3 : pos;
    e->switches[s] = pos;
    switch (s) {
    case MS20_S_VCO1_SCALE: e->vco1_scale = vco1_scales[pos]; break;
    case MS20_S_VCO2_SCALE: e->vco2_scale = vco2_scales[pos]; publish_params(e); break;
    case MS20_S_VCO1_WAVE: vco1_set_wave(&e->vco1, pos); break;
    case MS20_S_VCO2_WAVE: vco2_set_wave(&e->vco2, pos); break;
    default: break;
    }
}

static void apply_event(ms20_engine *e, const ms20_event *ev)
{
    switch (ev->type) {
    case MS20_EV_PARAM: set_param(e, ev->index, ev->value); break;
    case MS20_EV_SWITCH: set_switch(e, ev->index, (int)ev->value); break;
    case MS20_EV_KEY:
        if (isfinite(ev->value))
            keyboard_key(&e->kbd, &e->kbd_set, clampf(ev->value, -24.0f, 151.0f), (ev->index & MS20_KEY_GATE) != 0,
                         (ev->index & MS20_KEY_RETRIGGER) != 0, &e->bay.jack[MS20_OUT_KBD_CV]);
        break;
    case MS20_EV_PATCH: patchbay_apply(&e->bay, (const signed char *)ev->route); break;
    case MS20_EV_RESET: reset_voice(e); break;
    case MS20_EV_SETTING:
        if (ev->index == MS20_SET_FILTER) vcf_set_revision(&e->vcf, (int)ev->value);
        else esp_apply_setting(&e->esp, ev->index, ev->value);
        break;
    default: break;
    }
    e->stats.events_applied++;
}

/* One smoother step for every parameter (unsmoothed ones already equal their target, so
 * the step leaves them be). A ramp runs a fixed number of samples after the last change and
 * then snaps: the end of a ramp depends on sample time only, never on block boundaries. */
static void smooth_params(ms20_engine *e)
{
    if (--e->smoothing == 0) {
        memcpy(e->value, e->target, sizeof e->value);
    } else {
        float c = e->smooth_coef;
        for (int p = 0; p < PARAM_SLOTS; ++p) e->value[p] += c * (e->target[p] - e->value[p]);
    }
    publish_params(e);
}

/* Knob smoothing and cable fades: first in a sample, while either runs. */
static inline void ramps_tick(ms20_engine *e)
{
    if (e->smoothing) smooth_params(e);
    if (e->bay.fading) patchbay_fade(&e->bay);
}

/* How many samples the ramps may still run: only events start them, so within a run of
 * samples between events the render loop knows where they end. */
static inline int ramps_left(const ms20_engine *e)
{
    return e->smoothing > e->bay.fading ? e->smoothing : e->bay.fading;
}

/* One sample of the instrument. `skip` (LIVE_* bits, a constant in each loop) names the
 * modules left out: their jacks hold their last values, which only inputs with their depth
 * knob at 0 read (0 times a finite value adds nothing), and the VCO-2 term of the mixer is
 * 0 times VCO-2 LEVEL (at 0) as well. */
__attribute__((always_inline)) static inline void tick(ms20_engine *e, float line_in, float *out, float *cv_out,
                                                       const unsigned skip)
{
    patchbay_state *bay = &e->bay;
    float *jack = bay->jack;
    const float *v = e->value;

    keyboard_tick(&e->kbd, &e->kbd_set, &jack[MS20_OUT_KBD_CV]);
    jack[MS20_OUT_LINE_IN] = clampf(line_in, -10.0f, 10.0f); /* the one unbounded source */

    if (!(skip & LIVE_UTILITY)) noise_tick(&e->noise, &jack[MS20_OUT_WHITE_NOISE], &jack[MS20_OUT_PINK_NOISE]);
    if (!(skip & LIVE_MG)) mg_tick(&e->mg, &e->mg_set, &jack[MS20_OUT_MG_TRI], &jack[MS20_OUT_MG_RECT]);

    if (!(skip & LIVE_ESP))
        esp_tick(&e->esp, patchbay_read(bay, MS20_IN_ESP_IN), v[MS20_P_ESP_GAIN], v[MS20_P_ESP_CV_ADJUST],
                 v[MS20_P_ESP_THRESHOLD_V], &jack[MS20_OUT_ESP_AMP]);

    /* S-trigger inputs: low is on; TRIG IN is wired-OR into both envelopes. */
    int trig_all = patchbay_read(bay, MS20_IN_TRIG) < STRIG_THRESHOLD_V;
    int trig_eg1 = patchbay_read(bay, MS20_IN_EG1_TRIG) < STRIG_THRESHOLD_V;
    int kbd_gate = jack[MS20_OUT_KBD_TRIG] < STRIG_THRESHOLD_V;
    float eg1 = 5.0f * eg1_tick(&e->eg1, &e->eg1_set, trig_eg1 | trig_all);
    float sustain = v[MS20_P_EG2_SUSTAIN];
    float eg2 = eg2_tick(&e->eg2, &e->eg2_set, kbd_gate | trig_all, sustain);
    jack[MS20_OUT_EG1] = eg1;
    jack[MS20_OUT_EG1_REV] = -eg1;
    jack[MS20_OUT_EG2] = 5.0f * eg2;
    jack[MS20_OUT_EG2_REV] = -5.0f * eg2;
    jack[MS20_OUT_EG2_SUSREF] = 5.0f * (eg2 - sustain);

    if (!(skip & LIVE_UTILITY)) {
        jack[MS20_OUT_SH_OUT] =
            sample_hold_tick(&e->sh, patchbay_read(bay, MS20_IN_SH_IN), patchbay_read(bay, MS20_IN_SH_CLOCK));
        jack[MS20_OUT_MVCA_OUT] = mvca_tick(&e->mvca, &e->mvca_set, patchbay_read(bay, MS20_IN_MVCA_IN),
                                            patchbay_read(bay, MS20_IN_MVCA_CONTROL));
    }

    /* VCOs: Hz/V CV times scale, exponential modulation in octaves. */
    float total = patchbay_read(bay, MS20_IN_TOTAL);
    float freq_bus = patchbay_read(bay, MS20_IN_FREQ);
    float cv12 = patchbay_read(bay, MS20_IN_VCO12_CV);
    jack[MS20_OUT_VCO12_CV] = cv12;
    float pitch_oct = e->pitch_oct + v[MS20_P_FM_MG_OCT_PER_V] * total + v[MS20_P_FM_EG1_OCT_PER_V] * freq_bus;
    float per_volt = exp2_cached(&e->pitch_exp, pitch_oct, -PITCH_OCT_RANGE, PITCH_OCT_RANGE); /* cycles/sample/V */
    float f1 = per_volt * e->vco1_scale * cv12;
    /* Negative Hz/V (an inverted CV) stops the oscillator: no through-zero on an MS-20. */
    float o1 = vco1_tick(&e->vco1, clampf(f1, 0.0f, OSC_FREQ_MAX), v[MS20_P_VCO1_PW]);
    float o2 = 0.0f; /* skipped: times VCO-2 LEVEL at 0, the same sum as VCO-2's own output gives */
    if (!(skip & LIVE_VCO2)) {
        float f2 = per_volt * e->vco2_gain * patchbay_read(bay, MS20_IN_VCO2_CV);
        o2 = vco2_tick(&e->vco2, clampf(f2, 0.0f, OSC_FREQ_MAX), &e->vco1);
    }

    float mix = o1 * v[MS20_P_VCO1_LEVEL] + o2 * v[MS20_P_VCO2_LEVEL] +
                patchbay_read(bay, MS20_IN_EXT_SIGNAL); /* the filters clamp their input range */

    float hp_oct = e->hp_oct + v[MS20_P_HPF_MG_OCT_PER_V] * total +
                   v[MS20_P_HPF_EG2_OCT_PER_V] * patchbay_read(bay, MS20_IN_HP_CUTOFF);
    float lp_oct = e->lp_oct + v[MS20_P_LPF_MG_OCT_PER_V] * total +
                   v[MS20_P_LPF_EG2_OCT_PER_V] * patchbay_read(bay, MS20_IN_LP_CUTOFF);
    float hp_fc = exp2_cached(&e->hp_exp, hp_oct, LOG2_FC_MIN, LOG2_FC_MAX); /* cycles per sample */
    float lp_fc = exp2_cached(&e->lp_exp, lp_oct, LOG2_FC_MIN, LOG2_FC_MAX);
    if (e->vcf.rev == VCF_OTA) { /* its expo converter's floor and knee */
        hp_fc = cvft_ota_law_cached(&e->hp_law, &e->vcf.ft, hp_fc);
        lp_fc = cvft_ota_law_cached(&e->lp_law, &e->vcf.ft, lp_fc);
    }
    float filtered = vcf_tick(&e->vcf, mix, hp_fc, v[MS20_P_HPF_PEAK], lp_fc, v[MS20_P_LPF_PEAK]);

    float amp = vca_tick(&e->vca, filtered, jack[MS20_OUT_EG2], patchbay_read(bay, MS20_IN_INITIAL_GAIN));
    float y = output_tick(&e->vca, &e->vca_set, amp, v[MS20_P_VOLUME]);

    /* Safety net: a non-finite value anywhere in the chain (it would reach y: nothing
     * between the filters and here clamps) resets the voice, never the audio stream.
     * Clamps above make this unreachable in practice. */
    if (!(y == y)) {
        e->stats.nonfinite_resets++;
        reset_voice(e);
        y = 0.0f;
    }
    jack[MS20_OUT_OUTPUT] = y;
    jack[MS20_OUT_PHONES] = y;
    *out = y;
    cv_out[0] = patchbay_read(bay, MS20_IN_CV_OUT_1);
    cv_out[1] = patchbay_read(bay, MS20_IN_CV_OUT_2);
}

/* An ESP that wakes drops what it heard before it slept (the F-V would read a period across
 * the gap) but holds its F-V voltage, as it does between notes, until it has heard enough. */
static void esp_wake(esp_state *s, float jacks[ESP_OUTPUTS])
{
    esp_resume(s);
    esp_held_outputs(s, jacks);
}

void ms20_choose_loop(ms20_engine *e)
{
    const patchbay_state *bay = &e->bay;
    unsigned char fading_from[MS20_INPUT_COUNT];
    for (int i = 0; i < MS20_INPUT_COUNT; ++i)
        fading_from[i] = bay->source[i] >= MS20_OUTPUT_COUNT ? bay->previous[i] : bay->routed[i];
    e->skipped = e->skipping ? LIVE_ALL & ~liveness(bay->routed, bay->routed, e->target, e->target) : 0u;
    e->ramp_skipped = e->skipping ? LIVE_ALL & ~liveness(bay->routed, fading_from, e->target, e->value) : 0u;
}

/* Before a loop that leaves out `skip`: a module the last loop left out and this one runs
 * resumes from the state it stopped in; VCO-2's RING, which keeps VCO-1's phases from its
 * last tick, takes them afresh, and the ESP drops what it heard before (esp_wake). */
static inline void enter_loop(ms20_engine *e, unsigned skip)
{
    unsigned woke = e->asleep & ~skip;
    if (woke & LIVE_VCO2) vco2_resume(&e->vco2);
    if (woke & LIVE_ESP) esp_wake(&e->esp, &e->bay.jack[MS20_OUT_ESP_AMP]);
    e->asleep = skip;
}

ms20_engine *ms20_create(float sample_rate)
{
    if (!(sample_rate >= 8000.0f && sample_rate <= 192000.0f)) return NULL;
    ms20_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->queue.records = calloc(QUEUE_CAPACITY, sizeof(ms20_event));
    if (!e->queue.records) {
        free(e);
        return NULL;
    }
    e->queue.record_size = sizeof(ms20_event);
    e->queue.mask = QUEUE_CAPACITY - 1;

    e->fs = sample_rate;
    exp2_cache_init(&e->pitch_exp);
    exp2_cache_init(&e->hp_exp);
    exp2_cache_init(&e->lp_exp);
    e->inv_fs = 1.0f / sample_rate;
    e->log2_inv_fs = -log2f(sample_rate);
    e->smooth_coef = smoother_coef(SMOOTHING_MS, sample_rate);
    e->smooth_span = (int)ms_to_samples_f(SMOOTHING_SPAN * SMOOTHING_MS, sample_rate);
    patchbay_init(&e->bay, sample_rate);
    keyboard_settings_init(&e->kbd_set);
    keyboard_init(&e->kbd);
    keyboard_outputs(&e->kbd, &e->bay.jack[MS20_OUT_KBD_CV]);
    noise_init(&e->noise, 0x12345678u);
    mg_settings_init(&e->mg_set);
    mg_init(&e->mg);
    esp_init(&e->esp, sample_rate);
    esp_held_outputs(&e->esp, &e->bay.jack[MS20_OUT_ESP_AMP]);
    eg1_settings_init(&e->eg1_set);
    eg1_reset(&e->eg1);
    eg2_settings_init(&e->eg2_set);
    eg2_reset(&e->eg2);
    sample_hold_init(&e->sh);
    mvca_settings_init(&e->mvca_set, sample_rate);
    mvca_reset(&e->mvca);
    vco1_init(&e->vco1, 0x2545f491u);
    vco2_init(&e->vco2);
    vcf_init(&e->vcf, sample_rate);
    vca_settings_init(&e->vca_set, sample_rate);
    vca_reset(&e->vca);

    /* Until the panel says otherwise: a quiet, open, playable voice. Python sends the whole
     * panel at start, so these only matter to a bare C caller. */
    static const struct { int p; float v; } defaults[] = {
        {MS20_P_VCO1_PW, 0.5f},          {MS20_P_VCO1_LEVEL, 0.5f},     {MS20_P_HPF_CUTOFF_HZ, 10.0f},
        {MS20_P_LPF_CUTOFF_HZ, 20000.0f}, {MS20_P_MG_FREQ_HZ, 2.0f},     {MS20_P_MG_SHAPE, 0.5f},
        {MS20_P_EG1_ATTACK_MS, 1.0f},    {MS20_P_EG1_RELEASE_MS, 50.0f}, {MS20_P_EG2_ATTACK_MS, 1.0f},
        {MS20_P_EG2_DECAY_MS, 200.0f},   {MS20_P_EG2_SUSTAIN, 0.7f},    {MS20_P_EG2_RELEASE_MS, 100.0f},
        {MS20_P_ESP_GAIN, 1.0f},         {MS20_P_ESP_LOW_CUT_HZ, 20.0f}, {MS20_P_ESP_HIGH_CUT_HZ, 20000.0f},
        {MS20_P_ESP_CV_ADJUST, 1.0f},    {MS20_P_ESP_THRESHOLD_V, 0.1f}, {MS20_P_VOLUME, 0.5f},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; ++i) {
        set_param(e, defaults[i].p, defaults[i].v);
        e->value[defaults[i].p] = e->target[defaults[i].p];
    }
    set_param(e, MS20_P_PORTAMENTO_MS, 0.0f);
    publish_params(e);
    set_switch(e, MS20_S_VCO1_SCALE, 2);
    set_switch(e, MS20_S_VCO2_SCALE, 1);
    set_switch(e, MS20_S_VCO1_WAVE, VCO1_SAWTOOTH);
    set_switch(e, MS20_S_VCO2_WAVE, VCO2_SAWTOOTH);
    e->smoothing = 0;
    e->skipping = 1;
    ms20_choose_loop(e);
    return e;
}

void ms20_destroy(ms20_engine *e)
{
    if (!e) return;
    free(e->queue.records);
    free(e);
}

int ms20_push_nonrt(ms20_engine *e, const ms20_event *ev)
{
    if (queue_push_nonrt(&e->queue, ev)) return 1;
    __atomic_fetch_add(&e->stats.events_dropped, 1, __ATOMIC_RELAXED);
    return 0;
}

/* The loops between events, one per set of skipped modules, with and without the ramps'
 * step, each a function of its own so that the compiler allocates its registers for it
 * alone. */
typedef void loop_fn(ms20_engine *e, const float *in, int in_step, float *out, float *cv, int cv_step, int n);
#define LOOPS(skip)                                                                                                    \
    __attribute__((noinline, flatten)) static void loop_##skip(ms20_engine *e, const float *in, int in_step,         \
                                                               float *out, float *cv, int cv_step, int n)               \
    {                                                                                                                  \
        for (int i = 0; i < n; ++i, in += in_step, cv += cv_step) tick(e, *in, &out[i], cv, skip##u);                 \
    }                                                                                                                  \
    __attribute__((noinline, flatten)) static void ramped_##skip(ms20_engine *e, const float *in, int in_step,       \
                                                                 float *out, float *cv, int cv_step, int n)             \
    {                                                                                                                  \
        for (int i = 0; i < n; ++i, in += in_step, cv += cv_step) {                                                    \
            ramps_tick(e);                                                                                             \
            tick(e, *in, &out[i], cv, skip##u);                                                                        \
        }                                                                                                              \
    }
LOOPS(0) LOOPS(1) LOOPS(2) LOOPS(3) LOOPS(4) LOOPS(5) LOOPS(6) LOOPS(7)
LOOPS(8) LOOPS(9) LOOPS(10) LOOPS(11) LOOPS(12) LOOPS(13) LOOPS(14) LOOPS(15)
#undef LOOPS
static loop_fn *const loops[LIVE_ALL + 1] = {loop_0, loop_1, loop_2,  loop_3,  loop_4,  loop_5,  loop_6,  loop_7,
                                             loop_8, loop_9, loop_10, loop_11, loop_12, loop_13, loop_14, loop_15};
static loop_fn *const ramped[LIVE_ALL + 1] = {ramped_0,  ramped_1,  ramped_2,  ramped_3, ramped_4,  ramped_5,
                                              ramped_6,  ramped_7,  ramped_8,  ramped_9, ramped_10, ramped_11,
                                              ramped_12, ramped_13, ramped_14, ramped_15};

void ms20_render_rt(ms20_engine *e, const float *line_in, float *out, float *cv_out, int n)
{
    fp_mode mode = fp_mode_flush_denormals();
    /* Absent buffers read silence / write to scratch: a stride of 0 keeps the loop free of
     * tests on them. */
    static const float silence = 0.0f;
    float cv_scratch[2];
    const float *in = line_in ? line_in : &silence;
    int in_step = line_in ? 1 : 0;
    float *cv = cv_out ? cv_out : cv_scratch;
    int cv_step = cv_out ? 2 : 0;
    int i = 0;
    while (i < n) {
        /* Apply every event due now; find how far the next one lets us run. */
        int run = n - i, applied = 0;
        for (;;) {
            const ms20_event *ev = queue_peek_rt(&e->queue);
            if (!ev) break;
            if (ev->time > e->now) {
                int64_t wait = ev->time - e->now;
                run = wait < run ? (int)wait : run;
                break;
            }
            apply_event(e, ev);
            queue_pop_rt(&e->queue);
            applied = 1;
        }
        if (applied) ms20_choose_loop(e);
        /* While ramps run, a tick costs their step too (and a knob on its way to 0 still
         * passes its input); after, the loop is free of them. Each leaves out what the cables
         * and knobs make silent. */
        int ramp = ramps_left(e) < run ? ramps_left(e) : run;
        if (ramp) {
            enter_loop(e, e->ramp_skipped);
            ramped[e->ramp_skipped](e, in, in_step, &out[i], cv, cv_step, ramp);
            i += ramp, in += ramp * in_step, cv += ramp * cv_step;
        }
        if (run > ramp) {
            enter_loop(e, e->skipped);
            loops[e->skipped](e, in, in_step, &out[i], cv, cv_step, run - ramp);
            i += run - ramp, in += (run - ramp) * in_step, cv += (run - ramp) * cv_step;
        }
        e->now += run;
    }
    fp_mode_restore(mode);
}

int64_t ms20_time(const ms20_engine *e) { return e->now; }

float ms20_jack(const ms20_engine *e, int output)
{
    return (unsigned)output < MS20_OUTPUT_COUNT ? e->bay.jack[output] : 0.0f;
}

int ms20_route_of(const ms20_engine *e, int input)
{
    return (unsigned)input < MS20_INPUT_COUNT ? e->bay.routed[input] : -1;
}

void ms20_get_stats(const ms20_engine *e, ms20_stats *stats)
{
    stats->events_applied = e->stats.events_applied;
    stats->events_dropped = __atomic_load_n(&e->stats.events_dropped, __ATOMIC_RELAXED);
    stats->nonfinite_resets = e->stats.nonfinite_resets;
}

float ms20_sample_rate(const ms20_engine *e) { return e->fs; }
