/* The MS-20 low-pass filter's state (see lpf.h; the per-sample step is inline there). */
#include "lpf.h"

void lpf_reset(lpf_state *s) { s->s1 = s->s2 = s->w = s->d = s->d1 = 0.0f; }
