/* ESP setup and its block-rate part (see esp.h): band-pass coefficients, the boxcar
 * decimation for the F-V, the peak-hold level detector behind ENV F and TRIG OUT, and
 * the hand-off to the F-V converter. Times in ms, levels in volts of AMP OUT peak.
 */
#include "esp.h"

#include <math.h>
#include <string.h>
#if defined(ESP_SSE)
#include <xmmintrin.h>
#elif defined(ESP_NEON)
#include <arm_neon.h>
#endif

#include "dsp/smoother.h"
#include "dsp/units.h"
#include "engine.h"

#define DECIMATED_HZ 6000.0f  /* the F-V's rate (an integer division of fs) */
#define CONTROL_DIVIDER 2     /* level, trigger and outputs run at half that (block_scan: 2) */
#define C4_HZ 261.6255653f    /* 1 V of Hz/V */
#define ENV_FULL_SCALE_V 0.93416f /* AMP OUT peak for a 1 V peak (full-scale LINE IN) at unity
                                   * gain: reads ENV_MAX_V; hotter signals stay at it */
#define ENV_SMOOTH_MS 1.0f    /* rounds the instant attack; sets most of the attack time */
#define FV_SMOOTH_MS 2.0f     /* glides between the F-V's 4 ms estimates */
#define LEVEL_HOLD_MS 30.0f   /* longer than the period of the lowest note (38 Hz): no ripple */
#define LEVEL_DROOP_MS 1000.0f /* slow fall during the hold, so a decaying note still updates */
#define LEVEL_RELEASE_MS 10.0f
#define TRIG_HYSTERESIS 0.5f  /* off again below half the threshold (-6 dB) */
#define TRIG_MIN_ON_MS 10.0f
#define TRIG_HOLDOFF_MS 20.0f /* after going off, no new trigger for this long */
#define RETRIG_RATIO 2.0f     /* +6 dB over the loudest of the last RETRIG_WINDOW_MS is a new attack */
#define RETRIG_WINDOW_MS 40.0f /* the hold and a low E's period: a held level that released
                                * between two peaks of one low note is not a new attack */
#define RETRIG_GAP_MS 2.0f    /* the retrigger releases TRIG OUT this long */
#define RETRIG_HOLDOFF_MS 50.0f /* no re-attack sooner than this after a trigger */
#define TRIG_OFF_V 5.0f
#define PITCH_TRIG_SEMI 0.8f  /* a jump this big is a new note (a semitone, less vibrato's share) */
#define GLIDE_TRIG_SEMI 0.9f  /* ... and so is a glide that settles this far from the last note */
#define PITCH_SMOOTH_MS 20.0f /* the glide detector's average: vibrato at 5 Hz moves it +-70 % */
#define SUSTAINED_RATIO 0.7f  /* pitch triggers only while the level holds within 3 dB of its
                               * peak over RETRIG_WINDOW_MS: not on a decaying kick's pitch */
#define LANDED_SEMI 0.3f      /* a glide has landed when the estimate is this near its average */
#define PITCH_REANCHOR_MS 80.0f /* after any trigger the new note's pitch is learnt, not fired on */
#define TWO_POLE_CORNER 0.643594f /* sqrt(sqrt(2) - 1) */
#define ENV_MAX_V 5.0f
#define PART_MS_EST 4.0f      /* the F-V's estimate interval (esp_pitch.c PART_MS) */

static int ms_to_ticks(float ms, float rate_hz)
{
    int n = (int)(ms * 0.001f * rate_hz + 0.5f);
    return n < 1 ? 1 : n;
}

void esp_reset(esp_state *s)
{
    s->hp1 = s->hp2 = s->lp1 = s->lp2 = 0.0f;
    s->fill = 0;
    s->prev_sum = s->prev_ramp = 0.0f;
    memset(s->bp_buf, 0, sizeof s->bp_buf);
    memset(s->amp_buf, 0, sizeof s->amp_buf);
    s->env_v = 0.0f;
    s->level = 0.0f;
    s->hold = 0;
    s->trig_on = 0;
    s->trig_count = 0;
    s->gap = 0;
    s->since_fire = s->retrig_holdoff_ticks;
    s->trig_v = TRIG_OFF_V;
    memset(s->snapshot, 0, sizeof s->snapshot);
    s->snapshot_max = 0.0f;
    s->snapshot_index = s->snapshot_phase = 0;
    esp_pitch_reset(&s->pitch);
    esp_tacho_reset(&s->tacho);
    s->st_last = s->st_smooth = s->st_anchor = 0.0f;
    s->notes_seen = s->pitch.notes;
    s->seen_part = s->pitch.part;
    s->anchor_hold = 0;
    s->recent_peak = 0.0f;
    s->fv_hzv = s->fv_v = s->pitch.hz * (1.0f / C4_HZ);
}

void esp_resume(esp_state *s)
{
    float fv_v = s->fv_v, fv_hzv = s->fv_hzv, hz = s->pitch.hz;
    esp_reset(s);
    s->fv_v = fv_v;
    s->fv_hzv = fv_hzv;
    s->pitch.hz = hz;
}

void esp_init(esp_state *s, float fs_hz)
{
    memset(s, 0, sizeof *s);
    s->fs_hz = fs_hz;
    int dec = (int)(fs_hz / DECIMATED_HZ + 0.5f);
    dec = dec < 1 ? 1 : dec;
    s->decimation = dec > ESP_BLOCK_CAP / CONTROL_DIVIDER ? ESP_BLOCK_CAP / CONTROL_DIVIDER : dec;
    s->block = (size_t)(s->decimation * CONTROL_DIVIDER);
    s->inv_decimation = 1.0f / (float)s->decimation;
    s->inv_dec_sq = s->inv_decimation * s->inv_decimation;
    float fs_dec = fs_hz * s->inv_decimation;
    float fs_ctl = fs_dec * (1.0f / CONTROL_DIVIDER);

    s->env_coef = smoother_coef(ENV_SMOOTH_MS, fs_ctl);
    s->fv_coef = smoother_coef(FV_SMOOTH_MS, fs_ctl);
    s->hold_ticks = ms_to_ticks(LEVEL_HOLD_MS, fs_ctl);
    s->hold_droop = expf(-1000.0f / (LEVEL_DROOP_MS * fs_ctl));
    s->release_decay = expf(-1000.0f / (LEVEL_RELEASE_MS * fs_ctl));
    s->min_on_ticks = ms_to_ticks(TRIG_MIN_ON_MS, fs_ctl);
    s->holdoff_ticks = ms_to_ticks(TRIG_HOLDOFF_MS, fs_ctl);
    s->gap_ticks = ms_to_ticks(RETRIG_GAP_MS, fs_ctl);
    s->retrig_holdoff_ticks = ms_to_ticks(RETRIG_HOLDOFF_MS, fs_ctl);
    s->snapshot_every = ms_to_ticks(RETRIG_WINDOW_MS / ESP_LEVEL_SNAPSHOTS, fs_ctl);

    esp_pitch_init(&s->pitch, fs_dec);
    esp_tacho_init(&s->tacho, fs_dec);
    s->st_coef = 1.0f - expf(-PART_MS_EST / PITCH_SMOOTH_MS);
    s->anchor_hold_ticks = ms_to_ticks(PITCH_REANCHOR_MS, fs_ctl);
    s->fv_character = ESP_FV_ACCURATE;
    s->pitch_triggers = 1;
    esp_set_band(s, 20.0f, 20000.0f);
    esp_reset(s);
}

/* One-pole low-pass (impulse invariant) with its pole at f_hz: the feedback exp(-w) that
 * a high-pass keeps, and the coefficient 1 - exp(-w) of the low-pass update. */
static float one_pole_keep(float f_hz, float fs_hz) { return onepole_pole_hz(clampf(f_hz, 1.0f, fs_hz), fs_hz); }

/* Two equal poles are 3 dB down where each is 1.5 dB down: at sqrt(sqrt(2) - 1) = 0.644
 * of the pole frequency for the low-pass, 1 / 0.644 of it for the high-pass. */
void esp_set_band(esp_state *s, float low_cut_hz, float high_cut_hz)
{
    s->hp_keep = one_pole_keep(low_cut_hz * TWO_POLE_CORNER, s->fs_hz);
    s->lp_keep = one_pole_keep(high_cut_hz / TWO_POLE_CORNER, s->fs_hz);
    s->lp_coef = 1.0f - s->lp_keep;
}

void esp_set_fv(esp_state *s, int character, int pitch_triggers)
{
    character = character == ESP_FV_VINTAGE ? ESP_FV_VINTAGE : ESP_FV_ACCURATE;
    if (character == ESP_FV_VINTAGE && s->fv_character != ESP_FV_VINTAGE)
        s->tacho.lp1 = s->tacho.lp2 = s->pitch.hz; /* starts from the pitch it takes over */
    s->fv_character = character;
    s->pitch_triggers = pitch_triggers != 0;
}

void esp_apply_setting(esp_state *s, int setting, float value)
{
    int on = isfinite(value) && value >= 0.5f;
    if (setting == MS20_SET_ESP_FV_CHARACTER) esp_set_fv(s, on ? ESP_FV_VINTAGE : ESP_FV_ACCURATE, s->pitch_triggers);
    if (setting == MS20_SET_ESP_PITCH_TRIGGERS) esp_set_fv(s, s->fv_character, on);
}

/* Whether the F-V's newest estimate is a new legato note: a jump (the tracker confirmed a
 * pitch away from the held one) of PITCH_TRIG_SEMI or more, or a glide that has landed
 * GLIDE_TRIG_SEMI from the last note. For PITCH_REANCHOR_MS after any trigger the note's
 * pitch is learnt instead (a pluck's pitch settles after its attack fired). */
static int pitch_changed(esp_state *s)
{
    if (s->pitch.part == s->seen_part) return 0;
    s->seen_part = s->pitch.part;
    float st = 12.0f * log2f(s->pitch.hz * (1.0f / C4_HZ));
    int jumped = s->pitch.notes != s->notes_seen && fabsf(st - s->st_last) >= PITCH_TRIG_SEMI;
    s->notes_seen = s->pitch.notes;
    s->st_last = st;
    if (jumped) s->st_smooth = st;
    s->st_smooth += s->st_coef * (st - s->st_smooth);
    if (s->anchor_hold > 0 || !s->trig_on) {
        s->st_anchor = s->st_smooth;
        return 0;
    }
    /* A glide fires once it has landed, and only while the level holds: a decaying kick's
     * falling pitch is a glide too. A jump fires whatever the level does (a vowel's
     * level moves with its pitch). */
    int landed = fabsf(st - s->st_smooth) < LANDED_SEMI && s->level >= SUSTAINED_RATIO * s->recent_peak;
    if (jumped || (landed && fabsf(s->st_smooth - s->st_anchor) >= GLIDE_TRIG_SEMI)) {
        s->st_anchor = s->st_smooth;
        return 1;
    }
    return 0;
}

/* Comparator with hysteresis and minimum times; while on, a sudden jump of the level
 * (a new attack over a still-ringing note) releases the trigger for RETRIG_GAP_MS so
 * the envelopes fire again. */
static void trigger_tick(esp_state *s, float threshold_v, int new_pitch)
{
    float thr = clampf(threshold_v, 1e-4f, 100.0f);
    float before = s->snapshot_max; /* the loudest over ~RETRIG_WINDOW_MS */
    if (++s->snapshot_phase >= s->snapshot_every) {
        s->snapshot_phase = 0;
        s->snapshot[s->snapshot_index] = s->level;
        s->snapshot_index = (s->snapshot_index + 1) & (ESP_LEVEL_SNAPSHOTS - 1);
        float m = s->snapshot[0];
        for (int i = 1; i < ESP_LEVEL_SNAPSHOTS; ++i) m = maxf(m, s->snapshot[i]);
        s->snapshot_max = m;
    }
    s->since_fire += s->since_fire < s->retrig_holdoff_ticks;

    if (s->gap > 0) {
        if (--s->gap == 0) {
            s->trig_on = 1;
            s->trig_count = s->min_on_ticks;
            s->since_fire = 0;
        }
    } else if (s->trig_count > 0) {
        s->trig_count--;
    } else if (!s->trig_on) {
        if (s->level > thr) {
            s->trig_on = 1;
            s->trig_count = s->min_on_ticks;
            s->since_fire = 0;
        }
    } else if (s->level < thr * TRIG_HYSTERESIS) {
        s->trig_on = 0;
        s->trig_count = s->holdoff_ticks;
    } else if (s->since_fire >= s->retrig_holdoff_ticks && (s->level > RETRIG_RATIO * before || new_pitch)) {
        s->trig_on = 0;
        s->gap = s->gap_ticks;
    }
    if (s->since_fire == 0) s->anchor_hold = s->anchor_hold_ticks; /* fired: learn the new pitch */
    s->recent_peak = before;
    s->anchor_hold -= s->anchor_hold > 0;
    s->trig_v = s->trig_on ? 0.0f : TRIG_OFF_V;
}

/* The block's two sub-blocks of dec samples: each one's plain sum S = x[0] + ... + x[dec-1]
 * and ramp sum R = 0 x[0] + 1 x[1] + ... + (dec-1) x[dec-1] (for the triangular decimator,
 * see esp_block_tick), and the block's peak |amp|. Four lanes at a time when dec is a
 * multiple of 4 (44.1 kHz has 7: the scalar loop). */
static void block_scan(const float *x, const float *amp, int dec, float sums[2], float ramps[2], float *peak)
{
#if defined(ESP_SSE)
    if ((dec & 3) == 0) {
        const __m128 sign = _mm_set1_ps(-0.0f), four = _mm_set1_ps(4.0f);
        __m128 w = _mm_setr_ps(0.0f, 1.0f, 2.0f, 3.0f);
        __m128 a0 = _mm_loadu_ps(x), a1 = _mm_loadu_ps(x + dec);
        __m128 s0 = a0, s1 = a1, r0 = _mm_mul_ps(a0, w), r1 = _mm_mul_ps(a1, w);
        __m128 pk = _mm_max_ps(_mm_andnot_ps(sign, _mm_loadu_ps(amp)), _mm_andnot_ps(sign, _mm_loadu_ps(amp + dec)));
        for (int i = 4; i < dec; i += 4) {
            w = _mm_add_ps(w, four);
            a0 = _mm_loadu_ps(x + i);
            a1 = _mm_loadu_ps(x + dec + i);
            s0 = _mm_add_ps(s0, a0);
            s1 = _mm_add_ps(s1, a1);
            r0 = _mm_add_ps(r0, _mm_mul_ps(a0, w));
            r1 = _mm_add_ps(r1, _mm_mul_ps(a1, w));
            pk = _mm_max_ps(pk, _mm_andnot_ps(sign, _mm_loadu_ps(amp + i)));
            pk = _mm_max_ps(pk, _mm_andnot_ps(sign, _mm_loadu_ps(amp + dec + i)));
        }
        /* (s0: a b c d, s1: e f g h) -> (a+c, b+d, e+g, f+h) -> lanes 0, 2: the two sums */
        __m128 t = _mm_add_ps(_mm_movelh_ps(s0, s1), _mm_movehl_ps(s1, s0));
        t = _mm_add_ps(t, _mm_shuffle_ps(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
        sums[0] = _mm_cvtss_f32(t);
        sums[1] = _mm_cvtss_f32(_mm_movehl_ps(t, t));
        __m128 u = _mm_add_ps(_mm_movelh_ps(r0, r1), _mm_movehl_ps(r1, r0));
        u = _mm_add_ps(u, _mm_shuffle_ps(u, u, _MM_SHUFFLE(2, 3, 0, 1)));
        ramps[0] = _mm_cvtss_f32(u);
        ramps[1] = _mm_cvtss_f32(_mm_movehl_ps(u, u));
        pk = _mm_max_ps(pk, _mm_movehl_ps(pk, pk));
        *peak = _mm_cvtss_f32(_mm_max_ss(pk, _mm_shuffle_ps(pk, pk, 1)));
        return;
    }
#elif defined(ESP_NEON)
    if ((dec & 3) == 0) {
        const float32x4_t four = vdupq_n_f32(4.0f);
        const float w_init[4] = {0.0f, 1.0f, 2.0f, 3.0f};
        float32x4_t w = vld1q_f32(w_init);
        float32x4_t a0 = vld1q_f32(x), a1 = vld1q_f32(x + dec);
        float32x4_t s0 = a0, s1 = a1, r0 = vmulq_f32(a0, w), r1 = vmulq_f32(a1, w);
        float32x4_t pk = vmaxq_f32(vabsq_f32(vld1q_f32(amp)), vabsq_f32(vld1q_f32(amp + dec)));
        for (int i = 4; i < dec; i += 4) {
            w = vaddq_f32(w, four);
            a0 = vld1q_f32(x + i);
            a1 = vld1q_f32(x + dec + i);
            s0 = vaddq_f32(s0, a0);
            s1 = vaddq_f32(s1, a1);
            r0 = vmlaq_f32(r0, a0, w);
            r1 = vmlaq_f32(r1, a1, w);
            pk = vmaxq_f32(pk, vabsq_f32(vld1q_f32(amp + i)));
            pk = vmaxq_f32(pk, vabsq_f32(vld1q_f32(amp + dec + i)));
        }
        float32x4_t t = vpaddq_f32(s0, s1), u = vpaddq_f32(r0, r1); /* a+b, c+d, e+f, g+h */
        sums[0] = vgetq_lane_f32(t, 0) + vgetq_lane_f32(t, 1);
        sums[1] = vgetq_lane_f32(t, 2) + vgetq_lane_f32(t, 3);
        ramps[0] = vgetq_lane_f32(u, 0) + vgetq_lane_f32(u, 1);
        ramps[1] = vgetq_lane_f32(u, 2) + vgetq_lane_f32(u, 3);
        *peak = vmaxvq_f32(pk);
        return;
    }
#endif
    float s0 = 0.0f, s1 = 0.0f, r0 = 0.0f, r1 = 0.0f, pk = 0.0f;
    for (int i = 0; i < dec; ++i) {
        s0 += x[i];
        s1 += x[dec + i];
        r0 += (float)i * x[i];
        r1 += (float)i * x[dec + i];
        pk = maxf(fabsf(amp[i]), pk);
        pk = maxf(fabsf(amp[dec + i]), pk);
    }
    sums[0] = s0;
    sums[1] = s1;
    ramps[0] = r0;
    ramps[1] = r1;
    *peak = pk;
}

void esp_block_tick(esp_state *s, float threshold_v, float cv_adjust)
{
    float sums[CONTROL_DIVIDER], ramps[CONTROL_DIVIDER], pk;
    s->fill = 0;
    block_scan(s->bp_buf, s->amp_buf, s->decimation, sums, ramps, &pk);
    /* Triangular decimation (a boxcar of a boxcar, 2 dec - 1 samples long, its peak at the
     * sub-blocks' boundary): the sub-block before weighs its samples i + 1, the current
     * one dec - 1 - i. Its nulls at the decimated rate's multiples are twice as deep as
     * one boxcar's, so a bright tone's harmonics near them do not alias onto a common
     * subharmonic the F-V would then read (a 1.6 kHz saw read 400 Hz). */
    const float dec_m1 = (float)(s->decimation - 1);
    float y0 = (s->prev_ramp + s->prev_sum) + (dec_m1 * sums[0] - ramps[0]);
    float y1 = (ramps[0] + sums[0]) + (dec_m1 * sums[1] - ramps[1]);
    s->prev_sum = sums[1];
    s->prev_ramp = ramps[1];
    float fv_target;
    int new_pitch = 0;
    if (s->fv_character == ESP_FV_VINTAGE) {
        esp_tacho_tick(&s->tacho, y0 * s->inv_dec_sq);
        fv_target = esp_tacho_tick(&s->tacho, y1 * s->inv_dec_sq) * (1.0f / C4_HZ);
    } else {
        esp_pitch_push2(&s->pitch, y0 * s->inv_dec_sq, y1 * s->inv_dec_sq);
        fv_target = s->pitch.hz * (1.0f / C4_HZ);
        /* A confirmed new note (not a glide or vibrato) steps the F-V: the glide is for
         * the 4 ms estimates, and an octave would take it 9 ms to cross. */
        if (s->pitch.notes != s->notes_seen) s->fv_hzv = fv_target;
        new_pitch = pitch_changed(s) && s->pitch_triggers;
    }

    /* Control rate (about 3 kHz): level, ENV F, TRIG OUT and the F-V glide. */
    if (pk >= s->level) {
        s->level = pk;
        s->hold = s->hold_ticks;
    } else if (s->hold > 0) {
        s->hold--;
        s->level *= s->hold_droop;
    } else {
        s->level *= s->release_decay;
    }
    float env = minf(maxf(s->level * (ENV_MAX_V / ENV_FULL_SCALE_V), 0.0f), ENV_MAX_V);
    s->env_v += s->env_coef * (env - s->env_v);
    trigger_tick(s, threshold_v, new_pitch);
    s->fv_hzv += s->fv_coef * (fv_target - s->fv_hzv);
    s->fv_v = s->fv_hzv * minf(maxf(cv_adjust, 0.0f), 4.0f);
}
