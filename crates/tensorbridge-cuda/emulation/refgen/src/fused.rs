//! Fused kernels (tensorbridge-cuda's `FusedKernel`): chains of
//! elementwise ops over broadcast and transposed inputs. `generate` writes
//! the inputs, core's eager result of the same chain (op after op, on the
//! CPU) and one C++ file with every generated kernel (`fused_cases.cpp`,
//! compiled with the kernels as host C++ by run.sh); `cmp` compares.
//!
//! Every chain reads `a` (a column, broadcast along the rows), `b` (a row,
//! broadcast along the columns) and `c` (a bool matrix read transposed),
//! so the output holds every pair of grid values.

use std::collections::HashSet;
use std::fmt::Write as _;

use tensorbridge_core::{DType, Tensor};
use tensorbridge_cuda::{
    BinaryOp, ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp,
};

use crate::ops::{grid, is_nan_bytes, raw};

const BINARY: [(&str, BinaryOp); 17] = [
    ("add", BinaryOp::Add),
    ("sub", BinaryOp::Sub),
    ("mul", BinaryOp::Mul),
    ("div", BinaryOp::Div),
    ("rem", BinaryOp::Rem),
    ("pow", BinaryOp::Pow),
    ("maximum", BinaryOp::Maximum),
    ("minimum", BinaryOp::Minimum),
    ("eq", BinaryOp::Eq),
    ("ne", BinaryOp::Ne),
    ("lt", BinaryOp::Lt),
    ("le", BinaryOp::Le),
    ("gt", BinaryOp::Gt),
    ("ge", BinaryOp::Ge),
    ("logical_and", BinaryOp::LogicalAnd),
    ("logical_or", BinaryOp::LogicalOr),
    ("logical_xor", BinaryOp::LogicalXor),
];
const UNARY: [(&str, UnaryOp); 16] = [
    ("neg", UnaryOp::Neg),
    ("abs", UnaryOp::Abs),
    ("sign", UnaryOp::Sign),
    ("exp", UnaryOp::Exp),
    ("log", UnaryOp::Log),
    ("sqrt", UnaryOp::Sqrt),
    ("rsqrt", UnaryOp::Rsqrt),
    ("sin", UnaryOp::Sin),
    ("cos", UnaryOp::Cos),
    ("tanh", UnaryOp::Tanh),
    ("sigmoid", UnaryOp::Sigmoid),
    ("relu", UnaryOp::Relu),
    ("floor", UnaryOp::Floor),
    ("ceil", UnaryOp::Ceil),
    ("round", UnaryOp::Round),
    ("logical_not", UnaryOp::LogicalNot),
];

#[derive(Clone, Copy)]
enum Step {
    B(usize),
    U(usize),
    Cast(DType),
    Where,
}

/// Operands: 0..3 are a, b, c; 3 + j is step j.
type Chain = Vec<(Step, Vec<usize>)>;

fn elem(d: DType) -> ElemType {
    ElemType::ALL[DType::ALL.iter().position(|&x| x == d).unwrap()]
}

fn eager(chain: &Chain, leaves: &[Tensor; 3]) -> Option<Tensor> {
    let mut vals: Vec<Tensor> = leaves.to_vec();
    for (step, operands) in chain {
        let x = |i: usize| &vals[operands[i]];
        let r = match *step {
            Step::B(k) => {
                let (a, b) = (x(0), x(1));
                match BINARY[k].0 {
                    "add" => a.add(b),
                    "sub" => a.sub(b),
                    "mul" => a.mul(b),
                    "div" => a.div(b),
                    "rem" => a.rem(b),
                    "pow" => a.pow(b),
                    "maximum" => a.maximum(b),
                    "minimum" => a.minimum(b),
                    "eq" => a.eq(b),
                    "ne" => a.ne(b),
                    "lt" => a.lt(b),
                    "le" => a.le(b),
                    "gt" => a.gt(b),
                    "ge" => a.ge(b),
                    "logical_and" => a.logical_and(b),
                    "logical_or" => a.logical_or(b),
                    _ => a.logical_xor(b),
                }
            }
            Step::U(k) => {
                let a = x(0);
                match UNARY[k].0 {
                    "neg" => a.neg(),
                    "abs" => a.abs(),
                    "sign" => a.sign(),
                    "exp" => a.exp(),
                    "log" => a.log(),
                    "sqrt" => a.sqrt(),
                    "rsqrt" => a.rsqrt(),
                    "sin" => a.sin(),
                    "cos" => a.cos(),
                    "tanh" => a.tanh(),
                    "sigmoid" => a.sigmoid(),
                    "relu" => a.relu(),
                    "floor" => a.floor(),
                    "ceil" => a.ceil(),
                    "round" => a.round(),
                    _ => a.logical_not(),
                }
            }
            Step::Cast(d) => x(0).cast(d),
            Step::Where => Tensor::where_(x(0), x(1), x(2)),
        };
        vals.push(r.ok()?);
    }
    vals.pop()
}

fn kernel(chain: &Chain, inputs: [DType; 3]) -> FusedKernel {
    let steps = chain
        .iter()
        .map(|(step, operands)| {
            let op = match *step {
                Step::B(k) => FusedOp::Binary(BINARY[k].1),
                Step::U(k) => FusedOp::Unary(UNARY[k].1),
                Step::Cast(d) => FusedOp::Cast(elem(d)),
                Step::Where => FusedOp::Where,
            };
            let ops: Vec<FusedOperand> = operands
                .iter()
                .map(|&o| {
                    if o < 3 {
                        FusedOperand::Input(o)
                    } else {
                        FusedOperand::Step(o - 3)
                    }
                })
                .collect();
            FusedStep::new(op, &ops)
        })
        .collect();
    FusedKernel::new(&inputs.map(elem), steps).expect("core accepted the chain eagerly")
}

/// The chains for dtype `d`: each op defined for `d`, its result cast
/// back to `d`, selected against `a` by `c`, then combined with `b`; and
/// a longer chain like W10's.
fn chains(d: DType) -> Vec<Chain> {
    let last = if d == DType::Bool { 16 } else { 0 }; // logical_xor or add
    let mut out = Vec::new();
    let tail = |first: (Step, Vec<usize>)| -> Chain {
        vec![
            first,
            (Step::Cast(d), vec![3]),
            (Step::Where, vec![2, 4, 0]),
            (Step::B(last), vec![5, 1]),
        ]
    };
    for k in 0..BINARY.len() {
        out.push(tail((Step::B(k), vec![0, 1])));
    }
    for k in 0..UNARY.len() {
        out.push(tail((Step::U(k), vec![0])));
    }
    for to in DType::ALL {
        out.push(tail((Step::Cast(to), vec![0])));
    }
    if d.is_float() {
        // sigmoid(relu(a * b + a) * b), then where(c, ., a * b)
        out.push(vec![
            (Step::B(2), vec![0, 1]),
            (Step::B(0), vec![3, 0]),
            (Step::U(11), vec![4]),
            (Step::B(2), vec![5, 1]),
            (Step::U(10), vec![6]),
            (Step::Where, vec![2, 7, 3]),
        ]);
    }
    out
}

/// The operand grid of dtype `d`; for integers also a divisor row without
/// zeros and an exponent row without negatives.
fn rows(d: DType) -> (Tensor, Tensor, Tensor) {
    let g = grid(d);
    if !d.is_int() {
        return (g.clone(), g.clone(), g);
    }
    let zero = Tensor::scalar(0i64).cast(d).unwrap();
    let three = Tensor::scalar(3i64).cast(d).unwrap();
    let nonzero = Tensor::where_(&g.eq(&zero).unwrap(), &three, &g).unwrap();
    let exps = Tensor::from(vec![0.0f64, 1.0, 2.0, 3.0, 5.0, 7.0, 31.0, 63.0])
        .cast(d)
        .unwrap();
    (g, nonzero, exps)
}

pub fn generate(dir: &str) -> usize {
    let mut manifest = String::new();
    let mut cpp =
        String::from("// Generated by refgen fgen: every fused kernel of the emulation.\n");
    let mut table = String::from("static CaseFn fused_cases[] = {\n");
    let mut entries = HashSet::new();
    let mut count = 0;
    for d in DType::ALL {
        let (g, nonzero, exps) = rows(d);
        for chain in chains(d) {
            let reads_b_as = match chain[0].0 {
                Step::B(k) if d.is_int() && matches!(BINARY[k].0, "div" | "rem") => &nonzero,
                Step::B(k) if d.is_int() && BINARY[k].0 == "pow" => &exps,
                _ => &g,
            };
            let (la, lb) = (g.numel(), reads_b_as.numel());
            let a = g
                .reshape(vec![la, 1])
                .unwrap()
                .broadcast_to([la, lb])
                .unwrap();
            let b = reads_b_as
                .reshape(vec![1, lb])
                .unwrap()
                .broadcast_to([la, lb])
                .unwrap();
            // c: a pattern stored [lb, la], read transposed.
            let pattern: Vec<bool> = (0..la * lb).map(|i| (i * 7 + i / 3) % 5 < 3).collect();
            let c_store = Tensor::from(pattern.clone()).reshape(vec![lb, la]).unwrap();
            let c = c_store.t().unwrap();
            let Some(want) = eager(&chain, &[a, b, c]) else {
                continue;
            };
            let k = kernel(&chain, [d, d, DType::Bool]);
            assert_eq!(
                k.output(),
                elem(want.dtype()),
                "output type of case {count}"
            );
            if entries.insert(k.entry().to_owned()) {
                cpp += k.source();
            }
            let _ = writeln!(
                cpp,
                "static void case_{count}(Meta* m, const void** p, void* out, u64 n, u64* err) {{ \
                 {}(m[0], p[0], m[1], p[1], m[2], p[2], out, n, err); }}",
                k.entry()
            );
            let _ = writeln!(table, "    case_{count},");
            let p = format!("{dir}/f{count}");
            std::fs::write(format!("{p}.a"), raw(&g)).unwrap();
            std::fs::write(format!("{p}.b"), raw(reads_b_as)).unwrap();
            std::fs::write(format!("{p}.c"), raw(&c_store)).unwrap();
            std::fs::write(format!("{p}.want"), raw(&want)).unwrap();
            let od = DType::ALL.iter().position(|&x| x == want.dtype()).unwrap();
            let _ = writeln!(manifest, "{count} {la} {lb} {od} {p}");
            count += 1;
        }
    }
    table += "};\n";
    std::fs::write(format!("{dir}/manifest"), manifest).unwrap();
    std::fs::write("fused_cases.cpp", cpp + &table).unwrap();
    count
}

pub fn cmp(dir: &str) -> i32 {
    let manifest = std::fs::read_to_string(format!("{dir}/manifest")).unwrap();
    let (mut ok, mut bad) = (0, 0);
    for line in manifest.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let od = DType::ALL[f[3].parse::<usize>().unwrap()];
        let p = f[4];
        let want = std::fs::read(format!("{p}.want")).unwrap();
        let got = std::fs::read(format!("{p}.got")).unwrap();
        assert_eq!(got.len(), want.len(), "{line}: length");
        let sz = od.size_in_bytes();
        let diffs = got
            .chunks(sz)
            .zip(want.chunks(sz))
            .filter(|(g, w)| g != w && !(is_nan_bytes(od, g) && is_nan_bytes(od, w)))
            .count();
        if diffs > 0 {
            println!("fused case {line}: {diffs} elements differ");
            bad += 1;
        } else {
            ok += 1;
        }
    }
    println!("fused: {ok} chains identical to core's eager ops, {bad} with differences");
    i32::from(bad > 0)
}
