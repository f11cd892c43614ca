/* Filter section (STUB: linear, see vcf.h). */
#include "vcf.h"
#include <math.h>

void vcf_reset(vcf_state *s) { s->hp_s = s->lp_s1 = s->lp_s2 = 0.0f; }

void vcf_init(vcf_state *s, float fs_hz)
{
    (void)fs_hz;
    vcf_reset(s);
}

static float one_pole_lp(float *state, float x, float g)
{
    float v = (x - *state) * g / (1.0f + g);
    float y = v + *state;
    *state = y + v;
    return y;
}

float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_k, float lp_fc, float lp_k)
{
    (void)hp_k;
    (void)lp_k;
    float hg = tanf(3.14159265f * hp_fc), lg = tanf(3.14159265f * lp_fc);
    float hp = in_v - one_pole_lp(&s->hp_s, in_v, hg);
    return one_pole_lp(&s->lp_s2, one_pole_lp(&s->lp_s1, hp, lg), lg);
}
