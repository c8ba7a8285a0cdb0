//! The live mode (`PocketIc::make_live`, feature `live`) against real clients nobody here wrote: ic-agent 0.49
//! (`agent`), raw HTTP with bad input (`bad_input`), and a benchmark (`bench`, ignored).

#[path = "live/agent.rs"]
mod agent;
#[path = "live/bad_input.rs"]
mod bad_input;
#[path = "live/bench.rs"]
mod bench;
#[path = "live/progress.rs"]
mod progress;
#[path = "live/support.rs"]
mod support;
