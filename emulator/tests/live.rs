//! The live mode (`PocketIc::make_live`) against real clients: ic-agent and raw HTTP.
