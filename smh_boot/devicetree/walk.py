"""Tree walks without recursion (duck-typed over dtlib nodes: ``.nodes`` dicts).

dtlib's ``node_iter`` nests one generator per level, so every node it yields costs one
resume per ancestor and a deep tree runs into Python's recursion limit.  The depth limit of
:mod:`.guards` keeps dtlib's own walks safe; our walks use an explicit stack so that no
layer above depends on that limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def preorder(root: Any) -> Iterator[Any]:
    """``root`` and every node below it, parents before children, children in order (the
    devicetree order of ``dtlib.DT.node_iter``)."""
    if root is None:
        return
    stack = [root]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        yield node
        children = node.nodes
        if children:
            extend(reversed(children.values()))
