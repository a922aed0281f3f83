"""The .config reader: every value form Kconfig writes, and a clear error for anything else."""

import pytest

from smh_boot.errors import InputError
from smh_boot.zephyr.kconfig import parse_kconfig, parse_kconfig_text

TEXT = """\
#
# Automatically generated file; DO NOT EDIT.
#
CONFIG_BOARD="stm32h747i_disco"
CONFIG_ESCAPED="a \\"quoted\\" \\\\ word"
CONFIG_DCACHE=y
CONFIG_MODULE_THING=m
CONFIG_DCACHE_LINE_SIZE=32
CONFIG_SRAM_BASE_ADDRESS=0x24000000
CONFIG_NEGATIVE=-5
# CONFIG_64BIT is not set
CONFIG_EXPLICIT_NO=n

# a plain comment
"""


def test_values_of_every_kind():
    k = parse_kconfig_text(TEXT, "x/.config")
    assert k.string("BOARD") == "stm32h747i_disco"
    assert k.string("ESCAPED") == 'a "quoted" \\ word'
    assert k.enabled("DCACHE") and k.is_set("CONFIG_DCACHE") is True
    assert k.get("MODULE_THING") == "m"
    assert k.integer("DCACHE_LINE_SIZE") == 32
    assert k.integer("SRAM_BASE_ADDRESS") == 0x24000000
    assert k.integer("NEGATIVE") == -5
    assert k.is_set("64BIT") is False and not k.enabled("64BIT")
    assert k.is_set("EXPLICIT_NO") is False
    assert k.is_set("NEVER_MENTIONED") is None
    assert k.where("64BIT") == "x/.config:11"


@pytest.mark.parametrize("line, what", [
    ("CONFIG_X", "not a Kconfig line"),
    ("BOARD=foo", "not a Kconfig line"),
    ('CONFIG_S="unterminated', "unterminated string"),
    ("CONFIG_N=12abc", "cannot read the value"),
])
def test_malformed_line_is_located(line, what):
    with pytest.raises(InputError) as e:
        parse_kconfig_text(f"CONFIG_OK=y\n{line}\n", "b/.config")
    assert e.value.file == "b/.config" and e.value.line == 2
    assert what in e.value.message


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="cannot read the Kconfig file"):
        parse_kconfig(tmp_path / "missing")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        parse_kconfig(tmp_path / "bin")
