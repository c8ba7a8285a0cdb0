//! The upgrade engine every factory runs: upgrade paths through the registry (`path`), owners' policies and their
//! own upgrades, restores and releases (`owner`), rollouts (`rollouts`) driven by one scheduler timer
//! (`scheduler`), the per-contract step machine both share (`machine`), and their stable state and journal
//! (`store`). The endpoints are in `canister_upgrade.rs`.
//!
//! Execution model: the scheduler's tick is a timer message; it spawns one future per task to run
//! (`ic_cdk::futures::spawn`), each driving one contract's management calls. ic-cdk keeps those futures in the
//! heap: a trap cancels them, and the factory's own upgrade drops them all (the new code starts from an empty heap
//! and ignores the old calls' replies). So no future is trusted to finish: every step is written to stable memory
//! before its await, each step's action is idempotent (re-reads `canister_status` first), and each tick resumes the
//! in-flight tasks no live future owns (`running_tasks`, a heap set that is empty after an upgrade). `post_upgrade`
//! re-arms the timer, so a rollout survives the factory's own upgrade and resumes where its tasks were.

pub mod api;
pub mod machine;
mod meta;
pub mod owner;
pub mod path;
mod record_codec;
pub mod rollouts;
pub mod scheduler;
pub mod store;
mod task_codec;

#[cfg(test)]
mod tests;
