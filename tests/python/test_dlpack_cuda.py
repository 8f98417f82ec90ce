"""DLPack of CUDA device memory, both ways, against PyTorch and CuPy.

Every test needs a CUDA GPU that tensorbridge can use AND the library it
talks to; without them it is skipped with the reason printed (pytest -rs).
With TENSORBRIDGE_EXPECT_CUDA=1 a missing GPU fails instead, so a GPU run
cannot pass by accident.
"""

import gc
import os

import numpy as np
import pytest

import tensorbridge as tb


def _gpu():
    """Skips (or fails under TENSORBRIDGE_EXPECT_CUDA=1) without a GPU."""
    if any(d.endswith("GPU:0") for d in tb.devices()):
        return
    if os.environ.get("TENSORBRIDGE_EXPECT_CUDA", "").strip() == "1":
        pytest.fail(f"TENSORBRIDGE_EXPECT_CUDA=1 but tensorbridge sees no GPU: {tb.devices()}")
    pytest.skip(f"no CUDA device for tensorbridge (devices: {tb.devices()})")


def _torch_cuda():
    _gpu()
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device")
    return torch


def _cupy():
    _gpu()
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CuPy raises its own runtime errors
        pytest.skip(f"cupy has no CUDA device: {e}")
    return cp


def _on_gpu(values, dtype):
    with tb.device("/GPU:0"):
        t = tb.constant(values, dtype=dtype)
    assert "GPU:0" in t.device
    return t


def test_without_a_gpu_device_tensors_are_refused_plainly():
    if any("GPU" in d for d in tb.devices()):
        pytest.skip("a GPU is present: the other tests cover it")
    with tb.device("/GPU:0"):
        with pytest.raises(RuntimeError, match="unavailable"):
            tb.constant([1.0])


def test_torch_takes_a_device_tensor_in_place():
    torch = _torch_cuda()
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = _on_gpu(values, "float32")
    assert t.__dlpack_device__() == (2, 0)
    x = torch.from_dlpack(t)
    assert x.device.type == "cuda" and x.device.index == 0
    assert x.dtype == torch.float32
    np.testing.assert_array_equal(x.cpu().numpy(), values)
    # Zero copy: back through DLPack, tensorbridge sees the same address.
    back = tb.from_dlpack(x)
    assert "GPU:0" in back.device
    assert torch.from_dlpack(back).data_ptr() == x.data_ptr()
    # The capsule keeps the buffer alive after the tensorbridge handle goes.
    del t, back
    gc.collect()
    torch.cuda.synchronize()
    np.testing.assert_array_equal((x * 2).cpu().numpy(), values * 2)


def test_numpy_can_ask_for_a_host_copy_of_a_device_tensor():
    _gpu()
    t = _on_gpu([[1.5, 2.5], [3.5, 4.5]], "float64")
    a = np.from_dlpack(t, device="cpu")
    np.testing.assert_array_equal(a, [[1.5, 2.5], [3.5, 4.5]])
    cap = t.__dlpack__(dl_device=(1, 0), max_version=(1, 0))
    np.testing.assert_array_equal(np.from_dlpack(_Capsule(cap)), [[1.5, 2.5], [3.5, 4.5]])
    with pytest.raises(BufferError, match="copy=False"):
        t.__dlpack__(dl_device=(1, 0), copy=False)


class _Capsule:
    """Hands out one prepared capsule as a DLPack producer."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack_device__(self):
        return (1, 0)

    def __dlpack__(self, **_kwargs):
        return self.capsule


def test_the_stream_protocol_with_torch_streams():
    torch = _torch_cuda()
    t = _on_gpu(np.arange(1 << 20, dtype=np.float32), "float32")
    s = torch.cuda.Stream()
    with torch.cuda.stream(s):
        # torch passes its current stream; the work queued by tensorbridge
        # is ordered before whatever torch queues on it.
        x = torch.from_dlpack(t)
        y = x + 1
    s.synchronize()
    assert float(y[-1]) == float((1 << 20) - 1 + 1)
    # The explicit forms of the protocol.
    for stream in (None, 1, 2, -1, s.cuda_stream):
        cap = t.__dlpack__(stream=stream)  # a legacy capsule, which every torch takes
        z = torch.from_dlpack(cap)
        torch.cuda.synchronize()
        assert float(z[3]) == 3.0
    with pytest.raises(ValueError, match="ambiguous"):
        t.__dlpack__(stream=0)


def test_tensorbridge_takes_torch_device_memory_in_place():
    torch = _torch_cuda()
    x = torch.arange(24, dtype=torch.int64, device="cuda").reshape(4, 6)
    t = tb.from_dlpack(x)
    assert "GPU:0" in t.device
    assert t.shape == (4, 6) and t.dtype == "int64"
    np.testing.assert_array_equal(t.numpy(), np.arange(24).reshape(4, 6))
    # A transposed view keeps its strides (a compact permutation).
    tt = tb.from_dlpack(x.t())
    np.testing.assert_array_equal(tt.numpy(), np.arange(24).reshape(4, 6).T)
    # Arithmetic runs on the GPU over torch's memory.
    np.testing.assert_array_equal((t + t).numpy(), 2 * np.arange(24).reshape(4, 6))
    # Gapped views are refused with what to do.
    with pytest.raises(ValueError, match="contiguous"):
        tb.from_dlpack(x[:, ::2])
    # torch's memory outlives torch's handle while tensorbridge holds it.
    del x
    gc.collect()
    torch.cuda.empty_cache()
    np.testing.assert_array_equal(t.numpy(), np.arange(24).reshape(4, 6))


def test_every_dlpack_dtype_round_trips_with_torch():
    torch = _torch_cuda()
    for name in ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                 "float32", "float64", "complex64", "complex128"]:
        tdtype = getattr(torch, name)
        x = (torch.arange(6, device="cuda") % 2).to(tdtype)
        t = tb.from_dlpack(x)
        assert t.dtype == name
        y = torch.from_dlpack(t)
        assert y.dtype == tdtype
        assert y.data_ptr() == x.data_ptr()
        assert torch.equal(y, x)


def test_cupy_both_ways():
    cp = _cupy()
    t = _on_gpu([[1, 2, 3], [4, 5, 6]], "int32")
    a = cp.from_dlpack(t)
    assert a.shape == (2, 3)
    np.testing.assert_array_equal(cp.asnumpy(a), [[1, 2, 3], [4, 5, 6]])
    b = cp.arange(10, dtype=cp.float64)
    u = tb.from_dlpack(b)
    assert "GPU:0" in u.device
    np.testing.assert_array_equal(u.numpy(), np.arange(10.0))
    assert cp.from_dlpack(u).data.ptr == b.data.ptr


# --- A kDLCUDA producer made by hand (runs without a GPU) --------------------

import ctypes  # noqa: E402


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [
    ("dl_tensor", _DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", _Deleter),
]


class _FakeCudaProducer:
    """A legacy DLPack producer whose tensor claims to live on CUDA device
    `device_id` (the bytes are really host memory, never read); counts the
    calls of its deleter."""

    def __init__(self, device_id):
        self.device_id = device_id
        self.deleted = 0
        self.host = np.zeros(4, dtype=np.float32)
        self.shape = (ctypes.c_int64 * 1)(4)
        self.strides = (ctypes.c_int64 * 1)(1)

        def on_delete(_ptr):
            self.deleted += 1

        self.callback = _Deleter(on_delete)
        self.managed = _DLManagedTensor()
        t = self.managed.dl_tensor
        t.data = self.host.ctypes.data
        t.device = _DLDevice(2, device_id)  # kDLCUDA
        t.ndim = 1
        t.dtype = _DLDataType(2, 32, 1)  # kDLFloat, 32 bits, 1 lane
        t.shape = self.shape
        t.strides = self.strides
        t.byte_offset = 0
        self.managed.deleter = self.callback

    def __dlpack_device__(self):
        return (2, self.device_id)

    def __dlpack__(self, **_kwargs):
        new = ctypes.pythonapi.PyCapsule_New
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return new(ctypes.addressof(self.managed), b"dltensor", None)


def test_a_cuda_producer_on_a_missing_gpu_is_refused_and_released_once():
    gpu = any(d.endswith("GPU:0") for d in tb.devices())
    # GPU 7 is missing everywhere; GPU 0 where there is no GPU.
    for device_id in ([7] if gpu else [7, 0]):
        p = _FakeCudaProducer(device_id)
        with pytest.raises(RuntimeError, match=f"cuda:{device_id} is unavailable"):
            tb.from_dlpack(p)
        gc.collect()
        assert p.deleted == 1, "the producer's deleter runs exactly once"
    if gpu:
        # A host address claiming to be on a present GPU: the driver says no.
        p = _FakeCudaProducer(0)
        with pytest.raises(ValueError, match="wrap_foreign"):
            tb.from_dlpack(p)
        gc.collect()
        assert p.deleted == 1


def test_device_tensors_from_python_without_torch():
    """What a user of tb alone does on a GPU (tf.device, ops, .numpy(),
    sparse and ragged densified there, a graph fed a device tensor), each
    result checked against NumPy."""
    _gpu()
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = _on_gpu(values, "float32")
    assert t.__dlpack_device__() == (2, 0)
    # Ops run where their operands are; conversions copy to the host.
    ones = _on_gpu(np.ones((3, 1), np.float32), "float32")
    y = (t * 2.0 + 1.0) @ ones
    assert "GPU:0" in y.device
    assert "GPU:0" in t.cpu().to("/GPU:0").device
    np.testing.assert_allclose(y.numpy(), (values * 2 + 1) @ np.ones((3, 1), np.float32))
    a = np.asarray(t)
    assert not np.shares_memory(a, values)
    np.testing.assert_array_equal(a, values)
    assert t.cpu().device.endswith("CPU:0")
    # Operands on two devices: refused, naming both.
    with pytest.raises(ValueError, match="different devices"):
        t + tb.constant(values)
    # Sparse and ragged densify on the GPU.
    with tb.device("/GPU:0"):
        st = tb.sparse.SparseTensor(indices=[[0, 1], [2, 0]], values=[5.0, 7.0], dense_shape=[3, 2])
        dense = st.to_dense()
        rt = tb.ragged.constant([[1, 2, 3], [], [4]])
        padded = rt.to_tensor(0)
    assert "GPU:0" in dense.device and "GPU:0" in padded.device
    np.testing.assert_array_equal(dense.numpy(), [[0, 5], [0, 0], [7, 0]])
    np.testing.assert_array_equal(padded.numpy(), [[1, 2, 3], [0, 0, 0], [4, 0, 0]])
    # A graph fed a device tensor runs there, host constants placed beside it.
    g = tb.Graph()
    x = g.placeholder("float32", [None, 3])
    z = x * 3.0 - g.constant(np.float32(1.0))
    with tb.Session(g) as sess:
        out = sess.run(z, feed_dict={x: t})
    np.testing.assert_array_equal(np.asarray(out), values * 3 - 1)
