"""The control side: where pots, switches, cables and MIDI meet (controller), and the scanner that
turns raw board readings into a stable panel (pot filtering, calibration, jack sensing, CV)."""
