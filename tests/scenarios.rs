//! The user scenarios of `/work/shared/scenarios/*.txt`, each next to the
//! TensorFlow lines it stands for: dense tensors and tuples of model
//! outputs (01, 02, 03), sparse tensors to dense arrays (01, 02), random
//! image batches and `tf.image.rgb_to_grayscale` (02, 04), `tf.multiply`
//! then `np.add` (03), TF 1.x `t.eval(session=...)` (03), eager `tf.add`
//! (05), ragged tensors padded to dense (04), and the GPU device scope (02).
//! The graph scenarios of 05 (`Graph` + `Session.run`, `@tf.function`, the
//! error for converting a symbolic tensor) are in `tests/graph.rs`.
//!
//! Every scenario runs through [`for_each_device`]: on the CPU, and (built
//! with `--features cuda` on a machine with a GPU) on the GPU too, the
//! tensors made under its scope; without one it prints
//! `SKIPPED: cuda:0 not available (<reason>)`, and the GPU scope's refusal
//! is checked below.

use ndarray::{Axis, arr2};
use tensorbridge::prelude::*;
use tensorbridge::ragged::RaggedTensor;
use tensorbridge::sparse::SparseTensor;
use tensorbridge::{image, random, s};
use tensorbridge_tests::for_each_device;

/// 01 and 02: `tf.constant([[1.0, 2.0], [3.0, 4.0]]).numpy()`, a float32
/// array with the same values.
#[test]
fn tf_constant_to_numpy() {
    for_each_device(|_| {
        let tensor = Tensor::new([[1.0f32, 2.0], [3.0, 4.0]]).unwrap();
        let numpy_array = tensor.numpy().unwrap();
        assert_eq!(numpy_array.dtype(), DType::F32);
        assert_eq!(numpy_array.shape(), [2, 2]);
        assert_eq!(
            numpy_array.into_typed::<f32>().unwrap(),
            arr2(&[[1.0f32, 2.0], [3.0, 4.0]]).into_dyn()
        );
    });
}

/// 01: `model_output = (tf.constant([10, 20, 30]), tf.constant([[0.1, 0.2],
/// [0.3, 0.4]]))` and `tuple(t.numpy() for t in model_output)`, in one call.
#[test]
fn a_tuple_of_model_outputs() {
    for_each_device(|_| {
        let model_output = (
            Tensor::new([10, 20, 30]).unwrap(),
            Tensor::new([[0.1, 0.2], [0.3, 0.4]]).unwrap(),
        );
        let (numpy_array_1, numpy_array_2) = model_output.numpy().unwrap();
        assert_eq!(numpy_array_1.dtype(), DType::I32);
        assert_eq!(
            numpy_array_1
                .view_typed::<i32>()
                .unwrap()
                .as_slice()
                .unwrap(),
            [10, 20, 30]
        );
        assert_eq!(numpy_array_2.dtype(), DType::F64);
        assert_eq!(
            numpy_array_2.into_typed::<f64>().unwrap(),
            arr2(&[[0.1, 0.2], [0.3, 0.4]]).into_dyn()
        );
    });
}

/// 03: `t = tf.constant([[1, 2], [4, 8]]); a = t.numpy()` prints
/// `[[1 2]\n [4 8]]`, an int32 array.
#[test]
fn tf_constant_of_ints_is_an_int32_array() {
    for_each_device(|_| {
        let t = Tensor::new([[1, 2], [4, 8]]).unwrap();
        let a = t.to_array::<i32>().unwrap();
        assert_eq!(a, arr2(&[[1, 2], [4, 8]]).into_dyn());
        assert_eq!(t.numpy().unwrap().dtype(), DType::I32);
        // np.add(a, 1) on the converted array.
        assert_eq!(a + 1, arr2(&[[2, 3], [5, 9]]).into_dyn());
    });
}

/// 02: `if tf.config.list_physical_devices('GPU'): with tf.device('/GPU:0'):
/// tf_tensor = tf.constant(...) else: tf_tensor = tf.constant(...)`.
/// Without a CUDA backend, creation under the GPU scope is an error, never
/// a silent fallback to the CPU; the CPU path works.
#[test]
fn a_gpu_device_scope_never_falls_back_silently() {
    let gpu: Device = "/GPU:0".parse().unwrap();
    assert_eq!(gpu, Device::Cuda(0));
    let data = [[1.0f32, 2.0], [3.0, 4.0]];
    let tf_tensor = if tensorbridge::devices().contains(&gpu) {
        let _scope = gpu.scope();
        let t = Tensor::new(data).unwrap();
        assert_eq!(t.device(), gpu);
        t
    } else {
        {
            let _scope = gpu.scope();
            assert_eq!(Device::current(), gpu);
            let e = Tensor::new(data).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::DeviceUnavailable {
                        device: Device::Cuda(0),
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains("cuda:0"), "{e}");
            assert!(Tensor::zeros([2, 2], DType::F32).is_err());
        }
        assert_eq!(Device::current(), Device::Cpu);
        println!("SKIPPED: cuda:0 not available; checked the refusal, then the CPU path");
        let _scope = "/device:CPU:0".parse::<Device>().unwrap().scope();
        let t = Tensor::new(data).unwrap();
        assert_eq!(t.device(), Device::Cpu);
        t
    };
    let np_array = tf_tensor.numpy().unwrap();
    assert_eq!(
        np_array.into_typed::<f32>().unwrap(),
        arr2(&data).into_dyn()
    );
}

/// A (32, 28, 28, 1) batch whose element i (in C order) is i: the shape of
/// `tf.random.normal((32, 28, 28, 1))` with values known in advance, so
/// that slices and means can be checked exactly (the random batch itself
/// is checked in `a_random_batch_of_images`).
fn batch() -> Tensor {
    Tensor::arange(0.0f32, 32.0 * 784.0, 1.0)
        .unwrap()
        .reshape([32, 28, 28, 1])
        .unwrap()
}

/// 04: `numpy_array = batch_tensor.numpy(); first_image = numpy_array[0]`
/// has shape (28, 28, 1); so has the tensor's own `batch_tensor[0]`.
#[test]
fn the_first_image_of_a_batch() {
    for_each_device(|_| {
        let batch_tensor = batch();
        let numpy_array = batch_tensor.to_array::<f32>().unwrap();
        assert_eq!(numpy_array.shape(), [32, 28, 28, 1]);
        let first_image = numpy_array.index_axis(Axis(0), 0);
        assert_eq!(first_image.shape(), [28, 28, 1]);

        let first = batch_tensor.slice(s![0]).unwrap();
        assert_eq!(first.dims(), [28, 28, 1]);
        assert!(first.shares_buffer_with(&batch_tensor));
        let first_array = first.to_array::<f32>().unwrap();
        assert_eq!(first_array, first_image);
        assert_eq!(first_array[[27, 27, 0]], 783.0);
        // The last image, counted from the end: numpy_array[-1].
        let last = batch_tensor.slice(s![-1]).unwrap();
        assert_eq!(last.to_array::<f32>().unwrap()[[0, 0, 0]], 31.0 * 784.0);
    });
}

/// 04: `np.mean(numpy_array)` on one (28, 28, 1) image and
/// `np.mean(numpy_array, axis=0)` across a batch, on converted arrays.
#[test]
fn means_of_converted_images() {
    for_each_device(|device| {
        assert_eq!(batch().device(), device);
        let image = batch().slice(s![0]).unwrap().to_array::<f32>().unwrap();
        assert_eq!(image.shape(), [28, 28, 1]);
        // The mean of 0..784 is 391.5.
        assert_eq!(image.mean(), Some(391.5));
        let batch = batch().to_array::<f32>().unwrap();
        let mean_across_batch = batch.mean_axis(Axis(0)).unwrap();
        assert_eq!(mean_across_batch.shape(), [28, 28, 1]);
        // Pixel p of image i is i * 784 + p; the mean over i is 15.5 * 784 + p.
        assert_eq!(mean_across_batch[[0, 0, 0]], 15.5 * 784.0);
        assert_eq!(mean_across_batch[[27, 27, 0]], 15.5 * 784.0 + 783.0);
    });
}

/// `sparse_tensor = tf.sparse.SparseTensor(indices, values, dense_shape)`
/// with `indices = tf.constant([[0, 0], [1, 2]])` and
/// `values = tf.constant([1, 2])`: int32 python ints, so the values stay
/// int32; the indices are int64 as a `SparseTensor` keeps them (int32
/// indices are refused with a hint to cast, never silently reinterpreted).
fn scenario_sparse_tensor(dense_shape: [usize; 2]) -> SparseTensor {
    let indices = Tensor::new([[0, 0], [1, 2]]).unwrap();
    let values = Tensor::new([1, 2]).unwrap();
    let refused = SparseTensor::new(indices.clone(), values.clone(), dense_shape).unwrap_err();
    assert!(
        refused.to_string().contains("indices must be int64"),
        "{refused}"
    );
    SparseTensor::new(indices.cast(DType::I64).unwrap(), values, dense_shape).unwrap()
}

/// 01, example 3: `dense_numpy_array =
/// tf.sparse.to_dense(sparse_tensor).numpy()` with `dense_shape = [2, 3]`
/// is `[[1 0 0]\n [0 0 2]]`, int32.
#[test]
fn sparse_tensor_to_dense_numpy_2x3() {
    for_each_device(|device| {
        let sparse_tensor = scenario_sparse_tensor([2, 3]);
        assert_eq!(sparse_tensor.device(), device);
        let dense_numpy_array = sparse_tensor.to_dense().unwrap().numpy().unwrap();
        assert_eq!(dense_numpy_array.dtype(), DType::I32);
        assert_eq!(
            dense_numpy_array.into_typed::<i32>().unwrap(),
            arr2(&[[1, 0, 0], [0, 0, 2]]).into_dyn()
        );
    });
}

/// 02: `sparse_tensor = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]],
/// values=[1, 2], dense_shape=[3, 3])`; `dense_tensor =
/// tf.sparse.to_dense(sparse_tensor)`; `np_array_sparse =
/// dense_tensor.numpy()` is `[[1 0 0]\n [0 0 2]\n [0 0 0]]`, int32.
#[test]
fn sparse_tensor_to_dense_numpy_3x3() {
    for_each_device(|_| {
        let sparse_tensor = scenario_sparse_tensor([3, 3]);
        let dense_tensor = sparse_tensor.to_dense().unwrap();
        assert_eq!(dense_tensor.dims(), [3, 3]);
        let np_array_sparse = dense_tensor.numpy().unwrap();
        assert_eq!(np_array_sparse.dtype(), DType::I32);
        assert_eq!(
            np_array_sparse.into_typed::<i32>().unwrap(),
            arr2(&[[1, 0, 0], [0, 0, 2], [0, 0, 0]]).into_dyn()
        );
    });
}

/// 02: `image_tensor = tf.random.normal((3, 256, 256, 3))`;
/// `processed_image_tensor = tf.image.rgb_to_grayscale(image_tensor)`;
/// `processed_image_array = processed_image_tensor.numpy()` has shape
/// (3, 256, 256, 1) and dtype float32, each pixel
/// `0.2989 r + 0.5870 g + 0.1140 b` of its input pixel.
#[test]
fn a_random_image_batch_to_grayscale() {
    for_each_device(|device| {
        let image_tensor = random::normal([3, 256, 256, 3], 0.0, 1.0, DType::F32, None).unwrap();
        assert_eq!(image_tensor.device(), device);
        let processed_image_tensor = image::rgb_to_grayscale(&image_tensor).unwrap();
        let processed_image_array = processed_image_tensor.numpy().unwrap();
        assert_eq!(processed_image_array.shape(), [3, 256, 256, 1]);
        assert_eq!(processed_image_array.dtype(), DType::F32);

        let rgb = image_tensor.to_array::<f32>().unwrap();
        let gray = processed_image_array.into_typed::<f32>().unwrap();
        for (b, y, x) in [(0, 0, 0), (1, 128, 77), (2, 255, 255)] {
            let px = |c: usize| f64::from(rgb[[b, y, x, c]]);
            let want = 0.2989 * px(0) + 0.5870 * px(1) + 0.1140 * px(2);
            let got = f64::from(gray[[b, y, x, 0]]);
            assert!(
                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "pixel {:?}: {got} vs {want}",
                (b, y, x)
            );
        }
        // Every pixel, against the same weights in f64.
        let worst = rgb
            .lanes(Axis(3))
            .into_iter()
            .zip(gray.iter())
            .map(|(p, &g)| {
                let want =
                    0.2989 * f64::from(p[0]) + 0.5870 * f64::from(p[1]) + 0.1140 * f64::from(p[2]);
                (f64::from(g) - want).abs() / (1.0 + want.abs())
            })
            .fold(0.0, f64::max);
        assert!(worst <= 1e-5, "largest relative error {worst}");
    });
}

/// 03: `t = tf.constant([[1, 2], [4, 8]]); t = tf.multiply(t, 2)` prints
/// `[[ 2  4]\n [ 8 16]]` (int32), and `a = np.add(t, 1)` is the ndarray
/// `[[ 3  5]\n [ 9 17]]`.
#[test]
fn tf_multiply_then_np_add() {
    for_each_device(|_| {
        let t = Tensor::new([[1, 2], [4, 8]]).unwrap();
        let t = t.mul_scalar(2).unwrap();
        assert_eq!(t.dtype(), DType::I32);
        assert_eq!(
            t.to_array::<i32>().unwrap(),
            arr2(&[[2, 4], [8, 16]]).into_dyn()
        );
        let a = t.numpy().unwrap().into_typed::<i32>().unwrap() + 1;
        assert_eq!(a, arr2(&[[3, 5], [9, 17]]).into_dyn());
        // The same with the tensor op: tf.multiply(t, 2) of a tensor 2.
        let two = Tensor::new([[2, 2], [2, 2]]).unwrap();
        let again = Tensor::new([[1, 2], [4, 8]]).unwrap().mul(&two).unwrap();
        assert_eq!(again.to_vec::<i32>().unwrap(), [2, 4, 8, 16]);
    });
}

/// 04: `input_tensor = tf.random.normal((28, 28, 1))`; `numpy_array =
/// input_tensor.numpy()` has shape (28, 28, 1), dtype float32; and
/// `np.mean(numpy_array)` is near 0 (784 standard normal samples: the mean
/// has standard deviation 1/28, so |mean| < 0.25 fails with odds below
/// one in 10^11).
#[test]
fn a_random_image_to_numpy() {
    for_each_device(|_| {
        let input_tensor = random::normal([28, 28, 1], 0.0, 1.0, DType::F32, None).unwrap();
        let numpy_array = input_tensor.numpy().unwrap();
        assert_eq!(numpy_array.shape(), [28, 28, 1]);
        assert_eq!(numpy_array.dtype(), DType::F32);
        let numpy_array = numpy_array.into_typed::<f32>().unwrap();
        let mean_pixel_value = numpy_array.mean().unwrap();
        assert!(mean_pixel_value.abs() < 0.25, "mean {mean_pixel_value}");
        assert!(numpy_array.iter().all(|x| x.is_finite()));
    });
}

/// 04: `batch_tensor = tf.random.normal((32, 28, 28, 1))`; `numpy_array =
/// batch_tensor.numpy()` has shape (32, 28, 28, 1) and dtype float32;
/// `first_image = numpy_array[0]` has shape (28, 28, 1);
/// `np.mean(numpy_array, axis=0)` has shape (28, 28, 1). The samples have
/// mean about 0 and standard deviation about 1 (25088 of them: limits of
/// seven standard errors).
#[test]
fn a_random_batch_of_images() {
    for_each_device(|_| {
        let batch_tensor = random::normal([32, 28, 28, 1], 0.0, 1.0, DType::F32, None).unwrap();
        let numpy_array = batch_tensor.numpy().unwrap();
        assert_eq!(numpy_array.shape(), [32, 28, 28, 1]);
        assert_eq!(numpy_array.dtype(), DType::F32);
        let numpy_array = numpy_array.into_typed::<f32>().unwrap();
        let first_image = numpy_array.index_axis(Axis(0), 0);
        assert_eq!(first_image.shape(), [28, 28, 1]);
        assert_eq!(
            batch_tensor
                .slice(s![0])
                .unwrap()
                .to_array::<f32>()
                .unwrap(),
            first_image
        );
        let mean_across_batch = numpy_array.mean_axis(Axis(0)).unwrap();
        assert_eq!(mean_across_batch.shape(), [28, 28, 1]);
        let n = numpy_array.len() as f64;
        let mean = numpy_array.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = numpy_array
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 7.0 / n.sqrt(), "mean {mean}");
        // The sample variance of n normals has standard deviation sqrt(2 / n).
        assert!((var - 1.0).abs() < 7.0 * (2.0 / n).sqrt(), "variance {var}");
    });
}

/// 04, example 3: `ragged_tensor = tf.ragged.constant([[1, 2, 3], [4, 5],
/// [6]])`; `dense_tensor = ragged_tensor.to_tensor(default_value=0)`;
/// `numpy_array = dense_tensor.numpy()` is `[[1 2 3]\n [4 5 0]\n [6 0 0]]`
/// of shape (3, 3) and dtype int32 (python ints make int32 values).
#[test]
fn ragged_constant_to_tensor_to_numpy() {
    for_each_device(|_| {
        let ragged_tensor = ragged![[1, 2, 3], [4, 5], [6]];
        assert_eq!(ragged_tensor.dtype(), DType::I32);
        let dense_tensor = ragged_tensor.to_tensor(&Tensor::scalar(0)).unwrap();
        let numpy_array = dense_tensor.numpy().unwrap();
        assert_eq!(numpy_array.shape(), [3, 3]);
        assert_eq!(numpy_array.dtype(), DType::I32);
        assert_eq!(
            numpy_array.into_typed::<i32>().unwrap(),
            arr2(&[[1, 2, 3], [4, 5, 0], [6, 0, 0]]).into_dyn()
        );
        // The same tensor built from its parts, and reaching NumPy as its
        // two dense arrays instead of padding.
        let same = RaggedTensor::from_row_splits(
            Tensor::new([1, 2, 3, 4, 5, 6]).unwrap(),
            Tensor::new([0i64, 3, 5, 6]).unwrap(),
        )
        .unwrap();
        assert_eq!(same.to_string(), ragged_tensor.to_string());
        let (values, splits) = same.numpy().unwrap();
        assert_eq!(
            values.into_typed::<i32>().unwrap().as_slice().unwrap(),
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            splits[0].view_typed::<i64>().unwrap().as_slice().unwrap(),
            [0, 3, 5, 6]
        );
    });
}

/// 05, approach 2 (eager): `tensor_f = tf.add(tensor_d, tensor_e)` of
/// `[[9, 10], [11, 12]]` and `[[13, 14], [15, 16]]` (int32);
/// `tensor_f.numpy()` is `[[22 24]\n [26 28]]`.
#[test]
fn eager_tf_add_to_numpy() {
    for_each_device(|_| {
        let tensor_d = Tensor::new([[9, 10], [11, 12]]).unwrap();
        let tensor_e = Tensor::new([[13, 14], [15, 16]]).unwrap();
        let tensor_f = tensor_d.add(&tensor_e).unwrap();
        let numpy_array_eager = tensor_f.numpy().unwrap();
        assert_eq!(numpy_array_eager.dtype(), DType::I32);
        assert_eq!(
            numpy_array_eager.into_typed::<i32>().unwrap(),
            arr2(&[[22, 24], [26, 28]]).into_dyn()
        );
        // The operator form, on borrowed tensors.
        assert_eq!(
            (&tensor_d + &tensor_e).to_array::<i32>().unwrap(),
            arr2(&[[22, 24], [26, 28]]).into_dyn()
        );
    });
}

/// 03, method 3 (TF 1.x): `t = tf.constant([[1, 2], [4, 8]])`,
/// `a = t.eval(session=tf.compat.v1.Session())` gives the int32 array
/// `[[1 2] [4 8]]`.
#[test]
fn tf1_eval_in_a_session() {
    use tensorbridge::graph::{Graph, Session};
    for_each_device(|_| {
        let graph = Graph::new();
        let t = graph.constant(&Tensor::new([[1, 2], [4, 8]]).unwrap());
        let a = t.eval(&Session::new(&graph), &[]).unwrap();
        assert_eq!(a.dtype(), DType::I32);
        assert_eq!(
            a.to_array::<i32>().unwrap(),
            arr2(&[[1, 2], [4, 8]]).into_dyn()
        );
        // The symbolic tensor itself has no value to convert.
        assert!(matches!(t.numpy(), Err(Error::Symbolic { .. })));
    });
}
