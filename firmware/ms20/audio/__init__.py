"""The box's audio: a real-time C thread renders the kernel period by period into a sound
card (libasound, full duplex for LINE IN) or, without one, a paced null sink or ALSA's file
plugin; Python opens the card, supervises the thread and reads its counters.

    sink = AlsaSink("hw:CARD=sndrpihifiberry", rate=48000, period=64, periods=3)
    audio = AudioThread(engine, sink)   # opens (and re-opens) the card, runs the C thread
"""

from ms20.audio.alsa import AlsaSink
from ms20.audio.pacer import XRUN, Pacer
from ms20.audio.sinks import DeviceUnavailable, Granted, NullSink, Sink, Tap
from ms20.audio.thread import AudioThread

__all__ = ["XRUN", "AlsaSink", "AudioThread", "DeviceUnavailable", "Granted", "NullSink", "Pacer", "Sink", "Tap"]
