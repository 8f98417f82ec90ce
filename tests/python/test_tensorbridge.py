"""The `tensorbridge` Python module against real NumPy (and PyTorch when it
is importable). Expected values come from NumPy or are written by hand.

Run by `cargo xtask test` after `maturin develop` into .venv; by hand:
    .venv/bin/maturin develop -m python/pyproject.toml && .venv/bin/pytest tests/python
"""

import gc
import sys
import weakref

import ml_dtypes
import numpy as np
import pytest

import tensorbridge as tb

# Every dtype tensorbridge has, with values that exercise its range.
DTYPES = {
    "bool": [True, False, True],
    "uint8": [0, 255, 7],
    "uint16": [0, 65535, 300],
    "uint32": [0, 4_000_000_000, 5],
    "uint64": [0, 2**64 - 1, 5],
    "int8": [-128, 127, 0],
    "int16": [-32768, 32767, 1],
    "int32": [-(2**31), 2**31 - 1, 2],
    "int64": [-(2**63), 2**63 - 1, 3],
    "float16": [1.5, -0.25, 65504.0],
    "bfloat16": [3.0, -2.5, 1e30],
    "float32": [1.25, np.inf, -1e-30],
    "float64": [1e300, -0.5, np.nan],
    "complex64": [1 - 2j, 0.5 + 4j, 0],
    "complex128": [1e-300 + 2j, -1j, 3],
}


def np_dtype(name):
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def sample(name, shape=(3,)):
    a = np.array(DTYPES[name], dtype=np_dtype(name))
    return np.resize(a, shape).copy()


def assert_same(a, b):
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape
    if a.dtype == np.dtype(ml_dtypes.bfloat16):
        a, b = a.view(np.uint16), b.view(np.uint16)
    np.testing.assert_array_equal(a, b)


# --- zero-copy, both ways -------------------------------------------------


def test_numpy_and_asarray_share_the_tensors_buffer_read_only():
    t = tb.constant([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert type(a) is np.ndarray
    assert a.dtype == np.float32  # Python floats are float32, as in TF
    assert np.shares_memory(np.asarray(t), a)
    assert np.shares_memory(np.asarray(t), t.numpy())
    assert not a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a[0, 0] = 9.0
    with pytest.raises(ValueError):
        a.flags.writeable = True  # NumPy refuses: the base is not writeable
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])


def test_arrays_keep_the_tensor_alive():
    t = tb.constant(np.arange(1000, dtype=np.int64))
    a = t.numpy()
    del t
    gc.collect()
    np.testing.assert_array_equal(a, np.arange(1000))


def test_from_numpy_shares_memory_and_keeps_the_array_alive():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    t = tb.from_numpy(x)
    assert t.shape == (3, 4) and t.dtype == "float64"
    assert np.shares_memory(np.asarray(t), x)
    x[1, 1] = -5.0  # the tensor reads the array's memory in place
    assert np.asarray(t)[1, 1] == -5.0
    del x
    gc.collect()
    np.testing.assert_array_equal(t.numpy().ravel()[:5], [0, 1, 2, 3, 4])


def test_from_numpy_shares_fortran_order_and_transposes():
    x = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    t = tb.from_numpy(x)
    assert np.shares_memory(t.numpy(), x)
    np.testing.assert_array_equal(t.numpy(), [[0, 1, 2], [3, 4, 5]])
    y = np.arange(24, dtype=np.int16).reshape(2, 3, 4).transpose(2, 0, 1)
    u = tb.from_numpy(y)
    assert u.shape == (4, 2, 3)
    np.testing.assert_array_equal(u.numpy(), y)
    assert np.shares_memory(u.numpy(), y)


def test_empty_and_zero_dim_arrays():
    e = tb.from_numpy(np.zeros((0, 3), np.float64))
    assert e.shape == (0, 3) and e.numpy().shape == (0, 3)
    assert tb.constant([]).numpy().dtype == np.float32
    s = tb.constant(3)
    assert s.shape == () and s.dtype == "int32" and s.numpy() == 3
    assert tb.constant(2**40).dtype == "int64"  # does not fit int32
    np.testing.assert_array_equal(np.from_dlpack(tb.constant(np.zeros((2, 0)))), np.zeros((2, 0)))


def test_from_numpy_refuses_what_it_cannot_share():
    x = np.arange(10, dtype=np.float32)
    with pytest.raises(ValueError, match="compact layout"):
        tb.from_numpy(x[::2])
    with pytest.raises(ValueError, match="compact layout"):
        tb.from_numpy(x[::-1])
    with pytest.raises(TypeError, match="cannot be shared"):
        tb.from_numpy(np.arange(3, dtype=">i4"))
    with pytest.raises(TypeError, match="cannot be shared"):
        tb.from_numpy(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="expects a numpy.ndarray"):
        tb.from_numpy([1, 2, 3])
    # tb.constant copies whatever NumPy can make of it.
    np.testing.assert_array_equal(tb.constant(x[::-2]).numpy(), [9, 7, 5, 3, 1])


def test_np_from_dlpack_is_zero_copy_and_read_only():
    t = tb.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy())
    assert not a.flags.writeable  # DLPack 1.x READ_ONLY flag
    np.testing.assert_array_equal(a, np.arange(6).reshape(2, 3))
    # Views travel as views: strides included.
    tt = tb.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3).T)
    b = np.from_dlpack(tt)
    np.testing.assert_array_equal(b, np.arange(6).reshape(2, 3).T)
    assert tt.__dlpack_device__() == (1, 0)


def test_tb_from_dlpack_is_zero_copy():
    x = np.arange(8, dtype=np.uint8).reshape(2, 4)
    t = tb.from_dlpack(x)
    assert np.shares_memory(t.numpy(), x)
    np.testing.assert_array_equal(t.numpy(), x)
    # A capsule works too, and the round trip keeps the same bytes.
    u = tb.from_dlpack(t)
    assert np.shares_memory(u.numpy(), x)
    cap = tb.constant([1, 2, 3]).__dlpack__()
    np.testing.assert_array_equal(tb.from_dlpack(cap).numpy(), [1, 2, 3])


def test_every_owner_is_released_exactly_once():
    # The array's lifetime shows whether references leak: a tensor, its
    # views, unconsumed capsules and consumed ones all hold it; once they are
    # gone it is freed (a double release would crash instead).
    x = np.arange(1 << 16, dtype=np.float64)
    alive = weakref.ref(x)
    t = tb.from_numpy(x)
    del x
    capsules = [t.__dlpack__(), t.__dlpack__(max_version=(1, 0))]
    a = np.from_dlpack(t)
    b = t.numpy()
    u = tb.from_dlpack(tb.from_dlpack(t))
    del t
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(u.numpy()[:3], [0, 1, 2])
    del capsules, a, b
    gc.collect()
    assert alive() is not None  # u still reads it
    del u
    gc.collect()
    assert alive() is None


def test_dlpack_copy_and_device_requests():
    t = tb.constant([1.0, 2.0])
    a = np.from_dlpack(t, copy=True)
    assert not np.shares_memory(a, t.numpy())
    np.testing.assert_array_equal(a, [1, 2])
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))


@pytest.mark.parametrize("name", sorted(DTYPES))
def test_every_dtype_round_trips(name):
    a = sample(name, (2, 3))
    t = tb.from_numpy(a)
    assert t.dtype == name
    assert_same(np.asarray(t), a)
    assert np.shares_memory(np.asarray(t), a)
    c = tb.constant(a)
    assert c.dtype == name
    assert_same(c.numpy(), a)
    assert not np.shares_memory(c.numpy(), a)
    # DLPack both ways (NumPy has no DLPack code for bfloat16).
    if name != "bfloat16":
        assert_same(np.from_dlpack(t), a)
        assert_same(tb.from_dlpack(a).numpy(), a)
    d = t.__dlpack__(max_version=(1, 0))
    assert_same(tb.from_dlpack(d).numpy(), a)


def test_bfloat16_without_ml_dtypes_is_a_type_error(monkeypatch):
    t = tb.constant([1.0, 2.0]).cast("bfloat16")
    assert t.dtype == "bfloat16"
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    with pytest.raises(TypeError, match="install ml_dtypes|pip install ml_dtypes"):
        t.numpy()
    with pytest.raises(TypeError, match="cast"):
        np.asarray(t)


# --- NumPy 2's __array__ protocol -----------------------------------------


def test_array_protocol_dtype_and_copy():
    t = tb.constant([[1, 2], [4, 8]])
    assert t.dtype == "int32"
    f = np.asarray(t, dtype=np.float64)
    assert f.dtype == np.float64 and f.flags.writeable
    np.testing.assert_array_equal(f, [[1, 2], [4, 8]])
    c = np.array(t, copy=True)
    assert c.flags.writeable and not np.shares_memory(c, t.numpy())
    c[0, 0] = 100  # a copy is the caller's
    assert t.numpy()[0, 0] == 1
    v = np.asarray(t, copy=False)
    assert np.shares_memory(v, t.numpy())
    with pytest.raises(ValueError, match="needs a copy"):
        np.asarray(t, dtype=np.float32, copy=False)


def test_arithmetic_operators_follow_numpy():
    a = np.array([[1.5, -2.0], [3.0, 0.25]], dtype=np.float32)
    b = np.array([4.0, 8.0], dtype=np.float32)
    ta, tbb = tb.constant(a), tb.constant(b)
    for got, want in [
        (ta + tbb, a + b),
        (ta - tbb, a - b),
        (ta * tbb, a * b),
        (ta / tbb, a / b),
        (ta + 1, a + 1),
        (2 - ta, 2 - a),
        (3 * ta, 3 * a),
        (1 / tbb, 1 / b),
        (-ta, -a),
        (ta @ ta, a @ a),
        (ta ** 2, a**2),
    ]:
        assert isinstance(got, tb.Tensor)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
        assert got.dtype == "float32"
    # NumPy on the left: NumPy converts the tensor and returns an ndarray.
    r = b + tbb
    assert isinstance(r, np.ndarray)
    np.testing.assert_array_equal(r, b + b)


def test_repr_shape_dtype_device():
    t = tb.constant([[1, 2], [4, 8]])
    assert t.shape == (2, 2) and t.ndim == 2 and len(t) == 2
    assert t.device.endswith("CPU:0")
    assert repr(t) == "Tensor([[1, 2],\n        [4, 8]], shape=(2, 2), dtype=int32, device=cpu)"


# --- the scenarios of ../shared/scenarios, in Python ------------------------


def test_scenario_03_tf2_numpy_and_np_add():
    t = tb.constant([[1, 2], [4, 8]])
    a = t.numpy()
    assert type(a) is np.ndarray
    np.testing.assert_array_equal(a, np.array([[1, 2], [4, 8]]))
    t = t * 2  # tf.multiply(t, 2)
    a = np.add(t, 1)
    assert type(a) is np.ndarray
    np.testing.assert_array_equal(a, np.add(np.array([[1, 2], [4, 8]]) * 2, 1))


def test_scenario_03_tf1_eval_in_a_session():
    g = tb.Graph()
    t = g.constant(tb.constant([[1, 2], [4, 8]]))
    sess = tb.Session(g)
    a = t.eval(sess).numpy()
    np.testing.assert_array_equal(a, [[1, 2], [4, 8]])


def test_scenario_01_outputs_and_sparse():
    outputs = (tb.constant([10, 20, 30]), tb.constant([[0.1, 0.2], [0.3, 0.4]]))
    arrays = tuple(t.numpy() for t in outputs)
    np.testing.assert_array_equal(arrays[0], [10, 20, 30])
    np.testing.assert_allclose(arrays[1], np.array([[0.1, 0.2], [0.3, 0.4]], np.float32))
    st = tb.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[2, 3])
    dense = tb.sparse.to_dense(st).numpy()
    expected = np.zeros((2, 3), dtype=np.int32)
    expected[0, 0], expected[1, 2] = 1, 2
    np.testing.assert_array_equal(dense, expected)
    st = tb.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 3])
    assert st.to_dense().numpy().tolist() == [[1, 0, 0], [0, 0, 2], [0, 0, 0]]


def test_scenario_02_device_scope_random_and_grayscale():
    gpus = [d for d in tb.devices() if "GPU" in d]
    if gpus:
        with tb.device("/GPU:0"):
            t = tb.constant([[1.0, 2.0], [3.0, 4.0]])
            assert "GPU:0" in t.device
    else:
        t = tb.constant([[1.0, 2.0], [3.0, 4.0]])
        assert t.device.endswith("CPU:0")
        with tb.device("/GPU:0"):
            with pytest.raises(RuntimeError, match="unavailable"):
                tb.constant([1.0])
        # The scope ended: tensors are made on the CPU again.
        assert tb.constant([1.0]).device.endswith("CPU:0")
    np.testing.assert_array_equal(t.numpy(), [[1, 2], [3, 4]])

    images = tb.random.normal((3, 256, 256, 3), seed=42)
    again = tb.random.normal((3, 256, 256, 3), seed=42)
    assert_same(images.numpy(), again.numpy())  # seeded: reproducible
    x = images.numpy()
    assert x.dtype == np.float32 and abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    gray = tb.image.rgb_to_grayscale(images).numpy()
    assert gray.shape == (3, 256, 256, 1) and gray.dtype == np.float32
    want = (x.astype(np.float64) @ np.array([0.2989, 0.5870, 0.1140]))[..., None]
    np.testing.assert_allclose(gray, want, rtol=1e-4, atol=1e-5)


def test_scenario_04_batches_and_ragged():
    batch = tb.random.normal((32, 28, 28, 1), seed=7).numpy()
    assert batch.shape == (32, 28, 28, 1)
    assert batch[0].shape == (28, 28, 1)
    assert np.mean(batch, axis=0).shape == (28, 28, 1)
    rt = tb.ragged.constant([[1, 2, 3], [4, 5], [6]])
    dense = rt.to_tensor(0).numpy()
    np.testing.assert_array_equal(dense, [[1, 2, 3], [4, 5, 0], [6, 0, 0]])
    assert dense.dtype == np.int32 and dense.shape == (3, 3)
    assert rt.to_list() == [[1, 2, 3], [4, 5], [6]]
    deep = tb.ragged.constant([[[1.5], [2.5, 3.5]], [[4.5]]])
    np.testing.assert_array_equal(
        deep.to_tensor(-1).numpy(),
        np.array([[[1.5, -1], [2.5, 3.5]], [[4.5, -1], [-1, -1]]], np.float32),
    )


def test_scenario_05_graph_session_and_function():
    g = tb.Graph()
    a = g.constant(tb.constant([[1, 2], [3, 4]]))
    b = g.constant(tb.constant([[5, 6], [7, 8]]))
    c = a + b
    assert c.is_symbolic
    out = tb.Session(g).run(c)
    np.testing.assert_array_equal(out, np.array([[1, 2], [3, 4]]) + np.array([[5, 6], [7, 8]]))
    p = g.placeholder("float32", [None, 2])
    y = p * 2.0
    r1, r2 = tb.Session(g).run([y, p], feed_dict={p: [[1.0, 2.0]]})
    np.testing.assert_array_equal(r1, [[2, 4]])
    np.testing.assert_array_equal(r2, [[1, 2]])
    with pytest.raises(RuntimeError, match="symbolic"):
        c.numpy()

    calls = []

    @tb.function
    def f(x, y):
        calls.append(1)
        return x + y

    d = tb.constant([[17, 18], [19, 20]])
    e = tb.constant([[21, 22], [23, 24]])
    np.testing.assert_array_equal(f(d, e).numpy(), np.array([[38, 40], [42, 44]]))
    f(d, e)
    assert f.trace_count == 1 and len(calls) == 1  # traced once
    f(tb.constant([1]), tb.constant([2]))
    assert f.trace_count == 2


# --- errors ----------------------------------------------------------------


def test_errors_map_to_python_exceptions_with_the_rust_message():
    with pytest.raises(ValueError, match="broadcast"):
        tb.constant([1, 2, 3]) + tb.constant([1, 2])
    with pytest.raises(TypeError, match="expected dtype"):
        tb.constant([1, 2]) + tb.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="cannot parse device"):
        with tb.device("/TPU:0"):
            pass
    with pytest.raises(ValueError, match="out of bounds"):
        tb.sparse.SparseTensor(indices=[[0, 5]], values=[1], dense_shape=[2, 2])
    with pytest.raises(ValueError):
        tb.random.normal((2,), stddev=-1.0)
    with pytest.raises(TypeError, match="not supported"):
        tb.constant([1, 2]).cast("float128")
    with pytest.raises(ValueError, match="rank >= 2"):
        tb.ragged.constant([1, 2])


# --- PyTorch, when it is there ----------------------------------------------


def test_torch_from_dlpack_both_ways():
    torch = pytest.importorskip("torch")
    t = tb.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    x = torch.from_dlpack(t)
    assert x.data_ptr() == t.numpy().ctypes.data
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    y = torch.arange(4, dtype=torch.int64)
    u = tb.from_dlpack(y)
    assert u.numpy().ctypes.data == y.data_ptr()
    np.testing.assert_array_equal(u.numpy(), [0, 1, 2, 3])


def test_torch_every_dtype_and_strided_views_both_ways():
    torch = pytest.importorskip("torch")
    dtypes = [
        torch.bool, torch.uint8, torch.uint16, torch.uint32, torch.uint64,
        torch.int8, torch.int16, torch.int32, torch.int64,
        torch.float16, torch.bfloat16, torch.float32, torch.float64,
        torch.complex64, torch.complex128,
    ]
    for dt in dtypes:
        x = (torch.arange(12) % 3).to(dt).reshape(3, 4)
        for source in (x, x.t()):
            u = tb.from_dlpack(source)
            assert u.shape == tuple(source.shape), dt
            back = torch.from_dlpack(u)
            # Zero-copy both ways: the same address, the same strides.
            assert back.data_ptr() == source.data_ptr(), dt
            assert back.stride() == source.stride(), dt
            assert back.dtype == dt
            assert torch.equal(back, source), dt
