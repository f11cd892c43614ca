"""One driver per physical part of the board. Drivers ask a pin factory (ms20.hardware.pins) for
lines and SPI devices and return readings in the part's own units (ADC counts, bit masks,
volts); they never import the kernel, and they know nothing of the panel."""
