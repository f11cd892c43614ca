/* The analog envelope segment shared by EG-1 and EG-2: an RC stage charging towards a
 * target, as the MS-20's envelope capacitors do.
 *
 * Attack charges towards 1.5 x full scale and stops at full scale, so its time to go from
 * 0 to full is tau * ln(3). Decay and release fall exponentially; their time is the time to
 * fall by 60 dB (tau * ln(1000)). Levels are 0..1 here and scaled to volts by the caller.
 */
#ifndef MS20_ENVELOPE_H
#define MS20_ENVELOPE_H

#define ENVELOPE_ATTACK_OVERSHOOT 1.5f

/* One attack step: charge towards the overshoot, stop at full scale. Returns 1 when the
 * attack has just ended. */
static inline int envelope_attack(float *level, float coef)
{
    *level += coef * (ENVELOPE_ATTACK_OVERSHOOT - *level);
    if (*level >= 1.0f) {
        *level = 1.0f;
        return 1;
    }
    return 0;
}

/* Per-sample coefficient of an RC stage whose segment lasts ms (see above). */
float envelope_attack_coef(float ms, float fs_hz);
float envelope_fall_coef(float ms, float fs_hz);

#endif
