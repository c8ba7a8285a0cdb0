//! Step-by-step schema migrations, run in `post_upgrade`.
//!
//! A contract kind's stable data has a schema version (a `u32` the runtime keeps in its own cell). Each release of a
//! kind declares the schema its code reads ([`crate::ContractSpec::schema_version`]) and the ordered list of steps that
//! bring older data up to it, each from `N` to `N + 1`. On upgrade the runner applies every step between the stored
//! schema and the code's, in order, and records the new schema after each one. It refuses:
//! - a downgrade (stored schema newer than the code's): the old code cannot read what a newer release wrote;
//! - a gap (no step from some `N` on the way);
//! - a malformed step list (unsorted, duplicated, or past the code's schema), which is a bug in the kind.
//!
//! A failing step makes the whole upgrade fail; the trap in `post_upgrade` rolls everything back and the previous code
//! keeps running, so a step never has to undo partial work itself.

use std::fmt;

/// One migration from schema `from` to `from + 1`. `C` is whatever the kind's steps work on (its state handle in the
/// canister, a recorder in tests).
pub struct MigrationStep<C> {
    pub from: u32,
    /// What the step changes, for the upgrade report and error messages.
    pub description: &'static str,
    /// Applies the step. The second argument is the kind-specific `migration_arg` of the upgrade, if any.
    pub apply: fn(&mut C, Option<&[u8]>) -> Result<(), String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MigrationError {
    /// The stored data was written by a newer schema than this code knows.
    Downgrade {
        stored: u32,
        code: u32,
    },
    /// No step migrates from this schema version.
    MissingStep {
        from: u32,
    },
    /// The kind's step list is malformed.
    InvalidSteps(String),
    StepFailed {
        from: u32,
        description: &'static str,
        reason: String,
    },
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Downgrade { stored, code } => write!(
                f,
                "refusing to downgrade the schema: stable memory is at schema {stored}, this code only knows schema \
                 {code}; install a release that knows schema {stored} or newer"
            ),
            Self::MissingStep { from } => write!(f, "no migration step from schema {from} to {}", from + 1),
            Self::InvalidSteps(why) => write!(f, "invalid migration step list: {why}"),
            Self::StepFailed { from, description, reason } => {
                write!(f, "migration from schema {from} to {} ({description}) failed: {reason}", from + 1)
            }
        }
    }
}

/// What a migration run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    pub from: u32,
    pub to: u32,
    /// Descriptions of the steps applied, in order.
    pub applied: Vec<&'static str>,
}

/// The steps that take `stored` to `code`, in order, after checking the list and refusing a downgrade.
pub fn plan<C>(stored: u32, code: u32, steps: &[MigrationStep<C>]) -> Result<Vec<&MigrationStep<C>>, MigrationError> {
    check_steps(code, steps)?;
    if stored > code {
        return Err(MigrationError::Downgrade { stored, code });
    }
    (stored..code)
        .map(|from| steps.iter().find(|s| s.from == from).ok_or(MigrationError::MissingStep { from }))
        .collect()
}

/// Applies the steps from `stored` to `code` one by one. `record` is called with the new schema version after each
/// successful step, so the stored version always names the data as it is.
pub fn run<C>(
    stored: u32,
    code: u32,
    steps: &[MigrationStep<C>],
    ctx: &mut C,
    migration_arg: Option<&[u8]>,
    mut record: impl FnMut(u32),
) -> Result<MigrationReport, MigrationError> {
    let plan = plan(stored, code, steps)?;
    let mut applied = Vec::with_capacity(plan.len());
    for step in plan {
        (step.apply)(ctx, migration_arg).map_err(|reason| MigrationError::StepFailed {
            from: step.from,
            description: step.description,
            reason,
        })?;
        record(step.from + 1);
        applied.push(step.description);
    }
    Ok(MigrationReport { from: stored, to: code, applied })
}

fn check_steps<C>(code: u32, steps: &[MigrationStep<C>]) -> Result<(), MigrationError> {
    for pair in steps.windows(2) {
        if pair[0].from >= pair[1].from {
            return Err(MigrationError::InvalidSteps(format!(
                "steps must be in increasing order of `from` without duplicates, found {} before {}",
                pair[0].from, pair[1].from
            )));
        }
    }
    if let Some(last) = steps.last() {
        if last.from >= code {
            return Err(MigrationError::InvalidSteps(format!(
                "a step migrates from schema {} but the code's schema is {code}",
                last.from
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records which steps ran and with which argument.
    #[derive(Default)]
    struct Recorder {
        ran: Vec<u32>,
        args: Vec<Option<Vec<u8>>>,
    }

    fn step(from: u32) -> MigrationStep<Recorder> {
        fn apply(r: &mut Recorder, arg: Option<&[u8]>) -> Result<(), String> {
            r.ran.push(r.ran.len() as u32);
            r.args.push(arg.map(<[u8]>::to_vec));
            Ok(())
        }
        MigrationStep { from, description: "test step", apply }
    }

    fn failing(from: u32) -> MigrationStep<Recorder> {
        fn apply(_: &mut Recorder, _: Option<&[u8]>) -> Result<(), String> {
            Err("field x cannot be converted".into())
        }
        MigrationStep { from, description: "convert x", apply }
    }

    #[test]
    fn runs_every_step_in_order_and_records_each_version() {
        let steps = [step(1), step(2), step(3)];
        let mut recorder = Recorder::default();
        let mut recorded = vec![];
        let report = run(1, 4, &steps, &mut recorder, Some(b"arg"), |v| recorded.push(v)).unwrap();
        assert_eq!(recorded, vec![2, 3, 4]);
        assert_eq!(recorder.ran, vec![0, 1, 2]);
        assert_eq!(recorder.args, vec![Some(b"arg".to_vec()); 3]);
        assert_eq!(report, MigrationReport { from: 1, to: 4, applied: vec!["test step"; 3] });
    }

    #[test]
    fn starts_from_the_stored_schema_not_the_first_step() {
        let steps = [step(1), step(2), step(3)];
        let mut recorded = vec![];
        run(3, 4, &steps, &mut Recorder::default(), None, |v| recorded.push(v)).unwrap();
        assert_eq!(recorded, vec![4]);
    }

    #[test]
    fn same_schema_runs_nothing() {
        let steps = [step(1)];
        let mut recorded = vec![];
        let report = run(2, 2, &steps, &mut Recorder::default(), None, |v| recorded.push(v)).unwrap();
        assert!(recorded.is_empty());
        assert!(report.applied.is_empty());
    }

    #[test]
    fn refuses_a_downgrade() {
        let steps = [step(1)];
        let err = run(3, 2, &steps, &mut Recorder::default(), None, |_| {}).unwrap_err();
        assert_eq!(err, MigrationError::Downgrade { stored: 3, code: 2 });
        assert!(err.to_string().contains("refusing to downgrade"), "{err}");
    }

    #[test]
    fn refuses_a_gap() {
        let steps = [step(1), step(3)];
        let mut recorded = vec![];
        let err = run(1, 4, &steps, &mut Recorder::default(), None, |v| recorded.push(v)).unwrap_err();
        assert_eq!(err, MigrationError::MissingStep { from: 2 });
        assert!(recorded.is_empty(), "nothing may run when the plan has a gap");
    }

    #[test]
    fn refuses_unsorted_duplicated_or_overshooting_steps() {
        for steps in [vec![step(2), step(1)], vec![step(1), step(1)], vec![step(1), step(2)]] {
            let err = run(1, 2, &steps, &mut Recorder::default(), None, |_| {}).unwrap_err();
            assert!(matches!(err, MigrationError::InvalidSteps(_)), "{err}");
        }
    }

    #[test]
    fn a_failing_step_stops_the_run_and_names_itself() {
        let steps = [step(1), failing(2), step(3)];
        let mut recorder = Recorder::default();
        let mut recorded = vec![];
        let err = run(1, 4, &steps, &mut recorder, None, |v| recorded.push(v)).unwrap_err();
        assert_eq!(recorded, vec![2], "the step before the failure is recorded, nothing after");
        assert_eq!(recorder.ran.len(), 1);
        let text = err.to_string();
        assert!(
            text.contains("from schema 2 to 3") && text.contains("convert x") && text.contains("field x"),
            "{text}"
        );
    }
}
