# MS-20 firmware: the targets the README names.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: setup run demo test kernel tables lint bench clean lock filter-plots filter-reference screenshots docs

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Install the package (cffi compiles the kernel) with test tools, editable for development.
setup: $(PY)
	$(PIP) install -q -e '.[test,box,web]'

# The firmware's main job on any machine: the simulated box plays its demo phrase for 10 s
# through ALSA's file plugin into out/ms20.wav (on a Pi with a sound card: ms20 run).
run: setup
	mkdir -p out
	$(VENV)/bin/ms20 run --sim --duration 10 --wav out/ms20.wav

# Render the first voice playing a short phrase offline to out/first-voice.wav.
demo: setup
	$(VENV)/bin/ms20 render patches/first-voice.toml --notes "C3:0.4 E3:0.4 G3:0.4 C4:0.8 r:0.2 G3:0.3 A#3:0.3 C4:1.2" --out out/first-voice.wav

test: setup
	$(VENV)/bin/ruff check firmware tests tools benchmarks c_kernels
	$(PY) -m pytest

# Rebuild the kernel in place after editing c_kernels/ (no reinstall needed).
kernel: $(PY)
	flock /tmp/ms20-build.lock $(PY) c_kernels/build_kernel.py

tables: $(PY)
	$(PY) tools/gen_tables.py

# The box's dependencies locked with hashes for Raspberry Pi OS 64-bit (Python 3.11, aarch64),
# from pyproject's ranges: install.sh installs exactly these. Needs PyPI; commit the result.
lock: $(PY)
	$(PIP) install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml systemd/requirements-build.in --extra box --extra web \
		--python-version 3.11 --python-platform aarch64-unknown-linux-gnu --generate-hashes \
		--custom-compile-command "make lock" -o systemd/requirements-box.txt

lint: $(PY)
	$(VENV)/bin/ruff check firmware tests tools benchmarks c_kernels

# docs/filters/*.png: both filter revisions in the kernel against the stored circuit
# simulation (needs matplotlib, in the test extra).
filter-plots: $(PY)
	$(PY) tools/plot_filters.py

# tools/spice/data/*.npz: rerun the circuit simulations (needs ngspice; a few minutes).
filter-reference: $(PY)
	$(PY) tools/spice/make_reference.py
	$(PY) tools/spice/make_cv_reference.py

bench: setup
	$(PY) benchmarks/run.py
	$(PY) benchmarks/bench_control.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_audio_loop.py --seconds 20

# The browser panel for each of the guide's patches, into docs/panel/ (and docs/web-panel.png,
# the README's picture). Needs chromium and chromium-driver (.ci/run installs them).
screenshots: setup
	$(PY) tools/screenshots.py

# The patch sheet of every shipped patch into docs/patches/ (the README and each patch point there).
docs: setup
	$(VENV)/bin/ms20 draw --all patches --out docs/patches

clean:
	rm -rf build out firmware/ms20/_kernel*.so *.egg-info firmware/*.egg-info
