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
        cap = t.__dlpack__(stream=stream, max_version=(1, 0))
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
