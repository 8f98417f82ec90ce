//! Index ops, grayscale and integer/complex matmul: inputs and core's
//! outputs for `index_main.cpp`. Each case is one line of `idx/manifest`
//! naming the kernel flow and its files.

use half::f16;
use num_complex::Complex;
use tensorbridge_core::{DType, ScatterMode, Tensor, image};

use crate::ops::raw;

fn code(d: DType) -> usize {
    DType::ALL.iter().position(|&x| x == d).unwrap()
}

fn put(dir: &str, name: &str, t: &Tensor) -> String {
    let p = format!("{dir}/{name}");
    std::fs::write(&p, raw(t)).unwrap();
    p
}

pub fn generate(dir: &str) -> usize {
    let mut man = String::new();
    let mut n = 0;
    // gather along each axis of a [4, 5, 3] i32 tensor, int64 and int32 indices.
    let p: Vec<i32> = (0..60).map(|i| i * 37 - 500).collect();
    let pt = Tensor::from(p).reshape(vec![4, 5, 3]).unwrap();
    for axis in 0..3usize {
        for wide in [true, false] {
            let idx = if wide {
                Tensor::from(vec![2i64, 0, 2, 1])
            } else {
                Tensor::from(vec![1i32, 1, 0])
            };
            let want = pt.gather(&idx, axis as isize).unwrap();
            let tag = format!("g{axis}{}", wide as u8);
            man += &format!(
                "G {axis} {} {} {} {} {}\n",
                wide as u8,
                idx.numel(),
                put(dir, &format!("{tag}.p"), &pt),
                put(dir, &format!("{tag}.i"), &idx),
                put(dir, &format!("{tag}.want"), &want)
            );
            n += 1;
        }
    }
    // gather_with_padding: [4, 3] f32 rows, -1 takes the fill row.
    let rows = Tensor::from((0..12).map(|i| i as f32 * 0.5).collect::<Vec<_>>())
        .reshape(vec![4, 3])
        .unwrap();
    let idx = Tensor::from(vec![3i64, -1, 0, -1, 2]);
    let fill = Tensor::from(vec![-1.0f32, -2.0, -3.0]);
    let want = rows.gather_with_padding(&idx, &fill).unwrap();
    man += &format!(
        "P {} {} {} {}\n",
        put(dir, "gp.p", &rows),
        put(dir, "gp.i", &idx),
        put(dir, "gp.f", &fill),
        put(dir, "gp.want", &want)
    );
    n += 1;
    // pad_segments: [6, 2] f64 values, splits with an empty row, width 3.
    let vals = Tensor::from((0..12).map(|i| i as f64 + 0.25).collect::<Vec<_>>())
        .reshape(vec![6, 2])
        .unwrap();
    let splits = Tensor::from(vec![0i32, 2, 2, 5, 6]);
    let fill = Tensor::from(vec![9.0f64, -9.0]);
    let want = vals.pad_segments(&splits, 3, &fill).unwrap();
    man += &format!(
        "D {} {} {} {}\n",
        put(dir, "pd.v", &vals),
        put(dir, "pd.s", &splits),
        put(dir, "pd.f", &fill),
        put(dir, "pd.want", &want)
    );
    n += 1;
    // scatter_nd Last and Add with repeats into [3, 4, 2], k = 2, for i32, f32, f16.
    let indices = Tensor::from(vec![2i64, 1, 0, 3, 2, 1, 1, 0, 0, 3, 2, 1])
        .reshape(vec![6, 2])
        .unwrap();
    for d in [DType::I32, DType::F32, DType::F16, DType::U8, DType::C128] {
        let ups = Tensor::from((0..12).map(|i| i as f64 * 1.5 - 4.0).collect::<Vec<_>>())
            .cast(d)
            .unwrap()
            .reshape(vec![6, 2])
            .unwrap();
        let fill = Tensor::from(vec![7.0f64])
            .cast(d)
            .unwrap()
            .reshape(Vec::<usize>::new())
            .unwrap();
        // Repeated positions (rows 0 and 4, 1 and 5), then distinct ones.
        let distinct = Tensor::from(vec![2i64, 1, 0, 3, 1, 0, 0, 2, 2, 3, 1, 1])
            .reshape(vec![6, 2])
            .unwrap();
        for (mode, mc, idx) in [
            (ScatterMode::Last, 1, &indices),
            (ScatterMode::Add, 2, &indices),
            (ScatterMode::Last, 1, &distinct),
            (ScatterMode::Error, 0, &distinct),
            (ScatterMode::Add, 2, &distinct),
        ] {
            let indices = idx;
            let want = Tensor::scatter_nd(indices, &ups, [3usize, 4, 2], &fill, mode).unwrap();
            let tag = format!("s{}{mc}{}", code(d), std::ptr::eq(idx, &distinct) as u8);
            man += &format!(
                "S {} {mc} {} {} {} {}\n",
                code(d),
                put(dir, &format!("{tag}.i"), indices),
                put(dir, &format!("{tag}.u"), &ups),
                put(dir, &format!("{tag}.f"), &fill),
                put(dir, &format!("{tag}.want"), &want)
            );
            n += 1;
        }
    }
    // segment_sum: [5, 3] data, ids with a gap, for i16 (wrapping), f64, bf16, c64.
    let ids = Tensor::from(vec![0i32, 0, 2, 2, 2]);
    for d in [DType::I16, DType::F64, DType::BF16, DType::C64] {
        let data = Tensor::from((0..15).map(|i| i as f64 * 3000.5 - 7.0).collect::<Vec<_>>())
            .cast(d)
            .unwrap()
            .reshape(vec![5, 3])
            .unwrap();
        let want = data.segment_sum(&ids, 4).unwrap();
        let tag = format!("m{}", code(d));
        man += &format!(
            "M {} {} {} {}\n",
            code(d),
            put(dir, &format!("{tag}.d"), &data),
            put(dir, &format!("{tag}.i"), &ids),
            put(dir, &format!("{tag}.want"), &want)
        );
        n += 1;
    }
    // rgb_to_grayscale of [2, 4, 3] images.
    for d in [
        DType::U8,
        DType::I16,
        DType::U64,
        DType::F32,
        DType::F64,
        DType::F16,
    ] {
        let px = Tensor::from((0..24).map(|i| ((i * 53) % 256) as f64).collect::<Vec<_>>());
        let px = if d.is_float() {
            px.div_scalar(255.0).unwrap()
        } else {
            px
        };
        let img = px.cast(d).unwrap().reshape(vec![2, 4, 3]).unwrap();
        let want = image::rgb_to_grayscale(&img).unwrap();
        man += &format!(
            "Y {} {} {}\n",
            code(d),
            put(dir, &format!("y{}.p", code(d)), &img),
            put(dir, &format!("y{}.want", code(d)), &want)
        );
        n += 1;
    }
    // matmul [2, 3, 4] x [2, 4, 5] for integers (wrapping) and complex.
    for d in [DType::I32, DType::U8, DType::I64, DType::C64] {
        let a = Tensor::from(
            (0..24)
                .map(|i| (i * 7919 % 301) as f64 - 150.0)
                .collect::<Vec<_>>(),
        );
        let b = Tensor::from(
            (0..40)
                .map(|i| (i * 104_729 % 257) as f64 - 128.0)
                .collect::<Vec<_>>(),
        );
        let (a, b) = if d.is_complex() {
            let za: Vec<Complex<f64>> = (0..24)
                .map(|i| Complex::new(i as f64 * 0.5, 1.0 - i as f64))
                .collect();
            let zb: Vec<Complex<f64>> = (0..40)
                .map(|i| Complex::new(2.0 - i as f64 * 0.25, i as f64))
                .collect();
            (Tensor::from(za), Tensor::from(zb))
        } else {
            (a, b)
        };
        let a = a.cast(d).unwrap().reshape(vec![2, 3, 4]).unwrap();
        let b = b.cast(d).unwrap().reshape(vec![2, 4, 5]).unwrap();
        let want = a.matmul(&b).unwrap();
        man += &format!(
            "X {} {} {} {}\n",
            code(d),
            put(dir, &format!("x{}.a", code(d)), &a),
            put(dir, &format!("x{}.b", code(d)), &b),
            put(dir, &format!("x{}.want", code(d)), &want)
        );
        n += 1;
    }
    let _ = f16::ONE;
    std::fs::write(format!("{dir}/manifest"), man).unwrap();
    n
}

pub fn cmp(dir: &str) -> i32 {
    let man = std::fs::read_to_string(format!("{dir}/manifest")).unwrap();
    let (mut ok, mut bad) = (0, 0);
    for line in man.lines() {
        let want_path = line.split(' ').next_back().unwrap();
        let want = std::fs::read(want_path).unwrap();
        let got = std::fs::read(want_path.replace(".want", ".got")).unwrap();
        // Float sums (scatter add, segment sums) may differ in the last bits
        // only by order; the cases above are exact in any order.
        if got == want {
            ok += 1;
        } else {
            bad += 1;
            println!("{line}: got {got:02x?}\n want {want:02x?}");
        }
    }
    println!("{dir}: {ok} cases identical to core, {bad} with differences");
    i32::from(bad > 0)
}
