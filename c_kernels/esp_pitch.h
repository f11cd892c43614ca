/* The ESP's F-V converter: the pitch of the band-passed signal, found with the YIN
 * difference function (de Cheveigne & Kawahara, JASA 2002) on a copy decimated to about
 * 6 kHz. Input: volts at the decimated rate, buffered; once per part of the window (4 ms)
 * the part is processed in one go (low-pass, rows of the difference function, estimate),
 * so the per-sample cost is a store. Output: Hz, held at its last value in silence and
 * in noise.
 */
#ifndef MS20_ESP_PITCH_H
#define MS20_ESP_PITCH_H

#define ESP_PITCH_LAG_CAP 240 /* longest lag, decimated samples: 38 Hz at the 9 kHz worst case */
#define ESP_PITCH_HIST 1024   /* history ring (power of two, > window + LAG_CAP) */
#define ESP_PITCH_PARTS 8     /* the long window is this many parts; a new estimate after each */
#define ESP_PITCH_SHORT 4     /* the short window (high notes): the newest this many parts */
#define ESP_PITCH_PART_CAP 48 /* decimated samples per part: at most 36 (8 kHz .. 192 kHz) */
#define ESP_PITCH_ROW_CAP 24  /* rows per part: at most 15 */
#define ESP_PITCH_DENSE_LAGS 16 /* these shortest lags use every sample as a row (esp_pitch.c) */

/* A Butterworth low-pass section (biquad, transposed direct form II). */
typedef struct {
    float s1, s2, b, a1, a2;
} esp_pitch_lp;

typedef struct {
    /* d[p][k] is the difference function at lag k over part p of the window; window[k]
     * their sum, the function the estimate reads. The history holds x[n - k] at
     * hist[pos + k] (written twice, at pos and pos + HIST, so that run is always
     * contiguous). */
    float d[ESP_PITCH_PARTS][ESP_PITCH_LAG_CAP];
    float window[ESP_PITCH_LAG_CAP];
    /* window[k] = short_w[k] * (newest SHORT parts) + long_w[k] * (the older ones): short
     * lags see 16 ms, long lags (low notes) 32 ms, blended in between; the weights keep
     * the scale of one part per row so the normalised difference stays comparable. */
    float short_w[ESP_PITCH_LAG_CAP], long_w[ESP_PITCH_LAG_CAP];
    float energy[ESP_PITCH_PARTS];
    float hist[2 * ESP_PITCH_HIST];
    float raw[ESP_PITCH_PART_CAP]; /* this part's input so far, before the low-pass */
    int fill, part_len; /* raw samples held; a part is rows_per_part * stride of them */
    int pos;
    int part;          /* part being filled */
    int stride;        /* a row every `stride` decimated samples */
    int rows_per_part;
    int lags;          /* lags 0 .. lags-1 are computed; a multiple of 16 */
    int lag_min;       /* shortest period searched (highest pitch) */
    int lag_max;       /* longest period searched (lowest pitch) */
    int short_lags;    /* lags below this see only the short window */
    float fs_hz;       /* decimated rate */
    esp_pitch_lp lp[2]; /* 24 dB/oct: favours the fundamental, rounds the dips */
    float hz;          /* the held estimate */
    float last_hz;     /* the previous confident raw estimate, 0 if none */
    int agreed;        /* estimates in a row that agreed with the one before */
    unsigned notes;    /* counts the jumps to a new note (not the glides) */
    int since_note;    /* parts since the last jump (saturates at ESP_PITCH_PARTS) */
    int since_held;    /* parts since an estimate last read the held note (saturates too) */
    float confidence;  /* 1 - the CMND at the chosen dip of the last window (0..1) */
} esp_pitch_state;

void esp_pitch_init(esp_pitch_state *s, float fs_decimated_hz);
void esp_pitch_reset(esp_pitch_state *s);
/* A whole part: low-pass, rows, a new estimate. Called by esp_pitch_push. */
void esp_pitch_part(esp_pitch_state *s);

/* One decimated sample (volts). Once per part the estimate is updated. */
static inline void esp_pitch_push(esp_pitch_state *s, float x_v)
{
    s->raw[s->fill] = x_v;
    if (++s->fill >= s->part_len) esp_pitch_part(s);
}

/* Two in a row: one check unless the part ends with either. */
static inline void esp_pitch_push2(esp_pitch_state *s, float a_v, float b_v)
{
    int f = s->fill;
    if (f + 2 < s->part_len) {
        s->raw[f] = a_v;
        s->raw[f + 1] = b_v;
        s->fill = f + 2;
    } else {
        esp_pitch_push(s, a_v);
        esp_pitch_push(s, b_v);
    }
}

#endif
