/* VCA and output stage setup (see vca.h). */
#include "vca.h"
#include "dsp/units.h"

#define DC_BLOCK_HZ 5.0f

void vca_settings_init(vca_settings *t, float fs_hz) { t->dc_coef = onepole_pole_hz(DC_BLOCK_HZ, fs_hz); }
