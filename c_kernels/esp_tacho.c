/* The tachometer F-V (see esp_tacho.h): its constants, chosen to match what players
 * report of the original (docs/esp.md): about 60 ms to settle, a ceiling near 1.5 kHz,
 * a 20 mV comparator hysteresis so that quiet inputs read nothing.
 */
#include "esp_tacho.h"

#include <math.h>
#include <string.h>

#include "dsp/units.h"

#define TACHO_HYSTERESIS_V 0.02f /* AMP OUT volts */
#define TACHO_POLE_HZ 8.0f       /* each of the two poles: ripple -50 dB at 440 Hz, lag ~40 ms */
#define TACHO_CEILING_HZ 1500.0f /* the monostable's width is 1 / this */
#define TACHO_START_HZ 261.6255653f /* C4, 1 V, like the accurate converter before any note */

void esp_tacho_reset(esp_tacho_state *s)
{
    s->prev = 0.0f;
    s->since = s->min_gap;
    s->carry = 0.0f;
    s->lp1 = s->lp2 = TACHO_START_HZ;
    s->high = 0;
}

void esp_tacho_init(esp_tacho_state *s, float fs_decimated_hz)
{
    memset(s, 0, sizeof *s);
    s->fs_hz = fs_decimated_hz;
    s->hysteresis_v = TACHO_HYSTERESIS_V;
    s->coef = 1.0f - onepole_pole_hz(TACHO_POLE_HZ, fs_decimated_hz);
    s->min_gap = fs_decimated_hz / TACHO_CEILING_HZ;
    esp_tacho_reset(s);
}
