//! `release status`: per factory, its registry (every version with its status and the deployments made at it) and
//! its fleet (contracts per installed version and per upgrade policy, how many are deploying, active or detached).
//! Plain logic over `fleet_client::FactoryClient`: the registry from `getRegistrySummary` and `listVersions`, the
//! fleet from `getFleetSummary` page by page (`FactoryClient::fleet_summary` adds them up), so any fleet size is
//! read in bounded messages. [`report`] reads every factory asked for and words the output and the errors; the
//! command (`commands/status.rs`) adds the transport and the exit code.

use candid::Principal;
use factory_engine::api::{FleetSummary, RegistrySummary, VersionInfo};
use fleet_api::{FleetError, UpgradePolicy};
use fleet_client::{ClientError, FactoryClient, Transport};
use serde_json::{json, Value};

/// What `release status` shows of one factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactoryStatus {
    pub factory: Principal,
    pub registry: RegistrySummary,
    /// Every registry version, oldest first (semver order).
    pub versions: Vec<VersionInfo>,
    pub fleet: FleetSummary,
}

/// Reads one factory's registry and fleet. Errors are [`describe_error`]'s to word.
pub fn factory_status(client: &FactoryClient<'_>) -> Result<FactoryStatus, ClientError> {
    let registry = client.registry_summary()?;
    let mut versions = client.all_versions()?;
    versions.sort_by(|a, b| version_order(&a.version, &b.version));
    let fleet = client.fleet_summary()?;
    Ok(FactoryStatus { factory: client.id(), registry, versions, fleet })
}

fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

/// One line saying why `factory` could not be read, for an operator: the canister does not exist or is not a
/// factory, the identity is refused, the network is unreachable, or what the factory answered.
pub fn describe_error(factory: Principal, caller: Principal, error: &ClientError) -> String {
    let detail = error.to_string();
    match error {
        ClientError::Fleet { error, .. } if matches!(**error, FleetError::Unauthorized(_)) => format!(
            "factory {factory} refused {caller}: {error} (add it with addReleasePrincipal or addAdmin, or use another --identity)"
        ),
        ClientError::Transport { source: fleet_client::TransportError::Unreachable(reason), .. } => {
            format!("factory {factory}: cannot reach the network: {reason}")
        }
        ClientError::Transport { source: fleet_client::TransportError::Rejected { message, .. }, .. } => {
            let lower = message.to_lowercase();
            if lower.contains("not found") || lower.contains("does not exist") || lower.contains("no such canister") {
                format!("factory {factory}: no such canister on this network ({})", one_line(message))
            } else if lower.contains("has no") && lower.contains("method") || lower.contains("no query method") {
                format!("factory {factory}: not a fleet factory (it has no getFleetSummary/getRegistrySummary): {}", one_line(message))
            } else {
                format!("factory {factory}: {}", one_line(&detail))
            }
        }
        _ => format!("factory {factory}: {}", one_line(&detail)),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a policy is printed (`Pinned 1.0.0` for a pin).
pub fn policy_label(policy: &UpgradePolicy) -> String {
    match policy {
        UpgradePolicy::Pinned(version) => format!("Pinned {version}"),
        other => format!("{other:?}"),
    }
}

/// The versions to show: every registry version, then any version contracts run that the registry no longer lists.
fn version_rows(status: &FactoryStatus) -> Vec<(String, Option<&VersionInfo>, u64)> {
    let mut rows: Vec<(String, Option<&VersionInfo>, u64)> =
        status.versions.iter().map(|v| (v.version.clone(), Some(v), status.fleet.at_version(&v.version))).collect();
    for installed in &status.fleet.by_version {
        if !status.versions.iter().any(|v| v.version == installed.version) {
            rows.push((installed.version.clone(), None, installed.contracts));
        }
    }
    rows.sort_by(|a, b| version_order(&a.0, &b.0));
    rows
}

/// The terminal table of one factory.
pub fn table(status: &FactoryStatus) -> String {
    let r = &status.registry;
    let f = &status.fleet;
    let mut out = format!(
        "factory {}\n  registry: {} published, {} deprecated, {} yanked, {} uploading; default {}{}; latest published {}\n",
        status.factory,
        r.published,
        r.deprecated,
        r.yanked,
        r.uploading,
        r.default_version.as_deref().unwrap_or("-"),
        if r.default_is_pinned { " (pinned by an admin)" } else { "" },
        r.latest_published.as_deref().unwrap_or("-"),
    );
    out.push_str(&format!("  {:<16} {:<11} {:>11} {:>10}\n", "version", "status", "deployments", "installed"));
    for (version, info, installed) in version_rows(status) {
        let (state, deployments) = match info {
            Some(v) => (format!("{:?}", v.status), v.deployments.to_string()),
            None => ("(not listed)".to_string(), "-".to_string()),
        };
        out.push_str(&format!("  {version:<16} {state:<11} {deployments:>11} {installed:>10}\n"));
    }
    out.push_str(&format!(
        "  fleet: {} contracts ({} active, {} deploying, {} detached), read in {} page(s)\n",
        f.contracts, f.active, f.deploying, f.detached, f.pages
    ));
    if !f.by_policy.is_empty() {
        out.push_str(&format!("  {:<28} {:>10}\n", "upgrade policy", "contracts"));
        let mut policies: Vec<(String, u64)> =
            f.by_policy.iter().map(|p| (policy_label(&p.policy), p.contracts)).collect();
        policies.sort();
        for (policy, contracts) in policies {
            out.push_str(&format!("  {policy:<28} {contracts:>10}\n"));
        }
    }
    out
}

/// One factory as JSON, for scripts.
pub fn to_json(status: &FactoryStatus) -> Value {
    let f = &status.fleet;
    let r = &status.registry;
    let versions: Vec<Value> = version_rows(status)
        .into_iter()
        .map(|(version, info, installed)| {
            json!({
                "version": version,
                "status": info.map(|v| format!("{:?}", v.status)),
                "deployments": info.map(|v| v.deployments),
                "installed": installed,
            })
        })
        .collect();
    let policies: Vec<Value> =
        f.by_policy.iter().map(|p| json!({ "policy": policy_label(&p.policy), "contracts": p.contracts })).collect();
    json!({
        "factory": status.factory.to_text(),
        "registry": {
            "published": r.published,
            "deprecated": r.deprecated,
            "yanked": r.yanked,
            "uploading": r.uploading,
            "default_version": r.default_version,
            "default_is_pinned": r.default_is_pinned,
            "latest_published": r.latest_published,
        },
        "versions": versions,
        "fleet": {
            "contracts": f.contracts,
            "active": f.active,
            "deploying": f.deploying,
            "detached": f.detached,
            "pages": f.pages,
            "by_policy": policies,
        },
    })
}

/// What `release status` prints: `output` on stdout, and one line per factory that could not be read (the command
/// prints them after `error: ` and exits 1 when there is any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub output: String,
    pub errors: Vec<String>,
}

/// Reads every factory in `factories` (one failing does not stop the others): their tables, or with `json` one
/// JSON object `{ ok, factories: [...], errors: [...] }`.
pub fn report(transport: &dyn Transport, factories: &[Principal], json: bool) -> StatusReport {
    let mut tables = String::new();
    let mut shown = Vec::new();
    let mut errors = Vec::new();
    for &factory in factories {
        match factory_status(&FactoryClient::new(transport, factory)) {
            Ok(status) => {
                tables.push_str(&table(&status));
                shown.push(to_json(&status));
            }
            Err(e) => errors.push(describe_error(factory, transport.caller(), &e)),
        }
    }
    let output = if json {
        format!("{}\n", json!({ "ok": errors.is_empty(), "factories": shown, "errors": errors }))
    } else {
        tables
    };
    StatusReport { output, errors }
}
