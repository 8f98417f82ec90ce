use crate::ops::raw;
use tensorbridge_core::{DType, Tensor};

fn data(d: DType, n: usize, nan: bool) -> Tensor {
    let v: Vec<f64> = (0..n)
        .map(|i| {
            let x = ((i * 7919 + 13) % 61) as f64 - 30.0;
            if nan && i % 37 == 11 {
                f64::NAN
            } else if i % 13 == 5 {
                0.0
            } else {
                x * 0.75
            }
        })
        .collect();
    if d == DType::Bool {
        return Tensor::from(v).cast(DType::Bool).unwrap();
    }
    Tensor::from(v).cast(d).unwrap()
}

pub fn generate(dir: &str) -> usize {
    let mut man = String::new();
    let mut count = 0;
    let shapes = [(7usize, 37usize), (3, 300), (1, 5), (40, 2)];
    for (dc, &d) in DType::ALL.iter().enumerate() {
        for &(r, c) in &shapes {
            for nan in [false, true] {
                if nan && !d.is_float() {
                    continue;
                }
                let t = data(d, r * c, nan).reshape(vec![r, c]).unwrap();
                let tag = format!("{dir}/r{dc}_{r}x{c}_{}", nan as u8);
                std::fs::write(format!("{tag}.a"), raw(&t)).unwrap();
                // op codes: Sum Mean Prod Max Min All Any
                for (code, name) in [
                    (0u32, "sum"),
                    (1, "mean"),
                    (2, "prod"),
                    (3, "max"),
                    (4, "min"),
                    (5, "all"),
                    (6, "any"),
                ] {
                    for (tr, axes) in [(0u8, vec![1isize]), (1, vec![0]), (2, vec![0, 1])] {
                        let res = match name {
                            "sum" => t.sum(&axes, false),
                            "mean" => t.mean(&axes, false),
                            "prod" => t.prod(&axes, false),
                            "max" => t.max(&axes, false),
                            "min" => t.min(&axes, false),
                            "all" => t.all(&axes, false),
                            _ => t.any(&axes, false),
                        };
                        let Ok(res) = res else { continue };
                        let p = format!("{tag}_{code}_{tr}");
                        std::fs::write(format!("{p}.want"), raw(&res)).unwrap();
                        let od = DType::ALL.iter().position(|&x| x == res.dtype()).unwrap();
                        man += &format!("R {dc} {code} {r} {c} {tr} {od} {tag}.a {p}\n");
                        count += 1;
                    }
                }
                if !d.is_complex() {
                    for (is_max, tr) in [(1u32, 0u8), (0, 0), (1, 1), (0, 1)] {
                        let axis = if tr == 0 { 1 } else { 0 };
                        let res = if is_max == 1 {
                            t.argmax(axis, false)
                        } else {
                            t.argmin(axis, false)
                        };
                        let Ok(res) = res else { continue };
                        let p = format!("{tag}_arg{is_max}_{tr}");
                        std::fs::write(format!("{p}.want"), raw(&res)).unwrap();
                        man += &format!("A {dc} {is_max} {r} {c} {tr} 8 {tag}.a {p}\n");
                        count += 1;
                    }
                }
                if d != DType::Bool {
                    for prod in [0u32, 1] {
                        for excl in [false, true] {
                            for rev in [false, true] {
                                for tr in [0u8, 1] {
                                    let axis = if tr == 0 { 1 } else { 0 };
                                    let res = if prod == 1 {
                                        t.cumprod(axis, excl, rev)
                                    } else {
                                        t.cumsum(axis, excl, rev)
                                    };
                                    let Ok(res) = res else { continue };
                                    let res = if tr == 1 {
                                        res.t().unwrap().contiguous().unwrap()
                                    } else {
                                        res
                                    };
                                    let p =
                                        format!("{tag}_scan{prod}{}{}_{tr}", excl as u8, rev as u8);
                                    std::fs::write(format!("{p}.want"), raw(&res)).unwrap();
                                    man += &format!(
                                        "S {dc} {} {r} {c} {tr} {dc} {tag}.a {p}\n",
                                        prod * 4 + (excl as u32) * 2 + rev as u32
                                    );
                                    count += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    std::fs::write(format!("{dir}/manifest"), man).unwrap();
    count
}
