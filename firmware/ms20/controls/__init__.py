"""Turning driver readings into a stable panel: pot filtering and calibration, switch
debouncing, jack detection (pure functions), CV conventions. ms20.scanner runs them."""
