"""Hostile input families (issue 14): what an attacker puts in a pull request, not what a
careless engineer writes.

* **device files as include targets**: ``#include``, ``/include/`` and ``/incbin/`` of
  ``/dev/zero``, ``/dev/urandom``, ``/proc/self/environ``, ``/sys`` files, a FIFO, a
  directory, a symlink to a device, and an ``#include`` whose name a macro builds (which no
  pre-scan sees: cpp's memory limit has to stop it);
* **/incbin/ amplification**: one blob named many times in one property and in many
  properties, and a source that ``/incbin/``\\ s itself;
* **huge integers**: cells, macros and ``/bits/ 64`` values of thousands of digits;
* **path characters**: files whose names hold ``"``, ``\\``, ``:``, spaces and non-ASCII,
  reached through ``#include``, ``/include/``, ``/incbin/`` and as the board file itself;
* **artifact ids** (:func:`artifact_ids`): pytest node ids that differ only in characters a
  file name cannot hold.

Every family is drawn from the rng it is given, so a seed reproduces the input.
"""

from __future__ import annotations

from typing import Any

#: Include targets that must be refused (or, built by a macro, stopped by cpp's limits).
DEVICE_TARGETS = (
    "/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin", "/proc/self/environ",
    "/proc/self/status", "/proc/self/maps", "/sys/kernel/mm/transparent_hugepage/enabled",
    "@fifo", "@dir", "@link",
)

#: Characters file names of the path family are built from.
PATH_CHARS = ('"', "\\", ":", " ", "#", "'", "é", "%", "$", ",", "[", "]", "(", "{", "@")


def hostile_devicetree(rng: Any, case: Any) -> None:
    """Add one hostile family to ``case`` (a :class:`~.dts_gen.DtsCase`), in place."""
    family = rng.choice(("device", "device", "incbin", "integer", "integer", "path", "path"))
    case.notes.append(f"hostile: {family}")
    {"device": _device, "incbin": _incbin, "integer": _integer, "path": _path}[family](rng, case)


def _append_node(case: Any, body: str, file: str | None = None) -> None:
    name = file or case.dts
    case.files[name] = case.files[name] + "/ {\n\thostile {\n\t\t" + body + "\n\t};\n};\n"


def _target(rng: Any, case: Any) -> str:
    t = rng.choice(DEVICE_TARGETS)
    if t == "@fifo":
        case.fifos.append("pipe.dtsi")
        return "pipe.dtsi"
    if t == "@dir":
        case.dirs.append("folder.dtsi")
        return "folder.dtsi"
    if t == "@link":
        case.links["zero.dtsi"] = rng.choice(("/dev/zero", "/proc/self/environ", "/dev/urandom"))
        return "zero.dtsi"
    return t


def _device(rng: Any, case: Any) -> None:
    target = _target(rng, case)
    how = rng.randint(0, 4)
    if how == 0:
        case.files[case.dts] = f'#include "{target}"\n' + case.files[case.dts]
    elif how == 1:
        case.files[case.dts] += f'/include/ "{target}"\n'
    elif how == 2:
        _append_node(case, f'secret = /incbin/("{target}");')
    elif how == 3:
        _append_node(case, f'secret = /incbin/("{target}", {rng.choice((0, 4, 1 << 20))}, '
                           f'{rng.choice((16, 4096, 1 << 30))});')
    else:
        # A name the pre-scan cannot see: only cpp's memory/time/output limits stop it.
        # (Only the finite or cheap devices: /dev/zero through a macro is the limit test's
        # job, and costs seconds of cpp per input.)
        real = rng.choice(("/dev/null", "/proc/self/status", "/sys/kernel/mm/transparent_hugepage/enabled"))
        case.files[case.dts] = (f'#define HOSTILE_TARGET "{real}"\n#include HOSTILE_TARGET\n'
                                + case.files[case.dts])


def _incbin(rng: Any, case: Any) -> None:
    size = rng.choice((1 << 10, 64 << 10, 1 << 20, 4 << 20))
    case.blobs["blob.bin"] = (size, rng.randint(0, 255))
    k = rng.choice((2, 20, 200))
    how = rng.randint(0, 2)
    if how == 0:  # many in one property: quadratic assembly in dtlib
        _append_node(case, "p = " + ", ".join(['/incbin/("blob.bin")'] * k) + ";")
    elif how == 1:  # one per property
        _append_node(case, "\n\t\t".join(f'p{i} = /incbin/("blob.bin");' for i in range(k)))
    else:  # a source that incbins itself
        _append_node(case, "\n\t\t".join(f'p{i} = /incbin/("{case.dts}");' for i in range(k)))


def _integer(rng: Any, case: Any) -> None:
    n = rng.choice((21, 300, 4301, 5000, 20000))
    digits = "".join(str(rng.randint(1, 9)) for _ in range(8)) * (n // 8 + 1)
    digits = digits[:n]
    how = rng.randint(0, 4)
    if how == 0:
        _append_node(case, f"reg = <{digits} 16>;")
    elif how == 1:
        _append_node(case, f"reg = <0x{'f' * n} 0x10>;")
    elif how == 2:
        _append_node(case, f"/bits/ 64 <{digits}>;" if rng.random() < 0.5 else f"v = /bits/ 64 <{digits}>;")
    elif how == 3:
        case.files[case.dts] = f"#define HUGE {digits}\n#if HUGE > 1\n#endif\n" + case.files[case.dts]
    else:
        _append_node(case, f"zephyr,memory-attr = <({digits} + 1)>;")


def _odd_name(rng: Any, stem: str, ext: str) -> str:
    chars = "".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(1, 4)))
    return f"{stem}{chars}x{ext}"


def _path(rng: Any, case: Any) -> None:
    how = rng.randint(0, 3)
    if how == 0:  # the board file itself (also the name the line markers carry)
        new = _odd_name(rng, "bo", ".dts")
        case.files[new] = case.files.pop(case.dts)
        for name, text in case.files.items():
            case.files[name] = text.replace('"board.dts"', '"' + new.replace('"', "") + '"')
        case.dts = new
        if rng.random() < 0.7:  # and an error in it, so the location is checked
            case.files[new] += "/ { broken = <1>\n};\n"
    elif how == 1:  # a /include/d file (dtlib unescapes the name it is given)
        inc = _odd_name(rng, "in", ".dtsi")
        case.files[inc] = "/ { from_odd_name = <1>; };\n" + ("/ { x = ; };\n" if rng.random() < 0.5 else "")
        esc = inc.replace("\\", "\\\\").replace('"', '\\"')
        case.files[case.dts] += f'/include/ "{esc}"\n'
    elif how == 2:  # a #include'd file (cpp takes the name as written; no '"' possible)
        inc = _odd_name(rng, "hd", ".dtsi").replace('"', "")
        case.files[inc] = "/ { from_header = <1>; };\n" + ("/ { y = <; };\n" if rng.random() < 0.5 else "")
        case.files[case.dts] = f'#include "{inc}"\n' + case.files[case.dts]
    else:  # /incbin/ of a file with an odd name, sliced or whole
        blob = _odd_name(rng, "bl", ".bin")
        case.blobs[blob] = (rng.choice((0, 16, 4096)), 0xA5)
        esc = blob.replace("\\", "\\\\").replace('"', '\\"')
        _append_node(case, f'data = /incbin/("{esc}");')


def artifact_ids(rng: Any) -> tuple[str, str]:
    """Two distinct pytest node ids that a lossy file-name mapping would merge: the same
    test with parameters differing in a ``/``, a space, a ``:`` or another character file
    names cannot hold, or only in length past the folder-name limit."""
    base = rng.choice(("tests/test_dma.py::test_rx", "tests/a b/test_x.py::test_y[1]",
                       "t.py::TestC::test_m"))
    chars = ("/", " ", ":", "\\", "?", "*", "..", "\0", "\n", "é", "_", "-", ".", "[", "]")
    p = "".join(rng.choice(chars + ("a", "b", "1")) for _ in range(rng.randint(1, 6)))
    q = list(p)
    i = rng.randrange(len(q))
    q[i] = rng.choice([c for c in chars + ("a", "b", "1") if c != q[i]])
    tail = "x" * rng.choice((0, 0, 130, 300))
    return f"{base}[{p}{tail}]", f"{base}[{''.join(q)}{tail}]"


def hostile_trace_text(rng: Any, text: str) -> str:
    """A trace's text with one hostile change: a number of thousands of digits, a float
    where an integer belongs, or JSON nested far deeper than any trace."""
    how = rng.randint(0, 3)
    if how == 0:
        digits = "7" * rng.choice((4301, 5000, 50000))
        return text.replace('"size": ', f'"size": {digits}', 1) if '"size": ' in text else digits
    if how == 1:
        return text.replace('"offset": ', '"offset": 1.5e', 1).replace('"size": ', '"size": -', 1)
    if how == 2:
        n = rng.choice((1000, 100_000))
        return text.replace('"ops": [', '"ops": [' + "[" * n + "]" * n + ",", 1)
    return '{"config": ' * 5000 + "{}" + "}" * 5000


def hostile_board_text(rng: Any, text: str) -> str:
    """Board YAML with one hostile change: a huge integer, a path component over 255 bytes,
    or a cache geometry no CPU has."""
    how = rng.randint(0, 2)
    if how == 0:
        digits = "9" * rng.choice((4301, 10000))
        for key in ("alloc_loops: ", "ptr_size: ", "size: "):
            if key in text:
                return text.replace(key, key + digits, 1)
        return text + f"extra: {digits}\n"
    if how == 1:
        comp = "p" * rng.choice((256, 1000))
        return text.replace("dts: ", f"dts: {comp}/", 1)
    return text + rng.choice((
        "cache: {line_size: 4, size: 268435456, ways: 1}\n",
        "cache: {line_size: 1048576, size: 1048576, ways: 1}\n",
        "cache: {line_size: 32, size: 32768, ways: 1024}\n",
    ))
