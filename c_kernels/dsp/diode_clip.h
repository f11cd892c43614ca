/* The diode clipper in the Korg35 resonance loops, as the gain it applies to the feedback
 * voltage u: clip(u) = Vd u / sqrt(Vd^2 + u^2) = gamma u. Linear for small u, bending near
 * Vd like a diode pair and bounded by Vd, so a loud input squashes the feedback (and the
 * resonance) instead of the other way round. Volts; VCF_DIODE_V sets the knee and so the
 * self-oscillation level.
 *
 * The loops feed back u = kv v for some loop signal v (kv = K (1 - G)), so they work in
 * units of v: with the knee kn2 = (Vd / kv)^2 and r = sqrt(kn2 + v^2), gamma kv = Vd / r,
 * which folds into the loop solvers' one division with no multiply by kv per step.
 */
#ifndef MS20_DSP_DIODE_CLIP_H
#define MS20_DSP_DIODE_CLIP_H

#include <math.h>

#define VCF_DIODE_V 1.5f

/* (Vd / kv)^2; kv = 0 (PEAK 0) gives 1e30, where r is 1e15 and the loop exactly linear. */
static inline float diode_clip_knee2(float kv) { return VCF_DIODE_V * VCF_DIODE_V / (kv * kv + 2.25e-30f); }

static inline float diode_clip_r(float knee2, float v) { return sqrtf(knee2 + v * v); }

#endif
