"""NumPy/SciPy side of tensorbridge's interop suite (tests/numpy_interop.rs).

    python numpy_interop.py write DIR   # NumPy/SciPy write files + manifest.json
    python numpy_interop.py check DIR   # NumPy/SciPy load the files tensorbridge wrote

Expected values are computed here, from NumPy's own semantics and the
formulas below; nothing is compared against tensorbridge's output.
"""

import io
import json
import os
import sys

import ml_dtypes
import numpy as np
import scipy
import scipy.sparse as sp

# The dtypes tensorbridge holds, by NumPy name.
DTYPES = [
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
    "int64", "float16", "float32", "float64", "complex64", "complex128",
]


def formula(name, n):
    """The values tensorbridge's side writes for element k = 0..n-1 (C order)."""
    k = np.arange(n, dtype=np.int64)
    if name == "bool":
        return k % 3 == 0
    if name.startswith("uint") or name.startswith("int"):
        v = (k * 37 + 5) % 200
        if name.startswith("int"):
            v = v - 100
        if name in ("int64", "uint64"):
            v = v + k * (1 << 33)
        return v.astype(name)
    if name.startswith("complex"):
        return (k * 0.5 - 1j * (k + 0.25)).astype(name)
    if name == "bfloat16":
        return (k * 0.25 - 3.0).astype(ml_dtypes.bfloat16)
    return (k * 0.25 - 3.0).astype(name)


def le_hex(a):
    """The elements in C order, little-endian, as hex."""
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
        a = a.astype(a.dtype.newbyteorder("<"))
    return a.tobytes(order="C").hex()


def sample(name):
    """Values NumPy makes for `name`, with the edge cases of each kind."""
    if name == "bool":
        return np.array([[True, False, True], [False, False, True]])
    if name.startswith("float") or name.startswith("complex"):
        base = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 65504.0], dtype="float64")
        a = base.astype(name)
        if name.startswith("complex"):
            with np.errstate(invalid="ignore"):
                a = (a + 1j * base[::-1].astype("float64")).astype(name)
        return a.reshape(2, 4)
    info = np.iinfo(name)
    return np.array([info.min, info.max, 0, 1, info.max // 3, info.min // 7], dtype=name).reshape(3, 2)


def entry(path, arr, **extra):
    d = {"file": path, "dtype": arr.dtype.name, "shape": list(arr.shape), "hex": le_hex(arr)}
    d.update(extra)
    return d


def write(out):
    cases = []

    def save(name, arr, **kw):
        path = os.path.join(out, name)
        np.save(path, arr, allow_pickle=False)
        cases.append(entry(name, arr, **kw))

    for name in DTYPES:
        a = sample(name)
        save(f"{name}_le.npy", a.astype(np.dtype(name).newbyteorder("<")))
        if np.dtype(name).itemsize > 1:
            big = a.astype(np.dtype(name).newbyteorder(">"))
            assert big.dtype.str.startswith(">")
            save(f"{name}_be.npy", big)
        save(f"{name}_fortran.npy", np.asfortranarray(np.arange(24).reshape(2, 3, 4).astype(name)))
        save(f"{name}_scalar.npy", np.array(sample(name).flat[1]))
        save(f"{name}_empty.npy", np.zeros((0, 3), dtype=name))
    bf = (np.arange(6) * 0.5 - 1).astype(ml_dtypes.bfloat16).reshape(2, 3)
    save("bfloat16.npy", bf, load_as="bfloat16")
    save("empty_3d.npy", np.zeros((3, 0, 2), dtype="float32"))
    save("zero_dim.npy", np.array(7, dtype="int16"))
    save("numpy_scalar.npy", np.float64(2.5))
    # Header versions 1.0, 2.0 and 3.0, written by NumPy's own writer.
    for version in [(1, 0), (2, 0), (3, 0)]:
        name = f"version_{version[0]}.npy"
        arr = np.arange(10, dtype="<i4").reshape(2, 5)
        with open(os.path.join(out, name), "wb") as f:
            np.lib.format.write_array(f, arr, version=version, allow_pickle=False)
        cases.append(entry(name, arr))

    archives = []
    members = {
        "first": np.arange(6, dtype="float32").reshape(2, 3),
        "big_endian": np.arange(4, dtype=">i8"),
        "flag": np.array(True),
        "fortran": np.asfortranarray(np.arange(6, dtype="float64").reshape(2, 3)),
        "empty": np.zeros((0,), dtype="complex64"),
    }
    for fn, compressed in [("stored.npz", False), ("deflated.npz", True)]:
        (np.savez_compressed if compressed else np.savez)(os.path.join(out, fn), **members)
        archives.append({"file": fn, "members": [dict(entry(k, v), name=k) for k, v in members.items()]})

    sparse = []
    dense = np.array([[1, 0, 2, 0], [0, 0, 3, 0], [4, 5, 0, 6]], dtype="float64")
    for fn, build, dtype, compressed in [
        ("csr_matrix.npz", sp.csr_matrix, "float32", True),
        ("csc_array.npz", sp.csc_array, "int64", False),
        ("coo_matrix.npz", sp.coo_matrix, "complex128", True),
        ("coo_array.npz", sp.coo_array, "float64", False),
        ("csr_empty.npz", sp.csr_matrix, "float64", True),
    ]:
        d = dense.astype(dtype)
        if dtype == "complex128":
            d = d + 1j * (dense * 2).astype(dtype)
        if fn == "csr_empty.npz":
            d = np.zeros((2, 5), dtype=dtype)
        m = build(d)
        sp.save_npz(os.path.join(out, fn), m, compressed=compressed)
        sparse.append({
            "file": fn, "format": m.format, "dtype": np.dtype(dtype).name,
            "shape": list(d.shape), "sparray": isinstance(m, sp.sparray),
            "dense_re": np.real(d).astype("float64").ravel().tolist(),
            "dense_im": np.imag(d).astype("float64").ravel().tolist(),
        })
    # int64 index arrays, as SciPy uses for large matrices.
    m = sp.csr_matrix(dense)
    m.indices = m.indices.astype(np.int64)
    m.indptr = m.indptr.astype(np.int64)
    sp.save_npz(os.path.join(out, "csr_int64.npz"), m)
    sparse.append({
        "file": "csr_int64.npz", "format": "csr", "dtype": "float64", "shape": [3, 4],
        "sparray": False, "dense_re": dense.ravel().tolist(), "dense_im": [0.0] * 12,
    })

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"npy": cases, "npz": archives, "sparse": sparse}, f)
    print(f"numpy {np.__version__}, scipy {scipy.__version__} wrote {len(cases)} .npy, {len(archives)} .npz, {len(sparse)} sparse archives")


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(f"{what}: {detail}")


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def check(out):
    c = Checker()
    shape = (2, 3, 4)
    n = 24
    for name in DTYPES + ["bfloat16"]:
        path = os.path.join(out, f"tb_{name}.npy")
        expected = formula(name, n).reshape(shape)
        got = np.load(path, allow_pickle=False)
        if name == "bfloat16":
            # NumPy itself reads bfloat16 files as raw '<V2' (ml_dtypes'
            # dtype is not in the header); a view gives the values.
            c.check("bfloat16: read by NumPy as raw V2", got.dtype.kind == "V" and got.dtype.itemsize == 2, got.dtype.str)
            got = got.view(ml_dtypes.bfloat16)
        c.check(f"{name}: values, dtype and shape", same(got, expected), f"{got!r} vs {expected!r}")
        # Byte for byte what np.save writes for the same array.
        buf = io.BytesIO()
        np.save(buf, expected)
        with open(path, "rb") as f:
            mine = f.read()
        c.check(f"{name}: file bytes equal np.save's", mine == buf.getvalue(), f"{mine[:128]!r} vs {buf.getvalue()[:128]!r}")
    # A transposed (non-contiguous) view, written in C order.
    got = np.load(os.path.join(out, "tb_transposed.npy"))
    expected = formula("float32", 12).reshape(3, 4).T
    c.check("transposed view", same(got, np.ascontiguousarray(expected)) and not np.isfortran(got), repr(got))
    got = np.load(os.path.join(out, "tb_scalar.npy"))
    c.check("scalar", got.shape == () and got.dtype == np.float64 and got == 2.5, repr(got))
    got = np.load(os.path.join(out, "tb_empty.npy"))
    c.check("empty", got.shape == (0, 3) and got.dtype == np.int32, repr(got))
    for fn in ["tb_stored.npz", "tb_deflated.npz"]:
        with np.load(os.path.join(out, fn)) as z:
            c.check(f"{fn}: names in order", list(z.keys()) == ["a", "b", "flag"], repr(list(z.keys())))
            c.check(f"{fn}: a", same(z["a"], formula("float32", 6).reshape(2, 3)), repr(z["a"]))
            c.check(f"{fn}: b", same(z["b"], formula("int64", 5)), repr(z["b"]))
            c.check(f"{fn}: flag", same(z["flag"], np.array(True)), repr(z["flag"]))
            import zipfile
            with zipfile.ZipFile(os.path.join(out, fn)) as zf:
                kinds = {i.compress_type for i in zf.infolist()}
                want = zipfile.ZIP_DEFLATED if "deflated" in fn else zipfile.ZIP_STORED
                c.check(f"{fn}: compression", kinds == {want}, repr(kinds))
                c.check(f"{fn}: CRCs", zf.testzip() is None)
    dense = np.array([[1, 0, 2, 0], [0, 0, 3, 0], [4, 5, 0, 6]], dtype="float64")
    for fn, fmt, is_array in [("tb_csr.npz", "csr", False), ("tb_csc.npz", "csc", False), ("tb_coo.npz", "coo", True)]:
        m = sp.load_npz(os.path.join(out, fn))
        c.check(f"{fn}: format", m.format == fmt, m.format)
        c.check(f"{fn}: sparray", isinstance(m, sp.sparray) == is_array, type(m).__name__)
        c.check(f"{fn}: values", same(m.toarray(), dense), repr(m.toarray()))
    # A SparseTensor saved with save_sparse_npz in each format.
    for fmt in ["csr", "csc", "coo"]:
        fn = f"tb_st_{fmt}.npz"
        m = sp.load_npz(os.path.join(out, fn))
        c.check(f"{fn}: format", m.format == fmt, m.format)
        c.check(f"{fn}: values", same(m.toarray(), dense), repr(m.toarray()))
        if fmt != "coo":
            c.check(f"{fn}: canonical (sorted, no duplicates)", m.has_canonical_format, "")
            c.check(f"{fn}: int32 indices as SciPy picks", m.indices.dtype == np.int32, str(m.indices.dtype))
    for f in c.failed:
        print("FAILED", f)
    print(f"python interop: {c.passed} passed, {len(c.failed)} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    cmd, out = sys.argv[1], sys.argv[2]
    if cmd == "write":
        write(out)
    elif cmd == "check":
        sys.exit(check(out))
    else:
        sys.exit(f"unknown command {cmd}")
