/* Live modules from the cables and the depth knobs (see liveness.h). */
#include "liveness.h"

#define IN(i) (1ul << (i))

/* The skippable module each output belongs to (0: one that always runs). */
static unsigned owner(int output)
{
    switch (output) {
    case MS20_OUT_ESP_AMP:
    case MS20_OUT_ESP_BP:
    case MS20_OUT_ESP_FV:
    case MS20_OUT_ESP_ENV:
    case MS20_OUT_ESP_TRIG: return LIVE_ESP;
    case MS20_OUT_MG_TRI:
    case MS20_OUT_MG_RECT: return LIVE_MG;
    case MS20_OUT_WHITE_NOISE:
    case MS20_OUT_PINK_NOISE:
    case MS20_OUT_SH_OUT:
    case MS20_OUT_MVCA_OUT: return LIVE_UTILITY;
    default: return 0;
    }
}

unsigned liveness(const unsigned char routed[MS20_INPUT_COUNT], const unsigned char also[MS20_INPUT_COUNT],
                  const float param[MS20_PARAM_COUNT], const float also_param[MS20_PARAM_COUNT])
{
#define UP(p) (param[p] != 0.0f || also_param[p] != 0.0f)
    /* What the modules that always run read: the mixer (EXT SIGNAL), the VCA, both VCOs'
     * shared pitch, the envelopes' triggers, the box's CV outputs; the knob-scaled ones only
     * while their knob is up. */
    unsigned long read = IN(MS20_IN_EXT_SIGNAL) | IN(MS20_IN_INITIAL_GAIN) | IN(MS20_IN_VCO12_CV) |
                         IN(MS20_IN_TRIG) | IN(MS20_IN_EG1_TRIG) | IN(MS20_IN_CV_OUT_1) | IN(MS20_IN_CV_OUT_2);
    if (UP(MS20_P_HPF_EG2_OCT_PER_V)) read |= IN(MS20_IN_HP_CUTOFF);
    if (UP(MS20_P_LPF_EG2_OCT_PER_V)) read |= IN(MS20_IN_LP_CUTOFF);
    if (UP(MS20_P_FM_EG1_OCT_PER_V)) read |= IN(MS20_IN_FREQ);
    if (UP(MS20_P_FM_MG_OCT_PER_V) || UP(MS20_P_HPF_MG_OCT_PER_V) || UP(MS20_P_LPF_MG_OCT_PER_V))
        read |= IN(MS20_IN_TOTAL);
    unsigned live = UP(MS20_P_VCO2_LEVEL) ? LIVE_VCO2 : 0u;
#undef UP
    for (;;) {
        /* A live module's own inputs are read too. */
        if (live & LIVE_VCO2) read |= IN(MS20_IN_VCO2_CV);
        if (live & LIVE_ESP) read |= IN(MS20_IN_ESP_IN);
        if (live & LIVE_UTILITY)
            read |= IN(MS20_IN_SH_IN) | IN(MS20_IN_SH_CLOCK) | IN(MS20_IN_MVCA_IN) | IN(MS20_IN_MVCA_CONTROL);
        unsigned now = live;
        for (int i = 0; i < MS20_INPUT_COUNT; ++i)
            if (read & IN(i)) now |= owner(routed[i]) | owner(also[i]);
        if (now == live) return live;
        live = now;
    }
}
