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
/* Passband gain of the whole stage (input volts to X1's output): normalised away. X1's
 * small-signal gain is 56.8, not 58.4: the 1N4148 pair's zero-bias conductance, 2 Is / (N VT)
 * (9 Mohm), across R64 (diode_gain_korg35[0], tools/gen_diode_tables.py). */
#define K35_X1_SMALL (1.0f + K35_X1_EXCESS / (1.0f + 2.0f * 2.52e-9f * 270e3f / (1.752f * K35_VT)))
#define K35_PASSBAND (K35_ATTEN * K35_BUFFER * K35_X1_SMALL)
#define K35_X1_GBW 1e6f          /* X1's gain-bandwidth (a uA741, as the study draws it) */
/* X1's closed-loop pole: its time constant, in units of 1 / (2 pi GBW), is (1 + 57.4 S) / k
 * from the op amp (S the diodes' incremental share of R64, k = RL / (RL + Ro): its 75 ohm
 * output against the PEAK network's load RL, korg35_set_feedback), plus the 1N4148s'
 * junction capacitance across R64 (2 x CJO 4p: 74 kHz with the diodes off), R64 C_D S. */
#define K35_X1_CD (2.0f * MS20_PI * K35_X1_GBW * 270e3f * 8e-12f)
/* The simulated core's own lag: its small-signal transfer from C12's foot (through R60) to
 * C13 lags the two-pole model by a near-fixed 0.97 us at the natural frequency (0.37 deg
 * at 1 kHz, 1.47 at 4.3 kHz, 7.6 at 21 kHz; R60 || R61 in series with C12 is 0.7 us of
 * it). -60 cents of whistle at 4.3 kHz; added to X1's pole's time constant, as GBW units. */
#define K35_CORE_LAG (2.0f * MS20_PI * K35_X1_GBW * 0.97e-6f)

/* Up to four cores side by side, one per lane (dsp/simd4.h): the filter section runs its
 * HPF in lane 0 and its LPF in lane 1; idle lanes with zero coefficients stay at rest. */
typedef struct {
    v4f s1, s2;   /* trapezoidal states of C12 (v2 - v_fb) and C13 (v3 - x_hp) */
    /* the Q2/Q3 junction node v2 and C13's top v3 (the follower's input), last two steps
     * (volts), packed {v2 lane 0, v2 lane 1, v3 lane 0, v3 lane 1} so that one polynomial
     * gives the junctions at both (korg35_step): two cores only; and the step before */
    v4f v23, v23p, v23pp;
    v4f x1;       /* X1's bandwidth: one-pole state */
    v4f m;        /* v3's low-pass under C16's and C19's corners (X1's drive is v3 - m) */
} korg35_lanes;

/* Each lane's coefficients: per cutoff (korg35_set), per PEAK (korg35_set_feedback) and per
 * rate (korg35_set_x1); an idle lane's stay 0. */
typedef struct {
    v4f g;      /* integrator gain tan(pi fc) at the oversampled rate (no signal) */
    v4f kfb;    /* b x the PEAK divider x the buffer: v_fb per volt of v3 x X1's gain */
    v4f x1_w;   /* X1's gain-bandwidth as pi GBW / fs (korg35_set_rate) */
    v4f x1_p0, x1_p1; /* X1's pole's denominator, x1_p0 + x1_p1 S (korg35_set_feedback) */
    v4f zc;     /* C15's lead in the feedback: X1's pole gain G becomes zc G (korg35_set_feedback) */
    v4f foot;   /* the high-pass's input at C12's foot, per volt at C13's (korg35_set_hp_foot) */
    v4f km;     /* C16 + C19: the step of the slow low-pass m (korg35_set_feedback) */
    v4f dt;     /* the oversampled step, seconds (korg35_set_rate) */
} korg35_lane_coefs;

/* The PEAK pot's divider from X1's output to C12's foot, at pot travel a (0..1, wiper from
 * ground): VR13 10k with R62 2k2 across its upper part, the wiper loaded by R61 5k6 + R60
 * 220, and R60 / (R60 + R61) the last step. 1 / 26.45 at full travel. */
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
    s->s1[lane] = s->s2[lane] = s->x1[lane] = s->m[lane] = 0.0f;
    s->v23[lane] = s->v23p[lane] = s->v23[lane + 2] = s->v23p[lane + 2] = 0.0f;
    s->v23pp[lane] = s->v23pp[lane + 2] = 0.0f;
}

/* The oversampled rate fs (Hz): once, at init, before korg35_set_feedback. X1's closed-loop
 * corner is GBW over its gain (17 kHz at 58.4, higher as the diodes take the gain down).
 * Not prewarped: what matters is the pole's phase lag at the resonance, far below it,
 * which the plain bilinear map keeps. */
static inline void korg35_set_rate(korg35_lane_coefs *c, int lane, float fs)
{
    c->x1_w[lane] = MS20_PI * K35_X1_GBW / fs;
    c->dt[lane] = 1.0f / fs;
}

/* The loop's corners outside the core, which set the whistle's pitch (SPICE: each moves it
 * tens of cents; tools/spice/korg35_lpf.cir), at pot travel a:
 * - C15 1n across R61: a zero at 1 / (R61 C15) (28 kHz) and a pole at C15 times R61 in
 *   parallel with R60 plus the wiper's source resistance (150..750 kHz), taken together as
 *   one lead of time constant tau = C15 (R61 - R61 || (R60 + Rs)): +220 cents at a 4.3 kHz
 *   cutoff. Folded into X1's pole: its one-pole becomes (1 + s tau) / (1 + s / wx) on the
 *   feedback path, i.e. the TPT gain G times 1 + 2 tau / T.
 * - C16 10u under R63 4k7 (X1's gain is 1 at DC: 3.4 Hz) and C19 33u into the divider's
 *   input resistance (1.3..2.7 Hz): leads of +89 and +36 cents at an 83 Hz cutoff. Both as
 *   one high-pass of X1's excess drive at the corners' sum (the same phase well above them,
 *   one state). The output already leaves through the section's 5 Hz coupling (vcf.c, for
 *   C19 and the next stage), so C19's corner is weighted by the feedback's share, the
 *   divider's gain over its full-travel gain: all of it at full PEAK, none at PEAK 0. */
static inline void korg35_set_feedback(korg35_lane_coefs *c, int lane, float a)
{
    a = clampf(a, 0.0f, 1.0f);
    float k_div = korg35_peak_divider(a);
    c->kfb[lane] = K35_B * K35_BUFFER * k_div;
    float lo = 10e3f * a, up = 10e3f * (1.0f - a);
    float lo_p = lo * 5820.0f / (lo + 5820.0f);
    float up_p = up * 2200.0f / (up + 2200.0f);
    float rs = lo * up_p / (lo + up_p + 1e-9f) + 220.0f; /* R60 + the wiper's source */
    float tau = 1e-9f * (5600.0f - 5600.0f * rs / (5600.0f + rs));
    float inv_k = 1.0f + 75.0f / (up_p + lo_p); /* X1's Ro against the network's load */
    c->x1_p0[lane] = inv_k + K35_CORE_LAG + c->x1_w[lane];
    c->x1_p1[lane] = K35_X1_EXCESS * inv_k + K35_X1_CD;
    c->zc[lane] = 1.0f + 2.0f * tau / c->dt[lane];
    c->km[lane] = c->dt[lane] * (1.0f / (4.7e3f * 10e-6f) + k_div * (5820.0f / 220.0f) / (33e-6f * (up_p + lo_p)));
}

/* fc in cycles per oversampled sample (0 .. 0.225). One division. */
static inline void korg35_set(korg35_lane_coefs *c, int lane, float fc)
{
    float num, den;
    tpt_tan_pi(fc, &num, &den);
    c->g[lane] = 0.5f * num / den;
}

/* The high-pass lane's input at C12's foot: -(a0 - 1 - c) x_hp makes the numerator s (s + c).
 * The simulated stopband's c (tools/spice/data/korg35.npz, PEAK 0, under 1/8 of the cutoff)
 * is 1.047, 1.064 and 1.166 at 328 Hz, 2.1 kHz and 21 kHz: 1.0487 + wc 0.895 us, the same
 * near-fixed lag as the core's (korg35_step). The prewarped integrators put the response
 * below the cutoff at frequencies lowered by x / tan x (x = pi fc / fs): the stopband, c s,
 * 1.6 dB low at a 21 kHz cutoff; c times tan x / x (tpt_warp) puts
 * it back. fc in cycles per oversampled sample. */
static inline void korg35_set_hp_foot(korg35_lane_coefs *c, int lane, float fc)
{
    float x2 = MS20_PI * MS20_PI * fc * fc;
    float r = 1.0f + tpt_warp(x2);
    float cs = 1.0487f + 2.0f * MS20_PI * 0.895e-6f * fc / c->dt[lane];
    c->foot[lane] = cs * r - (K35_A0 - 1.0f);
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
 * scale of v3 x X1's gain). The high-pass feeds x_hp and foot x_hp: the simulated HPF is
 * 1.05 s (s + 1.055) / (s^2 + a0 s + 1), where the equivalent network alone would give
 * s (s + a0 - 1); the term at C12's foot takes the difference (korg35_set_hp_foot).
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
    /* extrapolated (lanes 0, 1 v2, lanes 2, 3 v3) through the last three steps, a parabola:
     * a line through two, error T^2 v'', put the whistle 13 cents flat at 4.3 kHz at 2x and
     * 6 at 4x (the diodes' gain taken early); the parabola's is within 1.3 and 0.9 cents of
     * the implicit solution's (the step iterated to convergence) at 2x and 4x, and 3.1 and 0.7
     * from the figure it converges to (8x and beyond) */
    v4f v23x = 3.0f * (s->v23 - s->v23p) + s->v23pp;
    v4f e23 = korg35_junction(v23x);
    v4f e3 = __builtin_shuffle(e23, (v4i){2, 3, 2, 3});
    v4f g1 = c->g * (korg35_junction(x_lp) + e23);
    v4f g2 = c->g * (e23 + e3);
    /* X1's gain 1 + 57.4 V/u at the drive extrapolated from the last three steps (u, the
     * excess drive, is K35_X1_EXCESS x the buffer's output less its slow part m, which
     * C16 keeps from R63) */
    v4f m = s->m;
    v4f slope_p;
    v4f kdg = K35_X1_EXCESS * diode_gain_slope2(table, __builtin_shuffle(v23x, (v4i){2, 3, 2, 3}) - m,
                                                K35_X1_EXCESS * K35_BUFFER, &slope_p);
    v4f gain = 1.0f + kdg;
    /* X1's one-pole at GBW over its incremental gain (the op amp's feedback factor) and the
     * diodes' capacitance: 14 kHz while the diodes are off, far higher once they conduct;
     * the feedback sees it with C15's lead (korg35_set_feedback) */
    v4f G = c->x1_w / (c->x1_p0 + c->x1_p1 * slope_p);
    v4f Gf = c->zc * G;
    v4f t = sp + kdg * m; /* X1's ideal output / buffer gain is gain v3 - (t - sp) */
    v4f a = 1.0f + g1 + K35_R * g2;
    v4f kg = g2 * c->kfb;
    /* v3 (D - kg Gf gain) = a (s2 + x_hp) + g2 (s1 + x_foot + g1 x_lp) + kg ((1 - Gf) sp
     * - Gf em), with D = (1 + g2) a - r g2^2; the denominator is kept from crossing zero (an
     * instantaneous loop gain of 1 only happens at full PEAK with the cutoff near the
     * oversampled Nyquist, where the equations stop modelling anything) */
    v4f dd = (1.0f + g2) * a - K35_R * g2 * g2;
    v4f d = v4_max(dd - kg * Gf * gain, 0.05f * dd);
    v4f q = 1.0f / (a * d);
    v4f v3 = (a * (s2 + x_hp) + g2 * (s1 + x_foot + g1 * x_lp) + kg * (sp - Gf * t)) * a * q;
    v4f x1 = gain * v3 - t;
    v4f v = G * x1;
    v4f xo = sp + v;             /* after X1's pole */
    v4f vfb = c->kfb * (sp + Gf * x1) + x_foot;
    v4f v2 = (s1 + vfb + g1 * x_lp + K35_R * g2 * v3) * d * q;
    s->s1 = 2.0f * (v2 - vfb) - s1;
    s->s2 = 2.0f * (v3 - x_hp) - s2;
    s->x1 = xo + v;
    s->m = m + c->km * (v3 - m);
    s->v23pp = s->v23p;
    s->v23p = s->v23;
    s->v23 = __builtin_shuffle(v2, v3, (v4i){0, 1, 4, 5});
    return xo;
}

#endif
