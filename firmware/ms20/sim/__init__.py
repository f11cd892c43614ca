"""The simulated board: chips, jack field and panel that behave like the real ones electrically."""
