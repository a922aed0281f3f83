"""The SmhError family: errno names/numbers and the GCC-style input error format."""

from smh_boot import errno
from smh_boot.errors import (
    DevicetreeError,
    DoubleFree,
    HeapCorruption,
    InvalidAlignment,
    PoolAlreadyInitialised,
    SmhError,
    TooManyHeaps,
)


def test_heap_errors_carry_zephyr_errno():
    assert PoolAlreadyInitialised("x").errno == 120
    assert PoolAlreadyInitialised("x").errno_name == "EALREADY"
    assert TooManyHeaps("x").errno == errno.ENOMEM
    assert InvalidAlignment("x").c_outcome == "assert"
    assert isinstance(DoubleFree("x"), HeapCorruption)
    assert DoubleFree("x").c_outcome == "panic"
    assert issubclass(DoubleFree, SmhError)


def test_input_error_format():
    e = DevicetreeError("expected ';' or ','", file="boards/x.dts", line=12, column=4,
                        hint="add the missing semicolon")
    assert str(e).splitlines()[0] == "boards/x.dts:12:4: error: expected ';' or ','"
    assert "hint: add the missing semicolon" in str(e)
    assert str(DevicetreeError("no cpp")) == "error: no cpp"
    assert str(DevicetreeError("m", file="a.dts")) == "a.dts: error: m"


def test_errno_tables():
    assert errno.name_of(-22) == "EINVAL"
    assert errno.LINUX["EALREADY"] == 114 and errno.EALREADY == 120
    assert errno.name_of(9999) == "E?9999"


def test_cli_turns_an_unexpected_exception_into_internal_error(monkeypatch, capsys):
    import click

    from smh_boot import cli

    @click.command()
    def command():
        raise KeyError("boom")

    class FakeModule:
        pass

    FakeModule.command = command
    monkeypatch.setitem(cli.SUBCOMMANDS, "explode", ("smh_boot.cli.boot_cmd", "x"))
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: FakeModule)
    assert cli.main(["explode"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("internal error: KeyError: 'boom'") and "Traceback" not in err
    monkeypatch.setenv("SMH_BOOT_DEBUG", "1")
    import pytest

    with pytest.raises(KeyError):
        cli.main(["explode"])
