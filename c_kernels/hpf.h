/* The MS-20 high-pass filter: Korg35 topology, 6 dB/oct below the cutoff plus a resonant
 * peak, diode clipper in the resonance loop. Normalised linear model (s in units of the
 * cutoff, K = PEAK feedback gain):
 *     y = s (s + 1) x / ((s + 1)^2 - K s)    HF gain 1 at any PEAK, self-oscillation from K = 2,
 * realised as y = H1(x) + clip(K L(H2(y))): TPT one-poles, feedback through a band-pass
 * (Stinchcombe's MS-20 study; Pirkle AN-7). Runs at the oversampled rate: cutoff in cycles
 * per oversampled sample, signals in volts.
 */
#ifndef MS20_HPF_H
#define MS20_HPF_H

#include "dsp/diode_clip.h"
#include "dsp/tpt.h"

typedef struct {
    float t1;       /* H1's one-pole state */
    float t2, t3;   /* the feedback band-pass: H2 then L */
    float w, w1;    /* L(H2(y)) / (1 - G), last two steps: the feedback voltage is K (1 - G) w */
} hpf_state;

/* Per base-rate sample at most, shared by the oversampled steps: hpf_set when the cutoff
 * moves (one division), hpf_set_peak first when PEAK moves. */
typedef struct {
    float G, g2;    /* TPT one-pole gain g / (1 + g), and twice it */
    float omg, omg2; /* 1 - G, and twice it */
    float vk2;      /* (Vd / (K (1 - G)))^2: the clipper's knee in units of w */
    float vg;       /* Vd G */
    float k, knee;  /* PEAK: K, and (Vd / K)^2 (dsp/diode_clip.h) */
} hpf_coefs;

void hpf_reset(hpf_state *s);
/* Zero the loop's band-pass (PEAK went to 0: it idles, and starts from rest when PEAK rises). */
static inline void hpf_open_loop(hpf_state *s) { s->t2 = s->t3 = s->w = s->w1 = 0.0f; }

static inline void hpf_set_peak(hpf_coefs *c, float k)
{
    c->k = k;
    c->knee = diode_clip_knee2(k);
}

/* fc in cycles per oversampled sample. */
static inline void hpf_set(hpf_coefs *c, float fc)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den); /* g = num / den */
    float sum = num + den;
    float r = 1.0f / (den * sum);     /* the one division */
    float G = num * den * r;          /* num / sum */
    float opg = sum * sum * r;        /* 1 + g = 1 / (1 - G) = sum / den */
    float omg = 1.0f - G;
    c->G = G;
    c->g2 = 2.0f * G;
    c->omg = omg;
    c->omg2 = 2.0f * omg;
    c->vk2 = c->knee * opg * opg;
    c->vg = VCF_DIODE_V * G;
}

/* One oversampled step; the loop is solved in closed form with the clipper as its gain at
 * the extrapolated feedback voltage (see lpf.h). With L(H2(y)) = (1-G)(m + G y),
 * m = t3 - G t2, the loop y = h + gamma K L(H2(y)) is linear in y. */
static inline float hpf_step(hpf_state *s, const hpf_coefs *c, float x)
{
    float G = c->G;
    float e = x - s->t1;
    float h = c->omg * e; /* H1(x) */
    s->t1 += c->g2 * e;
    float t2 = s->t2, t3 = s->t3, wp = s->w;
    float m = t3 - G * t2;
    /* the clipper's gain Vd / sqrt(Vd^2 + u^2) at u = K (1 - G) w extrapolated, in units of
     * w: gamma K (1 - G) = Vd / r, so y = h + (Vd / r)(m + G y) */
    float p = wp + (wp - s->w1);
    float r = diode_clip_r(c->vk2, p);
    float y = (r * h + VCF_DIODE_V * m) / (r - c->vg);
    float w = m + G * y; /* L(H2(y)) / (1 - G) */
    s->w1 = wp;
    s->w = w;
    s->t3 = c->omg2 * w - t3;
    s->t2 = t2 + c->g2 * (y - t2);
    return y;
}

/* PEAK at 0 (K = 0, the usual setting): no feedback, so the HPF is H1 alone and the loop
 * is skipped. hpf_open_loop() zeroes the idle band-pass so that raising PEAK (which the
 * engine ramps up from 0) starts the loop from rest. */
static inline float hpf_step_open(hpf_state *s, const hpf_coefs *c, float x)
{
    float e = x - s->t1;
    s->t1 += c->g2 * e;
    return c->omg * e;
}

#endif
