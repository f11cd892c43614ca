"""Every generated file (kernel tables, filter and BLEP coefficients, the builder's guide)
matches what its generator writes today: nothing was hand-edited or left stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.mark.parametrize("generator", ["gen_tables.py", "gen_halfband.py", "gen_blep_table.py", "gen_hw_docs.py",
                                       "gen_examples.py"])
def test_generated_files_are_up_to_date(generator: str) -> None:
    result = subprocess.run([sys.executable, str(TOOLS / generator), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
