/* The filter section: the MS-20's HPF into LPF in series (hpf.h, lpf.h), in either of the
 * two revisions the MS-20 shipped with: the Korg35 chip (early units; the default, as the
 * MS-20 mini chose) or the LM13600 OTA board (KLM-307, later units). The OTA board runs at
 * twice the engine rate between a half-band interpolator and decimator (dsp/oversampler.h);
 * the Korg35 at four times it, a second, short 2x stage inside the first: its X1's
 * diode-limited output reaches far enough up that at 2x it folds back 47 dB down.
 * Cutoffs in cycles per sample at the engine rate (f / fs, 0.00002..0.45, may move every
 * sample): the cutoff is the natural frequency of each circuit's core. PEAK is the pot's
 * travel (0..1; the circuit's divider turns it into loop gain). Input and output in volts
 * (audio about +-1 V; up to +-10 V with EXT SIGNAL); unity passband gain.
 * Changing the revision crossfades the two for VCF_FADE_MS, so it is click-free.
 */
#ifndef MS20_VCF_H
#define MS20_VCF_H

#include <stdint.h>

#include "dsp/cv_feedthrough.h"
#include "dsp/oversampler.h"
#include "hpf.h"
#include "lpf.h"

enum vcf_revision { VCF_KORG35 = 0, VCF_OTA = 1 };

#define VCF_FADE_MS 10.0f
#define VCF_OTA_OS 2 /* each revision's oversampling */
#define VCF_K35_OS 4

typedef struct {
    upsampler2 up;
    downsampler2 down;
    halfband_inner_state k35_up, k35_down; /* the Korg35's second stage, 2x to 4x and back */
    /* Each revision's pair side by side: the HPF in lane HPF_LANE, the LPF in LPF_LANE one
     * step (of its own rate) behind it (it filters the HPF's previous output, in *_y), so
     * both solve at once. Coefficients lane by lane, recomputed only when their inputs move. */
    korg35_lanes k35;
    korg35_lane_coefs k35c;
    ota_lanes ota;
    ota_lane_coefs otac;
    v4f k35_y, ota_y;  /* each pair's last outputs: the HPF's lane is its LPF's next input */
    uint64_t hp_in, lp_in; /* (cutoff, PEAK) as given, bit for bit (vcf.c: pair_bits) */
    int rev;          /* the revision playing (vcf_revision) */
    int fade_left;    /* 2x steps of the crossfade still to run (0: one revision) */
    float fade_step;  /* 1 / the crossfade's length in 2x steps */
    int noise_on;     /* noise_gain is not 0 */
    float hp_noise, lp_noise; /* each PEAK's share of noise_gain */
    float noise_gain; /* volts per LCG step: the seed noise level for the PEAKs set */
    uint32_t seed; /* the circuit's noise floor: lets a full PEAK start whistling from silence */
    float dc_x, dc_y;  /* the output coupling capacitor (C19 / C7): one-pole high-pass state */
    float dc_coef;     /* its pole: VCF_COUPLING_HZ at the engine rate */
    float fc_min, fc_max; /* VCF_FC_MIN, VCF_FC_MAX (vcf.c), held here for the retunes' clamp:
                           * loaded as a pair, where GCC builds each float constant from two
                           * integer moves and an fmov on aarch64 */
    cvft_state ft;     /* what a moving cutoff adds before the coupling (dsp/cv_feedthrough.h) */
} vcf_state;

void vcf_init(vcf_state *s, float fs_hz);
void vcf_reset(vcf_state *s);
/* Choose the revision (vcf_revision); a change crossfades from the one playing. */
void vcf_set_revision(vcf_state *s, int rev);
float vcf_tick(vcf_state *s, float in_v, float hp_fc, float hp_peak, float lp_fc, float lp_peak);

#endif
