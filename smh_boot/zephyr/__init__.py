"""Zephyr's own file formats, read as Zephyr reads them.

* :mod:`.kconfig`: a ``.config`` / ``<board>_defconfig`` reader (``CONFIG_X=y``, strings,
  ints and hex, ``# CONFIG_X is not set``) that keeps the line of every symbol, and merges
  fragments in order (each symbol keeping the file that set it);
* :mod:`.hwm`: hardware model v2 board discovery (``boards/<vendor>/<board>/board.yml``,
  ``extend:`` entries of other board roots, SoC ``soc.yml``, board targets
  ``board[@rev][/soc[/cpucluster[/variant]]]`` with revisions checked as
  ``board_check_revision`` checks them, the target's ``.dts``, revision overlays, twister
  ``<target>.yaml``, ``_defconfig`` files, shields' overlays and ``.conf`` fragments);
* :mod:`.dtsroots`: the preprocessor include folders of every DTS root, as ``pre_dt.cmake``
  lists them;
* :mod:`.build`: what ``west build`` leaves in a build directory (``zephyr/zephyr.dts``,
  ``zephyr/zephyr.dts.pre``, ``zephyr/.config``, ``build_info.yml``).

This package reads files only; turning them into a board is :mod:`smh_boot.resolve`'s job.
"""

from .build import BuildDir, open_build_dir
from .hwm import BoardTarget, ZephyrBoard, find_board, parse_target
from .kconfig import KconfigValues, parse_kconfig

__all__ = [
    "BoardTarget",
    "BuildDir",
    "KconfigValues",
    "ZephyrBoard",
    "find_board",
    "open_build_dir",
    "parse_kconfig",
    "parse_target",
]
