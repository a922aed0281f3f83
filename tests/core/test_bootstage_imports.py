"""The driver model's modules import one another in one direction only (issue #15: the
device/driver/system circle is untied), type-checking imports included."""

import ast
from pathlib import Path

BOOTSTAGE = Path(__file__).resolve().parents[2] / "smh_boot" / "bootstage"


def _local_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_bootstage_imports_form_no_cycle():
    graph = {p.stem: _local_imports(p) for p in BOOTSTAGE.glob("*.py") if p.stem != "__init__"}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph.get(n, ())):
            assert state.get(m) != 1, "import cycle: " + " -> ".join(path[path.index(m):] + [m])
            if m not in state:
                visit(m)
        path.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    # the driver model's order: device (and dmas) at the bottom, driver and system above it
    assert "driver" not in graph["device"] and "system" not in graph["device"]
    assert "device" not in graph["dmas"]
