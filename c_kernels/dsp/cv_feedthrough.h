/* Control-voltage feedthrough of the two filter revisions, and the OTA board's cutoff law:
 * what a moving cutoff does that an exponential law and a clean core do not. From the
 * transistor-level simulation of each circuit's CV path (tools/spice/make_cv_reference.py,
 * data/cv_{korg35,ota}.npz; docs/filters.md, "Control-voltage feedthrough").
 *
 * Korg35 (korg35_lpf.cir: the CV network R1, R2, R55, R58, R89, C14 and the chip's Q1):
 * - a kick: the CV moves the chip's common base node (19 mV per CV volt), whose junction
 *   capacitances push charge into C12/C13; the core turns it into a pulse at the output
 *   proportional to the cutoff's rate of change over the cutoff, d ln(fc)/dt / wc, shaped by
 *   the core's own low-pass (positive for a rising cutoff: +52 mV at unity gain for a
 *   -3 -> +2 V sweep in 2 ms at PEAK 0, +142 mV at PEAK 5, ringing);
 * - a slow shift: the CV also moves C14's node, the JFET follower's bias returns through
 *   R6, so X1's input moves by -92 uV from -3 to +2 V (-46 uV/V at the bottom, -4 at the
 *   top), x58 at X1's output (C16 keeps it out of the DC: X1's gain is 1 at DC), behind
 *   C14's 9.4 ms (10u x R89 || R55).
 * OTA board (ota_cv_lpf.cir: the KLM-307's expo converter drawn in):
 * - each OTA must supply its output's leak (15 Mohm in the macro-model) at its buffer's
 *   1.4 V above the output, so the buffers sit off zero by 1.4 V x leak / wc, a DC at b2 of
 *   -0.46 V at the bottom of the range, -23 mV at 570 Hz, -1.2 mV at 11 kHz; a sweep moves
 *   it through the core's low-pass (the loop), then the output coupling: -0.43 V for the
 *   2 ms sweep at PEAK 0. The closed form below is within 0.5 % of the simulation's DC.
 * - the cutoff law: R37 (10 M from ground into the Iabc pins) is a floor of 1.4 uA (21 Hz)
 *   under the expo converter's current, and R32 (2k2 under Q2a's base: the base current)
 *   with Q2a's Early effect compress the top: fc = floor + knee W(fc_exp / knee), the
 *   Lambert W, within 2.5 % of the simulation from 21 Hz to 18 kHz (knee 18.2 kHz, floor
 *   21.1 Hz, fitted to the simulated bias current; beta VT / R32 alone would give 32 kHz).
 *   The Korg35's law is exponential within 0.8 % from 83 Hz to 4.3 kHz (1.8 % from 58 Hz to
 *   8.6 kHz): not modelled.
 *
 * Both lanes (HPF_LANE, LPF_LANE) run side by side, at an eighth of the engine rate (the
 * thump is slow: its pulse lasts about a cutoff period, and it is largest at low cutoffs):
 * each lane's source (the OTA's DC target, the Korg35's kick) through a two-pole low-pass at
 * the lane's cutoff (at most 0.45 of that rate) with its PEAK's damping, the HPF's
 * result into the LPF's (the HPF's thump goes through the LPF, as in the instrument), plus
 * the Korg35's slow shift; linear interpolation back to the engine rate. Linear, so the
 * section adds it to its output before the coupling capacitor, which sees only its steps:
 * it adds the interpolation's slope to the capacitor's output (vcf.c: vcf_output), and
 * nothing at all once the updates stop, CVFT_SETTLE_S after the last move (what still rang
 * then is held, not cut). Per engine sample that is a counter, an add and the update's
 * share (one division, a vector two-pole). The update also sets where the OTA cores take
 * their tanh from (cvft_ota_set_dc: the same DC makes the OTA board's 2nd harmonic).
 */
#ifndef MS20_DSP_CV_FEEDTHROUGH_H
#define MS20_DSP_CV_FEEDTHROUGH_H

#include <math.h>
#include <string.h>

#include "../hpf.h"
#include "../lpf.h"
#include "simd4.h"

/* Korg35: the kick's gain, volts at unity gain per unit of d ln(fc)/dt / wc: fitted to the
 * simulated 2 ms sweep at PEAK 0 (the 10 ms sweep and PEAK 5 then match within 0.6 dB) */
#define CVFT_K35_KICK 0.122f
/* Korg35: the slow shift at unity gain against L = log2(fc / 1 kHz), a quadratic through the
 * simulated DC (within 1.2 mV from 58 Hz to 8.6 kHz; X1's input x 58.4 / the stage's 0.2365) */
#define CVFT_K35_S2 0.000883f
#define CVFT_K35_S1 (-0.003533f)
#define CVFT_K35_L_MIN (-4.1f)
#define CVFT_K35_L_MAX 3.1f
#define CVFT_K35_C14_S 0.009375f /* C14 10u x (R89 1k || R55 15k) */
/* OTA board: the buffers' drop (the macro-model's Darlington, models.lib) */
#define CVFT_OTA_DROP_V 1.4f
/* OTA board's law: R37's floor and the converter's knee (see above) */
#define CVFT_OTA_FLOOR_HZ 21.1f
#define CVFT_OTA_KNEE_HZ 18240.0f
#define CVFT_MIN_DAMPING 0.1f /* a whistling PEAK: the thump rings, but stays bounded */
#define CVFT_DECIM 8          /* engine samples per update */
#define CVFT_FC_MAX 0.45f     /* the two-pole's cutoff limit, cycles per update (tpt_tan_pi's range) */
#define CVFT_IDLE 0x7fffffff  /* phase while at rest: no update due for 12 hours, then a harmless one */
/* How long it runs after the last move: C14's lag five times over and the two-pole's
 * envelope (1 / (pi d fc)) four times at 30 Hz, PEAK 0; what rings longer (a low cutoff at a
 * high PEAK) is frozen then, into the coupling capacitor's state, not cut */
#define CVFT_SETTLE_S 0.1f

typedef struct {
    v4f s1, s2, y;    /* the two-pole's TPT states and last output, per lane */
    v4f fc, inv;      /* the lanes' cutoffs at the last update (cycles per engine sample), 1 / them */
    v4f slow;         /* Korg35: the slow shift behind C14 */
    float slope;      /* the output's step per engine sample, to the last update's value */
    float last;       /* the output at the last update */
    float slow_a;     /* C14's one-pole per update */
    float log2_fs_khz;/* log2(fs / 1 kHz) */
    float leak;       /* the OTA outputs' leak in radians per engine sample */
    float floor, knee;/* the OTA law in cycles per engine sample */
    /* W's rational's coefficients (cvft_ota_law), held here: loaded in pairs, where GCC builds
     * each float constant from two integer moves and an fmov on aarch64 */
    float w_n1, w_n2, w_d1, w_d2;
    int phase;        /* engine samples to the next update (CVFT_IDLE: none due) */
    int left;         /* updates still to run after this one */
    int settle;       /* what a move sets left to */
    int fresh;        /* the next update starts at rest at its cutoffs (no thump) */
} cvft_state;

static inline void cvft_init(cvft_state *f, float fs, float leak_rad_s)
{
    static const cvft_state zero;
    *f = zero;
    f->slow_a = 1.0f - expf(-(float)CVFT_DECIM / (CVFT_K35_C14_S * fs));
    f->log2_fs_khz = log2f(fs * 0.001f);
    f->leak = leak_rad_s / fs;
    f->floor = CVFT_OTA_FLOOR_HZ / fs;
    f->knee = CVFT_OTA_KNEE_HZ / fs;
    f->w_n1 = 1.10938f;
    f->w_n2 = 0.0479577f;
    f->w_d1 = 2.10578f;
    f->w_d2 = 0.697546f;
    f->settle = (int)(CVFT_SETTLE_S * fs) / CVFT_DECIM;
    f->phase = CVFT_IDLE;
    f->fresh = 1;
}

/* The OTA board's cutoff for the exponential part fc (cycles per sample): the floor plus the
 * knee times W(fc / knee), W by a rational (0.04 % on 0..3; its coefficients from cvft_init).
 * Two divisions. */
static inline float cvft_ota_law(const cvft_state *f, float fc)
{
    float x = fc / f->knee;
    float w = x * (1.0f + x * (f->w_n1 + x * f->w_n2)) / (1.0f + x * (f->w_d1 + x * f->w_d2));
    return f->floor + f->knee * w;
}

/* The law for a cutoff that may not have moved: one compare then (the engine's, per sample). */
typedef struct {
    float in, out;
} cvft_law_cache;

static inline float cvft_ota_law_cached(cvft_law_cache *c, const cvft_state *f, float fc)
{
    if (fc != c->in) {
        c->in = fc;
        c->out = cvft_ota_law(f, fc);
    }
    return c->out;
}

/* log2 of positive x to within 0.01 (exponent bits and a quadratic): the Korg35's slow shift
 * needs no more */
static inline v4f cvft_log2(v4f x)
{
    v4i b;
    memcpy(&b, &x, sizeof b);
    v4f e = __builtin_convertvector((b >> 23) - 127, v4f);
    v4i mb = (b & 0x007fffff) | 0x3f800000;
    v4f m;
    memcpy(&m, &mb, sizeof m);
    return e + (m - 1.0f) * (1.3466f - 0.3466f * (m - 1.0f));
}

/* The OTA board's buffers' DC per lane (volts, b1 and b2) from 1 / fc (cycles per engine
 * sample): b1 = -drop r1 / (1 + r1), b2 = (b1 - drop r2) / (1 + r2), r = leak / w per stage
 * (the stages' split, ota_core.h). One division. */
static inline void cvft_ota_dc(const cvft_state *f, v4f inv_fc, v4f *b1, v4f *b2)
{
    v4f r = f->leak * (1.0f / (2.0f * MS20_PI)) * inv_fc;
    v4f r1 = OTA_STAGE_SPLIT * r, r2 = (1.0f / OTA_STAGE_SPLIT) * r;
    v4f q = -CVFT_OTA_DROP_V / ((1.0f + r1) * (1.0f + r2));
    *b1 = q * r1 * (1.0f + r2);
    *b2 = q * (r1 + r2 * (1.0f + r1));
}

/* The OTA's source per lane: b2's DC, the LPF lane inverted (b2 = -x), the HPF's not. */
static inline v4f cvft_ota_target(const cvft_state *f, v4f inv_fc)
{
    v4f b1, b2;
    cvft_ota_dc(f, inv_fc, &b1, &b2);
    v4f sign = v4_splat(1.0f);
    sign[LPF_LANE] = -1.0f;
    return b2 * sign;
}

/* Where the OTA cores take their tanh from, at the cutoffs (1 / them, per engine sample). */
static inline void cvft_ota_set_dc(const cvft_state *f, ota_lane_coefs *c, v4f inv_fc)
{
    v4f b1, b2;
    cvft_ota_dc(f, inv_fc, &b1, &b2);
    ota_set_dc(c, HPF_LANE, b1[HPF_LANE], b2[HPF_LANE]);
    ota_set_dc(c, LPF_LANE, b1[LPF_LANE], b2[LPF_LANE]);
}

static inline v4f cvft_k35_slow(const cvft_state *f, v4f fc)
{
    v4f l = v4_clamp(cvft_log2(fc) + f->log2_fs_khz, CVFT_K35_L_MIN, CVFT_K35_L_MAX);
    return l * (CVFT_K35_S1 + CVFT_K35_S2 * l);
}

/* The raw output: the LPF lane's two-pole and both lanes' slow shifts. */
static inline float cvft_raw(const cvft_state *f)
{
    return f->y[LPF_LANE] + f->slow[HPF_LANE] + f->slow[LPF_LANE];
}

/* At rest at the cutoffs f->fc (1 / them in f->inv) for revision ota (1) or the Korg35 (0):
 * the output holds (the coupling capacitor sees only its steps). */
static inline void cvft_rest(cvft_state *f, int ota)
{
    v4f z = v4_splat(0.0f);
    v4f t = ota ? cvft_ota_target(f, f->inv) : z;
    f->y = t;
    f->y[LPF_LANE] += t[HPF_LANE]; /* the HPF's DC through the LPF */
    f->s1 = z;
    f->s2 = f->y;
    f->slow = ota ? z : cvft_k35_slow(f, f->fc);
    f->last = cvft_raw(f);
    f->slope = 0.0f;
    f->fresh = 0;
}

/* The dampings of the lanes' loops at their PEAK settings (the cores' coefficients): the
 * Korg35's a0 less b x buffer x divider x X1's gain, the OTA's 2 less X5's gain x divider. */
static inline v4f cvft_damping(int ota, const korg35_lane_coefs *k, const ota_lane_coefs *o)
{
    if (ota) return 2.0f - (1.0f + OTA_X5_EXCESS) * o->k_div;
    return K35_A0 - (1.0f + K35_X1_EXCESS) * k->kfb;
}

/* A cutoff or PEAK moved (the section's retune): run, or keep running, from here. */
static inline void cvft_moved(cvft_state *f)
{
    f->left = f->settle;
    if (f->phase > CVFT_DECIM) f->phase = 1; /* it was at rest: an update at once */
}

/* Back to a fresh start (the section's reset). */
static inline void cvft_reset(cvft_state *f)
{
    f->left = 0;
    f->phase = CVFT_IDLE;
    f->slope = 0.0f;
    f->fresh = 1;
}

/* The update, every CVFT_DECIM engine samples while running, at the lanes' cutoffs fc
 * (cycles per engine sample, clamped as the section's) and dampings d. One division gives
 * the two-pole's g = tan(pi fc D) (as tpt_tan_pi, dsp/tpt.h: num / den) and
 * h = 1 / (1 + d g + g^2), and 1 / fc: the OTA's leak over wc, and the Korg35's kick,
 * K d ln(fc) / wc = K / (2 pi) (1 / fc_before - 1 / fc) since the last update, over D as
 * one update's input. */
static inline void cvft_update(cvft_state *f, int ota, v4f fc, v4f d)
{
    d = v4_max(d, v4_splat(CVFT_MIN_DAMPING));
    v4f x = MS20_PI * v4_min(fc * (float)CVFT_DECIM, v4_splat(CVFT_FC_MAX)), x2 = x * x;
    v4f num = x * (15.0f - x2), den = 15.0f - 6.0f * x2;
    v4f e = den * den + num * (d * den + num);
    v4f q = 1.0f / (fc * den * e);
    v4f inv = den * e * q;
    v4f g = num * e * fc * q;
    v4f h = den * den * den * fc * q;
    f->fc = fc;
    if (f->fresh) { /* at rest here: no kick */
        f->inv = inv;
        cvft_rest(f, ota);
    }
    v4f src;
    if (ota) {
        src = cvft_ota_target(f, inv);
    } else {
        src = (CVFT_K35_KICK / (2.0f * MS20_PI * CVFT_DECIM)) * (f->inv - inv);
        f->slow += f->slow_a * (cvft_k35_slow(f, fc) - f->slow);
    }
    f->inv = inv;
    v4f to_lpf = v4_splat(0.0f);
    to_lpf[LPF_LANE] = 1.0f;
    v4f in = src + __builtin_shuffle(f->y, (v4i){HPF_LANE, HPF_LANE, HPF_LANE, HPF_LANE}) * to_lpf;
    v4f s1 = f->s1, s2 = f->s2;
    v4f hp = (in - (d + g) * s1 - s2) * h;
    v4f bp = g * hp + s1;
    v4f lp = g * bp + s2;
    f->s1 = g * hp + bp;
    f->s2 = g * bp + lp;
    f->y = lp;
    float raw = cvft_raw(f);
    f->slope = (raw - f->last) * (1.0f / CVFT_DECIM);
    f->last = raw;
}

#endif
