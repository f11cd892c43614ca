/* Filter section: HPF into LPF at 2x the engine rate (see vcf.h). */
#include "vcf.h"

#include <string.h>

#include "dsp/denormal.h"
#include "dsp/fastmath.h"
#include "vcf.probe.h"

#define VCF_IN_MAX_V 12.0f     /* beyond the mixer's reach: a bad input stays finite */
#define VCF_OUT_MAX_V 12.0f
#define VCF_FC_MIN 0.00002f    /* cycles per engine sample, as the engine clamps */
#define VCF_FC_MAX 0.45f
#define VCF_K_MAX 2.2f
#define VCF_NOISE_V 1e-5f      /* -100 dBV of circuit noise per unit of PEAK feedback gain */

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

/* The seed noise only matters where a PEAK can whistle: it fades in over K = 1.6..2 (PEAK
 * 7.3..9.1) and is off below, so the usual settings skip the noise generator altogether;
 * the fade keeps its level continuous as PEAK moves. Volts per LCG step. */
static inline float noise_weight(float k)
{
    return (VCF_NOISE_V / 2147483648.0f) * k * clampf(2.5f * (k - 1.6f), 0.0f, 1.0f);
}

static inline void set_noise(vcf_state *s)
{
    s->noise_gain = s->hp_noise + s->lp_noise;
    s->noise_on = s->noise_gain != 0.0f;
}

/* New coefficients for a filter whose (cutoff, PEAK) moved. Inline: under an envelope the
 * cutoff moves every sample, and knob smoothing moves PEAK every sample for a while. The
 * cutoffs halve at the doubled rate. */
static inline void retune_hp(vcf_state *s, float fc, float k, uint64_t in)
{
    if ((in ^ s->hp_in) >> 32) { /* PEAK, the high word, moved */
        k = clampf(k, 0.0f, VCF_K_MAX);
        hpf_set_peak(&s->hc, k);
        s->hp_loop = k != 0.0f;
        if (!s->hp_loop) hpf_open_loop(&s->hp);
        s->hp_noise = noise_weight(k);
        set_noise(s);
    }
    s->hp_in = in;
    hpf_set(&s->hc, 0.5f * clampf(fc, VCF_FC_MIN, VCF_FC_MAX));
}

static inline void retune_lp(vcf_state *s, float fc, float k, uint64_t in)
{
    if ((in ^ s->lp_in) >> 32) {
        k = clampf(k, 0.0f, VCF_K_MAX);
        lpf_set_peak(&s->lc, k);
        s->lp_noise = noise_weight(k);
        set_noise(s);
    }
    s->lp_in = in;
    lpf_set(&s->lc, 0.5f * clampf(fc, VCF_FC_MIN, VCF_FC_MAX));
}

void vcf_reset(vcf_state *s)
{
    upsampler2 up = {{{0.0f}}};
    downsampler2 down = {{{0.0f}}};
    s->up = up;
    s->down = down;
    hpf_reset(&s->hp);
    lpf_reset(&s->lp);
}

void vcf_init(vcf_state *s, float fs_hz)
{
    (void)fs_hz; /* cutoffs arrive normalised; the design does not depend on the rate */
    static const vcf_state zero;
    *s = zero;
    s->hp_in = s->lp_in = ~(uint64_t)0; /* nothing set yet: the retunes set everything */
    retune_hp(s, 0.0f, 0.0f, pair_bits(0.0f, 0.0f));
    retune_lp(s, 0.0f, 0.0f, pair_bits(0.0f, 0.0f));
    s->seed = 0x9e3779b9u;
}

/* The per-sample work once the coefficients are current. */
__attribute__((always_inline)) static inline float vcf_run(vcf_state *s, float in_v)
{
    float x = clampf(in_v, -VCF_IN_MAX_V, VCF_IN_MAX_V); /* NaN: -12 V */
    /* The seed noise scales with PEAK (noise_weight): none at low PEAK, where digital
     * silence must stay silent, and enough near full PEAK to start the whistle. */
    if (s->noise_on) {
        s->seed = s->seed * 1664525u + 1013904223u;
        x += (float)(int32_t)s->seed * s->noise_gain;
    }

    float x0, x1;
    upsampler2_tick(&s->up, x, &x0, &x1);

    /* The HPF runs both steps before the LPF starts: the same result as interleaving them
     * (nothing feeds back from the LPF), with half the values live. */
    float h0, h1;
    if (s->hp_loop) {
        h0 = hpf_step(&s->hp, &s->hc, x0);
        h1 = hpf_step(&s->hp, &s->hc, x1);
    } else { /* HPF PEAK at 0: the engine ticks per sample, so the variant is a branch the
              * predictor never misses rather than a loop chosen per block */
        h0 = hpf_step_open(&s->hp, &s->hc, x0);
        h1 = hpf_step_open(&s->hp, &s->hc, x1);
    }
    float y0 = lpf_step(&s->lp, &s->lc, h0);
    float y1 = lpf_step(&s->lp, &s->lc, h1);

    float y = downsampler2_tick(&s->down, y0, y1);
    return clampf(y, -VCF_OUT_MAX_V, VCF_OUT_MAX_V);
}

/* Compiler barrier: the coefficients just stored are read back from memory where they are
 * used, rather than held in registers from the retune on (and spilled). */
#define VCF_RELOAD() __asm__ volatile("" ::: "memory")

/* Something moved: new coefficients, then the sample. A function of its own, reached by a
 * jump, so that the path where nothing moved makes no call and needs no stack frame. */
__attribute__((noinline)) static float vcf_retune(vcf_state *s, float in_v, float hp_fc, float hp_k, float lp_fc,
                                                  float lp_k, uint64_t hp_in, uint64_t lp_in)
{
    if (hp_in != s->hp_in) retune_hp(s, hp_fc, hp_k, hp_in);
    if (lp_in != s->lp_in) retune_lp(s, lp_fc, lp_k, lp_in);
    VCF_RELOAD();
    return vcf_run(s, in_v);
}

__attribute__((noinline)) float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_k, float lp_fc, float lp_k)
{
    /* Coefficients once per engine sample at most, shared by both oversampled steps, and
     * only when something moved: under an envelope a cutoff moves every sample, and knob
     * smoothing moves a PEAK every sample for a while. */
    uint64_t hp_in = pair_bits(hp_fc, hp_k), lp_in = pair_bits(lp_fc, lp_k);
    if (hp_in != s->hp_in || lp_in != s->lp_in) return vcf_retune(s, in_v, hp_fc, hp_k, lp_fc, lp_k, hp_in, lp_in);
    return vcf_run(s, in_v);
}

/* Test probe (vcf.probe.h): the section alone on a fresh state, per-sample parameters, in
 * the engine's floating-point mode. */
void vcf_probe_render(float fs, const float *in, const float *hp_fc, const float *hp_k, const float *lp_fc,
                      const float *lp_k, float *out, int n)
{
    fp_mode mode = fp_mode_flush_denormals(); /* as the engine runs it */
    vcf_state s;
    vcf_init(&s, fs);
    for (int i = 0; i < n; ++i) out[i] = vcf_tick(&s, in[i], hp_fc[i], hp_k[i], lp_fc[i], lp_k[i]);
    fp_mode_restore(mode);
}
