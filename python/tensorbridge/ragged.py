"""``tf.ragged``: RaggedTensor and constant."""

from __future__ import annotations

from typing import Any, List

import numpy as _np

from ._native import RaggedTensor, ragged_from_nested_row_lengths

__all__ = ["RaggedTensor", "constant"]


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, (list, tuple)):
        depth += 1
        if not value:
            break
        value = value[0]
    return depth


def constant(pylist: Any, dtype: Any = None) -> RaggedTensor:
    """``tf.ragged.constant([[1, 2, 3], [4, 5], [6]])``: rows of different
    lengths; ints become int32 and floats float32, as in TensorFlow."""
    depth = _depth(pylist)
    if depth < 2:
        raise ValueError(
            f"ragged.constant needs a nested list of rank >= 2, got rank {depth}: {pylist!r}"
        )
    nested_lengths: List[List[int]] = [[] for _ in range(depth - 1)]
    level = list(pylist)
    for lengths in nested_lengths:
        nxt: list = []
        for row in level:
            if not isinstance(row, (list, tuple)):
                raise ValueError(
                    f"ragged.constant: all values at one depth must be lists, found {row!r}"
                )
            lengths.append(len(row))
            nxt.extend(row)
        level = nxt
    from . import _default_array

    values = _np.asarray(level, dtype=dtype) if dtype is not None else _default_array(level)
    if values.ndim != 1:
        raise ValueError("ragged.constant: the innermost lists must hold scalars")
    return ragged_from_nested_row_lengths(
        values, [_np.asarray(l, dtype=_np.int64) for l in nested_lengths]
    )
