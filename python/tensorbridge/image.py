"""``tf.image``."""

from __future__ import annotations

from ._native import rgb_to_grayscale

__all__ = ["rgb_to_grayscale"]
