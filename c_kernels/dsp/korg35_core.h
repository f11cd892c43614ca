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
 * the loop; its phase lag is what pulls the resonance below the cutoff at high cutoffs,
 * and it lessens as the diodes lower X1's incremental gain (the pole sits at GBW / gain).
 * Realised as the circuit's nodal equations with R1 / R2 = a0 - 2, solved per step
 * (trapezoidal, zero-delay): the loop is linear in v3 once X1's gain is known, and X1's
 * diode gain is taken at the extrapolated X1 drive (dsp/diode_limiter.h), so each step is
 * one division and one table read.
 */
#ifndef MS20_DSP_KORG35_CORE_H
#define MS20_DSP_KORG35_CORE_H

#include "diode_limiter.h"
#include "simd4.h"
#include "tpt.h"

#define K35_A0 2.76f             /* damping of the core without feedback (SPICE fit, 1 kHz) */
#define K35_B (0.5914f * K35_A0) /* feedback coupling: SPICE's |v(C13) / v(C12 foot)| peaks at 0.5914 */
#define K35_R (K35_A0 - 2.0f)    /* Q2 / Q3 resistance ratio of the equivalent Sallen-Key */
#define K35_BUFFER 1.082f        /* JFET + PNP follower: 1 + R5 / R6 */
#define K35_X1_EXCESS 57.447f    /* X1's gain less one: R64 / R63 = 270k / 4k7 */
#define K35_ATTEN (47.0f / 12047.0f) /* R59 / (R57 + R59): the input attenuator */
#define K35_VT 0.025865f         /* kT / q at 27 C, as the simulation */
/* Passband gain of the whole stage (input volts to X1's output): normalised away. */
#define K35_PASSBAND (K35_ATTEN * K35_BUFFER * (1.0f + K35_X1_EXCESS))

/* Up to four cores side by side, one per lane (dsp/simd4.h): the filter section runs its
 * HPF in lane 0 and its LPF in lane 1; idle lanes with zero coefficients stay at rest. */
typedef struct {
    v4f s1, s2;   /* trapezoidal states of C12 (v2 - v_fb) and C13 (v3 - x_hp) */
    /* the Q2/Q3 junction node v2 and C13's top v3 (the follower's input), last two steps
     * (volts), packed {v2 lane 0, v2 lane 1, v3 lane 0, v3 lane 1} so that one polynomial
     * gives the junctions at both (korg35_step): two cores only */
    v4f v23, v23p;
    v4f x1;       /* X1's bandwidth: one-pole state */
} korg35_lanes;

/* Each lane's coefficients: per cutoff (korg35_set), per PEAK (korg35_set_feedback) and per
 * rate (korg35_set_x1); an idle lane's stay 0. */
typedef struct {
    v4f g;      /* integrator gain tan(pi fc) at the oversampled rate (no signal) */
    v4f kfb;    /* b x the PEAK divider x the buffer: v_fb per volt of v3 x X1's gain */
    v4f x1_w;   /* X1's gain-bandwidth as pi GBW / fs (korg35_set_x1) */
} korg35_lane_coefs;

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

/* Lane `lane` (0 or 1) back to rest. */
static inline void korg35_reset_lane(korg35_lanes *s, int lane)
{
    s->s1[lane] = s->s2[lane] = s->x1[lane] = 0.0f;
    s->v23[lane] = s->v23p[lane] = s->v23[lane + 2] = s->v23p[lane + 2] = 0.0f;
}

/* X1's gain-bandwidth in cycles per oversampled sample: once, at init. Its closed-loop
 * corner is GBW over its gain (17 kHz at 58.4, higher as the diodes take the gain down).
 * Not prewarped: what matters is the pole's phase lag at the resonance, far below it,
 * which the plain bilinear map keeps. */
static inline void korg35_set_x1(korg35_lane_coefs *c, int lane, float gbw) { c->x1_w[lane] = MS20_PI * gbw; }

/* k_div: the PEAK divider's gain from X1's output to C12's foot. */
static inline void korg35_set_feedback(korg35_lane_coefs *c, int lane, float k_div)
{
    c->kfb[lane] = K35_B * K35_BUFFER * k_div;
}

/* fc in cycles per oversampled sample (0 .. 0.225). One division. */
static inline void korg35_set(korg35_lane_coefs *c, int lane, float fc)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den);
    c->g[lane] = num / den;
}

/* A saturated transistor's conductance follows its base current (Stinchcombe's eq. 22:
 * R = VT / (IB betaR)), and each junction's share of the base node's current falls as
 * exp(-v / VT) with the voltage v of the node it feeds (Q1 holds the base node: it takes
 * most of R3's current). So Q2 conducts in proportion to the mean of exp(-v / VT) at its
 * two ends, and Q3 likewise: a louder signal lowers the cutoff on its positive half and
 * raises it on its negative half (the study's section 4). */
static inline v4f korg35_junction(v4f v)
{
    /* exp(-v / VT) by its 4th-order Taylor polynomial, |v| clamped to 1.5 VT (39 mV at the
     * junctions: a 10 V input): 0.3 % off at 0.77 VT, 22 % at the clamp; a third of the
     * cost of exp2_bounded, and this runs three times an oversampled step. In Estrin's form,
     * (1 - u) + u^2 ((1/2 - u/6) + u^2/24): two instructions fewer than Horner's (NEON's
     * multiply-adds overwrite their addend, so Horner's chain copies a constant at each). */
    v4f u = v4_clamp(v * (1.0f / K35_VT), -1.5f, 1.5f);
    v4f u2 = u * u;
    return (1.0f - u) + u2 * ((0.5f - u * (1.0f / 6.0f)) + u2 * (1.0f / 24.0f));
}

/* One oversampled step with the attenuated inputs x_lp (at Q2), x_hp (at C13's foot) and
 * x_foot (added at C12's foot); returns X1's output over the buffer gain (volts at the
 * scale of v3 x X1's gain). The high-pass feeds x_hp and -r x_hp: the simulated HPF is
 * 1.05 (s^2 + s) / (s^2 + a0 s + 1), where the equivalent network alone would give
 * s (s + a0 - 1); the -r x_hp at C12's foot takes the difference (see hpf.h).
 *
 * With Q2's and Q3's integrator gains g1, g2 (their conductances, taken at the node
 * voltages extrapolated from the last two steps), the nodal equations are
 *     v2 - v_fb = s1 + g1 (x_lp - v2) - r g2 (v2 - v3)
 *     v3 - x_hp = s2 + g2 (v2 - v3)
 * and v_fb = kfb X1(v3) + x_foot; X1(v3) = G gain v3 + (1 - G) sp after X1's pole. */
__attribute__((always_inline)) static inline v4f korg35_step(korg35_lanes *s, const korg35_lane_coefs *c,
                                                              const float *table, v4f x_lp, v4f x_hp, v4f x_foot)
{
    v4f s1 = s->s1, s2 = s->s2, sp = s->x1;
    v4f v23x = s->v23 + (s->v23 - s->v23p); /* extrapolated: lanes 0, 1 v2, lanes 2, 3 v3 */
    v4f e23 = korg35_junction(v23x);
    v4f e3 = __builtin_shuffle(e23, (v4i){2, 3, 2, 3});
    v4f g1 = c->g * 0.5f * (korg35_junction(x_lp) + e23);
    v4f g2 = c->g * 0.5f * (e23 + e3);
    /* X1's gain 1 + 57.4 V/u at the drive extrapolated from the last two steps (u, the
     * excess drive, is K35_X1_EXCESS x the buffer's output) */
    v4f p = (K35_X1_EXCESS * K35_BUFFER) * __builtin_shuffle(v23x, (v4i){2, 3, 2, 3});
    v4f slope_p;
    v4f gain = 1.0f + K35_X1_EXCESS * diode_gain_slope2(table, p, &slope_p);
    /* X1's one-pole at GBW over its incremental gain (the op amp's feedback factor): 17 kHz
     * while the diodes are off, far higher once they conduct */
    v4f G = c->x1_w / (1.0f + K35_X1_EXCESS * slope_p + c->x1_w);
    v4f a = 1.0f + g1 + K35_R * g2;
    v4f kg = g2 * c->kfb;
    /* v3 (D - kg G gain) = a (s2 + x_hp) + g2 (s1 + x_foot + g1 x_lp) + kg (1 - G) sp, with
     * D = (1 + g2) a - r g2^2; the denominator is kept from crossing zero (an instantaneous
     * loop gain of 1 only happens at full PEAK with the cutoff near the oversampled
     * Nyquist, where the equations stop modelling anything) */
    v4f dd = (1.0f + g2) * a - K35_R * g2 * g2;
    v4f d = v4_max(dd - kg * G * gain, 0.05f * dd);
    v4f q = 1.0f / (a * d);
    v4f v3 = (a * (s2 + x_hp) + g2 * (s1 + x_foot + g1 * x_lp) + kg * (sp - G * sp)) * a * q;
    v4f x1 = gain * v3;          /* X1's ideal output / buffer gain */
    v4f v = G * (x1 - sp);
    v4f xo = sp + v;             /* after X1's pole */
    v4f vfb = c->kfb * xo + x_foot;
    v4f v2 = (s1 + vfb + g1 * x_lp + K35_R * g2 * v3) * d * q;
    s->s1 = 2.0f * (v2 - vfb) - s1;
    s->s2 = 2.0f * (v3 - x_hp) - s2;
    s->x1 = xo + v;
    s->v23p = s->v23;
    s->v23 = __builtin_shuffle(v2, v3, (v4i){0, 1, 4, 5});
    return xo;
}

#endif
