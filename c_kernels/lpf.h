/* The MS-20 low-pass filter: Korg35 Sallen-Key, 12 dB/oct, diode clipper in the resonance
 * loop. Normalised linear model (s in units of the cutoff, K = PEAK feedback gain):
 *     y = x / ((s + 1)^2 - K s)    DC gain 1 at any PEAK, self-oscillation from K = 2,
 * realised as v = L1(x) + clip(K H(y)), y = L2(v) with TPT one-poles L = 1/(s+1) and the
 * feedback high-pass H = s/(s+1) (Stinchcombe's MS-20 study; Pirkle AN-5). Runs at the
 * oversampled rate: cutoff in cycles per oversampled sample, signals in volts.
 */
#ifndef MS20_LPF_H
#define MS20_LPF_H

#include "dsp/diode_clip.h"
#include "dsp/tpt.h"

typedef struct {
    float s1, s2;   /* L1, L2 one-pole states */
    float w;        /* s2 less the feedback high-pass's state (its low-pass part) */
    float d, d1;    /* the loop variable y - sh, last two steps: the feedback voltage is K (1 - G) d */
} lpf_state;

/* Per base-rate sample at most, shared by the oversampled steps: lpf_set when the cutoff
 * moves (every sample under an envelope: one division), lpf_set_peak first when PEAK moves. */
typedef struct {
    float G;        /* TPT one-pole gain g / (1 + g) */
    float c2;       /* 2 - 2 G: w's update */
    float vk2;      /* (Vd / (K (1 - G)))^2: the clipper's knee in units of d (huge at K = 0) */
    float vg;       /* Vd G: the loop's instantaneous gain over K (1 - G), in the clipper's units */
    /* The output with the warping correction (see lpf_step), halved for the decimator
     * (dsp/oversampler.h): out / 2 = o2 s2 + oy (y - s2) - ex x - e4 d with eps = (2/3) (pi fc)^2,
     * o2 = (1 + eps) / 2, oy = (1 + eps + eps (3 - K) / g) / 2, ex = eps / 2, e4 = eps (1 - G) */
    float o2, oy, ex, e4;
    float k, knee;  /* PEAK: K, and (Vd / K)^2 (dsp/diode_clip.h) */
} lpf_coefs;

void lpf_reset(lpf_state *s);

static inline void lpf_set_peak(lpf_coefs *c, float k)
{
    c->k = k;
    c->knee = diode_clip_knee2(k);
}

/* fc in cycles per oversampled sample. */
static inline void lpf_set(lpf_coefs *c, float fc)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den); /* g = num / den */
    float sum = num + den, nd = num * den;
    float r = 1.0f / (nd * sum);      /* the one division */
    float G = nd * num * r;           /* num / sum */
    float ig = den * den * sum * r;   /* 1 / g = den / num */
    float opg = sum * sum * num * r;  /* 1 + g = 1 / (1 - G) = sum / den */
    float omg = 1.0f - G;
    float x = MS20_PI * fc;
    float eps = (2.0f / 3.0f) * x * x;
    c->G = G;
    c->c2 = 2.0f * omg;
    c->vk2 = c->knee * opg * opg;
    c->vg = VCF_DIODE_V * G;
    c->o2 = 0.5f + 0.5f * eps;
    c->oy = c->o2 + 0.5f * eps * (3.0f - c->k) * ig;
    c->ex = 0.5f * eps;
    c->e4 = eps * omg;
}

/* One oversampled step; returns half the output (for the decimator, see lpf_coefs). The
 * zero-delay loop is solved in closed form with the clipper replaced by its gain
 * (clip(u) = gamma u) at the feedback voltage extrapolated from the last two steps: no
 * iteration, and the self-oscillation stays within 5 cents of the cutoff up to 5 kHz (the
 * last step's value alone runs 35 cents sharp there).
 *
 * With sh the feedback high-pass's state and w = s2 - sh, the loop variable is
 * d = y - sh = w + G (a - s2) + G gamma K (1 - G) d (a = L1(x)), so H(y) = (1 - G) d, and
 * y - s2 = d - w.
 *
 * The bilinear transform squeezes frequencies above the cutoff towards Nyquist, so the
 * stopband falls too fast (0.75 dB too low at 10 kHz at 2 x 44.1 kHz). First-order fix:
 * the digital response is H(w r) with r - 1 = (eps/2)(w^2 - 1), so the output gets
 *     - eps s/(s+1) (s^2 + 1) y = - eps (x - y - (3 - K) s y + 2 H(y)),
 * which vanishes at the cutoff (the resonance stays put) and tends to - eps x far above.
 * s y = (y - s2) / g and H(y) = (1 - G)(y - sh) hold exactly for the TPT one-poles. */
static inline float lpf_step(lpf_state *s, const lpf_coefs *c, float x)
{
    float G = c->G;
    float a = tpt_lp(&s->s1, G, x);
    float s2 = s->s2, w = s->w, dp = s->d;
    float open = w + G * (a - s2); /* d with the loop open */
    /* The clipper's gain at u = K (1 - G) d extrapolated, in units of d (dsp/diode_clip.h):
     * gamma K (1 - G) = Vd / r, so d = open + G (Vd / r) d = open r / (r - Vd G). */
    float p = dp + (dp - s->d1);
    float r = diode_clip_r(c->vk2, p);
    float d = open * r / (r - c->vg); /* the loop solved */
    float ys = d - w;                 /* y - s2 */
    s->d1 = dp;
    s->d = d;
    s->s2 = s2 + ys + ys;
    s->w = c->c2 * d - w;
    return c->o2 * s2 + c->oy * ys - c->ex * x - c->e4 * d; /* half the output */
}

#endif
