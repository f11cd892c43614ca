"""The instrument as the kernel sees it: the engine wrapper (the one door to the compiled kernel),
the panel model, jacks and cables, patch files."""
