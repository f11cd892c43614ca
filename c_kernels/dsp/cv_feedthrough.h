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
 *   R6, so X1's input moves by 100 uV over the cutoff range, x58 at X1's output (C16 keeps
 *   it out of the DC: X1's gain is 1 at DC), behind C14's 9.4 ms (10u x R89 || R55).
 * OTA board (ota_cv_lpf.cir: the KLM-307's expo converter drawn in):
 * - each OTA must supply its output's leak (15 Mohm in the macro-model) at its buffer's
 *   1.4 V above the output, so the buffers sit off zero by 1.4 V x leak / wc, a DC at b2 of
 *   -0.46 V at the bottom of the range, -23 mV at 570 Hz, -1.2 mV at 11 kHz; a sweep moves
 *   it through the core's low-pass (the loop), then the output coupling: -0.43 V for the
 *   2 ms sweep at PEAK 0. The closed form below is within 0.5 % of the simulation's DC.
 * - the cutoff law: R37 (10 M from ground into the Iabc pins) is a floor of 1.4 uA (21 Hz)
 *   under the expo converter's current, and R32 (2k2 under Q2a's base: the base current)
 *   with Q2a's Early effect compress the top: fc = floor + knee W(fc_exp / knee), the
 *   Lambert W, within 3.2 % of the simulation from 21 Hz to 18 kHz (knee 18.2 kHz, floor
 *   21.1 Hz, fitted to the simulated bias current; beta VT / R32 alone would give 32 kHz).
 *   The Korg35's law is exponential within 0.8 % from 83 Hz to 4.3 kHz (1.8 % from 58 Hz to
 *   8.6 kHz): not modelled.
 *
 * Both lanes (HPF_LANE, LPF_LANE) run side by side at the engine rate: each lane's source
 * (the OTA's DC target, the Korg35's kick) through a two-pole low-pass at the lane's cutoff
 * with its PEAK's damping, the HPF's result into the LPF's (the HPF's thump goes through
 * the LPF, as in the instrument), plus the Korg35's slow shift. Linear, so the section adds
 * it to its output before the coupling capacitor. It runs only while a cutoff moves and
 * for a while after (cvft_move sets how long); then its output is folded into the coupling
 * capacitor's state and nothing is added (cvft_tick's caller: vcf.c).
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

typedef struct {
    v4f s1, s2, y;    /* the two-pole's TPT states and last output, per lane */
    v4f g, h, d;      /* its coefficients: tan(pi fc), 1 / (1 + d g + g^2), damping */
    v4f src;          /* its input: the OTA's DC target per lane, or the Korg35's kick (one sample) */
    v4f slow, slow_target; /* Korg35: the slow shift behind C14 */
    v4f fc;           /* the lanes' last cutoffs, cycles per engine sample */
    float slow_a;     /* C14's one-pole at the engine rate */
    float log2_fs_khz;/* log2(fs / 1 kHz) */
    float leak;       /* the OTA outputs' leak in radians per engine sample */
    float floor, knee;/* the OTA law in cycles per engine sample */
    float base;       /* what has been folded into the coupling capacitor's state */
    float dev;        /* the last output (what the section added) */
    float fs;
    int left;         /* samples still to run (0: at rest, nothing added) */
    int fresh;        /* the next cvft_move starts at rest at its cutoffs (no thump) */
} cvft_state;

static inline void cvft_init(cvft_state *f, float fs, float leak_rad_s)
{
    static const cvft_state zero;
    *f = zero;
    f->fs = fs;
    f->slow_a = 1.0f - expf(-1.0f / (CVFT_K35_C14_S * fs));
    f->log2_fs_khz = log2f(fs * 0.001f);
    f->leak = leak_rad_s / fs;
    f->floor = CVFT_OTA_FLOOR_HZ / fs;
    f->knee = CVFT_OTA_KNEE_HZ / fs;
    f->fresh = 1;
}

/* The OTA board's cutoff for the exponential part fc (cycles per sample): the floor plus the
 * knee times W(fc / knee), W by a rational (0.04 % on 0..3). One division. */
static inline float cvft_ota_law(const cvft_state *f, float fc)
{
    float x = fc / f->knee;
    float w = x * (1.0f + x * (1.10938f + x * 0.0479577f)) / (1.0f + x * (2.10578f + x * 0.697546f));
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

/* Each lane's source at cutoffs fc (cycles per engine sample, clamped as the section's):
 * the OTA's target, or the Korg35's slow target. */
static inline v4f cvft_ota_target(const cvft_state *f, v4f fc)
{
    /* b1 = -drop r1 / (1 + r1), b2 = (b1 - drop r2) / (1 + r2), r = leak / w per stage
     * (the stages' split, ota_core.h); the LPF lane is inverted (b2 = -x), the HPF's not */
    v4f w = (2.0f * MS20_PI) * fc;
    v4f r1 = f->leak * OTA_STAGE_SPLIT / w, r2 = f->leak / (OTA_STAGE_SPLIT * w);
    v4f b2 = -CVFT_OTA_DROP_V * (r1 / (1.0f + r1) + r2) / (1.0f + r2);
    v4f sign = {1.0f, 1.0f, 1.0f, 1.0f};
    sign[LPF_LANE] = -1.0f;
    return b2 * sign;
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

/* At rest at the cutoffs f->fc for revision ota (1) or the Korg35 (0): the section's
 * output goes on from what it added last (dev), which the next tick keeps, then folds. */
static inline void cvft_rest(cvft_state *f, int ota)
{
    v4f z = v4_splat(0.0f);
    v4f t = ota ? cvft_ota_target(f, f->fc) : z;
    f->src = t;
    f->y = t;
    f->y[LPF_LANE] += t[HPF_LANE]; /* the HPF's DC through the LPF */
    f->s1 = z;
    f->s2 = f->y;
    f->slow = f->slow_target = ota ? z : cvft_k35_slow(f, f->fc);
    f->base = cvft_raw(f) - f->dev;
    f->left = f->dev != 0.0f;
    f->fresh = 0;
}

/* The cutoffs moved (cycles per engine sample, clamped) with the lanes' dampings d (the
 * core's without feedback less its PEAK's loop gain): new sources and coefficients. */
static inline void cvft_move(cvft_state *f, int ota, v4f fc, v4f d)
{
    v4f prev = f->fc;
    f->fc = fc;
    if (f->fresh) {
        cvft_rest(f, ota);
        prev = fc;
    }
    v4f x = MS20_PI * fc, x2 = x * x; /* tan(pi fc) as tpt_tan_pi (dsp/tpt.h) */
    v4f g = x * (15.0f - x2) / (15.0f - 6.0f * x2);
    d = v4_max(d, v4_splat(CVFT_MIN_DAMPING));
    f->g = g;
    f->d = d;
    f->h = 1.0f / (1.0f + g * (d + g));
    if (ota) {
        f->src = cvft_ota_target(f, fc);
    } else {
        /* d ln(fc) per sample, 2 (r - 1) / (r + 1) (a sample's step is small), over wc */
        v4f kick = (2.0f * CVFT_K35_KICK / (2.0f * MS20_PI)) * (fc - prev) / ((fc + prev) * fc);
        f->src = kick;
        f->slow_target = cvft_k35_slow(f, fc);
    }
    /* the two-pole's slowest envelope, 1 / (pi d fc) samples, four times over, and C14 */
    float slowest = (4.0f / MS20_PI) / minf(d[HPF_LANE] * fc[HPF_LANE], d[LPF_LANE] * fc[LPF_LANE]);
    f->left = (int)minf(slowest + 5.0f * CVFT_K35_C14_S * f->fs, 2.0f * f->fs);
}

/* The dampings of the lanes' loops at their PEAK settings (the cores' coefficients): the
 * Korg35's a0 less b x buffer x divider x X1's gain, the OTA's 2 less X5's gain x divider. */
static inline v4f cvft_damping(int ota, const korg35_lane_coefs *k, const ota_lane_coefs *o)
{
    if (ota) return 2.0f - (1.0f + OTA_X5_EXCESS) * o->k_div;
    return K35_A0 - (1.0f + K35_X1_EXCESS) * k->kfb;
}

/* Back to a fresh start (the section's reset). */
static inline void cvft_reset(cvft_state *f)
{
    f->left = 0;
    f->dev = 0.0f;
    f->fresh = 1;
}

/* The last tick has run: its output goes into the coupling capacitor's state (the caller
 * takes it off its last input) and nothing more is added. */
static inline float cvft_fold(cvft_state *f)
{
    float d = f->dev;
    f->base += d;
    f->dev = 0.0f;
    return d;
}

/* One engine sample while moving or settling: what to add to the section's output before
 * its coupling capacitor. The Korg35's kick lasts one sample. */
static inline float cvft_tick(cvft_state *f, int ota)
{
    v4f to_lpf = v4_splat(0.0f);
    to_lpf[LPF_LANE] = 1.0f;
    v4f in = f->src + __builtin_shuffle(f->y, (v4i){HPF_LANE, HPF_LANE, HPF_LANE, HPF_LANE}) * to_lpf;
    v4f s1 = f->s1, s2 = f->s2;
    v4f hp = (in - (f->d + f->g) * s1 - s2) * f->h;
    v4f bp = f->g * hp + s1;
    v4f lp = f->g * bp + s2;
    f->s1 = f->g * hp + bp;
    f->s2 = f->g * bp + lp;
    f->y = lp;
    if (!ota) {
        f->src = v4_splat(0.0f);
        f->slow += f->slow_a * (f->slow_target - f->slow);
    }
    --f->left;
    f->dev = cvft_raw(f) - f->base;
    return f->dev;
}

#endif
