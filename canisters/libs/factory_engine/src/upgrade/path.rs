//! The upgrade path planner: plain Rust over the registry's versions. From an installed version to a target it
//! returns the ordered versions to install: increasing in semver order (never a downgrade), never a version that is
//! not installable (Yanked, or still Uploading), every checkpoint between the two included, and each step allowed
//! by its `reachable_from` requirement from the step before. Between two mandatory points (the installed version,
//! the checkpoints, the target) it takes the fewest steps, preferring newer intermediate versions. When there is no
//! path, the error says why.

use fleet_api::{FleetError, UpgradePolicy};
use semver::{Version, VersionReq};
use std::collections::{BTreeMap, VecDeque};

use crate::api::VersionStatus;
use crate::registry::VersionRecord;

/// What the planner needs to know of one registry version.
#[derive(Clone, Debug)]
pub struct PlannedVersion {
    pub version: Version,
    pub status: VersionStatus,
    pub checkpoint: bool,
    /// `None`: reachable from any older version. An unparsable requirement never reaches here (refused at upload).
    pub reachable_from: Option<VersionReq>,
    pub sha256: Vec<u8>,
}

impl PlannedVersion {
    pub fn from_record(record: &VersionRecord) -> Self {
        Self {
            version: record.semver(),
            status: record.status,
            checkpoint: record.upgrade.checkpoint,
            reachable_from: record.upgrade.reachable_from.as_deref().and_then(|r| VersionReq::parse(r).ok()),
            sha256: record.sha256.to_vec(),
        }
    }

    fn installable(&self) -> bool {
        matches!(self.status, VersionStatus::Published | VersionStatus::Deprecated)
    }

    fn reachable_from(&self, from: &Version) -> bool {
        self.reachable_from.as_ref().is_none_or(|req| req.matches(from))
    }
}

/// Why no upgrade path exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPath {
    UnknownTarget(String),
    TargetNotInstallable {
        version: String,
        status: VersionStatus,
    },
    Downgrade {
        installed: String,
        target: String,
    },
    CheckpointNotInstallable {
        version: String,
        status: VersionStatus,
    },
    Unreachable {
        from: String,
        to: String,
    },
    /// The policy allows no newer version (`Pinned` to the installed one, or nothing newer within the major).
    NothingNewer {
        installed: String,
    },
}

impl std::fmt::Display for NoPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoPath::UnknownTarget(v) => write!(f, "version {v} is not in the registry"),
            NoPath::TargetNotInstallable { version, status } => {
                write!(f, "version {version} is {status:?}: it cannot be installed")
            }
            NoPath::Downgrade { installed, target } => {
                write!(f, "{target} is older than the installed {installed}: upgrades never go back")
            }
            NoPath::CheckpointNotInstallable { version, status } => {
                write!(f, "checkpoint {version} lies on the way and is {status:?}: no path may skip its migration")
            }
            NoPath::Unreachable { from, to } => write!(
                f,
                "no chain of installable versions leads from {from} to {to} (each version's reachable_from must allow \
                 the one before)"
            ),
            NoPath::NothingNewer { installed } => write!(f, "the policy allows nothing newer than {installed}"),
        }
    }
}

impl From<NoPath> for FleetError {
    fn from(e: NoPath) -> Self {
        match e {
            NoPath::UnknownTarget(_) => FleetError::not_found(e.to_string()),
            _ => FleetError::invalid(format!("no upgrade path: {e}")),
        }
    }
}

/// The versions to install, in order, to go from `installed` to `target` (empty when `installed == target`).
pub fn plan(installed: &Version, target: &Version, versions: &[PlannedVersion]) -> Result<Vec<PlannedVersion>, NoPath> {
    let by_version: BTreeMap<&Version, &PlannedVersion> = versions.iter().map(|v| (&v.version, v)).collect();
    let target_entry = by_version.get(target).ok_or_else(|| NoPath::UnknownTarget(target.to_string()))?;
    if target == installed {
        return Ok(vec![]);
    }
    if target < installed {
        return Err(NoPath::Downgrade { installed: installed.to_string(), target: target.to_string() });
    }
    if !target_entry.installable() {
        return Err(NoPath::TargetNotInstallable { version: target.to_string(), status: target_entry.status });
    }
    // Mandatory points: every checkpoint strictly between, then the target.
    let mut mandatory = vec![];
    for (version, entry) in
        by_version.range::<Version, _>((std::ops::Bound::Excluded(installed), std::ops::Bound::Excluded(target)))
    {
        if entry.checkpoint {
            if !entry.installable() {
                return Err(NoPath::CheckpointNotInstallable { version: version.to_string(), status: entry.status });
            }
            mandatory.push(*entry);
        }
    }
    mandatory.push(*target_entry);

    let mut path = vec![];
    let mut from = installed.clone();
    for goal in mandatory {
        // Intermediate candidates: installable releases strictly between `from` and the goal (pre-releases only as
        // goals: a path never detours through a release candidate).
        let hops: Vec<&PlannedVersion> = by_version
            .range::<Version, _>((std::ops::Bound::Excluded(&from), std::ops::Bound::Excluded(&goal.version)))
            .map(|(_, v)| *v)
            .filter(|v| v.installable() && v.version.pre.is_empty())
            .collect();
        let segment = shortest_chain(&from, goal, &hops)
            .ok_or_else(|| NoPath::Unreachable { from: from.to_string(), to: goal.version.to_string() })?;
        from = goal.version.clone();
        path.extend(segment.into_iter().cloned());
    }
    Ok(path)
}

/// Fewest hops from `from` to `goal` through `hops` (ascending), each hop allowed by its `reachable_from`; among
/// equally short chains the one through newer versions (fewer versions of old code run the migrations).
fn shortest_chain<'a>(
    from: &Version,
    goal: &'a PlannedVersion,
    hops: &[&'a PlannedVersion],
) -> Option<Vec<&'a PlannedVersion>> {
    // Nodes: 0 = from, 1..=n = hops, n + 1 = goal. Breadth-first; newer candidates first so ties go to them.
    let nodes: Vec<Option<&PlannedVersion>> =
        std::iter::once(None).chain(hops.iter().map(|h| Some(*h))).chain(std::iter::once(Some(goal))).collect();
    let version_of = |i: usize| -> &Version { nodes[i].map(|v| &v.version).unwrap_or(from) };
    let goal_index = nodes.len() - 1;
    let mut previous: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut seen = vec![false; nodes.len()];
    seen[0] = true;
    let mut queue = VecDeque::from([0usize]);
    while let Some(at) = queue.pop_front() {
        if at == goal_index {
            let mut chain = vec![];
            let mut i = at;
            while i != 0 {
                chain.push(nodes[i].expect("only the start has no version"));
                i = previous[i].expect("a reached node has a predecessor");
            }
            chain.reverse();
            return Some(chain);
        }
        for next in (at + 1..nodes.len()).rev() {
            let candidate = nodes[next].expect("only the start has no version");
            if !seen[next] && candidate.reachable_from(version_of(at)) {
                seen[next] = true;
                previous[next] = Some(at);
                queue.push_back(next);
            }
        }
    }
    None
}

/// The newest version `policy` lets a contract on `installed` reach without the owner naming one: the newest
/// Published release (no pre-release) for `Manual` and `Auto`, the newest within the installed major for
/// `AutoWithinMajor`, the pinned version for `Pinned`.
pub fn policy_target(
    policy: &UpgradePolicy,
    installed: &Version,
    versions: &[PlannedVersion],
) -> Result<Version, NoPath> {
    let newest = |within_major: bool| {
        versions
            .iter()
            .filter(|v| v.status == VersionStatus::Published && v.version.pre.is_empty())
            .filter(|v| !within_major || v.version.major == installed.major)
            .map(|v| v.version.clone())
            .max()
    };
    let target = match policy {
        UpgradePolicy::Manual | UpgradePolicy::Auto => newest(false),
        UpgradePolicy::AutoWithinMajor => newest(true),
        UpgradePolicy::Pinned(pinned) => Version::parse(pinned).ok(),
    };
    match target {
        Some(t) if t > *installed => Ok(t),
        _ => Err(NoPath::NothingNewer { installed: installed.to_string() }),
    }
}

/// Whether a rollout to `target` may touch a contract with this policy, installed at `installed`; the reason when
/// not.
pub fn rollout_allows(policy: &UpgradePolicy, installed: &Version, target: &Version) -> Result<(), String> {
    match policy {
        UpgradePolicy::Auto => Ok(()),
        UpgradePolicy::AutoWithinMajor if target.major == installed.major => Ok(()),
        UpgradePolicy::AutoWithinMajor => {
            Err(format!("policy AutoWithinMajor: {target} leaves major version {}", installed.major))
        }
        UpgradePolicy::Manual => Err("policy Manual: the owner upgrades by hand".to_string()),
        UpgradePolicy::Pinned(v) => Err(format!("policy Pinned({v})")),
    }
}
