//! The tour: every scenario users bring from TensorFlow, done in
//! tensorbridge, printing each tensor and the array it became.
//!
//! Run it with `cargo run --release --example tour`. Each scenario names the
//! article it comes from (`shared/scenarios/`). The CUDA backend and graph
//! mode join the tour as they land.

use std::collections::BTreeMap;

use ndarray::{ArrayD, Axis};
use tensorbridge::prelude::*;
use tensorbridge::{bf16, image, random, s};

fn main() -> Result<()> {
    constant_to_numpy()?;
    model_outputs()?;
    int_tensor_and_numpy_ops()?;
    gpu_tensor_to_numpy()?;
    random_images_to_grayscale()?;
    batches_and_single_points()?;
    views_without_copies()?;
    dtypes_that_leave()?;
    sparse_to_dense()?;
    ragged_to_padded_and_numpy()?;
    npy_and_npz_files()?;
    symbolic_tensors()?;
    Ok(())
}

fn header(title: &str, source: &str) {
    println!("\n=== {title}  [{source}]");
}

/// `tf.constant([[1.0, 2.0], [3.0, 4.0]]).numpy()`.
fn constant_to_numpy() -> Result<()> {
    header(
        "tensor.numpy(): a constant to an array",
        "01-model-output-to-numpy, example 1",
    );
    let tensor = Tensor::new([[1.0f32, 2.0], [3.0, 4.0]])?;
    let numpy_array: ArrayD<f32> = tensor.to_array()?;
    println!("TensorFlow-style tensor:\n{tensor}");
    println!("ndarray array:\n{numpy_array}");
    println!("dtype of the array: {}", tensor.numpy()?.dtype());
    Ok(())
}

/// A model with two heads: `tuple(t.numpy() for t in model_output)`.
fn model_outputs() -> Result<()> {
    header(
        "several outputs in one call",
        "01-model-output-to-numpy, example 2",
    );
    let model_output = (
        Tensor::from([10, 20, 30]),
        Tensor::from([[0.1, 0.2], [0.3, 0.4]]),
    );
    let (numpy_array_1, numpy_array_2) = model_output.numpy()?;
    println!("array 1 ({}):\n{numpy_array_1}", numpy_array_1.dtype());
    println!("array 2 ({}):\n{numpy_array_2}", numpy_array_2.dtype());

    // Outputs by name convert the same way.
    let named = BTreeMap::from([
        ("classes", Tensor::from([2i64, 0, 1])),
        ("scores", Tensor::from([0.9f32, 0.8, 0.4])),
    ]);
    for (name, array) in named.numpy()? {
        println!("{name}: {array}");
    }
    Ok(())
}

/// `t = tf.multiply(tf.constant([[1, 2], [4, 8]]), 2)`, then `np.add(t, 1)`:
/// tensor math, and NumPy-style math on the array it becomes.
fn int_tensor_and_numpy_ops() -> Result<()> {
    header(
        "tensor math, then NumPy operations on the result",
        "03-tf1-and-tf2-conversion",
    );
    let t = Tensor::new([[1, 2], [4, 8]])?;
    let t = t.mul_scalar(2)?; // tf.multiply(t, 2)
    println!("{t}");
    // np.add(t, 1): either as a tensor op, or with ndarray's operators on a
    // zero-copy view (which allocates only the result).
    let a = t.add_scalar(1)?.to_array::<i32>()?;
    let b = &t.view::<i32>()? + 1;
    assert_eq!(a, b);
    println!("np.add(t, 1) -> {} array:\n{a}", t.dtype());
    // The operators work on tensors too; mixing dtypes is an error, not a
    // silent promotion.
    let u = &(&t * 2) - 1;
    println!("t * 2 - 1:\n{u}");
    println!("t + 0.5: {}", t.add_scalar(0.5).unwrap_err());
    Ok(())
}

/// `with tf.device('/GPU:0'): ...` when a GPU is there, the CPU otherwise,
/// then `.numpy()` (a device-to-host copy for a GPU tensor). Built with
/// `--features cuda` on a machine with an NVIDIA GPU, this runs on the GPU;
/// otherwise it says plainly why not and runs on the CPU.
fn gpu_tensor_to_numpy() -> Result<()> {
    header(
        "a tensor made under a device scope",
        "02-gpu-tensor-to-numpy, example 1",
    );
    let gpu = "/GPU:0".parse::<Device>()?;
    let device = match gpu.check_available() {
        Ok(()) => {
            println!("{gpu} is available: the tensors below live in GPU memory");
            gpu
        }
        Err(why) if std::env::var_os("TENSORBRIDGE_EXPECT_CUDA").is_some_and(|v| v == "1") => {
            // Where a GPU must be used (TENSORBRIDGE_EXPECT_CUDA=1, as the
            // test suites read it), its absence fails the tour.
            return Err(why);
        }
        Err(why) => {
            // Unlike TensorFlow's soft placement, tensorbridge never moves a
            // tensor to another device behind your back: making one under
            // the scope of a GPU that is not there is an error that says why.
            println!("NOT on a GPU: {why}");
            let _scope = gpu.scope();
            let refused = Tensor::new([1.0f32]).unwrap_err();
            println!("under the scope of {gpu} without one: {refused}");
            Device::Cpu
        }
    };
    let tensor = {
        let _scope = device.scope();
        Tensor::new([[1.0f32, 2.0], [3.0, 4.0]])?
    };
    println!(
        "tensor.device() = {} ({})",
        tensor.device(),
        tensor.device().tf_name()
    );
    // Ops run where their operands are; the result stays there.
    let doubled = tensor.mul_scalar(2.0f32)?;
    println!("tensor * 2 is on {}", doubled.device());
    // `.numpy()`: for a GPU tensor, a copy to the host (only the bytes of
    // the view); `view()` would borrow host memory, so it says to copy.
    let np_array = doubled.to_array::<f32>()?;
    println!("contents of the converted array:\n{np_array}");
    if device != Device::Cpu {
        println!(
            "view() of a GPU tensor: {}",
            doubled.view::<f32>().unwrap_err()
        );
        let pending = doubled.t()?.to_array_async::<f32>()?;
        println!("transposed, copied asynchronously:\n{}", pending.wait()?);
    }
    Ok(())
}

/// A batch of random images to grayscale (`tf.random.normal`,
/// `tf.image.rgb_to_grayscale`), made on the GPU when one is there.
fn random_images_to_grayscale() -> Result<()> {
    header(
        "random images to grayscale",
        "02-gpu-tensor-to-numpy, example 2",
    );
    let gpu = Device::Cuda(0);
    let device = if gpu.is_available() { gpu } else { Device::Cpu };
    let image_tensor = {
        let _scope = device.scope();
        random::normal([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(42))?
    };
    println!("images made on {}", image_tensor.device());
    let processed_image_tensor = image::rgb_to_grayscale(&image_tensor)?;
    let processed_image_array = processed_image_tensor.to_array::<f32>()?;
    println!("shape of the array: {:?}", processed_image_array.shape());
    println!("dtype of the array: {}", processed_image_tensor.dtype());
    println!(
        "first pixels: {}",
        processed_image_tensor.slice(s![0, 0, ..4, 0])?
    );
    Ok(())
}

/// A single image and a batch of images: the array keeps the batch axis;
/// `numpy_array[0]` is one image; `np.mean(numpy_array, axis=0)`.
fn batches_and_single_points() -> Result<()> {
    header(
        "a single data point and a batch",
        "04-keras-batches-and-ragged, examples 1 and 2",
    );
    let input_tensor = random::normal([28, 28, 1], 0.0, 1.0, DType::F32, Some(7))?;
    let numpy_array = input_tensor.to_array::<f32>()?;
    println!(
        "single image: shape {:?}, dtype {}, mean pixel {}",
        numpy_array.shape(),
        input_tensor.dtype(),
        input_tensor.mean_all()?
    );

    let batch_tensor = random::normal([32, 28, 28, 1], 0.0, 1.0, DType::F32, Some(8))?;
    let numpy_array = batch_tensor.to_array::<f32>()?;
    println!("batch: shape {:?}", numpy_array.shape());
    // numpy_array[0], without a copy, straight from the tensor:
    let first_image = batch_tensor.slice(s![0])?;
    println!("first image: shape {:?}", first_image.dims());
    // np.mean(numpy_array, axis=0), on the tensor or on the array:
    let mean_across_batch = batch_tensor.mean(&[0], false)?;
    let same_in_ndarray = numpy_array.mean_axis(Axis(0)).expect("a non-empty batch");
    let largest_difference = (&mean_across_batch.to_array::<f32>()? - &same_in_ndarray)
        .iter()
        .fold(0.0f32, |m, d| m.max(d.abs()));
    println!(
        "mean across the batch: shape {:?}; ndarray's mean_axis differs by at most {largest_difference:e}",
        mean_across_batch.dims()
    );
    Ok(())
}

/// Slices, transposes and broadcasts are views: no element moves until an
/// array is asked for, and `view` never copies at all.
fn views_without_copies() -> Result<()> {
    header("views without copies", "what TensorFlow copies");
    let t = Tensor::arange(0i64, 12, 1)?.reshape([3, 4])?;
    let reversed_columns = t.slice(s![.., ..;-1])?;
    let transposed = t.t()?;
    let row_broadcast = t.slice(s![0])?.broadcast_to([2, 4])?;
    for (name, v) in [
        ("t[:, ::-1]", &reversed_columns),
        ("t.T", &transposed),
        ("broadcast_to(t[0], (2, 4))", &row_broadcast),
    ] {
        println!(
            "{name}: shares t's buffer: {}, strides {:?}\n{}",
            v.shares_buffer_with(&t),
            v.layout().strides(),
            v.view::<i64>()?
        );
    }
    Ok(())
}

/// bf16 and complex tensors reach ndarray with their dtype; casts are
/// explicit and exact.
fn dtypes_that_leave() -> Result<()> {
    header(
        "bf16 and complex leave as they are",
        "what TensorFlow refuses",
    );
    let x = Tensor::from([0.1f32, 1.0, 2.71, 65504.0]).cast(DType::BF16)?;
    println!("{x}");
    let a = x.to_array::<bf16>()?;
    println!("as an ndarray of bf16: {a}");
    println!("wrong element type: {}", x.to_array::<f32>().unwrap_err());
    let z = Tensor::from([tensorbridge::Complex::new(1.0f64, -2.0)]);
    println!("{z}\ncast to float64: {}", z.cast(DType::F64).unwrap_err());
    println!("real part: {}", z.real()?);
    Ok(())
}

/// `tf.sparse.SparseTensor(indices, values, dense_shape)`, printed, then
/// `tf.sparse.to_dense(sparse_tensor).numpy()`.
fn sparse_to_dense() -> Result<()> {
    use tensorbridge::sparse::SparseTensor;

    header(
        "a sparse tensor and its dense array",
        "01-model-output-to-numpy, example 3",
    );
    let indices = Tensor::new([[0i64, 0], [1, 2]])?;
    let values = Tensor::new([1, 2])?;
    let sparse_tensor = SparseTensor::new(indices, values, [3, 3])?;
    let dense_numpy_array: ArrayD<i32> = sparse_tensor.to_dense()?.to_array()?;
    println!("Sparse Tensor:\n{sparse_tensor}");
    println!("Dense NumPy Array:\n{dense_numpy_array}");
    // numpy() of the sparse tensor itself: its parts, nothing dense.
    let (i, v, shape) = sparse_tensor.numpy()?;
    println!("its parts: indices {i}, values {v}, dense_shape {shape}");
    Ok(())
}

/// `tf.ragged.constant([[1, 2, 3], [4, 5], [6]])`, padded with
/// `to_tensor(default_value=0)`, and its `numpy()` pair: flat values and row
/// splits as two dense arrays instead of an object array.
fn ragged_to_padded_and_numpy() -> Result<()> {
    header(
        "variable-length sequences: ragged, padded, numpy()",
        "04-keras-batches-and-ragged, example 3",
    );
    let ragged_tensor = ragged![[1, 2, 3], [4, 5], [6]];
    println!("{ragged_tensor}");
    let dense_tensor = ragged_tensor.to_tensor(&Tensor::scalar(0))?;
    let numpy_array = dense_tensor.to_array::<i32>()?;
    println!(
        "to_tensor(0): shape {:?}, dtype {}\n{numpy_array}",
        numpy_array.shape(),
        dense_tensor.dtype()
    );
    let (flat_values, nested_row_splits) = ragged_tensor.numpy()?;
    println!(
        "numpy(): flat_values {flat_values}, row_splits {}",
        nested_row_splits[0]
    );
    Ok(())
}

/// `np.save` / `np.savez` / `np.load` of the scenarios' tensors: model
/// outputs, a bf16 tensor, a transposed view, the sparse tensor as SciPy's
/// `save_npz` writes it and the ragged tensor as two arrays, saved in a temporary directory and loaded back.
fn npy_and_npz_files() -> Result<()> {
    use tensorbridge::numpy::{
        ScipySparseFormat, load_npy, load_npy_as, load_npy_mmap, load_npz, load_sparse_npz,
        save_npy, save_npz_compressed, save_sparse_npz,
    };
    use tensorbridge::sparse::SparseTensor;
    header(
        ".npy and .npz files NumPy and SciPy load",
        "np.save / np.savez / scipy.sparse.save_npz",
    );
    let dir = std::env::temp_dir().join(format!("tensorbridge-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
        context: format!("creating {}", dir.display()),
        source: e,
    })?;
    let logits = Tensor::from([[2.0f32, -1.0, 0.5], [0.1, 0.2, 3.0]]);
    let classes = Tensor::from([0i64, 2]);
    save_npy(dir.join("logits.npy"), &logits.t()?)?; // a view, written in C order
    println!(
        "logits.T from logits.npy:\n{}",
        load_npy(dir.join("logits.npy"))?
    );
    let mapped = load_npy_mmap(dir.join("logits.npy"))?;
    println!("memory-mapped, zero-copy view: {}", mapped.view::<f32>()?);
    let weights = Tensor::from([0.1f32, 1.0, 2.71]).cast(DType::BF16)?;
    save_npz_compressed(
        dir.join("outputs.npz"),
        &[("logits", &logits), ("classes", &classes)],
    )?;
    for (name, t) in load_npz(dir.join("outputs.npz"))? {
        println!("outputs.npz[{name:?}] = {t}");
    }
    save_npy(dir.join("weights.npy"), &weights)?; // '<V2', as NumPy writes ml_dtypes.bfloat16
    println!(
        "bf16 needs asking for: {}",
        load_npy(dir.join("weights.npy")).unwrap_err()
    );
    println!(
        "load_npy_as(BF16): {}",
        load_npy_as(dir.join("weights.npy"), DType::BF16)?
    );
    // The scenario's sparse tensor as scipy.sparse.save_npz writes a CSR matrix.
    let sparse_tensor = SparseTensor::new(
        Tensor::from([[0i64, 0], [1, 2]]),
        Tensor::from([1, 2]),
        [3, 3],
    )?;
    save_sparse_npz(
        dir.join("sparse.npz"),
        &sparse_tensor,
        ScipySparseFormat::Csr,
    )?;
    let back = load_sparse_npz(dir.join("sparse.npz"))?;
    println!("sparse.npz (scipy.sparse.load_npz reads it):\n{back}");
    // The scenario's ragged tensor as its two dense arrays, no object array.
    let ragged_tensor = ragged![[1, 2, 3], [4, 5], [6]];
    let flat_values = ragged_tensor.flat_values();
    let row_splits = ragged_tensor.row_splits();
    save_npz_compressed(
        dir.join("ragged.npz"),
        &[("flat_values", flat_values), ("row_splits", row_splits)],
    )?;
    let parts = load_npz(dir.join("ragged.npz"))?;
    let rebuilt = RaggedTensor::from_row_splits(parts[0].1.clone(), parts[1].1.clone())?;
    println!("ragged.npz rebuilt: {rebuilt}");
    drop(mapped);
    std::fs::remove_dir_all(&dir).map_err(|e| Error::Io {
        context: format!("removing {}", dir.display()),
        source: e,
    })?;
    Ok(())
}

/// TF 1.x `sess.run` and `t.eval(session=...)`, eager, `tf.function`, and
/// `.numpy()` of a symbolic tensor.
fn symbolic_tensors() -> Result<()> {
    use tensorbridge::graph::{Graph, Session, function};
    header(
        "symbolic tensors: Session::run, eager, traced function",
        "05-symbolic-tensors; 03-tf1-and-tf2-conversion, method 3",
    );
    // Approach 1: a graph run in a session; the results are arrays.
    let graph = Graph::new();
    let tensor_a = graph.constant(&Tensor::from([[1, 2], [3, 4]]));
    let tensor_b = graph.constant(&Tensor::from([[5, 6], [7, 8]]));
    let tensor_c = tensor_a.add(&tensor_b)?;
    println!("{graph}");
    let sess = Session::new(&graph);
    let numpy_array = sess.run(&[&tensor_c], &[])?;
    println!("sess.run(tensor_c):\n{}", numpy_array[0]);
    // 03, TF 1.x: `t.eval(session=tf.compat.v1.Session())`.
    let t = graph.constant(&Tensor::from([[1, 2], [4, 8]]));
    println!("t.eval(session):\n{}", t.eval(&sess, &[])?.numpy()?);

    // Approach 2: eager.
    let tensor_f = Tensor::from([[9, 10], [11, 12]]).add(&Tensor::from([[13, 14], [15, 16]]))?;
    println!("eager tensor_f.numpy():\n{}", tensor_f.numpy()?);

    // Approach 3: a traced function; its outputs are eager tensors.
    let my_tensor_function = function(|args: &[Tensor]| Ok(vec![args[0].add(&args[1])?]));
    let g = Tensor::from([[17, 18], [19, 20]]);
    let h = Tensor::from([[21, 22], [23, 24]]);
    let output = my_tensor_function.call(&[g.clone(), h.clone()])?;
    my_tensor_function.call(&[g, h])?;
    println!(
        "traced function (traced {} time for two calls):\n{}",
        my_tensor_function.trace_count(),
        output[0].numpy()?
    );

    // What goes wrong in TensorFlow, explained.
    let x = graph.placeholder(DType::F32, &[None, Some(2)]);
    if let Err(e) = x.mul(&x)?.numpy() {
        println!("numpy() of a symbolic tensor: {e}");
    }
    Ok(())
}
