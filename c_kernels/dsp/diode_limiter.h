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
#include <string.h>

#include "diode_table.h"
#include "fastmath.h"
#include "simd4.h"

/* The table's entries i and i + 1 at lanes 0 and 1's indices: lo = {table[i0], table[i1], ..},
 * hi = {table[i0 + 1], table[i1 + 1], ..}, from one 8-byte read per lane (the pair is
 * adjacent) rather than four scalar reads. Lanes 2 and 3 repeat lanes 0 and 1: the stages
 * there are idle (their coefficients 0), so what they read does not matter. */
static inline void diode_rows2(const float *table, v4i i, v4f *lo, v4f *hi)
{
    typedef double v2d __attribute__((vector_size(16)));
    double a, b; /* each pair's 8 bytes, as they are */
    memcpy(&a, table + i[0], sizeof a);
    memcpy(&b, table + i[1], sizeof b);
    v4f ab = (v4f)(v2d){a, b}; /* {table[i0], table[i0 + 1], table[i1], table[i1 + 1]} */
    *lo = __builtin_shuffle(ab, (v4i){0, 2, 0, 2});
    *hi = __builtin_shuffle(ab, (v4i){1, 3, 1, 3});
}

/* V / u at u volts in lanes 0 and 1 (lanes 2 and 3 hold no stage): linear interpolation on
 * the table's sqrt(u) grid, the square root and the interpolation in the lanes, one table
 * read per lane (diode_rows2); beyond its 64 V the last entry holds (the op amps' rails stop the stages
 * long before). NaN reads entry 0. */
static inline v4f diode_gain2(const float *table, v4f u)
{
    const float scale = (float)DIODE_TABLE_POINTS * (float)DIODE_TABLE_POINTS / DIODE_TABLE_U_MAX_V;
    v4f t = v4_clamp(v4_sqrt(v4_abs(u) * scale), 0.0f, (float)DIODE_TABLE_POINTS);
    v4i i = __builtin_convertvector(t, v4i);
    v4f f = t - __builtin_convertvector(i, v4f);
    v4f lo, hi;
    diode_rows2(table, i, &lo, &hi);
    return lo + f * (hi - lo);
}

/* V / u at u = u_per_x x volts as diode_gain2, and dV/du (the stage's incremental gain less
 * one, over its small-signal value) in *slope: for a Newton step on a loop through the stage.
 * The table's segment gives d(V/u)/du; dV/du = V/u + u d(V/u)/du = V/u + step t / 2 on the
 * sqrt grid (du/dt = 2 t / scale, |u| = t^2 / scale). u_per_x, a constant, folds into the
 * grid's scale: one multiply fewer than scaling x. */
static inline v4f diode_gain_slope2(const float *table, v4f x, float u_per_x, v4f *slope)
{
    const float scale = (float)DIODE_TABLE_POINTS * (float)DIODE_TABLE_POINTS / DIODE_TABLE_U_MAX_V;
    v4f t = v4_clamp(v4_sqrt(v4_abs(x) * (scale * u_per_x)), 0.0f, (float)DIODE_TABLE_POINTS);
    v4i i = __builtin_convertvector(t, v4i);
    v4f f = t - __builtin_convertvector(i, v4f);
    v4f lo, hi;
    diode_rows2(table, i, &lo, &hi);
    v4f step = hi - lo;
    v4f gain = lo + f * step;
    *slope = gain + 0.5f * step * t;
    return gain;
}

#endif
