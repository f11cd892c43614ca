/* The External Signal Processor: preamp (SIGNAL LEVEL) -> AMP OUT -> band-pass (LOW CUT,
 * HIGH CUT: two poles each, 12 dB/oct, no resonance) -> BAND PASS OUT -> F-V converter
 * (esp_pitch) -> F-V CONV OUT; a peak-hold envelope follower -> ENV F OUT; a threshold
 * detector -> TRIG OUT. Inputs: volts, linear gain, cuts in Hz (-3 dB points), CV ADJUST
 * as a ratio, threshold in volts of AMP OUT peak. Outputs in volts: F-V as Hz/V
 * (1 V = C4 = 261.63 Hz), ENV 0..+5 V, TRIG an S-trigger (0 V while above threshold).
 */
#ifndef MS20_ESP_H
#define MS20_ESP_H

#include <math.h>
#include <stddef.h>

#include "dsp/fastmath.h"
#include "esp_pitch.h"
#include "esp_tacho.h"

#define ESP_AMP_CEILING_V 1.5f /* the preamp saturates smoothly to this */
#define ESP_LEVEL_SNAPSHOTS 8   /* level history for re-attack detection, one per 5 ms (a power of 2) */
#define ESP_BLOCK_CAP 64        /* samples per control tick: two decimated samples, 64 at 192 kHz */

/* SIMD paths: SSE on x86, NEON on 64-bit ARM; MS20_PORTABLE (for testing) forces plain C
 * (here and in dsp/fastmath.h). */
#if !defined(MS20_PORTABLE) && defined(__GNUC__) && defined(__SSE__)
#define ESP_SSE 1
#elif !defined(MS20_PORTABLE) && defined(__GNUC__) && defined(__aarch64__)
#define ESP_NEON 1
#endif


/* The F-V converter's character (esp_set_fv): the accurate tracker (esp_pitch) or the
 * original's tachometer (esp_tacho). */
enum { ESP_FV_ACCURATE = 0, ESP_FV_VINTAGE = 1 };

/* The outputs, in volts, in this order: the order of their jacks (engine.c checks it). */
enum { ESP_AMP, ESP_BAND_PASS, ESP_FV, ESP_ENV, ESP_TRIG, ESP_OUTPUTS };

typedef struct {
    float fs_hz;

    /* Band-pass: two one-pole high-passes (LOW CUT) and two one-pole low-passes
     * (HIGH CUT), i.e. critically damped: 12 dB/oct with no peak. A high-pass is the
     * input minus a one-pole low-pass: hp_keep = 1 - that low-pass's coefficient (and
     * lp_keep = 1 - lp_coef). The
     * states sit between read-only fields: four adjacent stores tempt GCC's SLP
     * vectoriser into shuffles that cost more than they save. */
    float hp1, hp_keep, hp2, lp_coef, lp1, lp_keep, lp2;
    float inv_decimation, inv_dec_sq;
    float prev_sum, prev_ramp; /* the last sub-block's sums, for the triangular decimator */

    /* Full-rate state: AMP OUT and BAND PASS OUT are kept for a block of two decimated
     * samples (about 3 kHz); then esp_block_tick finds the block's peak and the two
     * boxcar sums the F-V runs on (about 6 kHz), and updates level, trigger and outputs,
     * held in between. */
    size_t fill, block; /* unsigned and pointer-sized: no sign extension per sample */
    int decimation;
    float bp_buf[ESP_BLOCK_CAP], amp_buf[ESP_BLOCK_CAP];
    float env_v, fv_v, trig_v;         /* the outputs, volts */
    float env_coef, fv_coef;           /* per control tick */
    float fv_hzv;                      /* F-V before CV ADJUST, smoothed */

    /* Level detector (volts of AMP OUT peak): instant attack, hold, then release. */
    float level, hold_droop, release_decay;
    int hold, hold_ticks;

    /* Trigger: comparator with hysteresis and minimum on/off times, plus a short
     * release-and-retrigger when the level jumps (a new pluck over a ringing note). */
    int trig_on, trig_count, gap, since_fire;
    int min_on_ticks, holdoff_ticks, gap_ticks, retrig_holdoff_ticks;
    float snapshot[ESP_LEVEL_SNAPSHOTS], snapshot_max; /* the loudest of them, kept as they change */
    int snapshot_index, snapshot_phase, snapshot_every;

    /* Pitch-change triggers (accurate F-V only): a legato note a semitone or more from
     * the last is a new attack. Pitches in semitones from C4, updated once per F-V
     * estimate (`seen_part` tells a new one). */
    float st_last, st_smooth, st_anchor, st_coef;
    float recent_peak; /* the level's peak over the last RETRIG_WINDOW_MS (trigger_tick) */
    unsigned notes_seen;
    int seen_part, anchor_hold, anchor_hold_ticks;

    /* Settings (esp_set_fv), not state: reset keeps them. */
    int fv_character, pitch_triggers;

    esp_pitch_state pitch;
    esp_tacho_state tacho;
} esp_state;

void esp_init(esp_state *s, float fs_hz);
void esp_reset(esp_state *s);
/* After the engine skipped the ESP: drop what it heard before (the F-V would read a period
 * across the gap) but hold the F-V's note and voltage, as between notes, until it has heard
 * enough. */
void esp_resume(esp_state *s);
void esp_set_band(esp_state *s, float low_cut_hz, float high_cut_hz);
/* ESP_FV_ACCURATE or ESP_FV_VINTAGE; pitch_triggers 1: TRIG also fires on legato pitch
 * changes of a semitone or more (accurate F-V only). Both start as ACCURATE, 1. */
void esp_set_fv(esp_state *s, int character, int pitch_triggers);
/* An MS20_EV_SETTING event for the ESP (engine.h's ms20_setting); others are ignored. */
void esp_apply_setting(esp_state *s, int setting, float value);
/* The block's work: decimation, F-V, level, trigger and output smoothing. Called by esp_tick. */
void esp_block_tick(esp_state *s, float threshold_v, float cv_adjust);

/* F-V, ENV and TRIG: they move once per block, so esp_tick writes them only then. Call it
 * after esp_init or esp_reset to set the jacks they hold. */
static inline void esp_held_outputs(const esp_state *s, float out[ESP_OUTPUTS])
{
    out[ESP_FV] = s->fv_v;
    out[ESP_ENV] = s->env_v;
    out[ESP_TRIG] = s->trig_v;
}

static inline void esp_tick(esp_state *s, float in_v, float gain, float cv_adjust, float threshold_v,
                            float out[ESP_OUTPUTS])
{
    /* Preamp: gain, then a cubic soft clip x (1 - x^2 / (3 c^2)) for |x| <= c = 1.5
     * ESP_AMP_CEILING_V: unity slope at 0, flat at the ceiling. The clamp also turns a NaN
     * or infinite product into a finite value. The cubic's coefficient is rounded up a
     * hair (5e-7) so that float rounding never takes AMP OUT past the ceiling. */
    const float knee = 1.5f * ESP_AMP_CEILING_V;
    float x = minf(maxf(in_v * gain, -knee), knee);
    float amp = x * (1.0f - (x * x) * (1.0000005f / (3.0f * knee * knee)));

    /* High-pass: with the low-pass state z, the output is (x - z) * hp_keep and the new
     * state x - output. Twice; then two low-passes. */
    float h1 = s->hp_keep * (amp - s->hp1);
    s->hp1 = amp - h1;
    float h2 = s->hp_keep * (h1 - s->hp2);
    s->hp2 = h1 - h2;
    float lp1 = s->lp_coef * h2 + s->lp_keep * s->lp1;
    float lp2 = s->lp_coef * lp1 + s->lp_keep * s->lp2;
    s->lp1 = lp1;
    s->lp2 = lp2;
    float bp = lp2;

    size_t i = s->fill;
    s->bp_buf[i] = bp;
    s->amp_buf[i] = amp;
    s->fill = ++i;
    out[ESP_AMP] = amp;
    out[ESP_BAND_PASS] = bp;
    if (i >= s->block) {
        esp_block_tick(s, threshold_v, cv_adjust);
        esp_held_outputs(s, out);
    }
}

#endif
