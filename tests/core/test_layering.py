"""Lower layers never import higher ones (top-level and lazy imports alike).

heap/memory <- devicetree <- validate <- board/bootstage <- drivers <- cli/pytest_plugin/
testing/report/fuzz.  The heap knows nothing of devicetree; the devicetree layer nothing of
drivers."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "smh_boot"

LAYER = {
    "errors": 0, "errno": 0, "units": 0, "resources": 0, "attrs": 0, "limits": 0, "__init__": 0,
    "__version__": 0,
    "__main__": 6,
    "memory": 1, "heap": 1,
    "devicetree": 2,
    "validate": 3,
    "board": 4, "bootstage": 4, "zephyr": 4, "infer": 4, "resolve": 4,
    "drivers": 5,
    "cli": 6, "west_command": 6, "pytest_plugin": 6, "testing": 6, "report": 6, "fuzz": 6, "planning": 6,
}
#: same-layer pairs that must not import each other in this direction
FORBIDDEN_SIDEWAYS = {("memory", "heap"), ("board", "bootstage"), ("zephyr", "bootstage"),
                      ("infer", "bootstage"), ("resolve", "bootstage")}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "smh_boot" else ("__init__" if module == "smh_boot" else None)


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    pkg_parts = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # from . import x
                    out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
                    continue
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
    return out


def test_no_layer_imports_a_higher_one():
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        src_unit = rel.parts[0].removesuffix(".py")
        if src_unit == "__init__" and len(rel.parts) == 1:
            continue  # the package's lazy boot() re-export
        for line, mod in _imports(path):
            dst_unit = _unit(mod)
            if dst_unit is None or dst_unit == src_unit or dst_unit == "__init__":
                continue
            if dst_unit not in LAYER or src_unit not in LAYER:
                bad.append(f"{rel}:{line}: unknown unit in import of {mod} (add it to LAYER)")
            elif LAYER[dst_unit] > LAYER[src_unit] or (src_unit, dst_unit) in FORBIDDEN_SIDEWAYS:
                bad.append(f"{rel}:{line}: {src_unit} imports {mod}")
    assert not bad, "\n".join(bad)
