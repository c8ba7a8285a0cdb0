//! Schema migrations, run first in `post_upgrade`.
//!
//! Each canister keeps the version of its stable-memory layout in a cell. Code declares its `CURRENT` version and the
//! ordered list of steps, step `to_version = k` turning layout `k-1` into `k`. An upgrade runs exactly the steps from
//! the stored version to `CURRENT`, recording the version after each step. It refuses a downgrade (stored version newer
//! than the code) and a gap in the steps. Any error traps `post_upgrade`, which makes the IC roll the whole upgrade
//! back: the canister keeps its old code and its old, untouched memory.

use fleet_api::{FleetError, FleetResult};

/// One step of the schema: turns layout `to_version - 1` into layout `to_version`.
pub struct Migration<S> {
    pub to_version: u32,
    pub description: &'static str,
    pub apply: fn(&mut S) -> Result<(), String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    pub from: u32,
    pub to: u32,
    /// The steps that ran, in order.
    pub applied: Vec<u32>,
}

/// Migrates `state` from `stored` to `target` with `steps`; `record_version` persists each reached version.
pub fn run_migrations<S>(
    state: &mut S,
    stored: u32,
    target: u32,
    steps: &[Migration<S>],
    mut record_version: impl FnMut(&mut S, u32),
) -> FleetResult<MigrationReport> {
    if stored == 0 {
        return Err(FleetError::invalid_state(
            "no schema version in stable memory: the canister was never initialized",
        ));
    }
    if stored > target {
        return Err(FleetError::invalid_state(format!(
            "stable memory has schema version {stored}, newer than this code's {target}: downgrade refused"
        )));
    }
    let mut applied = vec![];
    for version in stored + 1..=target {
        let mut matching = steps.iter().filter(|step| step.to_version == version);
        let step = match (matching.next(), matching.next()) {
            (Some(step), None) => step,
            (None, _) => {
                return Err(FleetError::Internal(format!("no migration step to schema version {version}")));
            }
            (Some(_), Some(_)) => {
                return Err(FleetError::Internal(format!("two migration steps to schema version {version}")));
            }
        };
        (step.apply)(state).map_err(|reason| {
            FleetError::Internal(format!(
                "migration to schema version {version} ({}) failed: {reason}",
                step.description
            ))
        })?;
        record_version(state, version);
        applied.push(version);
    }
    Ok(MigrationReport { from: stored, to: target, applied })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct State {
        version: u32,
        log: Vec<&'static str>,
    }

    fn add_a(state: &mut State) -> Result<(), String> {
        state.log.push("a");
        Ok(())
    }
    fn add_b(state: &mut State) -> Result<(), String> {
        state.log.push("b");
        Ok(())
    }
    fn fail(_: &mut State) -> Result<(), String> {
        Err("boom".into())
    }

    fn steps() -> Vec<Migration<State>> {
        // Listed out of order on purpose: the runner orders by version.
        vec![
            Migration { to_version: 3, description: "b", apply: add_b },
            Migration { to_version: 2, description: "a", apply: add_a },
        ]
    }

    fn run(state: &mut State, stored: u32, target: u32, steps: &[Migration<State>]) -> FleetResult<MigrationReport> {
        run_migrations(state, stored, target, steps, |s, v| s.version = v)
    }

    #[test]
    fn runs_only_the_missing_steps_in_order() {
        let mut state = State::default();
        let report = run(&mut state, 1, 3, &steps()).unwrap();
        assert_eq!(report.applied, vec![2, 3]);
        assert_eq!(state.log, vec!["a", "b"]);
        assert_eq!(state.version, 3);

        let mut state = State::default();
        assert_eq!(run(&mut state, 2, 3, &steps()).unwrap().applied, vec![3]);
        assert_eq!(state.log, vec!["b"]);
    }

    #[test]
    fn same_version_runs_nothing() {
        let mut state = State::default();
        assert!(run(&mut state, 3, 3, &steps()).unwrap().applied.is_empty());
        assert!(run(&mut state, 1, 1, &[]).unwrap().applied.is_empty());
        assert!(state.log.is_empty());
    }

    #[test]
    fn refuses_downgrade_gaps_duplicates_and_uninitialized_memory() {
        let mut state = State::default();
        assert!(matches!(run(&mut state, 4, 3, &steps()), Err(FleetError::InvalidState(_))));
        assert!(matches!(run(&mut state, 0, 3, &steps()), Err(FleetError::InvalidState(_))));
        let gap = vec![Migration { to_version: 3, description: "b", apply: add_b }];
        assert!(matches!(run(&mut state, 1, 3, &gap), Err(FleetError::Internal(_))));
        let twice = vec![
            Migration { to_version: 2, description: "a", apply: add_a },
            Migration { to_version: 2, description: "a again", apply: add_a },
        ];
        assert!(matches!(run(&mut state, 1, 2, &twice), Err(FleetError::Internal(_))));
        assert!(state.log.is_empty(), "a refused plan ran a step");
    }

    #[test]
    fn a_failing_step_stops_at_the_last_good_version() {
        let mut state = State::default();
        let steps = vec![
            Migration { to_version: 2, description: "a", apply: add_a },
            Migration { to_version: 3, description: "fails", apply: fail },
        ];
        let err = run(&mut state, 1, 3, &steps).unwrap_err();
        assert!(err.to_string().contains("fails"), "{err}");
        assert_eq!(state.version, 2);
    }
}
