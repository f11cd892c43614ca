/* Filter section: HPF into LPF at 4x (Korg35) or 2x (OTA) the engine rate (see vcf.h). */
#include "vcf.h"

#include <math.h>
#include <string.h>

#include "dsp/denormal.h"
#include "dsp/fastmath.h"
#include "vcf.probe.h"

#define VCF_IN_MAX_V 12.0f     /* beyond the mixer's reach: a bad input stays finite */
#define VCF_OUT_MAX_V 12.0f
#define VCF_FC_MIN 0.00002f    /* cycles per engine sample, as the engine clamps */
#define VCF_FC_MAX 0.45f
#define VCF_NOISE_V 1e-5f      /* -100 dBV of circuit noise near full PEAK */
/* The output coupling: C19 33u into the PEAK network (Korg35: 2.7 Hz at PEAK 0), C7 33u into
 * R29 + VR1 (OTA: 0.5 Hz), each with the next stage's input in parallel, which the study
 * does not draw; 5 Hz, as the VCA's own DC blocker, lets a step of DC settle in 0.3 s. */
#define VCF_COUPLING_HZ 5.0f

/* A (cutoff, PEAK) pair as one 64-bit word, PEAK in the high half (little-endian: x86-64,
 * aarch64): two compares per sample find whether anything moved. Bit equality, so a NaN
 * that repeats is not a change (its coefficients were made from the clamped value). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vcf.c reads PEAK from the high half of a (cutoff, PEAK) word: little-endian only"
#endif
static inline uint64_t pair_bits(float fc, float k)
{
    typedef float v2f __attribute__((vector_size(8)));
    v2f p = {fc, k};
    uint64_t u;
    memcpy(&u, &p, sizeof u);
    return u;
}

/* The seed noise only matters where a PEAK can whistle: it fades in over the top third of
 * the pot's travel (both revisions whistle from 0.74 (Korg35) or 0.91 (OTA) of it) and is
 * off below, so the usual settings skip the noise generator altogether; the fade keeps
 * its level continuous as PEAK moves. Volts per LCG step. */
static inline float noise_weight(float peak)
{
    return (VCF_NOISE_V / 2147483648.0f) * clampf(3.0f * (peak - 0.6f), 0.0f, 1.0f);
}

static inline void set_noise(vcf_state *s)
{
    s->noise_gain = s->hp_noise + s->lp_noise;
    s->noise_on = s->noise_gain != 0.0f;
}

/* New coefficients for a filter whose (cutoff, PEAK) moved, for the revision playing (and
 * the other during a crossfade). Inline: under an envelope the cutoff moves every sample,
 * and knob smoothing moves PEAK every sample for a while. The cutoffs in cycles per sample
 * of each revision's oversampled rate. */
static inline void retune_hp(vcf_state *s, float fc, float peak, uint64_t in)
{
    int both = s->fade_left != 0;
    if ((in ^ s->hp_in) >> 32) { /* PEAK, the high word, moved */
        peak = clampf(peak, 0.0f, 1.0f);
        if (both || s->rev == VCF_KORG35) korg35_set_feedback(&s->k35c, HPF_LANE, peak);
        if (both || s->rev == VCF_OTA) {
            float k_div = ota_peak_divider(peak);
            ota_set_feedback(&s->otac, HPF_LANE, k_div);
            if (k_div == 0.0f) ota_rest_lane(&s->ota, HPF_LANE); /* the second stage alone */
        }
        s->hp_noise = noise_weight(peak);
        set_noise(s);
    }
    s->hp_in = in;
    fc = clampf(fc, s->fc_min, s->fc_max);
    if (both || s->rev == VCF_KORG35) {
        korg35_set(&s->k35c, HPF_LANE, fc * (1.0f / VCF_K35_OS));
        korg35_set_hp_foot(&s->k35c, HPF_LANE, fc * (1.0f / VCF_K35_OS));
    }
    if (both || s->rev == VCF_OTA) {
        ota_set(&s->otac, HPF_LANE, fc);
        ota_set_hp_foot(&s->otac, HPF_LANE, fc);
    }
}

static inline void retune_lp(vcf_state *s, float fc, float peak, uint64_t in)
{
    int both = s->fade_left != 0;
    if ((in ^ s->lp_in) >> 32) {
        peak = clampf(peak, 0.0f, 1.0f);
        if (both || s->rev == VCF_KORG35) korg35_set_feedback(&s->k35c, LPF_LANE, peak);
        if (both || s->rev == VCF_OTA) ota_set_feedback(&s->otac, LPF_LANE, ota_peak_divider(peak));
        s->lp_noise = noise_weight(peak);
        set_noise(s);
    }
    s->lp_in = in;
    fc = clampf(fc, s->fc_min, s->fc_max);
    /* one revision's or, in a crossfade, both (rev is one of the two: vcf_set_revision) */
    if (!both && s->rev == VCF_OTA) {
        ota_set(&s->otac, LPF_LANE, fc);
    } else {
        korg35_set(&s->k35c, LPF_LANE, fc * (1.0f / VCF_K35_OS));
        if (both) ota_set(&s->otac, LPF_LANE, fc);
    }
}

static inline void reset_korg35(vcf_state *s)
{
    static const halfband_inner_state zero;
    korg35_reset_lane(&s->k35, HPF_LANE);
    korg35_reset_lane(&s->k35, LPF_LANE);
    s->k35_y = v4_splat(0.0f);
    s->k35_up = s->k35_down = zero; /* they stand still while the OTA board plays */
}

static inline void reset_ota(vcf_state *s)
{
    ota_reset_lane(&s->ota, HPF_LANE);
    ota_reset_lane(&s->ota, LPF_LANE);
    s->ota_y = v4_splat(0.0f);
}

void vcf_reset(vcf_state *s)
{
    upsampler2 up = {{{0.0f}}};
    downsampler2 down = {{{0.0f}}};
    s->up = up;
    s->down = down;
    reset_korg35(s);
    reset_ota(s);
    s->fade_left = 0;
    s->dc_x = s->dc_y = 0.0f;
    cvft_reset(&s->ft);
}

void vcf_init(vcf_state *s, float fs_hz)
{
    static const vcf_state zero;
    *s = zero;
    cvft_init(&s->ft, fs_hz, OTA_LEAK_RAD_S);
    /* the Korg35's and the OTA board's fixed corners at each one's oversampled rate */
    korg35_set_rate(&s->k35c, HPF_LANE, VCF_K35_OS * fs_hz);
    korg35_set_rate(&s->k35c, LPF_LANE, VCF_K35_OS * fs_hz);
    ota_set_rate(&s->otac, HPF_LANE, fs_hz, VCF_OTA_OS);
    ota_set_rate(&s->otac, LPF_LANE, fs_hz, VCF_OTA_OS);
    s->fade_step = 1.0f / (2.0f * VCF_FADE_MS * 0.001f * fs_hz); /* the fade runs at 2x */
    s->dc_coef = 1.0f - 2.0f * MS20_PI * VCF_COUPLING_HZ / fs_hz;
    s->fc_min = VCF_FC_MIN;
    s->fc_max = VCF_FC_MAX;
    s->rev = VCF_KORG35;
    s->fade_left = 1; /* both revisions' coefficients, once */
    s->hp_in = s->lp_in = ~(uint64_t)0; /* nothing set yet: the retunes set everything */
    retune_hp(s, 0.0f, 0.0f, pair_bits(0.0f, 0.0f));
    retune_lp(s, 0.0f, 0.0f, pair_bits(0.0f, 0.0f));
    s->fade_left = 0;
    s->seed = 0x9e3779b9u;
}

void vcf_set_revision(vcf_state *s, int rev)
{
    rev = rev == VCF_OTA ? VCF_OTA : VCF_KORG35;
    if (rev == s->rev) return;
    /* the new revision starts from rest and fades in over the old one */
    if (rev == VCF_OTA) {
        reset_ota(s);
    } else {
        reset_korg35(s);
    }
    s->rev = rev;
    if (!s->ft.fresh) { /* the new revision's DC: no thump */
        cvft_rest(&s->ft, rev == VCF_OTA);
        if (rev == VCF_OTA) cvft_ota_set_dc(&s->ft, &s->otac, s->ft.inv);
    }
    s->fade_left = (int)(1.0f / s->fade_step);
    s->hp_in = s->lp_in = ~(uint64_t)0; /* both revisions' coefficients at the next sample */
}

/* The input with the seed noise, and its two oversampled steps. */
static inline void vcf_input(vcf_state *s, float in_v, float *x0, float *x1)
{
    float x = clampf(in_v, -VCF_IN_MAX_V, VCF_IN_MAX_V); /* NaN: -12 V */
    /* The seed noise scales with PEAK (noise_weight): none at low PEAK, where digital
     * silence must stay silent, and enough near full PEAK to start the whistle. */
    if (s->noise_on) {
        s->seed = s->seed * 1664525u + 1013904223u;
        x += (float)(int32_t)s->seed * s->noise_gain;
    }
    upsampler2_tick(&s->up, x, x0, x1);
}

/* The feedthrough's update (dsp/cv_feedthrough.h) at the cutoffs as given last (the low
 * halves of hp_in, lp_in), clamped as the retunes do, or its end. Not inlined: it runs one
 * sample in CVFT_DECIM, and none once the cutoffs hold still. */
__attribute__((noinline)) static void ft_update(vcf_state *s)
{
    float hp, lp;
    memcpy(&hp, &s->hp_in, sizeof hp);
    memcpy(&lp, &s->lp_in, sizeof lp);
    v4f fc = v4_splat(clampf(hp, VCF_FC_MIN, VCF_FC_MAX));
    fc[LPF_LANE] = clampf(lp, VCF_FC_MIN, VCF_FC_MAX);
    int ota = s->rev == VCF_OTA;
    if (s->ft.left-- > 0) {
        cvft_update(&s->ft, ota, fc, cvft_damping(ota, &s->k35c, &s->otac));
        if (ota) cvft_ota_set_dc(&s->ft, &s->otac, s->ft.inv); /* its 2nd harmonic (ota_core.h) */
        s->ft.phase = CVFT_DECIM;
    } else { /* settled: nothing more is added */
        s->ft.slope = 0.0f;
        s->ft.left = 0;
        s->ft.phase = CVFT_IDLE;
    }
}

static inline float vcf_output(vcf_state *s, float y0, float y1)
{
    float y = downsampler2_tick(&s->down, y0, y1);
    if (--s->ft.phase <= 0) ft_update(s); /* a cutoff moved: its feedthrough's update */
    /* Both circuits couple their output through 33 uF: the DC that the Korg35's lopsided
     * transistors make from a loud signal (its 2nd harmonic's twin) never reaches the VCA,
     * where EG-2 would turn it into a thump. */
    float hp = y - s->dc_x + s->dc_coef * s->dc_y + s->ft.slope; /* + the feedthrough's step */
    s->dc_x = y;
    s->dc_y = hp;
    return clampf(hp, -VCF_OUT_MAX_V, VCF_OUT_MAX_V);
}

/* The Korg35 cores over one oversampled step with lane inputs x_lp (at Q2) and x_hp (at C13's
 * foot, with c->foot x_hp at C12's foot: korg35_set_hp_foot); returns each lane's output. */
__attribute__((always_inline)) static inline v4f korg35_lanes_step(korg35_lanes *k, const korg35_lane_coefs *c,
                                                                   v4f x_lp, v4f x_hp)
{
    return korg35_step(k, c, diode_gain_korg35, x_lp, x_hp, c->foot * x_hp);
}

/* x in lane `lane`, 0 in the others. */
static inline v4f in_lane(int lane, float x)
{
    v4f v = v4_splat(0.0f);
    v[lane] = x;
    return v;
}

/* The cores' inputs as vectors without moving scalars into lanes: x into the HPF's lane
 * times k (the others 0), and the HPF's output in y (the cores' last outputs) into the LPF's
 * lane times k. A broadcast and a multiply each. */
static inline v4f to_hpf(float x, float k) { return v4_splat(x) * in_lane(HPF_LANE, k); }

static inline v4f hpf_to_lpf(v4f y, float k)
{
    return __builtin_shuffle(y, (v4i){HPF_LANE, HPF_LANE, HPF_LANE, HPF_LANE}) * in_lane(LPF_LANE, k);
}

/* One revision's pair over one oversampled step: the HPF takes x while the LPF takes the
 * HPF's output of the step before (in *y, the cores' last outputs), both in one step of the
 * cores (a delay of one oversampled step, 5 us at 48 kHz for the Korg35, 10 us for the OTA
 * board, for a third less work). */
__attribute__((always_inline)) static inline float pair_korg35_in(korg35_lanes *k, const korg35_lane_coefs *c,
                                                                  v4f *y, float x)
{
    *y = korg35_lanes_step(k, c, hpf_to_lpf(*y, K35_ATTEN * VCF_K35_OS * HPF_K35_OUT), to_hpf(x, K35_ATTEN));
    return LPF_K35_OUT * (*y)[LPF_LANE];
}

__attribute__((always_inline)) static inline float pair_ota_in(ota_lanes *k, const ota_lane_coefs *c, v4f *y,
                                                               float x)
{
    *y = ota_step(k, c, diode_gain_ota, hpf_to_lpf(*y, VCF_OTA_OS * HPF_OTA_OUT), to_hpf(x, 1.0f));
    return LPF_OTA_OUT * (*y)[LPF_LANE];
}

/* The Korg35 pair over one 2x step: into the second stage, two steps of the cores at 4x,
 * and back (the LPF's output at a quarter scale: both decimators' 1/2). */
__attribute__((always_inline)) static inline float pair_korg35_4x(vcf_state *s, korg35_lanes *k, v4f *y, float x)
{
    float u0, u1;
    upsampler2_inner_tick(&s->k35_up, x, &u0, &u1);
    float a = pair_korg35_in(k, &s->k35c, y, u0);
    float b = pair_korg35_in(k, &s->k35c, y, u1);
    return downsampler2_inner_tick(&s->k35_down, a, b);
}

static inline float pair_korg35(vcf_state *s, float x) { return pair_korg35_4x(s, &s->k35, &s->k35_y, x); }
static inline float pair_ota(vcf_state *s, float x) { return pair_ota_in(&s->ota, &s->otac, &s->ota_y, x); }

/* Both 2x steps (the Korg35's four 4x steps) with the cores' state in locals, so that it
 * stays in registers between them rather than going through memory. The Korg35's not
 * inlined: its registers' saving then stays out of vcf_tick's and vcf_retune's frames, which
 * the OTA board's path shares (-10 a sample on either revision, aarch64). */
__attribute__((noinline)) static void pair_korg35_2(vcf_state *s, float x0, float x1, float *y0, float *y1)
{
    korg35_lanes k = s->k35;
    v4f y = s->k35_y;
    *y0 = pair_korg35_4x(s, &k, &y, x0);
    *y1 = pair_korg35_4x(s, &k, &y, x1);
    s->k35 = k;
    s->k35_y = y;
}

__attribute__((always_inline)) static inline void pair_ota_2(vcf_state *s, float x0, float x1, float *y0, float *y1)
{
    ota_lanes k = s->ota;
    v4f y = s->ota_y;
    *y0 = pair_ota_in(&k, &s->otac, &y, x0);
    *y1 = pair_ota_in(&k, &s->otac, &y, x1);
    s->ota = k;
    s->ota_y = y;
}

/* The per-sample work once the coefficients are current. The revision is a branch the
 * predictor never misses (it changes only on a setting). */
__attribute__((always_inline)) static inline float vcf_run(vcf_state *s, float in_v)
{
    float x0, x1;
    vcf_input(s, in_v, &x0, &x1);
    float y0, y1;
    if (__builtin_expect(s->fade_left != 0, 0)) {
        /* crossfade: the new revision's share rises linearly over VCF_FADE_MS */
        float t0 = 1.0f - (float)s->fade_left * s->fade_step;
        float t1 = t0 + s->fade_step;
        float k0 = pair_korg35(s, x0), o0 = pair_ota(s, x0);
        float k1 = pair_korg35(s, x1), o1 = pair_ota(s, x1);
        if (s->rev == VCF_OTA) {
            y0 = k0 + t0 * (o0 - k0);
            y1 = k1 + t1 * (o1 - k1);
        } else {
            y0 = o0 + t0 * (k0 - o0);
            y1 = o1 + t1 * (k1 - o1);
        }
        s->fade_left = s->fade_left > 2 ? s->fade_left - 2 : 0;
    } else if (s->rev == VCF_OTA) {
        pair_ota_2(s, x0, x1, &y0, &y1);
    } else {
        pair_korg35_2(s, x0, x1, &y0, &y1);
    }
    return vcf_output(s, y0, y1);
}

/* Compiler barrier: the coefficients just stored are read back from memory where they are
 * used, rather than held in registers from the retune on (and spilled). */
#define VCF_RELOAD() __asm__ volatile("" ::: "memory")

/* Something moved: new coefficients, then the sample. A function of its own, reached by a
 * jump, so that the path where nothing moved makes no call and needs no stack frame. */
__attribute__((noinline)) static float vcf_retune(vcf_state *s, float in_v, float hp_fc, float hp_peak, float lp_fc,
                                                  float lp_peak, uint64_t hp_in, uint64_t lp_in)
{
    if (hp_in != s->hp_in) retune_hp(s, hp_fc, hp_peak, hp_in);
    if (lp_in != s->lp_in) retune_lp(s, lp_fc, lp_peak, lp_in);
    cvft_moved(&s->ft);
    VCF_RELOAD();
    return vcf_run(s, in_v);
}

__attribute__((noinline)) float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_peak, float lp_fc,
                                         float lp_peak)
{
    /* Coefficients once per engine sample at most, shared by both oversampled steps, and
     * only when something moved. */
    uint64_t hp_in = pair_bits(hp_fc, hp_peak), lp_in = pair_bits(lp_fc, lp_peak);
    if (hp_in != s->hp_in || lp_in != s->lp_in) return vcf_retune(s, in_v, hp_fc, hp_peak, lp_fc, lp_peak, hp_in, lp_in);
    return vcf_run(s, in_v);
}

/* Test probes (vcf.probe.h): the section alone on a fresh state, per-sample parameters, in
 * the engine's floating-point mode. */
void vcf_probe_render(float fs, int rev, int switch_at, const float *in, const float *hp_fc, const float *hp_peak,
                      const float *lp_fc, const float *lp_peak, float *out, int n)
{
    fp_mode mode = fp_mode_flush_denormals(); /* as the engine runs it */
    vcf_state s;
    vcf_init(&s, fs);
    vcf_set_revision(&s, rev);
    s.fade_left = 0; /* a fresh section starts in its revision */
    for (int i = 0; i < n; ++i) {
        if (i == switch_at) vcf_set_revision(&s, 1 - s.rev);
        out[i] = vcf_tick(&s, in[i], hp_fc[i], hp_peak[i], lp_fc[i], lp_peak[i]);
    }
    fp_mode_restore(mode);
}

/* One Korg35 filter alone over one 2x step (at 4x inside): its lane's input, the other's 0. */
static float probe_korg35(vcf_state *s, int lowpass, float x)
{
    float u[2], y[2];
    upsampler2_inner_tick(&s->k35_up, K35_ATTEN * x, &u[0], &u[1]);
    v4f z = v4_splat(0.0f);
    for (int j = 0; j < 2; ++j) {
        if (lowpass) y[j] = LPF_K35_OUT * korg35_lanes_step(&s->k35, &s->k35c, in_lane(LPF_LANE, u[j]), z)[LPF_LANE];
        else y[j] = HPF_K35_OUT * korg35_lanes_step(&s->k35, &s->k35c, z, in_lane(HPF_LANE, u[j]))[HPF_LANE];
    }
    return downsampler2_inner_tick(&s->k35_down, y[0], y[1]);
}

void vcf_probe_filter(float fs, int rev, int lowpass, const float *in, const float *fc, const float *peak, float *out,
                      int n)
{
    fp_mode mode = fp_mode_flush_denormals();
    vcf_state s;
    vcf_init(&s, fs);
    vcf_set_revision(&s, rev);
    s.fade_left = 0;
    for (int i = 0; i < n; ++i) {
        float x0, x1, y0, y1;
        if (lowpass) retune_lp(&s, fc[i], peak[i], pair_bits(fc[i], peak[i]));
        else retune_hp(&s, fc[i], peak[i], pair_bits(fc[i], peak[i]));
        if (rev == VCF_OTA && (i == 0 || fc[i] != fc[i - 1])) /* its buffers' DC, as the section's */
            cvft_ota_set_dc(&s.ft, &s.otac, v4_splat(1.0f / clampf(fc[i], VCF_FC_MIN, VCF_FC_MAX)));
        vcf_input(&s, in[i], &x0, &x1);
        /* one filter alone: its lane's input, the other lane's 0 */
        v4f z = v4_splat(0.0f);
        if (lowpass && rev == VCF_OTA) {
            y0 = LPF_OTA_OUT * ota_step(&s.ota, &s.otac, diode_gain_ota, in_lane(LPF_LANE, x0), z)[LPF_LANE];
            y1 = LPF_OTA_OUT * ota_step(&s.ota, &s.otac, diode_gain_ota, in_lane(LPF_LANE, x1), z)[LPF_LANE];
        } else if (rev == VCF_OTA) {
            y0 = HPF_OTA_OUT * ota_step(&s.ota, &s.otac, diode_gain_ota, z, in_lane(HPF_LANE, x0))[HPF_LANE];
            y1 = HPF_OTA_OUT * ota_step(&s.ota, &s.otac, diode_gain_ota, z, in_lane(HPF_LANE, x1))[HPF_LANE];
        } else {
            y0 = probe_korg35(&s, lowpass, x0);
            y1 = probe_korg35(&s, lowpass, x1);
        }
        out[i] = vcf_output(&s, y0, y1);
    }
    fp_mode_restore(mode);
}

float vcf_probe_ota_law(float fs, float fc)
{
    cvft_state f;
    cvft_init(&f, fs, OTA_LEAK_RAD_S);
    return cvft_ota_law(&f, fc);
}
