"""Whatever a board YAML holds, loading it gives a Board or one located BoardError: never
another exception (no traceback reaches the user)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smh_boot.board import Board, load_board
from smh_boot.errors import BoardError

from .test_board_schema_errors import GOOD

LINES = GOOD.splitlines()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40),
    st.text(alphabet="abcXYZ019_-.:{}[],#&*!|>'\" ", max_size=12),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3).map(repr), st.just("{a: 1}"), st.just("[1, [2]]"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(0, len(LINES) - 1), value=values, drop=st.booleans())
def test_any_edit_gives_a_board_or_a_located_error(tmp_path, line, value, drop):
    lines = list(LINES)
    if drop:
        del lines[line]
    else:
        key, sep, _rest = lines[line].partition(":")
        lines[line] = f"{key}{sep} {value}" if sep else str(value)
    (tmp_path / "t.dts").write_text("/dts-v1/;\n/ { };\n")
    p = tmp_path / "t.yaml"
    p.write_text("\n".join(lines) + "\n")
    try:
        b = load_board(p)
    except BoardError as e:
        assert e.file == str(p)
        assert e.line is None or 1 <= e.line <= len(lines) + 1
        assert e.message
    else:
        assert isinstance(b, Board)
