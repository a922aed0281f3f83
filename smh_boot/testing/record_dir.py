"""``pytest --smh-record DIR``: every test's allocation trace, one golden-format file per booted
system, grouped by board: ``DIR/<board>/<test id>.json`` plus ``DIR/<board>/index.json``
(the golden index format), which ``smh-boot fit --trace DIR/<board>`` reads as one set of
workloads for that board.

Names are made safe for every file system and never collide: a test id that would clash after
cleaning (``test[a/b]`` and ``test[a_b]``) gets a short hash of the real id.  Existing files are
replaced, never written through a symbolic link.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from ..heap.trace import INDEX_FORMAT, dumps_trace


def trace_file_name(nodeid: str, k: int = 0) -> str:
    """``<clean id>-<hash>.json``: readable (a long id keeps its end, which names the test),
    and unique per (node id, boot number)."""
    clean = re.sub(r"[^A-Za-z0-9_.\-]+", "_", nodeid).strip("_.") or "test"
    digest = hashlib.sha1(f"{nodeid}#{k}".encode()).hexdigest()[:8]
    return f"{clean[-100:].lstrip('_.')}-{digest}.json"  # the end names the test


def _write(path: Path, text: str) -> None:
    if path.is_symlink():
        path.unlink()
    tmp = path.with_name(path.name + ".tmp")
    if tmp.is_symlink():
        tmp.unlink()
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def board_folder(board: str) -> str:
    """The folder of ``DIR`` that holds a board's traces: its name made safe for a file name
    (``stm32h747i_disco/stm32h747xx/m7`` -> ``stm32h747i_disco_stm32h747xx_m7``)."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", str(board)) or "board"


def record_traces(out_dir: Path, nodeid: str, records: list[Any]) -> list[Path]:
    """Write the trace of every boot of one test; returns the files written."""
    written = []
    for k, rec in enumerate(records):
        recorder = getattr(rec, "recorder", None)
        if recorder is None:
            continue
        folder = out_dir / board_folder(rec.board)
        if folder.is_symlink():
            raise OSError(f"{folder} is a symbolic link; smh-boot does not write through links")
        folder.mkdir(parents=True, exist_ok=True)
        doc = recorder.to_trace(name=nodeid if k == 0 else f"{nodeid}#{k}",
                                description=f"allocations of {nodeid} on {rec.board}",
                                generator={"board": str(rec.board), "test": nodeid, "boot": k,
                                           "seed": rec.seed})
        path = folder / trace_file_name(nodeid, k)
        _write(path, dumps_trace(doc))
        written.append(path)
    return written


def write_indexes(out_dir: Path) -> list[Path]:
    """``index.json`` in every board folder of ``out_dir``, listing its traces (sorted)."""
    written = []
    if not out_dir.is_dir():
        return written
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        files = sorted(f.name for f in folder.glob("*.json") if f.name != "index.json")
        doc = {"format": INDEX_FORMAT, "board": folder.name,
               "files": [{"file": f} for f in files]}
        path = folder / "index.json"
        _write(path, json.dumps(doc, indent=1) + "\n")
        written.append(path)
    return written
