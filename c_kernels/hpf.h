/* The MS-20 high-pass filter in either revision: the low-pass circuit with its normal input
 * grounded and the signal fed to the foot of the second capacitor (Stinchcombe's section 7:
 * 6 dB/oct below the cutoff, a resonant peak above). Korg35: the input through the same
 * 12k/47 attenuator into C13's foot, with a part of it at C12's foot
 * (dsp/korg35_core.h, korg35_set_hp_foot: the simulated HPF's s (s + 1.055) numerator); OTA: the input into C5's foot
 * with a part of it at C4's foot (dsp/ota_core.h, ota_set_hp_foot: the stopband's warping at 2x). Each revision's HPF is lane 0 of the section's cores (vcf.h); the
 * cores run at the oversampled rate, volts in, and these scales take their output to
 * volts at unity passband gain, times the half-band's 1/2 for each decimator
 * (dsp/oversampler.h): the Korg35 has two (4x), the OTA board one.
 */
#ifndef MS20_HPF_H
#define MS20_HPF_H

#include "dsp/korg35_core.h"
#include "dsp/ota_core.h"

#define HPF_LANE 0

/* The simulated Korg35 HPF's passband over the LPF's (tools/spice: 1.05 s (s + 1.055) / ...). */
#define K35_HPF_GAIN 1.05f
#define HPF_K35_OUT (0.25f * K35_HPF_GAIN * K35_BUFFER / K35_PASSBAND)
#define HPF_OTA_OUT 0.5f

#endif
