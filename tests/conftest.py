"""Fixtures shared by the top-level tests; measurement helpers live in measure.py."""

from __future__ import annotations

import pytest

from measure import RATE
from ms20.model.engine import Engine


@pytest.fixture
def engine() -> Engine:
    return Engine(RATE)
