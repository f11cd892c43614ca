/* Modulation VCA setup (see mvca.h). */
#include "mvca.h"
#include "dsp/smoother.h"

#define MVCA_RESPONSE_MS 4.0f

void mvca_settings_init(mvca_settings *t, float fs_hz) { t->coef = smoother_coef(MVCA_RESPONSE_MS, fs_hz); }
