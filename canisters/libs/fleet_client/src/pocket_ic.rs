//! A PocketIC server as a transport (feature `pocket-ic`).

crate::pocket_ic_shaped::pocket_ic_transport!(
    /// Calls on a `pocket_ic::PocketIc` as `sender`.
    PocketIcTransport,
    ::pocket_ic::PocketIc
);
