import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real-data folder ($SNNLAB_DATA or <repo>/../shared/data); skips the test if absent."""
    root = Path(os.environ.get("SNNLAB_DATA") or REPO.parent / "shared" / "data")
    if not root.is_dir():
        pytest.skip(f"real data folder {root} not found (set SNNLAB_DATA)")
    return root
