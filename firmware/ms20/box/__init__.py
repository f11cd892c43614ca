"""The running box: its config file, the loop that ties board, MIDI and audio together, systemd."""
