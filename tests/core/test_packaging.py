"""The wheel must carry every subpackage: pyproject lists them by hand (the data folders are
mapped in as smh_boot._boards / _dts), so a new subpackage must be added there too."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "smh_boot").rglob("__init__.py")
    }
    missing = on_disk - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert listed - on_disk == {"smh_boot._boards", "smh_boot._dts"}


def test_shipped_data_is_found():
    from smh_boot import resources

    assert (resources.boards_dir() / "stm32h747i_disco_m7.yaml").is_file()
    assert (resources.dts_dir() / "include" / "zephyr" / "dt-bindings" / "memory-attr" / "memory-attr.h").is_file()
