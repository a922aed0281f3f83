"""smh_boot.attrs: the bit layout and the decoding of zephyr,memory-attr values."""

import pytest

from smh_boot import attrs as A


def test_field_masks_cover_32_bits_without_overlap():
    masks = (A.DT_MEM_ATTR_MASK, A.DT_MEM_SW_ATTR_MASK, A.DT_MEM_ARCH_ATTR_MASK)
    assert sum(masks) == 0xFFFFFFFF
    assert A.DT_MEM_ATTR_MASK & A.DT_MEM_SW_ATTR_MASK == 0
    assert A.DT_MEM_SW_ATTR_MASK & A.DT_MEM_ARCH_ATTR_MASK == 0


@pytest.mark.parametrize(
    "name, value",
    [
        ("DT_MEM_SW_ALLOC_CACHE", 0x10000),
        ("DT_MEM_SW_ALLOC_NON_CACHE", 0x20000),
        ("DT_MEM_SW_ALLOC_DMA", 0x40000),
        ("DT_MEM_ARM_MPU_RAM", 0x00100000),
        ("DT_MEM_ARM_MPU_RAM_NOCACHE", 0x00200000),
        ("DT_MEM_ARM_MPU_EXTMEM", 0x02000000),
        ("DT_MEM_ARM_MPU_RAM_WT", 0x10000000),
        ("DT_MEM_ARM64_MMU_NORMAL", 0x00200001),
        ("DT_MEM_RISCV_IO_IDEMPOTENT_WRITE", 0x8000000),
        ("DT_MEM_XTENSA_XLMI", 0x1000000),
        ("DT_MEM_PERM_MASK", 0x70),
    ],
)
def test_constants_match_the_spec(name, value):
    assert getattr(A, name) == value


def test_dt_mem_sw_truncates_to_32_bits_like_c():
    assert A.DT_MEM_SW(A.DT_MEM_SW_ATTR_UNKNOWN) == 0
    assert A.DT_MEM_SW(1) == A.DT_MEM_SW_ALLOC_CACHE
    assert A.DT_MEM_ARM(2) == A.DT_MEM_ARM_MPU_RAM_NOCACHE


@pytest.mark.parametrize(
    "arch, family",
    [("arm", "arm"), ("ARM", "arm"), ("aarch64", "arm64"), ("arm64", "arm64"),
     ("riscv64", "riscv"), ("xtensa", "xtensa"), ("x86", None), ("posix", None), (None, None)],
)
def test_arch_family(arch, family):
    assert A.arch_family(arch) == family


def test_decode_names_every_field():
    d = A.decode_attr(0x00050009 | A.DT_MEM_ARM_MPU_RAM, "arm")
    assert d.generic == ("CACHEABLE", "DMA")
    assert d.software == ("SW_ALLOC_CACHE", "SW_ALLOC_DMA")
    assert d.arch_bits == ("ARM_MPU_RAM",)
    assert d.arch_family == "arm"
    assert d.unknown_bits == 0 and d.markers == ()
    assert d.cacheable is True and d.dma is True
    assert d.describe() == "CACHEABLE|DMA|SW_ALLOC_CACHE|SW_ALLOC_DMA|ARM_MPU_RAM"


def test_decode_zero():
    d = A.decode_attr(0, "arm")
    assert d.describe() == "0" and d.cacheable is None and d.dma is False


def test_markers_are_named_per_arch():
    v = A.DT_MEM_UNKNOWN | A.DT_MEM_SW_ATTR_UNKNOWN | A.DT_MEM_ARCH_ATTR_UNKNOWN
    assert A.decode_attr(v, "arm").markers == ("UNKNOWN", "SW_ATTR_UNKNOWN", "ARM_MPU_UNKNOWN")
    assert A.decode_attr(v, "riscv").markers[-1] == "RISCV_UNKNOWN"
    assert A.decode_attr(v, None).markers[-1] == "ARCH_ATTR_UNKNOWN"
    assert A.decode_attr(v, "arm").unknown_bits == 0


def test_undefined_bits_are_reported():
    # bit 12 (generic, undefined), arch bit 29 (not in the ARM header)
    d = A.decode_attr((1 << 12) | (1 << 29), "arm")
    assert d.unknown_bits == (1 << 12) | (1 << 29)
    assert "UNDEFINED(0x20001000)" in d.describe()


def test_arch_field_is_not_judged_without_a_header():
    # the upstream mem_attr test puts ARM MPU bits on native_sim (posix)
    d = A.decode_attr(0x00400002, "posix")
    assert d.arch_bits == () and d.arch_value == 0x400000 and d.unknown_bits == 0
    assert d.describe() == "NON_VOLATILE|ARCH(0x400000)"


def test_same_bit_means_different_things_per_arch():
    assert A.decode_attr(1 << 21, "arm").arch_bits == ("ARM_MPU_RAM_NOCACHE",)
    assert A.decode_attr(1 << 21, "arm64").arch_bits == ("ARM64_CACHE_WB",)
    assert A.decode_attr(1 << 21, "riscv").arch_bits == ("RISCV_TYPE_IO",)
    assert A.decode_attr(1 << 21, "xtensa").arch_bits == ("XTENSA_INSTR_RAM",)
    assert A.decode_attr(1 << 26, "arm64").unknown_bits == 1 << 26


@pytest.mark.parametrize(
    "value, arch, cacheable",
    [
        (A.DT_MEM_CACHEABLE, None, True),
        (A.DT_MEM_NON_CACHEABLE, None, False),
        (A.DT_MEM_CACHEABLE | A.DT_MEM_NON_CACHEABLE, None, None),
        (A.DT_MEM_ARM_MPU_RAM, "arm", True),
        (A.DT_MEM_ARM_MPU_RAM_NOCACHE, "arm", False),
        (A.DT_MEM_ARM_MPU_RAM_NOCACHE, "riscv", None),
        (A.DT_MEM_ARM_MPU_FLASH, "arm", None),
    ],
)
def test_cacheable(value, arch, cacheable):
    assert A.decode_attr(value, arch).cacheable is cacheable


@pytest.mark.parametrize("bad", [-1, 1 << 32])
def test_out_of_range_value(bad):
    with pytest.raises(ValueError, match="32 bits"):
        A.decode_attr(bad)


def test_string_tables():
    assert A.STRING_ATTRS["RAM_NOCACHE"] == (0x200000, "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)")
    assert set(A.STRING_ATTRS) == A.MPU_STRING_ATTRS | {"EXTMEM"}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ALL_NAMES = {**A.GENERIC_BITS, **A.SOFTWARE_BITS}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0xFFFFFFFF), st.sampled_from(["arm", "arm64", "riscv", "xtensa", "posix", None]))
def test_decoding_accounts_for_every_bit_exactly_once(value, arch):
    d = A.decode_attr(value, arch)
    named = sum(_ALL_NAMES[n] for n in d.generic + d.software)
    if d.arch_family is not None:
        named += sum(A.ARCH_BITS[d.arch_family][n] for n in d.arch_bits)
    else:
        named += d.arch_value
    markers = value & (A.DT_MEM_UNKNOWN | A.DT_MEM_SW_ATTR_UNKNOWN | A.DT_MEM_ARCH_ATTR_UNKNOWN)
    assert len(d.markers) == bin(markers).count("1")
    assert named & d.unknown_bits == 0 and named & markers == 0
    assert named | d.unknown_bits | markers == value
