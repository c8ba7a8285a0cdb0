//! The in-process emulator as a transport (feature `emulator`).

crate::pocket_ic_shaped::pocket_ic_transport!(
    /// Calls on an `emulator::PocketIc` as `sender`.
    EmulatorTransport,
    emulator::PocketIc
);
