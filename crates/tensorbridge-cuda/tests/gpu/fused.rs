//! Fused kernels: one launch against the same ops launched one by one
//! (bit for bit), broadcast and transposed inputs, the error flag, the
//! argument checks and `n == 0`.

use half::f16;
use tensorbridge_cuda::{
    BinaryOp, CudaError, ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, StridedLayout,
    UnaryOp,
};

use crate::common::{self, down, up};

use FusedOperand::{Input, Step};

#[test]
fn an_f16_chain_equals_its_ops_launched_one_by_one() {
    let dev = gpu!();
    // sigmoid(a * b) + a over [rows, cols]: a transposed, b a broadcast row.
    let (rows, cols) = (300usize, 257usize);
    let a_store: Vec<f16> = (0..rows * cols)
        .map(|i| f16::from_f32(((i as f32) * 0.37).sin() * 6.0))
        .collect();
    let b_row: Vec<f16> = (0..cols)
        .map(|j| f16::from_f32((j as f32 * 0.11).cos() * 3.0))
        .collect();
    let (a, b) = (up(&dev, &a_store), up(&dev, &b_row));
    let dims = [rows, cols];
    let (sa, sc) = ([1, rows as isize], [cols as isize, 1]);
    let la = StridedLayout::new(&dims, &sa); // a_store is [cols, rows]
    let lb = StridedLayout::new(&dims, &[0, 1]);
    let c = StridedLayout::new(&dims, &sc);
    let n = rows * cols;
    let k = FusedKernel::new(
        &[ElemType::F16, ElemType::F16],
        vec![
            FusedStep::new(FusedOp::Binary(BinaryOp::Mul), &[Input(0), Input(1)]),
            FusedStep::new(FusedOp::Unary(UnaryOp::Sigmoid), &[Step(0)]),
            FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[Step(1), Input(0)]),
        ],
    )
    .unwrap();
    let mut fused = dev.alloc(n * 2).unwrap();
    dev.fused(&k, &[(&a, la), (&b, lb)], &mut fused).unwrap();
    // The same ops, one launch each.
    let mut t0 = dev.alloc(n * 2).unwrap();
    dev.binary(BinaryOp::Mul, ElemType::F16, &a, la, &b, lb, &mut t0)
        .unwrap();
    let mut t1 = dev.alloc(n * 2).unwrap();
    dev.unary(UnaryOp::Sigmoid, ElemType::F16, &t0, c, &mut t1)
        .unwrap();
    let mut t2 = dev.alloc(n * 2).unwrap();
    dev.binary(BinaryOp::Add, ElemType::F16, &t1, c, &a, la, &mut t2)
        .unwrap();
    let (got, want) = (down::<f16>(&dev, &fused, n), down::<f16>(&dev, &t2, n));
    assert!(
        got.iter()
            .zip(&want)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    // And a host check of a few elements: the f16-rounded product feeds
    // the sigmoid (not the f32 one).
    for &(r, col) in &[(0usize, 0usize), (17, 200), (299, 256)] {
        let x = a_store[col * rows + r];
        let p = f16::from_f32(x.to_f32() * b_row[col].to_f32());
        let s = f16::from_f32(1.0 / (1.0 + (-p.to_f32()).exp()));
        let want = f16::from_f32(s.to_f32() + x.to_f32());
        let g = got[r * cols + col];
        assert!(
            (g.to_f32() - want.to_f32()).abs()
                <= 2.0 * f16::EPSILON.to_f32() * want.to_f32().abs().max(1.0)
        );
    }
}

#[test]
fn integer_chains_wrap_and_report_division_by_zero() {
    let dev = gpu!();
    let a = up(&dev, &[100i8, -128, 7, 50]);
    let b = up(&dev, &[100i8, -1, 0, 3]);
    let l = StridedLayout::new(&[4], &[1]);
    let add_mul = FusedKernel::new(
        &[ElemType::I8, ElemType::I8],
        vec![
            FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[Input(0), Input(1)]),
            FusedStep::new(FusedOp::Binary(BinaryOp::Mul), &[Step(0), Input(1)]),
            FusedStep::new(FusedOp::Cast(ElemType::I32), &[Step(1)]),
        ],
    )
    .unwrap();
    let mut out = dev.alloc(16).unwrap();
    dev.fused(&add_mul, &[(&a, l), (&b, l)], &mut out).unwrap();
    // (100 + 100) wraps to -56, * 100 = -5600 wraps to 32 (i8); (-128 - 1)
    // wraps to 127, * -1 = -127; 7 * 0 = 0; 53 * 3 = 159 wraps to -97.
    assert_eq!(down::<i32>(&dev, &out, 4), [32, -127, 0, -97]);
    let div = FusedKernel::new(
        &[ElemType::I8, ElemType::I8],
        vec![
            FusedStep::new(FusedOp::Binary(BinaryOp::Div), &[Input(0), Input(1)]),
            FusedStep::new(FusedOp::Unary(UnaryOp::Neg), &[Step(0)]),
        ],
    )
    .unwrap();
    let mut out = dev.alloc(4).unwrap();
    let e = dev.fused(&div, &[(&a, l), (&b, l)], &mut out).unwrap_err();
    assert!(
        matches!(e, CudaError::InvalidArgument(ref m) if m.contains("output element 2")),
        "{e}"
    );
}

#[test]
fn fused_arguments_are_checked_and_empty_outputs_never_launch() {
    let dev = gpu!();
    let neg = FusedKernel::new(
        &[ElemType::F32],
        vec![FusedStep::new(FusedOp::Unary(UnaryOp::Neg), &[Input(0)])],
    )
    .unwrap();
    let a = up(&dev, &[1.0f32, 2.0]);
    let l = StridedLayout::new(&[2], &[1]);
    let mut small = dev.alloc(4).unwrap();
    let e = dev.fused(&neg, &[(&a, l)], &mut small).unwrap_err();
    assert!(e.to_string().contains("the output needs 8 bytes"), "{e}");
    let mut out = dev.alloc(8).unwrap();
    let e = dev.fused(&neg, &[(&a, l), (&a, l)], &mut out).unwrap_err();
    assert!(
        e.to_string().contains("reads 1 inputs but 2 were given"),
        "{e}"
    );
    let past = StridedLayout::new(&[3], &[1]);
    assert!(dev.fused(&neg, &[(&a, past)], &mut out).is_err());
    let empty = StridedLayout::new(&[0], &[1]);
    let mut none = dev.alloc(0).unwrap();
    dev.fused(&neg, &[(&a, empty)], &mut none).unwrap();
    dev.fused(&neg, &[(&a, l)], &mut out).unwrap();
    assert_eq!(down::<f32>(&dev, &out, 2), [-1.0, -2.0]);
}
