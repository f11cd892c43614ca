/* The MS-20 low-pass filter in either revision, 12 dB/oct with a resonant peak. Korg35: the
 * input through the 12k/47 attenuator into Q2 (dsp/korg35_core.h); OTA: the input into
 * X1's summing divider through R19 (dsp/ota_core.h; the circuit inverts, the output is
 * turned back so that both revisions keep the input's polarity). Each revision's LPF is
 * lane 1 of the section's cores (vcf.h); the cores run at the oversampled rate, volts in,
 * and these scales take their output to volts at unity passband gain, times the
 * half-band's 1/2 for each decimator (dsp/oversampler.h): the Korg35 has two (4x), the OTA
 * board one.
 */
#ifndef MS20_LPF_H
#define MS20_LPF_H

#include "dsp/korg35_core.h"
#include "dsp/ota_core.h"

#define LPF_LANE 1

#define LPF_K35_OUT (0.25f * K35_BUFFER / K35_PASSBAND)
#define LPF_OTA_OUT (-0.5f)

#endif
