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
    float sh;       /* feedback high-pass (its low-pass part's state) */
    float u, u1;    /* feedback voltage before the clipper, last two steps: set its gain */
} lpf_state;

/* Per base-rate sample, shared by the oversampled steps. */
typedef struct {
    float G, g2;    /* TPT one-pole gain g / (1 + g), and twice it */
    float k1g;      /* K (1 - G): feedback voltage per volt of (y - sh) */
    float a2;       /* Vd K G (1 - G): the loop's instantaneous gain, in the clipper's units */
    float eps;      /* warping correction depth, (2/3) (pi fc)^2 */
    float e3, e4;   /* eps (3 - K) / g and 2 eps (1 - G): its s y and H(y) terms */
} lpf_coefs;

void lpf_reset(lpf_state *s);

static inline void lpf_set(lpf_coefs *c, float fc, float k)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den);
    float x = MS20_PI * fc;
    float G = num / (num + den), omg = 1.0f - G;
    c->G = G;
    c->g2 = 2.0f * G;
    c->k1g = k * omg;
    c->a2 = VCF_DIODE_V * c->k1g * G;
    c->eps = (2.0f / 3.0f) * x * x;
    c->e3 = c->eps * (3.0f - k) * den / num;
    c->e4 = 2.0f * c->eps * omg;
}

/* One oversampled step. The zero-delay loop is solved in closed form with the clipper
 * replaced by its gain (clip(u) = gamma u) at the feedback voltage extrapolated from the
 * last two steps: no iteration, and the self-oscillation stays within 5 cents of the
 * cutoff up to 5 kHz (the last step's value alone runs 35 cents sharp there).
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
    float s2 = s->s2, sh = s->sh, u = s->u;
    float open = s2 + G * (a - s2) - sh; /* y - sh with the loop open */
    float r = diode_clip_r(u + (u - s->u1));
    float d = open * r / (r - c->a2); /* y - sh, the loop solved */
    float y = sh + d;
    float ys = y - s2;
    s->u1 = u;
    s->u = c->k1g * d;
    s->s2 = y + ys;
    s->sh = sh + c->g2 * d;
    return y + c->eps * (y - x) + c->e3 * ys - c->e4 * d;
}

#endif
