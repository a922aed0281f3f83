"""Token-aware mutation of text inputs (devicetree, YAML, JSON).

Random byte flips mostly produce inputs every parser rejects at the first character; editing
whole tokens keeps the input near-valid, which is where error paths hide: a dropped ``;``, a
duplicated line, a number swapped for ``0xffffffffffffffff`` or ``-1``, a stray brace, a
truncated file, a non-ASCII or NUL character.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN_RE = re.compile(r"0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_,.#-]*|\s+|.", re.S)
_NUMBERS = ("0", "-1", "0xffffffff", "0xffffffffffffffff", "18446744073709551616", "4294967296",
            "1e400", "0.5", "007", "0x", "99999999999999999999999999")
_PUNCT = ("{", "}", ";", "<", ">", "(", ")", "[", "]", "&", '"', "/", "#", ":", ",", "=", "\n",
          "-", "*", "|", "'", "\\", "\0", "\u00e9", "\ufeff", "/*", "*/", "//", "%", "!", "@")


def mutate(rng: Any, text: str, count: int = 1) -> str:
    """``text`` with ``count`` token-level edits (deterministic for a given rng state)."""
    toks = _TOKEN_RE.findall(text)
    for _ in range(count):
        if not toks:
            toks = [rng.choice(_PUNCT)]
        i = rng.randrange(len(toks))
        k = rng.randint(0, 9)
        if k == 0:
            del toks[i]
        elif k == 1:
            toks.insert(i, toks[rng.randrange(len(toks))])  # a token from elsewhere
        elif k == 2:
            toks.insert(i, rng.choice(_PUNCT))
        elif k == 3:
            nums = [j for j, t in enumerate(toks) if t[:1].isdigit()]
            toks[rng.choice(nums) if nums else i] = rng.choice(_NUMBERS)
        elif k == 4:
            del toks[i:]  # truncated file
        elif k == 5:
            # duplicate a line
            joined = "".join(toks)
            lines = joined.split("\n")
            j = rng.randrange(len(lines))
            lines.insert(j, lines[j])
            toks = _TOKEN_RE.findall("\n".join(lines))
        elif k == 6:
            j = rng.randrange(len(toks))
            toks[i], toks[j] = toks[j], toks[i]
        elif k == 7:
            toks[i] = toks[i] * rng.randint(2, 4)
        elif k == 8:
            # drop a whole line
            joined = "".join(toks)
            lines = joined.split("\n")
            del lines[rng.randrange(len(lines))]
            toks = _TOKEN_RE.findall("\n".join(lines))
        else:
            toks[i] = rng.choice(("", " ", "\t", "\r\n", "\\\n"))
    return "".join(toks)
