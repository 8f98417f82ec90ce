//! Zero-copy ndarray views of host buffers, for every layout a tensor can
//! have: negative strides (reversed axes) and zero strides (broadcast axes)
//! included.
#![expect(
    unsafe_code,
    reason = "ndarray has no safe constructor for views with zero strides"
)]

use ndarray::{ArrayViewD, Axis, IxDyn, ShapeBuilder};

use crate::Layout;

/// The elements of `layout` in `data`, borrowed.
///
/// `layout` must be one a tensor holds over `data`: every such layout was
/// checked to address only elements of its buffer, and to have at most
/// `isize::MAX` elements.
pub(crate) fn strided_view<'a, T>(data: &'a [T], layout: &Layout) -> ArrayViewD<'a, T> {
    let dims = IxDyn(layout.dims());
    if layout.numel() == 0 {
        return ArrayViewD::from_shape(dims, &[]).expect("an empty shape fits an empty slice");
    }
    // ndarray wants non-negative strides: start from the lowest address, and
    // walk the negative-stride axes forward, then turn them around.
    let mut lowest = layout.offset() as isize;
    let mut strides = Vec::with_capacity(layout.strides().len());
    let mut reversed = Vec::new();
    for (axis, (&d, &s)) in layout.dims().iter().zip(layout.strides()).enumerate() {
        if s < 0 {
            lowest += (d as isize - 1) * s;
            reversed.push(axis);
        }
        strides.push(s.unsigned_abs());
    }
    let lowest = lowest as usize;
    let highest = lowest
        + layout
            .dims()
            .iter()
            .zip(&strides)
            .map(|(&d, &s)| (d - 1) * s)
            .sum::<usize>();
    assert!(
        highest < data.len(),
        "tensor layout {layout:?} escapes its buffer of {} elements",
        data.len()
    );
    let shape = dims.strides(IxDyn(&strides));
    // SAFETY: `lowest..=highest` (checked just above) holds every address the
    // shape and the non-negative strides reach from `data[lowest]`, so all of
    // them are in bounds of `data`, which outlives 'a and is never written
    // while borrowed (tensors are immutable). The element count is at most
    // isize::MAX (a layout invariant), and the byte distance between lowest
    // and highest address is inside one allocation, so below isize::MAX.
    // Zero strides make elements alias, which read-only views allow.
    let mut view = unsafe { ArrayViewD::from_shape_ptr(shape, data.as_ptr().add(lowest)) };
    for axis in reversed {
        view.invert_axis(Axis(axis));
    }
    view
}
