/* The OTA filter core (later MS-20s, the KLM-307 board): two LM13600 OTAs charging C4 and
 * C5 (2n2 each), each followed by its Darlington buffer, so the two one-poles do not load
 * each other; the loop closes through X5, a x4 op-amp stage limited by strings of three
 * 1N4148s (the feedback-path diodes), into C4's foot. Stinchcombe, "A Study of the Korg
 * MS10 & MS20 Filters" (figure 2, sections 2.1 and 5); netlist: tools/spice/ota_lpf.cir.
 *
 * Each OTA sees its inputs through 10k/220 dividers and gives Iabc tanh(vd / 2 VT), so in
 * volts at the buffers (b1, b2) and normalised to the cutoff:
 *     d(b1 - fb)/dt = -w1 Z1 tanh((x_lp + b1) / Z1)      (R19, R22 into R21; C4 to fb)
 *     d(b2 - x_hp)/dt = w2 Z2 tanh((b1 - b2) / Z2)       (R24 / R27 into R25 / R26; C5)
 * Z1 = 2 VT (1 + 2 x 10k / 220 ... ) = 2.4535 V and Z2 = 2.4018 V are the input voltages at
 * which the OTAs saturate; w1 / w2 = Z2 / Z1 (the dividers differ: X1 sums two 10k
 * resistors); fb = X5(k_div b2), X5's gain 1 + 10k/3k3 limited by the diodes
 * (dsp/diode_limiter.h). Linear: b2 / x_lp = -1 / (s^2 + (2 - k) s + 1), as the study's
 * equation (5); the whistle starts at k = 2.
 * Each OTA's output resistance (15 Mohm in the macro-model, tools/spice/models.lib) leaks
 * its capacitor at 1 / (Ro C) = 30 rad/s, which thins the bass and damps the loop at low
 * cutoffs; X5 (a 1 MHz op amp at a gain of 4) adds a 250 kHz pole to the loop, whose small
 * phase lag flattens the whistle at high cutoffs.
 * Solved per step (trapezoidal, zero-delay): with each tanh and the diodes replaced by
 * their secant gains at the values extrapolated from the last two steps, the loop is a 2x2
 * linear system in b1, b2: one division for the solve, one per tanh.
 */
#ifndef MS20_DSP_OTA_CORE_H
#define MS20_DSP_OTA_CORE_H

#include "diode_limiter.h"
#include "simd4.h"
#include "tpt.h"

#define OTA_Z1_V 2.4535f       /* 2 VT x 47.45: X1's input divider (10k, 10k, 220) */
#define OTA_Z2_V 2.4018f       /* 2 VT x 46.45: X2's (10k, 220) */
#define OTA_STAGE_SPLIT 1.0107f /* sqrt(Z1 / Z2): w2 = w sqrt(Z1/Z2), w1 = w / sqrt(Z1/Z2) */
#define OTA_X5_EXCESS 3.0303f  /* X5's gain less one: R30 / R31 = 10k / 3k3 (VR2 mid) */
#define OTA_LEAK_RAD_S 30.3f   /* 1 / (15 Mohm x 2n2): the OTA outputs' leak */
#define OTA_X5_CORNER_HZ 248000.0f /* 1 MHz / 4.03 */

/* Up to four cores side by side, one per lane (dsp/simd4.h): the filter section runs its
 * HPF in lane 0 and its LPF in lane 1; idle lanes with zero coefficients stay at rest. */
typedef struct {
    v4f s1, s2;   /* trapezoidal states of C4 (b1 - fb) and C5 (b2 - x_hp) */
    /* X1's input over Z1 and X2's over Z2, last two steps, packed {z1 lane 0, z1 lane 1,
     * z2 lane 0, z2 lane 1} so that one rational gives both OTAs' gains (ota_step): two
     * cores only */
    v4f z12, z12p;
    v4f w, wp;    /* X5's input (k_div b2), last two steps */
    v4f x5;       /* X5's bandwidth: one-pole state */
} ota_lanes;

/* Each lane's coefficients. */
typedef struct {
    v4f g1, g2;   /* integrator gains of the two stages at the oversampled rate */
    v4f k_div;    /* the PEAK divider: X5's input per volt of b2 */
    v4f leak;     /* the leak's integrator gain: OTA_LEAK_RAD_S T / 2 (ota_set_rate) */
    v4f x5_G;     /* X5's one-pole gain at the oversampled rate (ota_set_rate) */
    /* each OTA's input's DC as t0 = tanh(z0) (ota_set_dc): 1 - t0^2 and t0, lanes 0, 1 X1's, 2, 3 X2's */
    v4f sech2_dc, tanh_dc;
    v4f foot;     /* the high-pass's input at C4's foot per volt at C5's (ota_set_hp_foot; 0 in
                   * the low-pass lane) */
    /* ota_set's constants (ota_set_rate), held here: loaded in pairs, where GCC builds each
     * float constant from two integer moves and an fmov on aarch64 */
    float pi_os;             /* pi / the oversampling: the prewarp's x per engine-rate fc */
    float inv_os;            /* 1 / the oversampling */
    float split_lo, split_hi; /* 1 / OTA_STAGE_SPLIT, OTA_STAGE_SPLIT */
} ota_lane_coefs;

/* The PEAK pot's divider from the output (b2) to X5's input, at pot travel a (0..1, wiper
 * from ground): R29 8k2 into VR1 10k with R8x 2k2 across its upper part. 10 / 18.2 at
 * full travel, so the loop gain reaches 4 x 0.549 = 2.2 (the whistle needs 2). */
static inline float ota_peak_divider(float a)
{
    a = clampf(a, 0.0f, 1.0f);
    float lo = 10e3f * a, up = 10e3f * (1.0f - a);
    float up_p = up * 2200.0f / (up + 2200.0f);
    return lo / (8200.0f + up_p + lo);
}

/* Lane `lane` (0 or 1) back to rest. */
static inline void ota_reset_lane(ota_lanes *s, int lane)
{
    s->s1[lane] = s->s2[lane] = s->w[lane] = s->wp[lane] = s->x5[lane] = 0.0f;
    s->z12[lane] = s->z12p[lane] = s->z12[lane + 2] = s->z12p[lane + 2] = 0.0f;
}

/* The fixed-frequency parts at the oversampled rate fs_os = os fs (fs the engine rate, os a
 * power of two): once, at init. X5's pole is not prewarped (its phase lag far below it is
 * what matters, and the plain bilinear map keeps it; 248 kHz is above the oversampled Nyquist
 * anyway). */
static inline void ota_set_rate(ota_lane_coefs *c, int lane, float fs, int os)
{
    float fs_os = (float)os * fs;
    c->pi_os = MS20_PI / (float)os; /* exact: os is a power of two */
    c->inv_os = 1.0f / (float)os;
    c->split_lo = 1.0f / OTA_STAGE_SPLIT;
    c->split_hi = OTA_STAGE_SPLIT;
    c->leak[lane] = OTA_LEAK_RAD_S * 0.5f / fs_os;
    c->sech2_dc[lane] = c->sech2_dc[lane + 2] = 1.0f; /* no DC until ota_set_dc */
    c->tanh_dc[lane] = c->tanh_dc[lane + 2] = 0.0f;
    float g = MS20_PI * OTA_X5_CORNER_HZ / fs_os;
    c->x5_G[lane] = g / (1.0f + g);
}

static inline void ota_set_feedback(ota_lane_coefs *c, int lane, float k_div) { c->k_div[lane] = k_div; }

/* The buffers' DC b1, b2 at the lane's cutoff (volts: each OTA supplies its output's leak at
 * its buffer's drop, dsp/cv_feedthrough.h) puts the OTAs' inputs off zero by z0 = b1 / Z1 and
 * (b1 - b2) / Z2, so the tanh is lopsided: the circuit's 2nd harmonic (-55 dBc in the
 * simulated HPF, 1 V at 302 Hz). The step's variables are the deviations z from that DC, and
 * tanh(z0 + z) - tanh(z0) = tanh(z) (1 - t0^2) / (1 + t0 tanh(z)), t0 = tanh(z0): the secant
 * gain times (1 - t0^2) (1 - t0 tanh(z)) (ota_step), to first order in t0, which is under
 * 0.2 (the buffers' DC is 0.46 V at most, 21 Hz, over Z = 2.4 V); t0 = z0 - z0^3 / 3 too. */
static inline void ota_set_dc(ota_lane_coefs *c, int lane, float b1, float b2)
{
    float z1 = b1 * (1.0f / OTA_Z1_V), z2 = (b1 - b2) * (1.0f / OTA_Z2_V);
    float t1 = z1 * (1.0f - z1 * z1 * (1.0f / 3.0f)), t2 = z2 * (1.0f - z2 * z2 * (1.0f / 3.0f));
    c->tanh_dc[lane] = t1;
    c->tanh_dc[lane + 2] = t2;
    c->sech2_dc[lane] = 1.0f - t1 * t1;
    c->sech2_dc[lane + 2] = 1.0f - t2 * t2;
}

/* fc in cycles per engine sample (0 .. 0.45, 0 .. 0.225 of the oversampled rate): tpt_tan_pi
 * at fc / os, x = (pi / os) fc (the same float: os is a power of two), its constants from
 * ota_set_rate. One division. */
static inline void ota_set(ota_lane_coefs *c, int lane, float fc)
{
    float x = c->pi_os * fc, x2 = x * x;
    float g = x * (15.0f - x2) / (15.0f - 6.0f * x2);
    c->g1[lane] = g * c->split_lo;
    c->g2[lane] = g * c->split_hi;
}

/* The high-pass lane's stopband against the prewarped integrators' warping: at PEAK 0 the
 * HPF is (s + L) / (s + L + w2), whose stopband, s / w2, the bilinear map puts at frequencies
 * lowered by x / tan x (x = pi fc / fs): 1.4 dB low at a 20 kHz cutoff at 2x. A part e of the
 * input at C4's foot (the first stage's, as korg35_set_hp_foot's at C12's) multiplies the
 * response by the shelf 1 + e w2 / (s + L + w1): e = (tan x / x - 1) w1 / w2 (the leak's
 * L / w1 is no matter where tan x / x differs from 1) puts the stopband back; the shelf is
 * gone well above the cutoff. tan x / x by tpt_warp. fc in cycles
 * per engine sample, as ota_set's; after ota_set_rate. */
static inline void ota_set_hp_foot(ota_lane_coefs *c, int lane, float fc)
{
    fc *= c->inv_os;
    float x2 = MS20_PI * MS20_PI * fc * fc;
    float e = tpt_warp(x2) * (1.0f / (OTA_STAGE_SPLIT * OTA_STAGE_SPLIT));
    c->foot[lane] = e;
}

/* tanh(z) / z: the Pade 7/6 tanh of dsp/fastmath.h over z, and 1 / |z| beyond its 4.97. */
static inline v4f ota_tanh_gain(v4f z)
{
    v4f zc = v4_clamp(z, -4.97f, 4.97f), z2 = zc * zc;
    v4f a = 135135.0f + z2 * (17325.0f + z2 * (378.0f + z2));
    v4f b = 135135.0f + z2 * (62370.0f + z2 * (3150.0f + z2 * 28.0f));
    return 4.97f * a / (b * v4_max(v4_abs(z), v4_splat(4.97f)));
}

/* One oversampled step with x_lp (R19's input) and x_hp (C5's foot); returns b2. With PEAK
 * at 0 and the first stage at rest (ota_rest_lane) it is the second stage alone, the HPF's
 * usual setting. */
__attribute__((always_inline)) static inline v4f ota_step(ota_lanes *s, const ota_lane_coefs *c,
                                                          const float *table, v4f x_lp, v4f x_hp)
{
    v4f zx = s->z12 + (s->z12 - s->z12p);
    v4f t12 = ota_tanh_gain(zx); /* lanes 0, 1: X1's; 2, 3: X2's */
    t12 = t12 * c->sech2_dc * (1.0f - c->tanh_dc * zx * t12); /* about the inputs' DC (ota_set_dc) */
    v4f G1 = c->g1 * t12;
    v4f G2 = c->g2 * __builtin_shuffle(t12, (v4i){2, 3, 2, 3});
    v4f wx = s->w + (s->w - s->wp);
    v4f phi = c->k_div * (1.0f + OTA_X5_EXCESS * diode_gain2(table, OTA_X5_EXCESS * wx)); /* X5's out / b2 */
    v4f Gp = c->x5_G, sp = s->x5, lk = c->leak;
    v4f s1 = s->s1, s2 = s->s2;
    /* with C4's voltage c4 = b1 - fb and C5's c5 = b2 - x_hp, each stage is
     *   c = s + G (drive) - leak c,  so  c (1 + leak) = s + G (drive);
     * fb = Gp phi b2 + (1 - Gp) sp (X5's pole). In b1, b2:
     *   b1 (1 + l + G1) = s1 - G1 x_lp + (1 + l) (fb + e x_hp)
     *   b2 (1 + l + G2) = s2 + (1 + l) x_hp + G2 b1 */
    v4f ol = 1.0f + lk;
    v4f a1 = s1 - G1 * x_lp + ol * (1.0f - Gp) * sp, o1 = ol + G1;
    v4f xf = c->foot * x_hp; /* the high-pass's part at C4's foot (ota_set_hp_foot) */
    a1 += ol * xf;
    v4f ph = ol * Gp * phi;
    v4f det = v4_max((ol + G2) * o1 - G2 * ph, 0.05f * o1);
    v4f q = 1.0f / (o1 * det);
    v4f b2 = ((s2 + ol * x_hp) * o1 + G2 * a1) * o1 * q;
    v4f b1 = (a1 + ph * b2) * det * q;
    v4f v = Gp * (phi * b2 - sp);
    v4f fb = sp + v;
    s->x5 = fb + v;
    s->s1 = 2.0f * ((b1 - fb) - xf) - s1; /* C4: b1 - fb - e x_hp */
    s->s2 = 2.0f * (b2 - x_hp) - s2;
    s->z12p = s->z12;
    s->z12 = __builtin_shuffle((x_lp + b1) * (1.0f / OTA_Z1_V), (b1 - b2) * (1.0f / OTA_Z2_V), (v4i){0, 1, 4, 5});
    s->wp = s->w;
    s->w = c->k_div * b2;
    return b2;
}

/* PEAK reached 0 in lane `lane`: its first stage and X5 come to rest (they start from there
 * when PEAK rises), so the step is its second stage alone. */
static inline void ota_rest_lane(ota_lanes *s, int lane)
{
    s->s1[lane] = s->z12[lane] = s->z12p[lane] = s->w[lane] = s->wp[lane] = s->x5[lane] = 0.0f;
}

#endif
