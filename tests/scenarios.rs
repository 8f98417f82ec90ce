//! The user scenarios of `/work/shared/scenarios/*.txt` that Core I
//! supports, each next to the TensorFlow lines it stands for.
//!
//! Pending, with what brings them:
//! - `tf.sparse.SparseTensor(...)` + `tf.sparse.to_dense(...).numpy()`
//!   (01, 02): the tensorbridge-sparse crate.
//! - `tf.ragged.constant([[1, 2, 3], [4, 5], [6]]).to_tensor(default_value=0)`
//!   (04): the tensorbridge-ragged crate.
//! - `tf.random.normal(...)`, `tf.image.rgb_to_grayscale(...)`,
//!   `tf.multiply(t, 2)`, `tf.add(a, b)` (02, 03, 04, 05): Core II's ops,
//!   `random` and `image` modules. The shapes of the Keras batches are
//!   checked below with deterministic data in the meantime.
//! - tensors really on a GPU under `with tf.device('/GPU:0')` (02): the CUDA
//!   backend; until then only the refusal below is checked.
//! - TF 1.x `t.eval(session=tf.compat.v1.Session())`, `Graph` +
//!   `Session.run`, `@tf.function` and the error for converting a symbolic
//!   tensor (03, 05): graph mode.

use ndarray::{Axis, arr2};
use tensorbridge::prelude::*;
use tensorbridge::s;
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

/// A (32, 28, 28, 1) batch whose element i (in C order) is i, in place of
/// `tf.random.normal((32, 28, 28, 1))` until Core II brings `random`.
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
}
