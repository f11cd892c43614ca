/* The Korg35 filter core (MS-10/early MS-20): two transistor "resistors" (Q2, Q3 in reverse
 * saturation) and two capacitors (C12, C13) in a Sallen-Key loop, closed through a JFET
 * buffer and X1, a x58.4 op-amp stage limited by a 1N4148 pair (the forward-path diodes),
 * and the PEAK divider back to C12's foot. Stinchcombe, "A Study of the Korg MS10 & MS20
 * Filters" (figure 1, sections 2.2 and 5); netlist: tools/spice/korg35_lpf.cir.
 *
 * Normalised to the cutoff (s = j f / fc), the capacitor voltage v3 at C13 obeys
 *     v3 (s^2 + a0 s + 1) = x_lp + b s v_fb + s (s + a0 - 1) x_hp
 * with x_lp the attenuated low-pass input (at Q2), x_hp the attenuated high-pass input (at
 * C13's foot) and v_fb = k_fb X1(v3) the feedback at C12's foot. The ideal Sallen-Key with
 * C12 = 3 C13 has a0 = 7/3, b = 1; the three transistors share one base node, so they are
 * not two independent resistors, and the transistor-level simulation gives a0 = 2.76
 * (2.74..2.83 from 80 Hz to 4 kHz) and b = 0.591 a0 (|T| = b / a0 = 0.591 at every
 * cutoff: the whistle starts at one PEAK whatever the cutoff, as the SPICE runs show).
 * X1 (a uA741 in the study's redraw: 1 MHz over a gain of 58.4) adds a 17 kHz pole inside
 * the loop; its phase lag is what pulls the resonance below the cutoff at high cutoffs.
 * Realised as the circuit's nodal equations with R1 / R2 = a0 - 2, solved per step
 * (trapezoidal, zero-delay): the loop is linear in v3 once X1's gain is known, and X1's
 * diode gain is taken at the extrapolated X1 drive (dsp/diode_limiter.h), so each step is
 * one division and one table read.
 */
#ifndef MS20_DSP_KORG35_CORE_H
#define MS20_DSP_KORG35_CORE_H

#include "diode_limiter.h"
#include "tpt.h"

#define K35_A0 2.76f             /* damping of the core without feedback (SPICE fit, 1 kHz) */
#define K35_B (0.5914f * K35_A0) /* feedback coupling: SPICE's |v(C13) / v(C12 foot)| peaks at 0.5914 */
#define K35_R (K35_A0 - 2.0f)    /* Q2 / Q3 resistance ratio of the equivalent Sallen-Key */
#define K35_BUFFER 1.082f        /* JFET + PNP follower: 1 + R5 / R6 */
#define K35_X1_EXCESS 57.447f    /* X1's gain less one: R64 / R63 = 270k / 4k7 */
#define K35_ATTEN (47.0f / 12047.0f) /* R59 / (R57 + R59): the input attenuator */
/* Passband gain of the whole stage (input volts to X1's output): normalised away. */
#define K35_PASSBAND (K35_ATTEN * K35_BUFFER * (1.0f + K35_X1_EXCESS))

typedef struct {
    float s1, s2;   /* trapezoidal states of C12 (v2 - v_fb) and C13 (v3 - x_hp) */
    float u, u1;    /* X1's linear excess drive (K35_X1_EXCESS x its input), last two steps */
    float x1;       /* X1's bandwidth: one-pole state */
} korg35_state;

/* Per cutoff (korg35_set) and per PEAK (korg35_set_feedback). */
typedef struct {
    float g;        /* integrator gain tan(pi fc) at the oversampled rate */
    float c2;       /* 1 + g (1 + r) */
    float inv_c2;   /* 1 / c2 */
    float den;      /* 1 + g (2 + r) + g^2 */
    float gr;       /* g r */
    float kfb;      /* b x the PEAK divider x the buffer: v_fb per volt of v3 x X1's gain */
    float gk;       /* g kfb */
    float x1_G;     /* X1's one-pole gain at the oversampled rate (korg35_set_x1) */
} korg35_coefs;

/* The PEAK pot's divider from X1's output to C12's foot, at pot travel a (0..1, wiper from
 * ground): VR13 10k with R62 2k2 across its upper part, the wiper loaded by R61 5k6 + R60
 * 220, and R60 / (R60 + R61) the last step (C15 ignored: its 28 kHz corner is far above
 * the loop's interest). 1 / 26.45 at full travel. */
static inline float korg35_peak_divider(float a)
{
    a = clampf(a, 0.0f, 1.0f);
    float lo = 10e3f * a, up = 10e3f * (1.0f - a);
    float lo_p = lo * 5820.0f / (lo + 5820.0f);
    float up_p = up * 2200.0f / (up + 2200.0f);
    return lo_p / (up_p + lo_p + 1e-9f) * (220.0f / 5820.0f);
}

static inline void korg35_reset(korg35_state *s) { s->s1 = s->s2 = s->u = s->u1 = s->x1 = 0.0f; }

/* X1's corner in cycles per oversampled sample: once, at init (it is a fixed frequency). */
static inline void korg35_set_x1(korg35_coefs *c, float fc)
{
    float g = tanf(MS20_PI * minf(fc, 0.2f));
    c->x1_G = g / (1.0f + g);
}

/* k_div: the PEAK divider's gain from X1's output to C12's foot. */
static inline void korg35_set_feedback(korg35_coefs *c, float k_div)
{
    c->kfb = K35_B * K35_BUFFER * k_div;
    c->gk = c->g * c->kfb;
}

/* fc in cycles per oversampled sample (0 .. 0.225). One division. */
static inline void korg35_set(korg35_coefs *c, float fc)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den); /* g = num / den */
    float e = den + (1.0f + K35_R) * num;   /* c2 den */
    float q = 1.0f / (den * e);
    float g = num * e * q;
    c->g = g;
    c->c2 = e * e * q;
    c->inv_c2 = den * den * q;
    c->den = 1.0f + g * (2.0f + K35_R + g);
    c->gr = g * K35_R;
    c->gk = g * c->kfb;
}

/* One oversampled step with the attenuated inputs x_lp (at Q2) and x_hp (at C13's foot);
 * returns X1's output over the buffer gain (volts at the scale of v3 x X1's gain). */
static inline float korg35_step(korg35_state *s, const korg35_coefs *c, const float *table, float x_lp, float x_hp)
{
    float s1 = s->s1, s2 = s->s2, sp = s->x1, G = c->x1_G;
    float alpha = c->g * (s1 + c->g * x_lp) + (s2 + x_hp) * c->c2;
    /* X1's gain 1 + 57.4 V/u at the drive extrapolated from the last two steps */
    float p = s->u + (s->u - s->u1);
    float gain = 1.0f + K35_X1_EXCESS * diode_gain(table, p);
    /* the loop, with X1's output G gain v3 + (1 - G) sp after its pole:
     * v3 den = alpha + g kfb (G gain v3 + (1 - G) sp); the denominator is kept from
     * crossing zero (an instantaneous loop gain of 1 only happens at full PEAK with the
     * cutoff near the oversampled Nyquist, where the equations stop modelling anything) */
    float d = maxf(c->den - c->gk * G * gain, 0.05f * c->den);
    float v3 = (alpha + c->gk * (sp - G * sp)) / d;
    float x1 = gain * v3;          /* X1's ideal output / buffer gain */
    float v = G * (x1 - sp);
    float xo = sp + v;             /* after X1's pole */
    float vfb = c->kfb * xo;
    float v2 = (s1 + vfb + c->g * x_lp + c->gr * v3) * c->inv_c2;
    s->s1 = 2.0f * (v2 - vfb) - s1;
    s->s2 = 2.0f * (v3 - x_hp) - s2;
    s->x1 = xo + v;
    s->u1 = s->u;
    s->u = K35_X1_EXCESS * K35_BUFFER * v3;
    return xo;
}

#endif
