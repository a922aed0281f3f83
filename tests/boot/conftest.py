from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
UPSTREAM = REPO / "dts" / "overlays" / "upstream"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def upstream_dir() -> Path:
    return UPSTREAM
