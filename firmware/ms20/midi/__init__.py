"""The box's MIDI: every USB keyboard opened automatically and found again after an unplug,
raw bytes parsed robustly, each message stamped with its arrival time.

    midi = MidiInput(RtMidiBackend(), handler)   # handler(message, arrival_ns, port)
    midi.start()                                  # scans now, then every rescan_s
"""

from ms20.midi.demo import DEMO_PORT, DemoPlayer
from ms20.midi.fake import FakeMidiBackend, FakePort
from ms20.midi.input import Handler, MidiInput
from ms20.midi.parse import MidiByteParser
from ms20.midi.ports import BackendUnavailable, MidiPort, PortBackend, RtMidiBackend

__all__ = ["DEMO_PORT", "BackendUnavailable", "DemoPlayer", "FakeMidiBackend", "FakePort", "Handler",
           "MidiByteParser", "MidiInput", "MidiPort", "PortBackend", "RtMidiBackend"]
