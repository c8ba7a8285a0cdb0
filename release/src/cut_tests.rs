use super::*;
use crate::registry::ReleaseUpgrade;

fn last(version: &str, schema: u32) -> Release {
    Release {
        kind: "token".into(),
        version: version.into(),
        sha256: "00".repeat(32),
        size: 1,
        schema_version: schema,
        git_revision: "0".repeat(40),
        wasm: String::new(),
        candid: String::new(),
        upgrade: ReleaseUpgrade::default(),
    }
}

const OLD: &str = "type A = record { x : nat };\nservice : (nat) -> { get : (A) -> (nat) query; put : (nat) -> () }";

#[test]
fn a_version_must_be_greater_than_the_last_release() {
    assert_eq!(check_version("token", "1.0.0", None), Ok(()));
    assert_eq!(check_version("token", "1.1.0", Some(&last("1.0.0", 1))), Ok(()));
    for version in ["1.0.0", "0.9.9", "1.0.0-rc.1"] {
        let err = check_version("token", version, Some(&last("1.0.0", 1))).unwrap_err();
        assert!(matches!(err, CutRefusal::NotGreater { .. }), "{version}: {err}");
        assert!(err.to_string().contains("bump `version`"), "{err}");
    }
    assert_eq!(check_version("token", "one", None), Err(CutRefusal::NotSemver("one".into())));
}

#[test]
fn an_interface_that_breaks_old_clients_needs_a_new_major() {
    let added = "type A = record { x : nat };\nservice : (nat) -> { get : (A) -> (nat) query; put : (nat) -> (); more : () -> () }";
    assert_eq!(check_candid("token", "1.1.0", added, &last("1.0.0", 1), OLD), Ok(()));
    let removed = "type A = record { x : nat };\nservice : (nat) -> { get : (A) -> (nat) query }";
    let changed = "type A = record { x : nat };\nservice : (nat) -> { get : (A) -> (text) query; put : (nat) -> () }";
    for new in [removed, changed] {
        let err = check_candid("token", "1.1.0", new, &last("1.0.0", 1), OLD).unwrap_err();
        assert!(matches!(err, CutRefusal::CandidIncompatible { .. }), "{err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
        assert_eq!(check_candid("token", "2.0.0", new, &last("1.0.0", 1), OLD), Ok(()), "a new major may break");
    }
}

#[test]
fn a_growing_schema_needs_the_previous_fixture_and_never_shrinks() {
    assert_eq!(check_schema("token", "1.0.0", 1, None, false), Ok(SchemaChange::First));
    assert_eq!(check_schema("token", "1.0.1", 1, Some(&last("1.0.0", 1)), false), Ok(SchemaChange::Same));
    assert_eq!(
        check_schema("token", "1.1.0", 2, Some(&last("1.0.0", 1)), true),
        Ok(SchemaChange::Grew { from: 1, to: 2 })
    );
    let err = check_schema("token", "1.1.0", 2, Some(&last("1.0.0", 1)), false).unwrap_err();
    assert!(
        matches!(err, CutRefusal::NoPreviousFixture { .. }) && err.to_string().contains("release fixture token 1.0.0"),
        "{err}"
    );
    let err = check_schema("token", "1.2.0", 1, Some(&last("1.1.0", 2)), true).unwrap_err();
    assert!(matches!(err, CutRefusal::SchemaShrank { .. }), "{err}");
}

#[test]
fn the_released_schema_must_be_documented() {
    let md = "# token\n\n## Schema 1\n\nbalances...\n\n## Schema 2: ICRC-3 blocks\n";
    assert_eq!(check_schema_documented("token", "1.1.0", 2, Some(md)), Ok(()));
    assert_eq!(check_schema_documented("token", "1.0.0", 1, Some(md)), Ok(()));
    assert!(check_schema_documented("token", "1.2.0", 3, Some(md)).is_err());
    assert!(check_schema_documented("token", "1.2.0", 1, None).is_err());
    assert!(check_schema_documented("token", "1.2.0", 1, Some("## Schema 10\n")).is_err());
}
