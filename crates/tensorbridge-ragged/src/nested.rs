//! [`RaggedTensor::from_nested`]: ragged tensors from nested Rust lists
//! (`tf.ragged.constant`), typed `Vec<Vec<T>>` fast paths and the dynamic
//! [`Nested`] list walked without recursion.

use std::fmt;

use tensorbridge_core::{Element, Result, Tensor};

use crate::RaggedTensor;
use crate::splits::{alloc_vec, invalid, splits_from_lengths};

const OP: &str = "from_nested";

/// A nested list whose depth is known only at run time, like the Python
/// lists `tf.ragged.constant` takes: a scalar, or a list of nested lists.
///
/// [`RaggedTensor::from_nested`] walks it with an explicit stack, so any
/// depth works; dropping, comparing and printing it never recurse either.
///
/// ```
/// use tensorbridge_ragged::{Nested, RaggedTensor};
///
/// let n = Nested::list([
///     Nested::list([Nested::Scalar(1), Nested::Scalar(2)]),
///     Nested::list([]),
///     Nested::list([Nested::Scalar(3)]),
/// ]);
/// assert_eq!(format!("{n:?}"), "[[1, 2], [], [3]]");
/// let rt = RaggedTensor::from_nested(&n)?;
/// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1, 2], [], [3]]>");
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub enum Nested<T> {
    /// A value.
    Scalar(T),
    /// A list of nested values.
    List(Vec<Nested<T>>),
}

impl<T> Nested<T> {
    /// A list of the given items.
    pub fn list(items: impl IntoIterator<Item = Nested<T>>) -> Self {
        Nested::List(items.into_iter().collect())
    }

    /// The items, when this is a list.
    pub fn as_list(&self) -> Option<&[Nested<T>]> {
        match self {
            Nested::List(v) => Some(v),
            Nested::Scalar(_) => None,
        }
    }

    /// The value, when this is a scalar.
    pub fn as_scalar(&self) -> Option<&T> {
        match self {
            Nested::Scalar(x) => Some(x),
            Nested::List(_) => None,
        }
    }
}

impl<T> From<Vec<Nested<T>>> for Nested<T> {
    fn from(items: Vec<Nested<T>>) -> Self {
        Nested::List(items)
    }
}

/// Dropped with an explicit stack: a list nested a million deep is freed
/// without overflowing the call stack.
impl<T> Drop for Nested<T> {
    fn drop(&mut self) {
        let Nested::List(items) = self else { return };
        if items.iter().all(|i| matches!(i, Nested::Scalar(_))) {
            return;
        }
        let mut stack = std::mem::take(items);
        while let Some(mut node) = stack.pop() {
            if let Nested::List(children) = &mut node {
                stack.append(children);
            }
        }
    }
}

/// Python-list text, `[[1, 2], [], [3]]`, written without recursion.
impl<T: fmt::Debug> fmt::Debug for Nested<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut stack: Vec<(&[Nested<T>], usize)> = Vec::new();
        let mut node = self;
        loop {
            match node {
                Nested::Scalar(x) => write!(f, "{x:?}")?,
                Nested::List(items) => {
                    f.write_str("[")?;
                    stack.push((items, 0));
                }
            }
            loop {
                let Some((items, next)) = stack.last_mut() else {
                    return Ok(());
                };
                if *next < items.len() {
                    if *next > 0 {
                        f.write_str(", ")?;
                    }
                    node = &items[*next];
                    *next += 1;
                    break;
                }
                stack.pop();
                f.write_str("]")?;
            }
        }
    }
}

/// A deep copy, made without recursion.
impl<T: Clone> Clone for Nested<T> {
    fn clone(&self) -> Self {
        enum Task<'a, T> {
            Visit(&'a Nested<T>),
            Build(usize),
        }
        let mut tasks = vec![Task::Visit(self)];
        let mut done: Vec<Nested<T>> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(Nested::Scalar(x)) => done.push(Nested::Scalar(x.clone())),
                Task::Visit(Nested::List(items)) => {
                    tasks.push(Task::Build(items.len()));
                    tasks.extend(items.iter().rev().map(Task::Visit));
                }
                Task::Build(n) => {
                    let items = done.split_off(done.len() - n);
                    done.push(Nested::List(items));
                }
            }
        }
        done.pop().expect("the walk builds exactly one root")
    }
}

/// Structural equality, compared without recursion.
impl<T: PartialEq> PartialEq for Nested<T> {
    fn eq(&self, other: &Self) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (a, b) {
                (Nested::Scalar(x), Nested::Scalar(y)) if x == y => {}
                (Nested::List(x), Nested::List(y)) if x.len() == y.len() => {
                    stack.extend(x.iter().zip(y));
                }
                _ => return false,
            }
        }
        true
    }
}

/// The nested inputs [`RaggedTensor::from_nested`] takes: `Vec`s (or
/// slices) nested two to four deep with [`Element`] leaves, on the typed
/// fast path, and [`Nested`] lists of any depth.
pub trait NestedInput {
    /// The ragged tensor of this nested list.
    ///
    /// **Errors**: as [`RaggedTensor::from_nested`].
    fn into_ragged(self) -> Result<RaggedTensor>;
}

/// Splits of the lengths of `rows`, summed with checks.
fn splits_of<C>(rows: &[C], len: impl Fn(&C) -> usize) -> Result<Vec<i64>> {
    let mut out = alloc_vec::<i64>(rows.len() + 1)?;
    let mut acc = 0usize;
    for (i, r) in rows.iter().enumerate() {
        acc = acc
            .checked_add(len(r))
            .filter(|&a| i64::try_from(a).is_ok())
            .ok_or_else(|| invalid(OP, format!("the lengths of the lists overflow at item {i}")))?;
        out[i + 1] = acc as i64;
    }
    Ok(out)
}

/// The leaf rows flattened into one buffer (one allocation of the checked
/// total, filled on all cores when large) and their splits.
fn flatten_rows<T: Element, R: AsRef<[T]> + Sync>(rows: &[R]) -> Result<RaggedTensor> {
    let splits = leaf_splits(rows)?;
    let total = splits[rows.len()] as usize;
    let mut values = alloc_vec::<T>(total)?;
    copy_rows(rows, &splits, &mut values);
    Ok(RaggedTensor::from_parts(
        Tensor::from(values),
        vec![Tensor::from(splits)],
    ))
}

/// The splits of the leaf rows: [`splits_of`], computed on all cores for
/// many rows (a sum per block of rows, then each block's running sums from
/// its offset).
fn leaf_splits<T: Element, R: AsRef<[T]> + Sync>(rows: &[R]) -> Result<Vec<i64>> {
    #[cfg(feature = "parallel")]
    if rows.len() >= 1 << 16 && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let block = rows.len().div_ceil(4 * rayon::current_num_threads());
        let sums: Vec<Option<usize>> = rows
            .par_chunks(block)
            .map(|b| {
                b.iter()
                    .try_fold(0usize, |a, r| a.checked_add(r.as_ref().len()))
            })
            .collect();
        let mut offsets = Vec::with_capacity(sums.len());
        let mut total = 0usize;
        for (i, s) in sums.iter().enumerate() {
            offsets.push(total);
            total = s
                .and_then(|s| total.checked_add(s))
                .filter(|&t| i64::try_from(t).is_ok())
                .ok_or_else(|| {
                    invalid(
                        OP,
                        format!("the lengths of the lists overflow in items {}..", i * block),
                    )
                })?;
        }
        let mut out = alloc_vec::<i64>(rows.len() + 1)?;
        out[1..]
            .par_chunks_mut(block)
            .zip(rows.par_chunks(block))
            .zip(offsets.par_iter())
            .for_each(|((out, rows), &offset)| {
                let mut acc = offset as i64;
                for (o, r) in out.iter_mut().zip(rows) {
                    acc += r.as_ref().len() as i64;
                    *o = acc;
                }
            });
        return Ok(out);
    }
    splits_of(rows, |r| r.as_ref().len())
}

/// Bytes of output per parallel copy task.
#[cfg(feature = "parallel")]
const TASK_BYTES: usize = 4 << 20;

/// Copies row `r` of `rows` to `dst[splits[r]..splits[r + 1]]`.
fn copy_rows<T: Element, R: AsRef<[T]> + Sync>(rows: &[R], splits: &[i64], dst: &mut [T]) {
    #[cfg(feature = "parallel")]
    {
        let bytes = std::mem::size_of_val(dst);
        if bytes >= 2 * TASK_BYTES && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let tasks = bytes.div_ceil(TASK_BYTES);
            let total = dst.len();
            let mut jobs = Vec::with_capacity(tasks);
            let mut rest = dst;
            let mut lo = 0usize;
            for t in 1..=tasks {
                let target = (total as u128 * t as u128 / tasks as u128) as i64;
                let hi = if t == tasks {
                    rows.len()
                } else {
                    splits
                        .partition_point(|&s| s < target)
                        .clamp(lo, rows.len())
                };
                let len = (splits[hi] - splits[lo]) as usize;
                let (head, tail) = rest.split_at_mut(len);
                jobs.push((lo..hi, head));
                rest = tail;
                lo = hi;
            }
            jobs.into_par_iter()
                .for_each(|(range, out)| copy_serial(&rows[range], out));
            return;
        }
    }
    let _ = splits;
    copy_serial(rows, dst);
}

fn copy_serial<T: Element, R: AsRef<[T]>>(rows: &[R], dst: &mut [T]) {
    let mut off = 0;
    for r in rows {
        let src = r.as_ref();
        dst[off..off + src.len()].copy_from_slice(src);
        off += src.len();
    }
}

/// Outer levels of row splits added on top of `inner` (outermost first).
fn with_outer(mut outer: Vec<Vec<i64>>, inner: RaggedTensor) -> RaggedTensor {
    let mut splits: Vec<Tensor> = outer.drain(..).map(Tensor::from).collect();
    splits.extend(inner.splits);
    RaggedTensor::from_parts(inner.flat_values, splits)
}

fn depth3<T: Element>(rows: &[Vec<Vec<T>>]) -> Result<RaggedTensor> {
    let s0 = splits_of(rows, Vec::len)?;
    let leaves: Vec<&[T]> = rows.iter().flatten().map(Vec::as_slice).collect();
    Ok(with_outer(vec![s0], flatten_rows(&leaves)?))
}

fn depth4<T: Element>(rows: &[Vec<Vec<Vec<T>>>]) -> Result<RaggedTensor> {
    let s0 = splits_of(rows, Vec::len)?;
    let mid: Vec<&Vec<Vec<T>>> = rows.iter().flatten().collect();
    let s1 = splits_of(&mid, |m| m.len())?;
    let leaves: Vec<&[T]> = mid.iter().copied().flatten().map(Vec::as_slice).collect();
    Ok(with_outer(vec![s0, s1], flatten_rows(&leaves)?))
}

/// The element types nested lists hold: every [`Element`] type. (A trait
/// of this crate, so that `Vec<Vec<T>>` and `Vec<Vec<Vec<T>>>` inputs can
/// be told apart.)
pub trait NestedScalar: Element {}

macro_rules! nested_scalar {
    ($($t:ty),*) => {$(impl NestedScalar for $t {})*};
}
nested_scalar!(
    bool,
    u8,
    u16,
    u32,
    u64,
    i8,
    i16,
    i32,
    i64,
    half::f16,
    half::bf16,
    f32,
    f64,
    num_complex::Complex<f32>,
    num_complex::Complex<f64>
);

macro_rules! nested_input {
    ($($ty:ty => |$x:ident| $body:expr;)*) => {$(
        impl<T: NestedScalar> NestedInput for $ty {
            fn into_ragged(self) -> Result<RaggedTensor> {
                let $x = self;
                $body
            }
        }
    )*};
}

nested_input! {
    Vec<Vec<T>> => |x| flatten_rows(&x);
    &Vec<Vec<T>> => |x| flatten_rows(x);
    &[Vec<T>] => |x| flatten_rows(x);
    Vec<&[T]> => |x| flatten_rows(&x);
    &[&[T]] => |x| flatten_rows(x);
    Vec<Vec<Vec<T>>> => |x| depth3(&x);
    &Vec<Vec<Vec<T>>> => |x| depth3(x);
    &[Vec<Vec<T>>] => |x| depth3(x);
    Vec<Vec<Vec<Vec<T>>>> => |x| depth4(&x);
    &Vec<Vec<Vec<Vec<T>>>> => |x| depth4(x);
    &[Vec<Vec<Vec<T>>>] => |x| depth4(x);
    Nested<T> => |x| walk_root(&x);
    &Nested<T> => |x| walk_root(x);
    Vec<Nested<T>> => |x| walk(&x);
    &Vec<Nested<T>> => |x| walk(x);
    &[Nested<T>] => |x| walk(x);
}

fn walk_root<T: Element>(root: &Nested<T>) -> Result<RaggedTensor> {
    match root {
        Nested::List(items) => walk(items),
        Nested::Scalar(x) => Err(invalid(
            OP,
            format!("nested is a scalar ({x:?}); a ragged tensor needs a list of lists"),
        )),
    }
}

/// `nested[1][0]`: the text of a path of list indices.
fn path_text(path: &[usize]) -> String {
    let mut s = String::from("nested");
    for i in path {
        s.push_str(&format!("[{i}]"));
    }
    s
}

/// The ragged tensor of the list `root`, walked depth first with an
/// explicit stack. Every scalar must sit at the same depth, no list may mix
/// scalars and lists, and lists may not reach the scalars' depth.
fn walk<T: Element>(root: &[Nested<T>]) -> Result<RaggedTensor> {
    // lengths[d]: the lengths of the lists at depth d (the root is depth 0),
    // left to right.
    let mut lengths: Vec<Vec<i64>> = vec![vec![root.len() as i64]];
    let mut values: Vec<T> = Vec::new();
    // (depth, number of the node in walk order) of the first scalar and of
    // the deepest list; their paths are found again only for a message.
    let mut scalar_at: Option<(usize, usize)> = None;
    let mut deepest_list = (0usize, 0usize);
    if let Err(no) = check_mixed(root) {
        return Err(mixed(root, 0, no));
    }
    let mut stack: Vec<(&Nested<T>, usize)> = root.iter().rev().map(|n| (n, 1)).collect();
    let mut no = 0usize;
    while let Some((node, depth)) = stack.pop() {
        no += 1;
        match node {
            Nested::Scalar(x) => {
                match scalar_at {
                    Some((s, first)) if s != depth => {
                        return Err(invalid(
                            OP,
                            format!(
                                "{} is a scalar at depth {depth} but {} is a scalar at depth {s}; \
                                 every scalar must sit at the same depth",
                                path_text(&path_of(root, no)),
                                path_text(&path_of(root, first))
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        if depth <= deepest_list.0 {
                            return Err(inconsistent(root, (depth, no), deepest_list));
                        }
                        scalar_at = Some((depth, no));
                    }
                }
                values.push(*x);
            }
            Nested::List(items) => {
                if let Some(s) = scalar_at
                    && depth >= s.0
                {
                    return Err(inconsistent(root, s, (depth, no)));
                }
                if let Err(i) = check_mixed(items) {
                    return Err(mixed(root, no, i));
                }
                if depth > deepest_list.0 {
                    deepest_list = (depth, no);
                }
                if lengths.len() <= depth {
                    lengths.push(Vec::new());
                }
                lengths[depth].push(items.len() as i64);
                stack.extend(items.iter().rev().map(|n| (n, depth + 1)));
            }
        }
    }
    let leaf_depth = scalar_at.map_or(deepest_list.0 + 1, |(s, _)| s);
    if leaf_depth < 2 {
        return Err(invalid(
            OP,
            "nested is a flat list (depth 1); a ragged tensor needs a list of lists; \
             use Tensor::from for a flat list",
        ));
    }
    let splits = lengths[1..leaf_depth]
        .iter()
        .enumerate()
        .map(|(j, l)| {
            splits_from_lengths(OP, &format!("the lengths at depth {}", j + 1), l).map(Tensor::from)
        })
        .collect::<Result<Vec<_>>>()?;
    let n = values.len();
    Ok(RaggedTensor::from_parts(
        Tensor::from_vec(values, [n])?,
        splits,
    ))
}

/// The path of node number `target` of the walk (1 for the first item of
/// the root; 0 for the root itself).
fn path_of<T>(root: &[Nested<T>], target: usize) -> Vec<usize> {
    let mut path = Vec::new();
    let mut stack: Vec<(&Nested<T>, usize, usize)> = root
        .iter()
        .enumerate()
        .rev()
        .map(|(i, n)| (n, 1, i))
        .collect();
    let mut no = 0usize;
    while let Some((node, depth, index)) = stack.pop() {
        no += 1;
        path.truncate(depth - 1);
        path.push(index);
        if no == target {
            return path;
        }
        if let Nested::List(items) = node {
            stack.extend(
                items
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, n)| (n, depth + 1, i)),
            );
        }
    }
    Vec::new()
}

/// The error for a scalar (depth, node number) at the depth of a list or
/// above it.
fn inconsistent<T>(
    root: &[Nested<T>],
    scalar: (usize, usize),
    list: (usize, usize),
) -> tensorbridge_core::Error {
    invalid(
        OP,
        format!(
            "inconsistent depth: {} is a scalar at depth {} but {} is a list at depth {}; \
             every scalar must sit at the same depth, below every list",
            path_text(&path_of(root, scalar.1)),
            scalar.0,
            path_text(&path_of(root, list.1)),
            list.0
        ),
    )
}

/// The error for list number `no` holding a scalar at item `s` and a list
/// at item `l`.
fn mixed<T>(root: &[Nested<T>], no: usize, (s, l): (usize, usize)) -> tensorbridge_core::Error {
    let path = path_of(root, no);
    let (mut sp, mut lp) = (path.clone(), path.clone());
    sp.push(s);
    lp.push(l);
    invalid(
        OP,
        format!(
            "{} mixes scalars and lists: {} is a scalar but {} is a list",
            path_text(&path),
            path_text(&sp),
            path_text(&lp)
        ),
    )
}

/// `Err((scalar item, list item))` when `items` holds both.
fn check_mixed<T>(items: &[Nested<T>]) -> std::result::Result<(), (usize, usize)> {
    let scalar = items.iter().position(|n| matches!(n, Nested::Scalar(_)));
    let list = items.iter().position(|n| matches!(n, Nested::List(_)));
    match (scalar, list) {
        (Some(s), Some(l)) => Err((s, l)),
        _ => Ok(()),
    }
}

impl RaggedTensor {
    /// A ragged tensor from a nested list (`tf.ragged.constant`): every
    /// level of nesting below the outermost list becomes a ragged dim.
    ///
    /// Typed `Vec<Vec<T>>` (up to four levels, owned or borrowed) take the
    /// fast path: one pass over the row lengths with a checked sum, one
    /// allocation of the values, and a copy on all cores when it is large.
    /// A [`Nested`] list of any depth is walked iteratively.
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// for a [`Nested`] input that is a scalar or a flat list, has scalars
    /// at different depths (inconsistent depth), or a list mixing scalars
    /// and lists, each message naming the positions (`nested[1][0]`);
    /// [`Error::OutOfMemory`](tensorbridge_core::Error::OutOfMemory);
    /// [`Error::DeviceUnavailable`](tensorbridge_core::Error::DeviceUnavailable)
    /// under the scope of a device that cannot hold tensors (the result
    /// lives on the scope's device, values and splits alike).
    ///
    /// ```
    /// use tensorbridge_ragged::{Nested, RaggedTensor};
    ///
    /// let rows: Vec<Vec<i64>> = vec![vec![1, 2, 3], vec![], vec![4]];
    /// let rt = RaggedTensor::from_nested(&rows)?;
    /// assert_eq!(rt.row_splits().to_vec::<i64>()?, [0, 3, 3, 4]);
    ///
    /// let rt = RaggedTensor::from_nested(vec![vec![vec![1.5f32], vec![]], vec![vec![2.0, 3.0]]])?;
    /// assert_eq!(rt.ragged_rank(), 2);
    ///
    /// let bad = Nested::list([
    ///     Nested::list([Nested::Scalar(1), Nested::list([Nested::Scalar(2)])]),
    /// ]);
    /// assert_eq!(
    ///     RaggedTensor::from_nested(&bad).unwrap_err().to_string(),
    ///     "from_nested: nested[0] mixes scalars and lists: nested[0][0] is a scalar but nested[0][1] is a list"
    /// );
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_nested(nested: impl NestedInput) -> Result<RaggedTensor> {
        // Built on the host (the rows are host data), then placed on the
        // scope's device as a whole, like `tf.ragged.constant` under
        // `tf.device`: values and splits always share a device.
        let built = RaggedTensor::from_nested_on_host(nested)?;
        match tensorbridge_core::Device::current() {
            tensorbridge_core::Device::Cpu => Ok(built),
            device => built.to_device(device),
        }
    }

    /// [`RaggedTensor::from_nested`] on the host whatever the device scope:
    /// what [`ragged!`](crate::ragged) uses, as `Tensor::from` builds on the
    /// host. Not part of the API.
    #[doc(hidden)]
    pub fn from_nested_on_host(nested: impl NestedInput) -> Result<RaggedTensor> {
        let _host = tensorbridge_core::Device::Cpu.scope();
        nested.into_ragged()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both input kinds follow the device scope (values and splits on one
    /// device); `ragged!` stays on the host like `Tensor::from`.
    #[test]
    fn from_nested_follows_the_scope_and_the_macro_stays_on_the_host() {
        use tensorbridge_core::Device;
        let gpu = Device::Cuda(0);
        let _scope = gpu.scope();
        let typed = RaggedTensor::from_nested(vec![vec![1i32, 2], vec![3]]);
        let dynamic = RaggedTensor::from_nested(Nested::list([
            Nested::list([s(1), s(2)]),
            Nested::list([s(3)]),
        ]));
        for rt in [typed, dynamic] {
            match rt {
                Ok(rt) => {
                    assert_eq!(rt.flat_values().device(), gpu);
                    assert!(rt.nested_row_splits().iter().all(|t| t.device() == gpu));
                }
                Err(e) => {
                    assert!(!gpu.is_available());
                    assert!(
                        matches!(e, tensorbridge_core::Error::DeviceUnavailable { .. }),
                        "{e}"
                    );
                }
            }
        }
        let literal = crate::ragged![[1, 2], [3]];
        assert_eq!(literal.flat_values().device(), Device::Cpu);
        assert_eq!(literal.row_splits().device(), Device::Cpu);
    }

    fn s(x: i32) -> Nested<i32> {
        Nested::Scalar(x)
    }

    #[test]
    fn depth_rules() {
        let e = |n: Nested<i32>| RaggedTensor::from_nested(&n).unwrap_err().to_string();
        // [[1], [[2]]]
        assert_eq!(
            e(Nested::list([
                Nested::list([s(1)]),
                Nested::list([Nested::list([s(2)])])
            ])),
            "from_nested: inconsistent depth: nested[0][0] is a scalar at depth 2 but nested[1][0] \
             is a list at depth 2; every scalar must sit at the same depth, below every list"
        );
        // [[[1]], [2]]
        assert_eq!(
            e(Nested::list([
                Nested::list([Nested::list([s(1)])]),
                Nested::list([s(2)])
            ])),
            "from_nested: nested[1][0] is a scalar at depth 2 but nested[0][0][0] is a scalar at \
             depth 3; every scalar must sit at the same depth"
        );
        // [[[]], [1]]: the empty list at depth 2 reaches the scalars' depth.
        assert!(
            e(Nested::list([
                Nested::list([Nested::list([])]),
                Nested::list([s(1)])
            ]))
            .contains("inconsistent depth")
        );
        assert!(e(Nested::list([s(1), s(2)])).contains("flat list"));
        assert!(e(Nested::list([])).contains("flat list"));
        assert!(e(s(1)).contains("is a scalar (1)"));
    }

    #[test]
    fn empty_lists_take_the_depth_of_the_rest() {
        let rt =
            RaggedTensor::from_nested(Nested::list([Nested::<f32>::list([]), Nested::list([])]))
                .unwrap();
        assert_eq!((rt.ragged_rank(), rt.nrows(), rt.nvals()), (1, 2, 0));
        let rt = RaggedTensor::from_nested(Nested::list([
            Nested::list([]),
            Nested::list([Nested::list([s(7)]), Nested::list([])]),
        ]))
        .unwrap();
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[], [[7], []]]>");
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_overflows() {
        let depth = 200_000;
        let mut n = Nested::list([s(5)]);
        for _ in 0..depth {
            n = Nested::list([n]);
        }
        let rt = RaggedTensor::from_nested(&n).unwrap();
        assert_eq!(rt.ragged_rank(), depth);
        assert_eq!(rt.flat_values().to_vec::<i32>().unwrap(), [5]);
        let text = format!("{n:?}");
        assert_eq!(text.len(), 2 * (depth + 1) + 1);
        let copy = n.clone();
        assert!(copy == n);
        let text = rt.to_string();
        assert_eq!(text.len(), "<tf.RaggedTensor >".len() + 2 * (depth + 1) + 1);
        assert!(text.starts_with("<tf.RaggedTensor [[[[") && text.contains("[5]]]]"));
        drop(n);
    }

    #[test]
    fn typed_paths_agree_with_nested() {
        let v: Vec<Vec<Vec<i32>>> = vec![vec![vec![1, 2], vec![]], vec![], vec![vec![3]]];
        let a = RaggedTensor::from_nested(&v).unwrap();
        let n = Nested::list(
            v.iter()
                .map(|r| Nested::list(r.iter().map(|l| Nested::list(l.iter().map(|&x| s(x)))))),
        );
        let b = RaggedTensor::from_nested(&n).unwrap();
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a.to_string(), "<tf.RaggedTensor [[[1, 2], []], [], [[3]]]>");
        let v4 = vec![vec![vec![vec![1u8]], vec![]], vec![]];
        assert_eq!(
            RaggedTensor::from_nested(v4).unwrap().to_string(),
            "<tf.RaggedTensor [[[[1]], []], []]>"
        );
    }

    #[test]
    fn large_flatten_spans_tasks() {
        let rows: Vec<Vec<i64>> = (0..200_000i64)
            .map(|r| (0..(r % 17)).map(|j| r * 100 + j).collect())
            .collect();
        let rt = RaggedTensor::from_nested(&rows).unwrap();
        let want: Vec<i64> = rows.iter().flatten().copied().collect();
        assert_eq!(rt.flat_values().to_vec::<i64>().unwrap(), want);
        let splits = rt.row_splits().to_vec::<i64>().unwrap();
        for (r, w) in splits.windows(2).enumerate() {
            assert_eq!((w[1] - w[0]) as usize, rows[r].len());
        }
    }
}
