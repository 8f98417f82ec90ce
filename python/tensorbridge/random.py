"""``tf.random``."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ._native import Tensor, random_normal

__all__ = ["normal"]


def normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = "float32",
    seed: Optional[int] = None,
) -> Tensor:
    """``tf.random.normal(shape, mean, stddev, dtype, seed)``: a counter-based
    (Philox) generator; the same seed gives the same values everywhere."""
    return random_normal(list(shape), mean, stddev, dtype, seed)
