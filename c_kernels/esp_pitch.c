/* ESP F-V converter (see esp_pitch.h): decimated YIN, a row of the difference function
 * every other decimated sample, an estimate every part (4 ms) over a 16 ms window. A part
 * is computed when it is complete: each lag's sum over its rows stays in a register.
 * Accuracy: parabolic fits at the dip of a multiple of the period (the fitting error
 * shrinks by the multiple). Robustness: YIN's normalised difference, octave checks
 * measured at the exact fractional lag, an energy gate, two-estimate confirmation.
 */
#include "esp_pitch.h"

#include <math.h>
#include <string.h>

#include "dsp/fastmath.h"

#define PART_MS 4.0f          /* estimate interval; the window is ESP_PITCH_PARTS parts */
#define ROW_RATE_HZ 3000.0f   /* rows of d per second: fewer than samples, but the squared
                               * differences (up to ~2.5 kHz) must not alias onto DC */
#define F_MIN_HZ 38.0f        /* lowest pitch tracked: a bass guitar's low E (41 Hz) */
#define F_MAX_HZ 2100.0f
#define LONG_FROM_HZ 70.0f    /* below this the window grows from 16 ms ... */
#define LONG_TO_HZ 45.0f      /* ... to 32 ms here: a low E sees more than one period */
#define LP_FRACTION 0.17f     /* the tracker's low-pass, of the decimated rate (1 kHz at 6 kHz) */
#define DIP_CMND 0.15f        /* YIN's absolute threshold: the first dip below this is the period */
#define ACCEPT_CMND 0.2f      /* no dip this clean: not periodic enough, hold */
#define NEAR_BEST 1.5f        /* ... else the first dip within this factor of the deepest */
#define LOOSE_CMND 0.5f       /* dips shallower than this are never the period */
#define DIPS_MAX 8
#define MULTIPLE_TOLERANCE 0.03f
#define SUBMULTIPLE_SLACK 0.02f
#define SHORT_PERIOD_SLACK 0.12f
#define OCTAVE_RATIO 0.3f     /* the double period's dip must be 3x deeper to take over ... */
#define OCTAVE_MARGIN 0.05f   /* ... and deeper by this much (interpolation leaves ~0.01) */
#define CLEAN_OCTAVE_CMND 0.015f /* or, from a dip this shallow (still "clean"), 3x deeper is */
                                 /* enough: a choir's weak fundamental (tones leave < 0.007) ... */
#define CLEAN_OCTAVE_LAG 5.0f    /* ... at 5 samples a period or more (the interpolation leaves
                                  * 0.019 at 3.3 samples: a 1.8 kHz sine) */
#define GATE_RMS_V 0.003f     /* below this the input is silence: hold */
#define AGREE_RATIO 1.0353f   /* 60 cents: estimates this close are the same note */
#define REFINE_TOLERANCE 0.01f /* a multiple's dip must sit within 1 % of where expected */
#define HOLD_START_HZ 261.6255653f /* before any note: C4, i.e. 1 V */

#if defined(__GNUC__) && !defined(MS20_PORTABLE)
/* Four lags at a time (SSE on x86, NEON on ARM). Each lag's sum still adds its rows in
 * time order: the same arithmetic as the scalar path. */
typedef float v4f __attribute__((vector_size(16)));
static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v4_store(float *p, v4f v) { memcpy(p, &v, sizeof v); }

/* The window, lags k .. k+15: the newest SHORT parts and the older ones, weighted per lag. */
static inline void window_sum16(float (*d)[ESP_PITCH_LAG_CAP], int part, const float *sw, const float *lw,
                                float *win, int k)
{
    const int n0 = part, n1 = (part + 7) & 7, n2 = (part + 6) & 7, n3 = (part + 5) & 7;
    const int o0 = (part + 4) & 7, o1 = (part + 3) & 7, o2 = (part + 2) & 7, o3 = (part + 1) & 7;
    for (int q = k; q < k + 16; q += 4) {
        v4f recent = (v4_load(d[n0] + q) + v4_load(d[n1] + q)) + (v4_load(d[n2] + q) + v4_load(d[n3] + q));
        v4f older = (v4_load(d[o0] + q) + v4_load(d[o1] + q)) + (v4_load(d[o2] + q) + v4_load(d[o3] + q));
        v4_store(win + q, v4_load(sw + q) * recent + v4_load(lw + q) * older);
    }
}

/* d[part][k] = sum over rows j (oldest first) of (h[k + j * -stride] - h[j * -stride])^2
 * for k < lags, where h points at the oldest row; then win[k] = the sum of the parts in
 * part order. 32 lags per pass over the rows (eight sums in registers), then 16. */
static void part_rows(float (*d)[ESP_PITCH_LAG_CAP], int part, const float *sw, const float *lw, float *win,
                      const float *h, int stride, int rows, int lags)
{
    v4f xb[ESP_PITCH_ROW_CAP];
    for (int j = 0; j < rows; ++j) {
        float x = h[-j * stride];
        xb[j] = (v4f){x, x, x, x};
    }
    float *out = d[part];
    int k = 0;
    for (; k + 32 <= lags; k += 32) {
        v4f s0 = {0.0f, 0.0f, 0.0f, 0.0f}, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        const float *p = h + k;
        for (int j = 0; j < rows; ++j, p -= stride) {
            v4f x = xb[j], a;
            a = v4_load(p) - x;
            s0 += a * a;
            a = v4_load(p + 4) - x;
            s1 += a * a;
            a = v4_load(p + 8) - x;
            s2 += a * a;
            a = v4_load(p + 12) - x;
            s3 += a * a;
            a = v4_load(p + 16) - x;
            s4 += a * a;
            a = v4_load(p + 20) - x;
            s5 += a * a;
            a = v4_load(p + 24) - x;
            s6 += a * a;
            a = v4_load(p + 28) - x;
            s7 += a * a;
        }
        v4_store(out + k, s0);
        v4_store(out + k + 4, s1);
        v4_store(out + k + 8, s2);
        v4_store(out + k + 12, s3);
        v4_store(out + k + 16, s4);
        v4_store(out + k + 20, s5);
        v4_store(out + k + 24, s6);
        v4_store(out + k + 28, s7);
        window_sum16(d, part, sw, lw, win, k);
        window_sum16(d, part, sw, lw, win, k + 16);
    }
    for (; k < lags; k += 16) {
        v4f s0 = {0.0f, 0.0f, 0.0f, 0.0f}, s1 = s0, s2 = s0, s3 = s0;
        const float *p = h + k;
        for (int j = 0; j < rows; ++j, p -= stride) {
            v4f x = xb[j];
            v4f a = v4_load(p) - x, b = v4_load(p + 4) - x, c = v4_load(p + 8) - x, e = v4_load(p + 12) - x;
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += e * e;
        }
        v4_store(out + k, s0);
        v4_store(out + k + 4, s1);
        v4_store(out + k + 8, s2);
        v4_store(out + k + 12, s3);
        window_sum16(d, part, sw, lw, win, k);
    }
}
#else
static void part_rows(float (*d)[ESP_PITCH_LAG_CAP], int part, const float *sw, const float *lw, float *win,
                      const float *h, int stride, int rows, int lags)
{
    for (int k = 0; k < lags; ++k) {
        float sum = 0.0f;
        for (int j = 0; j < rows; ++j) {
            float a = h[k - j * stride] - h[-j * stride];
            sum += a * a;
        }
        d[part][k] = sum;
        float recent = 0.0f, older = 0.0f;
        for (int p = 0; p < ESP_PITCH_SHORT; ++p) recent += d[(part - p) & 7][k];
        for (int p = ESP_PITCH_SHORT; p < ESP_PITCH_PARTS; ++p) older += d[(part - p) & 7][k];
        win[k] = sw[k] * recent + lw[k] * older;
    }
}
#endif

/* The shortest lags again, from every decimated sample instead of every stride-th: above
 * ~400 Hz the squared differences reach past half the row rate and would alias onto the
 * sums. Scaled by 1 / stride to match the strided rows. h points at the oldest sample of
 * the part (n of them, newest at h[-(n - 1)]). These lags always see the short window
 * (their long_w is 0), so part_rows' window sum serves them too. */
#if defined(__GNUC__) && !defined(MS20_PORTABLE)
static void dense_rows(float (*d)[ESP_PITCH_LAG_CAP], int part, const float *sw, const float *lw, float *win,
                       const float *h, int n, float scale)
{
    v4f s0 = {0.0f, 0.0f, 0.0f, 0.0f}, s1 = s0, s2 = s0, s3 = s0;
    for (int j = 0; j < n; ++j) {
        const float *p = h - j;
        v4f x = {p[0], p[0], p[0], p[0]};
        v4f a = v4_load(p) - x, b = v4_load(p + 4) - x, c = v4_load(p + 8) - x, e = v4_load(p + 12) - x;
        s0 += a * a;
        s1 += b * b;
        s2 += c * c;
        s3 += e * e;
    }
    v4f k = {scale, scale, scale, scale};
    float *out = d[part];
    v4_store(out, s0 * k);
    v4_store(out + 4, s1 * k);
    v4_store(out + 8, s2 * k);
    v4_store(out + 12, s3 * k);
    window_sum16(d, part, sw, lw, win, 0);
}
#else
static void dense_rows(float (*d)[ESP_PITCH_LAG_CAP], int part, const float *sw, const float *lw, float *win,
                       const float *h, int n, float scale)
{
    for (int k = 0; k < ESP_PITCH_DENSE_LAGS; ++k) {
        float acc = 0.0f;
        for (int j = 0; j < n; ++j) {
            float a = h[k - j] - h[-j];
            acc += a * a;
        }
        d[part][k] = acc * scale;
        float recent = 0.0f, older = 0.0f;
        for (int q = 0; q < ESP_PITCH_SHORT; ++q) recent += d[(part - q) & (ESP_PITCH_PARTS - 1)][k];
        for (int q = ESP_PITCH_SHORT; q < ESP_PITCH_PARTS; ++q) older += d[(part - q) & (ESP_PITCH_PARTS - 1)][k];
        win[k] = sw[k] * recent + lw[k] * older;
    }
}
#endif

/* Butterworth low-pass at fc (a fraction of the rate): a bilinear biquad, transposed
 * direct form II (b0 = b2 = b, b1 = 2b). Runs in a batch with its state in registers. */
static void lp_set(esp_pitch_lp *f, float fc)
{
    float g = tanf(MS20_PI * fc), g2 = g * g;
    float inv_a0 = 1.0f / (1.0f + 1.41421356f * g + g2);
    f->b = g2 * inv_a0;
    f->a1 = 2.0f * (g2 - 1.0f) * inv_a0;
    f->a2 = (1.0f - 1.41421356f * g + g2) * inv_a0;
}

static inline float lp_tick(esp_pitch_lp *f, float x)
{
    float bx = f->b * x;
    float y = f->s1 + bx;
    f->s1 = (bx + bx + f->s2) - f->a1 * y;
    f->s2 = bx - f->a2 * y;
    return y;
}

void esp_pitch_reset(esp_pitch_state *s)
{
    memset(s->d, 0, sizeof s->d);
    memset(s->window, 0, sizeof s->window);
    memset(s->energy, 0, sizeof s->energy);
    memset(s->hist, 0, sizeof s->hist);
    memset(s->raw, 0, sizeof s->raw);
    s->fill = 0;
    s->pos = 0;
    s->part = 0;
    for (int i = 0; i < 2; ++i) s->lp[i].s1 = s->lp[i].s2 = 0.0f;
    s->hz = HOLD_START_HZ;
    s->last_hz = 0.0f;
    s->agreed = 0;
    s->notes = 0;
    s->since_note = ESP_PITCH_PARTS;
    s->since_held = 2 * ESP_PITCH_PARTS;
    s->confidence = 0.0f;
}

void esp_pitch_init(esp_pitch_state *s, float fs_decimated_hz)
{
    float fs = fs_decimated_hz;
    s->fs_hz = fs;
    int stride = (int)(fs / ROW_RATE_HZ + 0.5f);
    s->stride = stride < 1 ? 1 : stride;
    int rows = (int)(fs * PART_MS * 0.001f / (float)s->stride + 0.5f);
    rows = rows < 1 ? 1 : rows;
    while (rows > ESP_PITCH_ROW_CAP || rows * s->stride > ESP_PITCH_PART_CAP) rows--; /* not at 8..192 kHz */
    s->rows_per_part = rows;
    s->part_len = rows * s->stride;
    int lags = ((int)(fs / F_MIN_HZ) + 4 + 15) & ~15; /* + room for the fit, to a multiple of 16 */
    s->lags = lags > ESP_PITCH_LAG_CAP ? ESP_PITCH_LAG_CAP : lags;
    int lag_max = (int)(fs / F_MIN_HZ) + 1; /* the search ends here: the rest is room for fits */
    s->lag_max = lag_max > s->lags - 4 ? s->lags - 4 : lag_max;
    int lag_min = (int)(fs / F_MAX_HZ);
    s->lag_min = lag_min < 2 ? 2 : lag_min;
    for (int i = 0; i < 2; ++i) lp_set(&s->lp[i], LP_FRACTION);
    const float k_from = fs / LONG_FROM_HZ, k_to = fs / LONG_TO_HZ;
    s->short_lags = (int)k_from;
    for (int k = 0; k < ESP_PITCH_LAG_CAP; ++k) {
        float g = clampf(((float)k - k_from) / (k_to - k_from), 0.0f, 1.0f); /* the older parts' share */
        s->short_w[k] = 1.0f / (1.0f + g);
        s->long_w[k] = g / (1.0f + g);
    }
    esp_pitch_reset(s);
}

/* Vertex of the parabola through (-1, a), (0, b), (1, c): its offset in [-1, 1]. */
static float parabola_offset(float a, float b, float c)
{
    float den = a - 2.0f * b + c;
    if (!(den > 1e-30f)) return 0.0f;
    float off = 0.5f * (a - c) / den;
    return off < -1.0f ? -1.0f : off > 1.0f ? 1.0f : off;
}

/* The dip's vertex near lag k. At short lags (high notes, 3 to 16 samples a period) the
 * low-passed signal is nearly a sinusoid and d a raised cosine, 1 - cos(2 pi lag / P),
 * which a parabola through three points misplaces by up to a tenth of a sample (tens of
 * cents at 1.5 kHz): the cosine through the same points puts the vertex at
 * atan(-r tan(w / 2)) / w with w = 2 pi / P and r = (c - a) / (a - 2b + c). */
static float dip_offset(const float *d, int k)
{
    float a = d[k - 1], b = d[k], c = d[k + 1];
    float off = parabola_offset(a, b, c);
    float den = a - 2.0f * b + c;
    if (k >= ESP_PITCH_DENSE_LAGS || !(den > 1e-30f)) return off;
    float w = 2.0f * MS20_PI / ((float)k + off);
    float cos_off = atanf((a - c) / den * tanf(0.5f * w)) / w;
    return cos_off < -1.0f ? -1.0f : cos_off > 1.0f ? 1.0f : cos_off;
}

/* ... and its depth (never below 0). */
static float parabola_floor(float a, float b, float c)
{
    float den = a - 2.0f * b + c;
    if (!(den > 1e-30f)) return b;
    float v = b - 0.125f * (a - c) * (a - c) / den;
    return v > 0.0f ? v : 0.0f;
}

/* Cumulative-mean-normalised difference (CMND) at the dip around lag k, taken at the
 * fitted vertex so a period between two lag steps is not judged shallower than it is. */
static float dip_cmnd(const float *d, const float *cum, int k)
{
    return cum[k] > 1e-20f ? parabola_floor(d[k - 1], d[k], d[k + 1]) * (float)k / cum[k] : 1.0f;
}

/* Extends the running sum cum[k] = d[1] + ... + d[k] up to k. */
static void cum_upto(const float *d, float *cum, int *done, int k)
{
    for (int j = *done + 1; j <= k; ++j) cum[j] = cum[j - 1] + d[j];
    *done = k > *done ? k : *done;
}

/* The lowest point of d within +-2 steps of k (k - 3 >= 0, k + 3 < lags). */
static int dip_near(const float *d, int k)
{
    int best = k;
    for (int j = k - 2; j <= k + 2; ++j) best = d[j] < d[best] ? j : best;
    return best;
}

/* The difference function at a fractional lag, from the history, over the same rows
 * as d (4-point Lagrange interpolation). Between two lags a bright signal's dip looks
 * shallower than it is; this is the referee when that matters. */
static float exact_difference(const esp_pitch_state *s, float lag)
{
    int li = (int)lag;
    float f = lag - (float)li;
    float w0 = -f * (f - 1.0f) * (f - 2.0f) * (1.0f / 6.0f), w1 = (f + 1.0f) * (f - 1.0f) * (f - 2.0f) * 0.5f;
    float w2 = -(f + 1.0f) * f * (f - 2.0f) * 0.5f, w3 = (f + 1.0f) * f * (f - 1.0f) * (1.0f / 6.0f);
    const float *h = &s->hist[s->pos];
    const int recent_rows = s->rows_per_part * ESP_PITCH_SHORT, rows = s->rows_per_part * ESP_PITCH_PARTS;
    float recent = 0.0f, older = 0.0f;
    if (li + 2 < ESP_PITCH_DENSE_LAGS) { /* as dense_rows: every sample of the short window */
        const int n = recent_rows * s->stride;
        for (int j = 0; j < n; ++j) {
            const float *q = h + j + li - 1;
            float e = h[j] - (w0 * q[0] + w1 * q[1] + w2 * q[2] + w3 * q[3]);
            recent += e * e;
        }
        return recent / (float)s->stride;
    }
    int i = 0, p = 0;
    for (; i < recent_rows; ++i, p += s->stride) {
        const float *q = h + p + li - 1;
        float e = h[p] - (w0 * q[0] + w1 * q[1] + w2 * q[2] + w3 * q[3]);
        recent += e * e;
    }
    if (li + 2 < ESP_PITCH_LAG_CAP && s->long_w[li + 2] > 0.0f) {
        for (; i < rows; ++i, p += s->stride) {
            const float *q = h + p + li - 1;
            float e = h[p] - (w0 * q[0] + w1 * q[1] + w2 * q[2] + w3 * q[3]);
            older += e * e;
        }
    }
    int k = (int)(lag + 0.5f);
    return s->short_w[k] * recent + s->long_w[k] * older;
}

typedef struct {
    const float *d;
    float *cum;
    int done;
} esp_pitch_window;

/* CMND at a fractional lag, exactly (see exact_difference). */
static float exact_cmnd(const esp_pitch_state *s, esp_pitch_window *w, float lag)
{
    int k = (int)(lag + 0.5f);
    cum_upto(w->d, w->cum, &w->done, k);
    return w->cum[k] > 1e-20f ? exact_difference(s, lag) * lag / w->cum[k] : 1.0f;
}

/* Whether the window is loud enough to hold a pitch: below GATE_RMS_V it is silence. */
static int window_has_signal(const esp_pitch_state *s)
{
    float energy = 0.0f;
    for (int p = 0; p < ESP_PITCH_SHORT; ++p) energy += s->energy[(s->part - p) & (ESP_PITCH_PARTS - 1)];
    return energy > GATE_RMS_V * GATE_RMS_V * (float)(s->rows_per_part * ESP_PITCH_SHORT);
}

/* The period in decimated samples, or 0 when the window holds no clear periodicity.
 * Bounded work: a few passes over the lags, a few exact evaluations at most. */
static float window_period(esp_pitch_state *s)
{
    const int lags = s->lags;
    const float *d = s->window;
    float cum[ESP_PITCH_LAG_CAP];
    s->confidence = 0.0f;

    /* YIN: the first dip below DIP_CMND is the period. Failing that, the first dip
     * nearly as deep as the deepest: in noise a multiple of the period can come out
     * slightly deeper by chance, and the shorter lag is then the better guess. The
     * running sum cum[] is only filled as far as the search needs; the dips passed on
     * the way are remembered for the checks below. */
    esp_pitch_window w = {d, cum, 0};
    cum[0] = 0.0f;
    cum_upto(d, cum, &w.done, s->lag_min - 1);
    int dip_lag[DIPS_MAX], dips = 0;
    int best = 0;
    float best_cmnd = 2.0f;
    int k = s->lag_min;
    float c = cum[k - 1], prev = d[k - 1], cur = d[k]; /* d[k - 1], d[k] and cum[k - 1] in registers */
    const int lag_max = s->lag_max;
    for (; k < lag_max; ++k) {
        float next = d[k + 1];
        c += cur;
        cum[k] = c;
        if (cur <= prev && cur < next) {
            float cmnd = dip_cmnd(d, cum, k);
            if (cmnd < LOOSE_CMND && dips < DIPS_MAX) dip_lag[dips++] = k;
            if (cmnd < best_cmnd) {
                best_cmnd = cmnd;
                best = k;
            }
            if (cmnd < DIP_CMND) break;
        }
        prev = cur;
        cur = next;
    }
    if (k > lags - 2) k = lags - 2; /* the last cum[] filled */
    w.done = k > w.done ? k : w.done;
    if (best == 0 || best_cmnd > ACCEPT_CMND) return 0.0f;
    if (best_cmnd >= DIP_CMND) {
        for (int i = 0; i < dips && dip_lag[i] < best; ++i) {
            float cmnd = dip_cmnd(d, cum, dip_lag[i]);
            if (cmnd < NEAR_BEST * best_cmnd) {
                best = dip_lag[i];
                best_cmnd = cmnd;
                break;
            }
        }
    }
    float period = (float)best + dip_offset(d, best);

    /* Octave checks, measured exactly (the vertex of a fit can be off either way when
     * the period falls between two lags). A dip passed over at a half or a third of the
     * chosen lag (down to an eighth) may be the true period: taken if nearly as deep. A
     * dip at twice or three times the lag is taken if far deeper: the chosen one was then
     * a formant on the 2nd or 3rd harmonic, an ensemble's beating fundamental, or an
     * attack rich in a harmonic; from a clean dip (CMND under 0.04) 3x deeper is enough. The
     * cleanest dips skip all this. */
    if (best_cmnd > CLEAN_OCTAVE_CMND || (dips > 0 && dip_lag[0] < best)) {
        float exact = exact_cmnd(s, &w, period);
        int moved = 0;
        for (int i = 0; i < dips && dip_lag[i] < best; ++i) {
            int k = dip_lag[i];
            float p = (float)k + dip_offset(d, k);
            if (p < (float)s->lag_min) continue; /* above the range: an artefact of the fit */
            float m = period / p, mr = (float)(int)(m + 0.5f);
            if (mr < 2.0f || mr > 8.0f || m < mr * (1.0f - MULTIPLE_TOLERANCE) || m > mr * (1.0f + MULTIPLE_TOLERANCE))
                continue;
            float e = exact_cmnd(s, &w, p);
            /* below 8 samples a period the interpolation itself leaves up to ~0.1 */
            float slack = p < 8.0f ? SHORT_PERIOD_SLACK : SUBMULTIPLE_SLACK;
            if (e < NEAR_BEST * exact + slack) {
                best = k;
                best_cmnd = e;
                period = p;
                moved = 1;
                break;
            }
        }
        /* Twice, then three times the lag (a formant on the 3rd harmonic, an ensemble's
         * beating fundamental): the deeper of the two that qualifies wins. */
        float base_period = period, best_e = exact;
        for (int mult = 2; mult <= 3 && !moved; ++mult) {
            int c = (int)(base_period * (float)mult + 0.5f);
            if (c > s->lag_max) break;
            int k = dip_near(d, c);
            float p = (float)k + dip_offset(d, k);
            float e = exact_cmnd(s, &w, p);
            if (e < OCTAVE_RATIO * exact && (exact - e > OCTAVE_MARGIN || (exact > CLEAN_OCTAVE_CMND && base_period >= CLEAN_OCTAVE_LAG)) && e < best_e) {
                best = k;
                best_cmnd = best_e = e;
                period = p;
            }
        }
    }
    s->confidence = 1.0f - best_cmnd;

    /* The dip at m periods has the same shape, so the same fitting error in samples
     * is m times smaller per period. Use the furthest multiple the lags allow. */
    /* Multiples stay within the lags that see the same (short) window as the period:
     * longer lags also see the older parts, where the previous note may still sound. */
    float reach = period >= (float)s->short_lags ? (float)(lags - 4) : (float)s->short_lags;
    if (period < (float)(ESP_PITCH_DENSE_LAGS - 3) && s->stride > 1)
        reach = (float)(ESP_PITCH_DENSE_LAGS - 3); /* high notes: dense lags only (strided rows alias) */
    int m = (int)(reach / period);
    /* ... and only once a new note has the short window to itself: until then a multiple's
     * dip also spans the last note (a fifth up read 14 cents flat for 4 ms), and so does
     * that of a pitch away from the held one (a new note, not yet confirmed). */
    float to_held = s->fs_hz / (period * s->hz);
    if (s->since_note < ESP_PITCH_SHORT || !(to_held < AGREE_RATIO && to_held * AGREE_RATIO > 1.0f)) m = 1;
    if (m > 1) {
        int k = dip_near(d, (int)(period * (float)m + 0.5f));
        float refined = ((float)k + dip_offset(d, k)) / (float)m;
        float ratio = refined / period;
        if (ratio > 1.0f - REFINE_TOLERANCE && ratio < 1.0f + REFINE_TOLERANCE) period = refined;
    }
    return period;
}

/* Whether the period of hz is close to a whole multiple (2 .. 8) of the held note's: the
 * common period of the held note and the next while both are in the window (a legato
 * third has one at 4 periods of the upper note), or a subharmonic. */
static int is_multiple_of_held(const esp_pitch_state *s, float hz)
{
    float m = s->hz / hz, mr = (float)(int)(m + 0.5f);
    return mr >= 2.0f && mr <= 8.0f && fabsf(m - mr) < MULTIPLE_TOLERANCE * mr;
}

/* A new estimate replaces the held pitch if it is near it (vibrato, glides), or if the
 * previous estimate agreed with it (a new note, confirmed): one odd window never moves
 * the output. A drop to a multiple of the held period must agree for as long as the old
 * note takes to leave the short window, so a legato change's mixed windows pass by. */
static void update_estimate(esp_pitch_state *s)
{
    float period = window_period(s);
    if (!(period > 0.0f)) {
        s->last_hz = 0.0f;
        s->agreed = 0;
        return;
    }
    float hz = s->fs_hz / period;
    float to_held = hz / s->hz, to_last = s->last_hz > 0.0f ? hz / s->last_hz : 0.0f;
    int near_held = to_held < AGREE_RATIO && to_held * AGREE_RATIO > 1.0f;
    s->agreed = to_last < AGREE_RATIO && to_last * AGREE_RATIO > 1.0f ? s->agreed + 1 : 0;
    /* ... unless the held note has not been read for as long as the window spans: the
     * short window and the new period (an octave down onto a bass note) */
    int gone = s->since_held * s->part_len > ESP_PITCH_SHORT * s->part_len + (int)period;
    int needed = is_multiple_of_held(s, hz) && !gone ? ESP_PITCH_SHORT - 1 : 1;
    if (near_held || s->agreed >= needed) {
        if (!near_held) {
            s->notes++;
            s->since_note = 0;
        }
        s->since_held = 0;
        s->hz = hz;
    }
    s->last_hz = hz;
}

/* The part just filled: low-pass into the history, its rows of the difference function
 * and its energy, then a new estimate. */
void esp_pitch_part(esp_pitch_state *s)
{
    const int stride = s->stride, rows = s->rows_per_part;
    const int n = s->part_len;
    esp_pitch_lp lp0 = s->lp[0], lp1 = s->lp[1];
    int pos = s->pos;
    if (pos >= n) { /* no wrap in this part (the usual case): a plain pointer */
        float *h = s->hist + pos;
        for (int i = 0; i < n; ++i) {
            float x = lp_tick(&lp1, lp_tick(&lp0, s->raw[i]));
            *--h = x;
            h[ESP_PITCH_HIST] = x;
        }
        pos -= n;
    } else {
        for (int i = 0; i < n; ++i) {
            float x = lp_tick(&lp1, lp_tick(&lp0, s->raw[i]));
            pos = (pos - 1) & (ESP_PITCH_HIST - 1);
            s->hist[pos] = s->hist[pos + ESP_PITCH_HIST] = x;
        }
    }
    s->lp[0] = lp0;
    s->lp[1] = lp1;
    s->pos = pos;
    s->fill = 0;
    float energy = 0.0f; /* of the rows' samples before the low-pass: the gate sees the input level */
    for (int i = stride - 1; i < n; i += stride) energy += s->raw[i] * s->raw[i];

    s->energy[s->part] = energy;
    if (window_has_signal(s)) {
        /* Row j (oldest first) is at the j-th stride boundary: the newest is at pos. */
        part_rows(s->d, s->part, s->short_w, s->long_w, s->window, s->hist + pos + (rows - 1) * stride, stride, rows, s->lags);
        if (stride > 1)
            dense_rows(s->d, s->part, s->short_w, s->long_w, s->window, s->hist + pos + n - 1, n, 1.0f / (float)stride);
        update_estimate(s);
    } else {
        /* Silence over the whole window: no estimate (the F-V holds), so no rows either;
         * this part counts as zero in the next three windows. */
        memset(s->d[s->part], 0, sizeof s->d[s->part]);
        s->confidence = 0.0f;
        s->last_hz = 0.0f;
        s->agreed = 0;
    }
    s->part = (s->part + 1) % ESP_PITCH_PARTS;
    s->since_note += s->since_note < ESP_PITCH_PARTS;
    s->since_held += s->since_held < 2 * ESP_PITCH_PARTS;
}
