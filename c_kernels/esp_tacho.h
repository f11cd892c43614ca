/* The ESP's `vintage` F-V character: a tachometer-type frequency-to-voltage converter, as
 * the original's (H. Bissell, synth-diy 2005; docs/esp.md). A Schmitt comparator on the
 * band-passed signal fires a non-retriggerable monostable once per cycle; the pulse train
 * is averaged by a two-pole low-pass. Its faults are the sound: lag (the low-pass), ripple
 * at the input's frequency (worst on low notes), octave-up readings when harmonics add
 * zero crossings (the band-pass's HIGH CUT is part of tuning it), a ceiling where the
 * monostable saturates, and a glide down to 0 Hz in silence. Input: volts at the
 * decimated rate. Output: Hz.
 */
#ifndef MS20_ESP_TACHO_H
#define MS20_ESP_TACHO_H

typedef struct {
    float hysteresis_v; /* comparator: on above +h, off below -h */
    float coef;         /* each low-pass pole's one-pole coefficient */
    float fs_hz;        /* the decimated rate */
    float min_gap;      /* the monostable's width, in decimated samples */
    float prev;         /* the last input sample */
    float since;        /* decimated samples since the monostable last fired */
    float carry;        /* the part of the last pulse that falls into the next sample */
    float lp1, lp2;     /* the low-pass; lp2 is the output, Hz */
    int high;           /* the comparator's state */
} esp_tacho_state;

void esp_tacho_init(esp_tacho_state *s, float fs_decimated_hz);
void esp_tacho_reset(esp_tacho_state *s);

/* One decimated sample (volts); returns the output (Hz). */
static inline float esp_tacho_tick(esp_tacho_state *s, float x_v)
{
    float pulse = s->carry;
    s->carry = 0.0f;
    s->since += 1.0f;
    if (!s->high) {
        if (x_v > s->hysteresis_v) {
            s->high = 1;
            /* the crossing's fraction within this sample: its pulse is split between
             * this sample and the next, so the timing is not quantised to the rate */
            float frac = (x_v - s->hysteresis_v) / (x_v - s->prev + 1e-12f);
            frac = frac < 0.0f ? 0.0f : frac > 1.0f ? 1.0f : frac;
            if (s->since - frac >= s->min_gap) { /* not while the monostable still runs */
                pulse += (1.0f - frac) * s->fs_hz;
                s->carry = frac * s->fs_hz;
                s->since = frac;
            }
        }
    } else if (x_v < -s->hysteresis_v) {
        s->high = 0;
    }
    s->prev = x_v;
    s->lp1 += s->coef * (pulse - s->lp1);
    s->lp2 += s->coef * (s->lp1 - s->lp2);
    return s->lp2;
}

#endif
