//! The fleet's release tooling as a library: discovering canister crates, building their wasm in one cargo run,
//! embedding metadata, shrinking, gzipping reproducibly and hashing. The `release` binary is a thin clap front end
//! over it (`src/commands/`, one file per subcommand).

pub mod artifacts;
pub mod candid_file;
pub mod cut;
pub mod fixtures;
pub mod html_report;
pub mod error;
pub mod postprocess;
pub mod publish;
pub mod registry;
pub mod report;
pub mod rollout;
pub mod status;
pub mod serve;
pub mod wasm_build;
pub mod workspace;

pub use error::{Error, Result};
