/* The diode clipper in the Korg35 resonance loops, as the gain it applies to the feedback
 * voltage u: clip(u) = Vd u / sqrt(Vd^2 + u^2) = gamma u. Linear for small u, bending near
 * Vd like a diode pair and bounded by Vd, so a loud input squashes the feedback (and the
 * resonance) instead of the other way round. The loop solvers take gamma = Vd / r from
 * r = sqrt(Vd^2 + u^2), which folds into their one division. Volts; VCF_DIODE_V sets the
 * knee and so the self-oscillation level.
 */
#ifndef MS20_DSP_DIODE_CLIP_H
#define MS20_DSP_DIODE_CLIP_H

#include <math.h>

#define VCF_DIODE_V 1.5f

static inline float diode_clip_r(float u) { return sqrtf(VCF_DIODE_V * VCF_DIODE_V + u * u); }

#endif
