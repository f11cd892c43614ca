"""The box's audio: a real-time thread that renders the kernel period by period into a sound
card (pyalsaaudio, full duplex for LINE IN) or, without one, a paced null or WAV sink.

    sink = AlsaSink("hw:CARD=sndrpihifiberry", rate=48000, period=64, periods=3)
    audio = AudioThread(engine, sink)   # opens (and re-opens) the card on its own thread
"""

from ms20.audio.alsa import AlsaSink
from ms20.audio.clock import SampleClock
from ms20.audio.pacer import XRUN, Pacer
from ms20.audio.sinks import DeviceLost, DeviceUnavailable, Granted, NullSink, Sink, Tap, WavSink
from ms20.audio.thread import AudioThread

__all__ = ["XRUN", "AlsaSink", "AudioThread", "DeviceLost", "DeviceUnavailable", "Granted", "NullSink",
           "Pacer", "SampleClock", "Sink", "Tap", "WavSink"]
