"""Shared test fixtures.

Real data comes from ``../shared/data`` beside the checkout (override with
``KERASNOISE_TEST_DATA``).  Tests that need it are skipped when it is missing,
unless ``KERASNOISE_REQUIRE_DATA=1`` (set by CI), in which case they fail.
"""

import os
from pathlib import Path

import pytest

from tests.helpers import REPO

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _shared_data_dir() -> Path:
    return Path(os.environ.get("KERASNOISE_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder holding the real ``mnist.npz`` and ``cifar10_subset.npz``."""
    path = _shared_data_dir()
    if not (path / "mnist.npz").is_file():
        msg = f"real data not found in {path} (set KERASNOISE_TEST_DATA)"
        if os.environ.get("KERASNOISE_REQUIRE_DATA") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture
def figures(monkeypatch):
    """``{file name: what it shows}`` of the figures kerasnoise saves during the test
    (:func:`tests.helpers.capture_figures`)."""
    from tests.helpers import capture_figures

    return capture_figures(monkeypatch)


@pytest.fixture(autouse=True)
def _no_data_dir_from_user(monkeypatch):
    """Keep a user's KERASNOISE_DATA_DIR from leaking into tests."""
    monkeypatch.delenv("KERASNOISE_DATA_DIR", raising=False)
