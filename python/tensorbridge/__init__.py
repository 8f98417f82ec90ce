"""tensorbridge: tensors that become real ``numpy.ndarray`` objects without a copy.

TensorFlow's names, backed by the Rust library::

    import numpy as np
    import tensorbridge as tb

    t = tb.constant([[1, 2], [4, 8]])     # tf.constant: int32
    a = t.numpy()                          # read-only view of t's buffer, no copy
    b = np.add(t * 2, 1)                   # NumPy converts through __array__
    u = tb.from_numpy(np.ones(3))          # shares the array's memory
    v = np.from_dlpack(t)                  # DLPack, zero-copy
"""

from __future__ import annotations

import contextlib as _contextlib
from typing import Any, Iterator, Optional

import numpy as _np

from . import _native
from ._native import Function as _Function
from ._native import Graph, Session, Tensor, from_dlpack, from_numpy

__all__ = [
    "Tensor",
    "Graph",
    "Session",
    "constant",
    "from_numpy",
    "from_dlpack",
    "device",
    "devices",
    "function",
    "sparse",
    "ragged",
    "image",
    "random",
]

_INT32 = _np.iinfo(_np.int32)


def _default_array(value: Any) -> _np.ndarray:
    """``value`` as an array with TensorFlow's default dtypes for Python
    values: int32 for ints (int64 when they do not fit), float32 for floats,
    complex128 for complex."""
    array = _np.asarray(value)
    if isinstance(value, (_np.ndarray, _np.generic)):
        return array
    if array.dtype == _np.int64:
        if array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max):
            return array.astype(_np.int32)
        return array
    if array.dtype == _np.float64:
        return array.astype(_np.float32)
    return array


def constant(value: Any, dtype: Any = None) -> Tensor:
    """``tf.constant(value, dtype)``: a new tensor holding a copy of ``value``
    (nested lists, scalars, NumPy arrays, tensors) on the current device."""
    if isinstance(value, Tensor):
        return value if dtype is None else value.cast(dtype)
    if dtype is not None and str(dtype) == "bfloat16":
        import ml_dtypes  # noqa: F401  (registers the bfloat16 dtype)
    array = _np.asarray(value, dtype=dtype) if dtype is not None else _default_array(value)
    array = _np.asarray(array, order="C")
    t = from_numpy(array).copy()
    current = _native.current_device()
    return t if current.endswith("CPU:0") else t.to(current)


@_contextlib.contextmanager
def device(name: str) -> Iterator[str]:
    """``with tb.device("/GPU:0"):`` new tensors are made on that device in
    this thread until the block ends."""
    scope = _native.DeviceScope(name)
    with scope:
        yield scope.name


def devices() -> list:
    """The devices tensors can be made on here, TensorFlow style."""
    return _native.devices()


def function(fn: Optional[Any] = None, **_ignored: Any) -> Any:
    """``@tb.function``: ``fn`` is traced once per input signature (shapes
    and dtypes) into a graph, which then runs for every call."""
    if fn is None:
        return function
    return _Function(fn)


from . import image, ragged, random, sparse  # noqa: E402
