"""``tf.sparse``: SparseTensor and to_dense."""

from __future__ import annotations

from ._native import SparseTensor, Tensor

__all__ = ["SparseTensor", "to_dense"]


def to_dense(sp_input: SparseTensor) -> Tensor:
    """``tf.sparse.to_dense(st)``."""
    return sp_input.to_dense()
