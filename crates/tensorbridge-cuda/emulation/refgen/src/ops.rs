use half::{bf16, f16};
use num_complex::Complex;
use tensorbridge_core::{DType, Tensor};

pub fn raw(t: &Tensor) -> Vec<u8> {
    match t.dtype() {
        DType::Bool => t
            .to_vec::<bool>()
            .unwrap()
            .iter()
            .map(|&b| b as u8)
            .collect(),
        DType::U8 => t.to_vec::<u8>().unwrap(),
        DType::U16 => t
            .to_vec::<u16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::U32 => t
            .to_vec::<u32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::U64 => t
            .to_vec::<u64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::I8 => t
            .to_vec::<i8>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::I16 => t
            .to_vec::<i16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::I32 => t
            .to_vec::<i32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::I64 => t
            .to_vec::<i64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::F16 => t
            .to_vec::<f16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_bits().to_ne_bytes())
            .collect(),
        DType::BF16 => t
            .to_vec::<bf16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_bits().to_ne_bytes())
            .collect(),
        DType::F32 => t
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::F64 => t
            .to_vec::<f64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
        DType::C64 => t
            .to_vec::<Complex<f32>>()
            .unwrap()
            .iter()
            .flat_map(|x| [x.re.to_ne_bytes(), x.im.to_ne_bytes()].concat())
            .collect(),
        DType::C128 => t
            .to_vec::<Complex<f64>>()
            .unwrap()
            .iter()
            .flat_map(|x| [x.re.to_ne_bytes(), x.im.to_ne_bytes()].concat())
            .collect(),
    }
}

pub fn grid(d: DType) -> Tensor {
    let g: Vec<f64> = vec![
        0.0,
        1.0,
        -1.0,
        2.0,
        -2.0,
        3.0,
        7.0,
        -7.0,
        100.0,
        -128.0,
        127.0,
        255.0,
        1e9,
        -1e9,
        0.5,
        -0.5,
        2.5,
        1e30,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        65504.0,
        3.3,
        40000.0,
        -3e9,
        1e19,
    ];
    if d.is_complex() {
        let re = [0.0, 1.0, -2.5, 3.0, 0.0, 1e-3];
        let im = [0.0, 2.0, 0.5, -4.0, -1.0, 7.0];
        let v: Vec<Complex<f64>> = re
            .iter()
            .flat_map(|&r| im.iter().map(move |&i| Complex::new(r, i)))
            .collect();
        return Tensor::from(v).cast(d).unwrap();
    }
    if d == DType::Bool {
        return Tensor::from(vec![false, true]);
    }
    Tensor::from(g).cast(d).unwrap()
}

fn pairs(t: &Tensor) -> (Tensor, Tensor) {
    let n = t.numel();
    let a = t
        .reshape(vec![n, 1])
        .unwrap()
        .broadcast_to([n, n])
        .unwrap()
        .contiguous()
        .unwrap()
        .reshape(vec![n * n])
        .unwrap();
    let b = t
        .reshape(vec![1, n])
        .unwrap()
        .broadcast_to([n, n])
        .unwrap()
        .contiguous()
        .unwrap()
        .reshape(vec![n * n])
        .unwrap();
    (a, b)
}

pub fn generate(dir: &str) -> usize {
    let mut manifest = String::new();
    let mut count = 0;
    for (dc, &d) in DType::ALL.iter().enumerate() {
        let g = grid(d);
        let (a, b) = pairs(&g);
        let ops: [(u32, &str); 17] = [
            (0, "add"),
            (1, "sub"),
            (2, "mul"),
            (3, "div"),
            (4, "rem"),
            (5, "pow"),
            (6, "maximum"),
            (7, "minimum"),
            (8, "eq"),
            (9, "ne"),
            (10, "lt"),
            (11, "le"),
            (12, "gt"),
            (13, "ge"),
            (14, "logical_and"),
            (15, "logical_or"),
            (16, "logical_xor"),
        ];
        for (code, name) in ops {
            let (mut a, mut b) = (a.clone(), b.clone());
            if d.is_int() && (name == "div" || name == "rem") {
                // core refuses any zero divisor: keep the pairs without one.
                let keep = b
                    .ne(&Tensor::scalar(0i64).cast(d).unwrap())
                    .unwrap()
                    .to_vec::<bool>()
                    .unwrap();
                let idx: Vec<i64> = keep
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| **k)
                    .map(|(i, _)| i as i64)
                    .collect();
                let it = Tensor::from(idx);
                a = a.gather(&it, 0).unwrap();
                b = b.gather(&it, 0).unwrap();
            }
            if d.is_int() && name == "pow" {
                let e = Tensor::from(vec![0.0f64, 1.0, 2.0, 3.0, 5.0, 7.0, 31.0, 63.0])
                    .cast(d)
                    .unwrap();
                let n = e.numel();
                let m = a.numel();
                let reps = m.div_ceil(n);
                let tiled: Vec<Tensor> = (0..reps).map(|_| e.clone()).collect();
                let refs: Vec<&Tensor> = tiled.iter().collect();
                let all = Tensor::concat(&refs, 0).unwrap();
                let first: Vec<i64> = (0..m as i64).collect();
                b = all.gather(&Tensor::from(first), 0).unwrap();
            }
            let r = match name {
                "add" => a.add(&b),
                "sub" => a.sub(&b),
                "mul" => a.mul(&b),
                "div" => a.div(&b),
                "rem" => a.rem(&b),
                "pow" => a.pow(&b),
                "maximum" => a.maximum(&b),
                "minimum" => a.minimum(&b),
                "eq" => a.eq(&b),
                "ne" => a.ne(&b),
                "lt" => a.lt(&b),
                "le" => a.le(&b),
                "gt" => a.gt(&b),
                "ge" => a.ge(&b),
                "logical_and" => a.logical_and(&b),
                "logical_or" => a.logical_or(&b),
                _ => a.logical_xor(&b),
            };
            let Ok(r) = r else { continue };
            let p = format!("{dir}/b{dc}_{code}");
            std::fs::write(format!("{p}.a"), raw(&a)).unwrap();
            std::fs::write(format!("{p}.b"), raw(&b)).unwrap();
            std::fs::write(format!("{p}.want"), raw(&r)).unwrap();
            manifest += &format!(
                "B {dc} {code} {} {} {p}\n",
                a.numel(),
                DType::ALL.iter().position(|&x| x == r.dtype()).unwrap()
            );
            count += 1;
        }
        let uops: [(u32, &str); 16] = [
            (0, "neg"),
            (1, "abs"),
            (2, "sign"),
            (3, "exp"),
            (4, "log"),
            (5, "sqrt"),
            (6, "rsqrt"),
            (7, "sin"),
            (8, "cos"),
            (9, "tanh"),
            (10, "sigmoid"),
            (11, "relu"),
            (12, "floor"),
            (13, "ceil"),
            (14, "round"),
            (15, "logical_not"),
        ];
        for (code, name) in uops {
            let r = match name {
                "neg" => g.neg(),
                "abs" => g.abs(),
                "sign" => g.sign(),
                "exp" => g.exp(),
                "log" => g.log(),
                "sqrt" => g.sqrt(),
                "rsqrt" => g.rsqrt(),
                "sin" => g.sin(),
                "cos" => g.cos(),
                "tanh" => g.tanh(),
                "sigmoid" => g.sigmoid(),
                "relu" => g.relu(),
                "floor" => g.floor(),
                "ceil" => g.ceil(),
                "round" => g.round(),
                _ => g.logical_not(),
            };
            let Ok(r) = r else { continue };
            let p = format!("{dir}/u{dc}_{code}");
            std::fs::write(format!("{p}.a"), raw(&g)).unwrap();
            std::fs::write(format!("{p}.want"), raw(&r)).unwrap();
            manifest += &format!(
                "U {dc} {code} {} {} {p}\n",
                g.numel(),
                DType::ALL.iter().position(|&x| x == r.dtype()).unwrap()
            );
            count += 1;
        }
    }
    std::fs::write(format!("{dir}/manifest"), manifest).unwrap();
    count
}

pub fn is_nan_bytes(d: DType, b: &[u8]) -> bool {
    match d {
        DType::F16 => f16::from_bits(u16::from_ne_bytes([b[0], b[1]])).is_nan(),
        DType::BF16 => bf16::from_bits(u16::from_ne_bytes([b[0], b[1]])).is_nan(),
        DType::F32 => f32::from_ne_bytes(b.try_into().unwrap()).is_nan(),
        DType::F64 => f64::from_ne_bytes(b.try_into().unwrap()).is_nan(),
        DType::C64 => is_nan_bytes(DType::F32, &b[..4]) || is_nan_bytes(DType::F32, &b[4..]),
        DType::C128 => is_nan_bytes(DType::F64, &b[..8]) || is_nan_bytes(DType::F64, &b[8..]),
        _ => false,
    }
}

pub fn cmp(dir: &str) -> i32 {
    let manifest = std::fs::read_to_string(format!("{dir}/manifest")).unwrap();
    let (mut ok, mut bad) = (0, 0);
    for line in manifest.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (odi, pre, ain) = if f.len() == 6 {
            (f[4], f[5].to_string(), format!("{}.a", f[5]))
        } else {
            (f[6], f[8].to_string(), f[7].to_string())
        };
        let od = DType::ALL[odi.parse::<usize>().unwrap()];
        let want = std::fs::read(format!("{pre}.want")).unwrap();
        let mut gots = vec![std::fs::read(format!("{pre}.got")).unwrap()];
        // Reductions are also run in two passes (`.got2`).
        if let Ok(g2) = std::fs::read(format!("{pre}.got2")) {
            gots.push(g2);
        }
        for got in gots {
            let sz = od.size_in_bytes();
            let a = std::fs::read(&ain).unwrap();
            let float_sum = f.len() == 9
                && f[0] == "R"
                && (f[2] == "0" || f[2] == "1" || f[2] == "2")
                && (od.is_float() || od.is_complex())
                && !DType::ALL[f[1].parse::<usize>().unwrap()].is_int();
            let id = DType::ALL[f[1].parse::<usize>().unwrap()];
            assert_eq!(got.len(), want.len(), "{line}: length");
            assert!(!want.is_empty() || line.contains(" 0 "), "{line}: empty");
            let mut diffs = 0;
            for (i, (g, w)) in got.chunks(sz).zip(want.chunks(sz)).enumerate() {
                if g != w
                    && !(is_nan_bytes(od, g) && is_nan_bytes(od, w))
                    && !(float_sum && close(od, g, w))
                {
                    if diffs < 3 {
                        let isz = id.size_in_bytes();
                        println!(
                            "{line}: element {i} (a = {:02x?}) got {g:02x?} want {w:02x?}",
                            &a[(i * isz) % a.len()..(i * isz) % a.len() + isz]
                        );
                    }
                    diffs += 1;
                }
            }
            if diffs > 0 {
                bad += 1;
                println!("{line}: {diffs} differ");
            } else {
                ok += 1;
            }
        }
    }
    println!("{dir}: {ok} cases identical to core, {bad} with differences");
    i32::from(bad > 0)
}

fn close(d: DType, g: &[u8], w: &[u8]) -> bool {
    let f = |b: &[u8]| -> f64 {
        match d {
            DType::F16 => f16::from_bits(u16::from_ne_bytes([b[0], b[1]])).to_f64(),
            DType::BF16 => bf16::from_bits(u16::from_ne_bytes([b[0], b[1]])).to_f64(),
            DType::F32 | DType::C64 => f32::from_ne_bytes(b[..4].try_into().unwrap()) as f64,
            _ => f64::from_ne_bytes(b[..8].try_into().unwrap()),
        }
    };
    let (x, y) = (f(g), f(w));
    let tol = match d {
        DType::F16 | DType::BF16 => 1e-2,
        DType::F32 | DType::C64 => 1e-5,
        _ => 1e-12,
    };
    let ok = (x - y).abs() <= tol * y.abs().max(1.0) || (x.is_infinite() && x == y);
    if d.is_complex() {
        ok && close(
            if d == DType::C64 {
                DType::F32
            } else {
                DType::F64
            },
            &g[g.len() / 2..],
            &w[w.len() / 2..],
        )
    } else {
        ok
    }
}
