//! `Display` of a [`Graph`]: one line per node with its op, arguments,
//! inputs, dtype and shape (`?` for unknown dims).

use std::fmt;

use super::graph::{Graph, show_spec};

/// ```
/// use tensorbridge_core::graph::Graph;
/// use tensorbridge_core::{DType, Tensor};
///
/// let g = Graph::new();
/// let x = g.placeholder(DType::F32, &[None, Some(3)]);
/// let y = x.add(&g.constant(&Tensor::from([1.0f32, 2.0, 3.0])))?.sum(&[1], false)?;
/// assert_eq!(
///     g.to_string(),
///     "Graph with 4 nodes:\n\
///      \x20 placeholder = placeholder() -> float32 [?, 3]\n\
///      \x20 constant = constant() -> float32 [3]\n\
///      \x20 add = add(placeholder, constant) -> float32 [?, 3]\n\
///      \x20 sum = sum(add; axes=[1], keepdims=false) -> float32 [?]\n"
/// );
/// # let _ = y;
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.snapshot();
        writeln!(
            f,
            "Graph with {} node{}:",
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" }
        )?;
        for node in &nodes {
            let inputs: Vec<&str> = node
                .inputs
                .iter()
                .map(|&i| nodes[i].name.as_str())
                .collect();
            let params = node.op.params();
            let sep = if inputs.is_empty() || params.is_empty() {
                ""
            } else {
                "; "
            };
            writeln!(
                f,
                "  {} = {}({}{sep}{params}) -> {}",
                node.name,
                node.op.name(),
                inputs.join(", "),
                show_spec(&node.spec)
            )?;
        }
        Ok(())
    }
}

/// Shows the node count and the process-wide number of the graph.
impl fmt::Debug for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("number", &self.shared.number)
            .field("nodes", &self.len())
            .finish()
    }
}
