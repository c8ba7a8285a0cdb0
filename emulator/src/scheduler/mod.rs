//! Call contexts, callbacks, message queues and rounds.

/// Message queues, call contexts, callbacks and ingress results.
#[derive(Default)]
pub struct Scheduler {
    _todo: (),
}
