/* The filters' diode gain limiters: a non-inverting op-amp stage whose feedback resistor
 * has back-to-back diode strings across it (Stinchcombe, "A Study of the Korg MS10 & MS20
 * Filters", section 5). Its output is in + V, where V is the drop across the resistor and
 * diodes; u, the drop the resistor alone would take, is the stage's linear gain less one
 * times its input. diode_gain2() gives V / u from the generated table (dsp/diode_table.h,
 * 1N4148s; tools/gen_diode_tables.py), so the stage's gain is 1 + (gain - 1) * V / u.
 * Volts in; the table is even in u. Two stages at once, in lanes 0 and 1 (dsp/simd4.h):
 * the filter section's HPF and LPF.
 */
#ifndef MS20_DSP_DIODE_LIMITER_H
#define MS20_DSP_DIODE_LIMITER_H

#include <stdint.h>

#include "diode_table.h"
#include "fastmath.h"
#include "simd4.h"

/* V / u at u volts in lanes 0 and 1 (lanes 2 and 3 read 0): linear interpolation on the
 * table's sqrt(u) grid, the square root and the interpolation in the lanes, the two table
 * reads scalar; beyond its 64 V the last entry holds (the op amps' rails stop the stages
 * long before). NaN reads entry 0. */
static inline v4f diode_gain2(const float *table, v4f u)
{
    const float scale = (float)DIODE_TABLE_POINTS * (float)DIODE_TABLE_POINTS / DIODE_TABLE_U_MAX_V;
    v4f t = v4_clamp(v4_sqrt(v4_abs(u) * scale), 0.0f, (float)DIODE_TABLE_POINTS);
    v4i i = __builtin_convertvector(t, v4i);
    v4f f = t - __builtin_convertvector(i, v4f);
    const float *a = table + i[0], *b = table + i[1];
    v4f lo = {a[0], b[0], 0.0f, 0.0f};
    return lo + f * ((v4f){a[1], b[1], 0.0f, 0.0f} - lo);
}

/* V / u at u volts as diode_gain2, and dV/du (the stage's incremental gain less one, over
 * its small-signal value) in *slope: for a Newton step on a loop through the stage. The
 * table's segment gives d(V/u)/du; dV/du = V/u + u d(V/u)/du = V/u + step t / 2 on the
 * sqrt grid (du/dt = 2 t / scale, |u| = t^2 / scale). */
static inline v4f diode_gain_slope2(const float *table, v4f u, v4f *slope)
{
    const float scale = (float)DIODE_TABLE_POINTS * (float)DIODE_TABLE_POINTS / DIODE_TABLE_U_MAX_V;
    v4f t = v4_clamp(v4_sqrt(v4_abs(u) * scale), 0.0f, (float)DIODE_TABLE_POINTS);
    v4i i = __builtin_convertvector(t, v4i);
    v4f f = t - __builtin_convertvector(i, v4f);
    const float *a = table + i[0], *b = table + i[1];
    v4f lo = {a[0], b[0], 0.0f, 0.0f};
    v4f step = (v4f){a[1], b[1], 0.0f, 0.0f} - lo;
    v4f gain = lo + f * step;
    *slope = gain + 0.5f * step * t;
    return gain;
}

#endif
