"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from dag_support import REPO


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
