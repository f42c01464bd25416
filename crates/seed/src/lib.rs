//! Generated data, not the product: the demo's CRISOL story (`demo`, loaded by `itinera
//! demo`, the tests and the benchmark) and the synthetic registry of the linkage
//! benchmark (`synth`, `itinera link synth`). Deterministic for a seed.

pub mod demo;
pub mod synth;
