/* VCA and output stage setup (see vca.h). */
#include "vca.h"
#include "dsp/units.h"

#define DC_BLOCK_HZ 5.0f

void vca_init(vca_state *s, float fs_hz)
{
    s->dc_x = s->dc_y = 0.0f;
    s->dc_coef = onepole_pole_hz(DC_BLOCK_HZ, fs_hz);
}
