"""Patch memory: saving the panel to patch files, recalling them (with a guide for the cables
a player must move), Program Change banks, the momentary-switch gestures, MIDI learn, the
control channel `ms20 save`/`ms20 recall` talk through, and patch sheets."""
