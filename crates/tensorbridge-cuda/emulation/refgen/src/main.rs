use half::{bf16, f16};
use tensorbridge_core::{DType, Tensor, random};

fn cmp(name: &str, want: Vec<u8>) {
    let got = std::fs::read(format!("{name}.bin")).unwrap();
    assert_eq!(got.len(), want.len(), "{name} length");
    let diffs = got.iter().zip(&want).filter(|(a, b)| a != b).count();
    println!("{name}: {} bytes, {diffs} differing bytes", got.len());
    assert_eq!(diffs, 0, "{name} differs from core");
}

mod fused;
mod idx;
mod ops;
mod red;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "gen" {
        println!("{} cases", ops::generate("ops"));
        return;
    }
    if mode == "cmp" {
        std::process::exit(ops::cmp("ops"));
    }
    if mode == "fgen" {
        println!("{} fused cases", fused::generate("fused"));
        return;
    }
    if mode == "fcmp" {
        std::process::exit(fused::cmp("fused"));
    }
    if mode == "igen" {
        println!("{} cases", idx::generate("idx"));
        return;
    }
    if mode == "icmp" {
        std::process::exit(idx::cmp("idx"));
    }
    if mode == "rgen" {
        println!("{} cases", red::generate("red"));
        return;
    }
    if mode == "rcmp" {
        std::process::exit(ops::cmp("red"));
    }
    assert_eq!(
        mode, "random",
        "modes: gen, cmp, rgen, rcmp, igen, icmp, fgen, fcmp, random"
    );
    let n = 4099usize;
    let seed = Some(42u64);
    let t = random::normal([n], 0.5, 2.0, DType::F32, seed).unwrap();
    cmp(
        "normal_f32",
        t.to_vec::<f32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::normal([n], 0.5, 2.0, DType::F64, seed).unwrap();
    cmp(
        "normal_f64",
        t.to_vec::<f64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::normal([n], 0.5, 2.0, DType::F16, seed).unwrap();
    cmp(
        "normal_f16",
        t.to_vec::<f16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_bits().to_ne_bytes())
            .collect(),
    );
    let t = random::normal([n], 0.5, 2.0, DType::BF16, seed).unwrap();
    cmp(
        "normal_bf16",
        t.to_vec::<bf16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_bits().to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], -2.0, 3.0, DType::F32, seed).unwrap();
    cmp(
        "uniform_f32",
        t.to_vec::<f32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], 0.0, 1.0, DType::F64, seed).unwrap();
    cmp(
        "uniform_f64",
        t.to_vec::<f64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], -10.0, 10.0, DType::I16, seed).unwrap();
    cmp(
        "uniform_i16",
        t.to_vec::<i16>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], 0.0, 18446744073709551616.0, DType::U64, seed).unwrap();
    cmp(
        "uniform_u64",
        t.to_vec::<u64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], 0.0, (3u64 << 40) as f64, DType::I64, seed).unwrap();
    cmp(
        "uniform_i64",
        t.to_vec::<i64>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect(),
    );
    let t = random::uniform([n], 0.0, 256.0, DType::U8, seed).unwrap();
    cmp("uniform_u8", t.to_vec::<u8>().unwrap());

    let fv: Vec<f64> = vec![
        0.0,
        -0.0,
        -2.9,
        2.9,
        300.0,
        -5.0,
        1e20,
        -1e20,
        65519.0,
        65520.0,
        0.1,
        1.0 / 3.0,
        1e-8,
        -1e-40,
        3.4e38,
        3.5e38,
        255.5,
        -128.5,
        2147483647.5,
        9.3e18,
        1.8446744073709552e19,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.00048828125,
        1.000732421875,
        0.00006103515625,
        5.9604644775390625e-8,
    ];
    let iv: Vec<i64> = vec![
        0,
        1,
        -1,
        255,
        256,
        -129,
        65535,
        16777217,
        -16777219,
        (1i64 << 53) + 1,
        -(1i64 << 40) - 3,
        i64::MAX,
        i64::MIN,
        2049,
        4097,
        1234567891011,
    ];
    let mut want = Vec::new();
    for to in DType::ALL {
        let srcs = [
            Tensor::from(fv.clone()),
            Tensor::from(fv.iter().map(|&x| x as f32).collect::<Vec<f32>>()),
            Tensor::from(iv.clone()),
            Tensor::from(iv.iter().map(|&x| x as u64).collect::<Vec<u64>>()),
        ];
        for s in &srcs {
            let c = s.cast(to).unwrap();
            want.extend(ops::raw(&c));
        }
    }
    let got = std::fs::read("casts.bin").unwrap();
    assert_eq!(got.len(), want.len());
    // report differences by target type
    let mut off = 0;
    let mut bad_cast = false;
    for to in DType::ALL {
        let sz = to.size_in_bytes();
        let count = 2 * fv.len() + 2 * iv.len();
        for i in 0..count {
            let (g, w) = (&got[off..off + sz], &want[off..off + sz]);
            if g != w {
                let which = if i < fv.len() {
                    format!("f64 {}", fv[i])
                } else if i < 2 * fv.len() {
                    format!("f32 {}", fv[i - fv.len()] as f32)
                } else if i < 2 * fv.len() + iv.len() {
                    format!("i64 {}", iv[i - 2 * fv.len()])
                } else {
                    format!("u64 {}", iv[i - 2 * fv.len() - iv.len()] as u64)
                };
                println!("cast {which} -> {to}: got {g:02x?} want {w:02x?}");
                bad_cast = true;
            }
            off += sz;
        }
    }
    println!("casts compared: {} bytes", got.len());
    assert!(!bad_cast, "casts differ from core");
}
