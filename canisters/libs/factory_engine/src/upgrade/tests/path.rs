use fleet_api::UpgradePolicy;
use semver::{Version, VersionReq};

use crate::api::VersionStatus;
use crate::upgrade::path::{plan, policy_target, rollout_allows, NoPath, PlannedVersion};

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

fn entry(text: &str, status: VersionStatus, checkpoint: bool, reachable_from: Option<&str>) -> PlannedVersion {
    PlannedVersion {
        version: v(text),
        status,
        checkpoint,
        reachable_from: reachable_from.map(|r| VersionReq::parse(r).unwrap()),
        sha256: text.as_bytes().to_vec(),
    }
}

fn published(text: &str) -> PlannedVersion {
    entry(text, VersionStatus::Published, false, None)
}

fn names(path: &[PlannedVersion]) -> Vec<String> {
    path.iter().map(|p| p.version.to_string()).collect()
}

#[test]
fn a_direct_upgrade_is_one_step_and_the_installed_version_is_an_empty_path() {
    let versions = [published("1.0.0"), published("1.1.0"), published("1.2.0")];
    assert_eq!(names(&plan(&v("1.0.0"), &v("1.2.0"), &versions).unwrap()), ["1.2.0"]);
    assert!(plan(&v("1.2.0"), &v("1.2.0"), &versions).unwrap().is_empty());
}

#[test]
fn a_checkpoint_between_is_never_skipped() {
    let versions = [
        published("1.0.0"),
        entry("1.1.0", VersionStatus::Published, true, None),
        published("1.2.0"),
        published("1.3.0"),
    ];
    assert_eq!(names(&plan(&v("1.0.0"), &v("1.3.0"), &versions).unwrap()), ["1.1.0", "1.3.0"]);
    assert_eq!(names(&plan(&v("1.1.0"), &v("1.3.0"), &versions).unwrap()), ["1.3.0"]);
}

#[test]
fn reachable_from_forces_an_intermediate_step() {
    let versions = [
        published("1.0.0"),
        published("1.1.0"),
        published("1.2.0"),
        entry("2.0.0", VersionStatus::Published, false, Some(">=1.2.0")),
    ];
    assert_eq!(names(&plan(&v("1.0.0"), &v("2.0.0"), &versions).unwrap()), ["1.2.0", "2.0.0"]);
}

#[test]
fn each_refusal_says_why() {
    let versions = [
        published("1.0.0"),
        entry("1.1.0", VersionStatus::Yanked, true, None),
        published("1.2.0"),
        entry("1.3.0", VersionStatus::Uploading, false, None),
        entry("2.0.0", VersionStatus::Published, false, Some(">=1.9.0")),
        entry("1.0.1", VersionStatus::Yanked, false, None),
    ];
    assert!(matches!(
        plan(&v("1.2.0"), &v("1.0.0"), &versions),
        Err(NoPath::Downgrade { installed, target }) if installed == "1.2.0" && target == "1.0.0"
    ));
    assert!(matches!(plan(&v("1.0.0"), &v("1.2.0"), &versions), Err(NoPath::CheckpointNotInstallable { .. })));
    assert!(matches!(plan(&v("1.2.0"), &v("1.3.0"), &versions), Err(NoPath::TargetNotInstallable { .. })));
    assert!(matches!(plan(&v("1.0.0"), &v("1.0.1"), &versions), Err(NoPath::TargetNotInstallable { .. })));
    assert!(matches!(plan(&v("1.2.0"), &v("2.0.0"), &versions), Err(NoPath::Unreachable { .. })));
    assert!(matches!(plan(&v("1.2.0"), &v("9.0.0"), &versions), Err(NoPath::UnknownTarget(_))));
    let message = fleet_api::FleetError::from(plan(&v("1.0.0"), &v("1.2.0"), &versions).unwrap_err()).to_string();
    assert!(message.contains("checkpoint 1.1.0") && message.contains("Yanked"), "{message}");
}

#[test]
fn the_policy_picks_the_default_target() {
    let versions = [
        published("1.0.0"),
        published("1.4.0"),
        entry("1.5.0-rc.1", VersionStatus::Published, false, None),
        published("2.1.0"),
        entry("2.2.0", VersionStatus::Yanked, false, None),
    ];
    let installed = v("1.0.0");
    assert_eq!(policy_target(&UpgradePolicy::Auto, &installed, &versions).unwrap(), v("2.1.0"));
    assert_eq!(policy_target(&UpgradePolicy::Manual, &installed, &versions).unwrap(), v("2.1.0"));
    assert_eq!(policy_target(&UpgradePolicy::AutoWithinMajor, &installed, &versions).unwrap(), v("1.4.0"));
    assert_eq!(policy_target(&UpgradePolicy::Pinned("1.4.0".into()), &installed, &versions).unwrap(), v("1.4.0"));
    assert!(policy_target(&UpgradePolicy::Pinned("1.0.0".into()), &installed, &versions).is_err());
    assert!(policy_target(&UpgradePolicy::Auto, &v("2.1.0"), &versions).is_err());
}

#[test]
fn eligibility_table_per_policy() {
    let (one, one_next, two) = (v("1.0.0"), v("1.3.0"), v("2.0.0"));
    let cases: [(UpgradePolicy, &Version, bool); 8] = [
        (UpgradePolicy::Auto, &one_next, true),
        (UpgradePolicy::Auto, &two, true),
        (UpgradePolicy::AutoWithinMajor, &one_next, true),
        (UpgradePolicy::AutoWithinMajor, &two, false),
        (UpgradePolicy::Manual, &one_next, false),
        (UpgradePolicy::Manual, &two, false),
        (UpgradePolicy::Pinned("1.3.0".into()), &one_next, false),
        (UpgradePolicy::Pinned("1.0.0".into()), &two, false),
    ];
    for (policy, target, allowed) in cases {
        assert_eq!(rollout_allows(&policy, &one, target).is_ok(), allowed, "{policy:?} → {target}");
    }
}

/// xorshift: deterministic random registries without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_registry(rng: &mut Rng) -> Vec<PlannedVersion> {
    let mut versions = vec![];
    for major in 1..=3u64 {
        for minor in 0..rng.below(5) + 1 {
            let text = format!("{major}.{minor}.0");
            let status = match rng.below(8) {
                0 => VersionStatus::Yanked,
                1 => VersionStatus::Deprecated,
                2 => VersionStatus::Uploading,
                _ => VersionStatus::Published,
            };
            let reachable = match rng.below(4) {
                0 => Some(format!(">={major}.0.0")),
                1 if minor > 0 => Some(format!(">={major}.{}.0", minor - 1)),
                _ => None,
            };
            versions.push(entry(&text, status, rng.below(4) == 0, reachable.as_deref()));
        }
    }
    versions
}

#[test]
fn planner_properties_hold_over_random_registries() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut paths, mut refusals) = (0, 0);
    for _ in 0..2_000 {
        let versions = random_registry(&mut rng);
        let from = &versions[rng.below(versions.len() as u64) as usize];
        let to = &versions[rng.below(versions.len() as u64) as usize];
        match plan(&from.version, &to.version, &versions) {
            Ok(path) => {
                paths += 1;
                let mut previous = from.version.clone();
                for step in &path {
                    assert!(step.version > previous, "increasing");
                    assert!(matches!(step.status, VersionStatus::Published | VersionStatus::Deprecated), "installable");
                    assert!(step.reachable_from.as_ref().is_none_or(|r| r.matches(&previous)), "reachable_from");
                    previous = step.version.clone();
                }
                if from.version < to.version {
                    assert_eq!(path.last().map(|s| &s.version), Some(&to.version), "ends at the target");
                }
                for checkpoint in versions.iter().filter(|c| c.checkpoint) {
                    if checkpoint.version > from.version && checkpoint.version < to.version {
                        assert!(path.iter().any(|s| s.version == checkpoint.version), "keeps checkpoint");
                    }
                }
            }
            Err(NoPath::Downgrade { .. }) => {
                refusals += 1;
                assert!(to.version < from.version);
            }
            Err(_) => refusals += 1,
        }
    }
    // Both outcomes are exercised, or the properties prove nothing.
    assert!(paths > 300 && refusals > 300, "paths {paths}, refusals {refusals}");
}
