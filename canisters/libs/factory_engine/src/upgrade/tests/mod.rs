//! Native tests of the upgrade engine: the path planner over random registries, eligibility per policy, and the
//! step machine and scheduler on the fake runtime with a fault at every await and a factory upgrade between steps.

mod machine;
mod path;
mod rollouts;
