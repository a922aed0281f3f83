"""The exception family of smh-boot.

Every failure smh-boot raises derives from :class:`SmhError`.  Three groups matter:

* **Heap errors** (:class:`HeapError`): an operation of the heap stack failed.  Each carries
  the Zephyr errno name and number (``errno_name``/``errno``) and ``c_outcome``, what the C
  code does in the same situation: ``"rc"`` (returns a negative errno), ``"assert"``
  (``__ASSERT`` fires) or ``"panic"`` (``k_panic()`` from the heap hardening checks).  The
  golden-trace adapter turns these back into ``rc`` / ``terminated``.
* **Input errors** (:class:`InputError`): a user file (devicetree, board, trace) is wrong.
  They carry ``file``/``line``/``column`` and format as ``path:line:col: error: message``.
* **Runtime model errors**: :class:`BusFault`, :class:`CoherencyError`, :class:`LayoutError`.

Allocation failure is *not* an error: like C, alloc returns ``None``.
"""

from __future__ import annotations

from . import errno as _errno


class SmhError(Exception):
    """Base of every smh-boot error."""

    #: Zephyr errno name (``"EINVAL"``...) or None when the error has no errno analogue.
    errno_name: str | None = None

    @property
    def errno(self) -> int | None:
        """Zephyr's errno number for :attr:`errno_name` (positive), or None."""
        return _errno.BY_NAME.get(self.errno_name) if self.errno_name else None


# --------------------------------------------------------------------------- heap


class HeapError(SmhError):
    """A heap-stack operation failed (see the module docstring for ``c_outcome``).

    ``zephyr_message`` is the text Zephyr's ``__ASSERT``/``LOG_ERR`` prints in the same case
    (what golden traces record for a termination), when there is one; the heap sets it on the
    instance, as it does ``c_outcome`` when one class covers two C outcomes (a 9th heap)."""

    errno_name = "EINVAL"
    c_outcome = "rc"
    zephyr_message: str | None = None


class PoolAlreadyInitialised(HeapError):
    """``shared_multi_heap_pool_init()`` / ``mem_attr_heap_pool_init()`` called twice."""

    errno_name = "EALREADY"


class InvalidArgument(HeapError, ValueError, TypeError):
    """A heap call with an argument C could not even express: a negative size, a float or a
    string for a pointer (in C the compiler refuses it).  Still a ValueError/TypeError for
    callers that caught those before it was an SmhError."""

    errno_name = "EINVAL"


class InvalidAttribute(HeapError, ValueError):
    """SMH attribute out of range (``attr >= SMH_REG_ATTR_NUM``), or not an integer."""

    errno_name = "EINVAL"


class RegionTooSmall(HeapError):
    """Region too small (or too big) for ``sys_heap_init``; C asserts "heap size is too small"."""

    errno_name = "EINVAL"
    c_outcome = "assert"


class TooManyHeaps(HeapError):
    """No heap slot left: 8 per SMH attribute (C: ``-ENOMEM``) or 8 in total (C: assert)."""

    errno_name = "ENOMEM"


class InvalidAlignment(HeapError):
    """Alignment with three or more bits set; C asserts "align must be a power of 2"."""

    errno_name = "EINVAL"
    c_outcome = "assert"


class HeapCorruption(HeapError):
    """A hardening check found a damaged chunk header or free list (C: ``k_panic()``).

    Set on the instance when known (None otherwise): ``kind`` (one of the kinds listed in the
    README's errors section, e.g. ``"overrun"``, ``"free-list"``, ``"dma-into-free"``),
    ``check`` (the named check point of ``sys_heap`` that fired), ``block`` (start of the
    block whose end was overrun, or that the bad access concerns), ``owner`` (its owner tag),
    ``offset`` (of the damaged or written byte from ``block``), ``writer`` (who wrote, e.g.
    ``"DMA channel 2 of device uart@40004000"``) and ``where`` (address of the bad header)."""

    errno_name = "EFAULT"
    c_outcome = "panic"
    kind: str | None = None
    check: str | None = None
    block: int | None = None
    owner: object = None
    offset: int | None = None
    writer: str | None = None
    where: int | None = None


class DmaUseAfterFree(HeapCorruption):
    """STRICT: a DMA through a freed buffer (``kind`` ``"dma-use-after-free"``): a buffer freed
    (or reallocated) while a transfer in flight still reads or writes it, a transfer started
    through a buffer handle whose block was freed, or the same found at the transfer's next
    step when the free went round the pool's check.  C has no such check: the device would
    keep using memory the pool may have given to someone else.

    Besides :class:`HeapCorruption`'s fields (``block`` and ``owner``: the freed block and its
    owner tag; ``writer``: the transfer as text): ``device`` (the bus master), ``channel``,
    ``transfer`` (the transfer's number), ``buffer`` (the handle's name when the DMA went
    through a handle, else None), ``now_block`` / ``now_owner`` (the block that lives at the
    freed address now and its owner, None when none does)."""

    kind: str | None = "dma-use-after-free"
    device: str | None = None
    channel: int | None = None
    transfer: int | None = None
    buffer: str | None = None
    now_block: int | None = None
    now_owner: object = None


class DoubleFree(HeapCorruption):
    """Free (or realloc) of a block that is not in use (C: "heap corruption (double free?)")."""


class InvalidFree(HeapCorruption):
    """STRICT hardening: a pointer that is not the start of a live block of this pool."""


class InvalidSize(InvalidArgument):
    """A negative (or non-integer) allocation size given straight to a ``SysHeap`` (the pool
    refuses it first, as :class:`InvalidArgument`).  C reads a negative ``size_t`` as a huge
    one and returns NULL; smh-boot refuses it as the caller bug it is (an ``__ASSERT``-like
    outcome)."""

    c_outcome = "assert"


# --------------------------------------------------------------------------- memory model


class BusFault(SmhError):
    """An access outside every mapped region of an address space."""

    errno_name = "EFAULT"

    def __init__(self, address: int, size: int = 1, what: str = "access"):
        self.address = address
        self.size = size
        super().__init__(
            f"bus fault: {what} of {size} byte(s) at {address:#x} is outside every mapped region"
        )


class MemoryMapError(SmhError):
    """A mapping request that cannot be honoured (overlap, size 0, beyond the address space)."""

    errno_name = "EINVAL"


class CoherencyError(SmhError):
    """The cache/DMA coherency checker caught a maintenance bug (see ``smh_boot.memory``)."""


# --------------------------------------------------------------------------- user input


class InputError(SmhError):
    """A problem in a user-supplied file, reported GCC-style as ``file:line:col: error: msg``."""

    errno_name = "EINVAL"

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        """``path:line:col: error: message`` (parts that are unknown are left out)."""
        loc = ""
        if self.file:
            loc = str(self.file)
            if self.line:
                loc += f":{self.line}"
                if self.column:
                    loc += f":{self.column}"
            loc += ": "
        text = f"{loc}error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DevicetreeError(InputError):
    """The devicetree (or an overlay, include or header) could not be preprocessed or parsed."""


class BoardError(InputError):
    """A board definition (``boards/*.yaml``) is invalid."""


class TraceError(InputError):
    """A golden-format trace file is malformed."""


class InferenceWarning(UserWarning):
    """What smh-boot could not infer about a target, or had to choose between contradicting
    sources (``Board.warnings``): issued by ``boot()`` when it resolved the target itself, and
    by the pytest plugin for every test that boots such a board.  Turn it into an error with
    ``-W error::smh_boot.InferenceWarning`` (or ``warnings.simplefilter("error", ...)``)."""


class LayoutError(SmhError):
    """The memory layout has error-level findings (``boot(strict=True)``)."""

    def __init__(self, diagnostics: list, message: str | None = None):
        self.diagnostics = list(diagnostics)
        lines = [message or f"memory layout has {len(self.diagnostics)} error(s):"]
        lines += [f"  {d}" for d in self.diagnostics]
        super().__init__("\n".join(lines))
