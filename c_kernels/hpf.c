/* The MS-20 high-pass filter's state (see hpf.h; the per-sample step is inline there). */
#include "hpf.h"

void hpf_reset(hpf_state *s) { s->t1 = s->t2 = s->t3 = s->w = s->w1 = 0.0f; }
