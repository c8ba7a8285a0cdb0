//! Loading a canister's `.did` file: it must exist, parse, type-check (imports included) and declare a service.
//! What it yields is the text embedded as the public `candid:service` metadata.

use crate::error::{Error, Result};
use candid_parser::{check_file, IDLProg};
use std::path::Path;

/// A checked candid interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidInterface {
    /// Text embedded as `candid:service`: the file itself when it is self-contained (comments kept), or, when it
    /// imports other files, the type-checked interface printed with every imported type inlined, because a reader
    /// of the metadata cannot follow an import.
    pub service_text: String,
    /// Number of methods of the service (shown by `release check-did`).
    pub method_count: usize,
}

impl CandidInterface {
    pub fn load(canister: &str, path: &Path) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidDid {
            canister: canister.to_string(),
            path: path.to_path_buf(),
            reason,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::MissingDid {
                    canister: canister.to_string(),
                    path: path.to_path_buf(),
                })
            }
            Err(e) => return Err(invalid(format!("cannot read it: {e}"))),
        };
        let prog: IDLProg = text.parse().map_err(|e| invalid(describe(&text, &e)))?;
        // The whole check (imports resolved relative to the file) — the non-pretty variant, which does not print
        // to stderr behind our back.
        let (env, actor, _) = check_file(path).map_err(|e| invalid(describe(&text, &e)))?;
        let actor = actor.ok_or_else(|| {
            invalid("it declares no `service`; a canister interface needs one".into())
        })?;
        let service = env
            .as_service(&actor)
            .map_err(|e| invalid(format!("its service is not a service type: {e}")))?;
        let has_imports = prog.decs.iter().any(|d| {
            matches!(
                d,
                candid_parser::syntax::Dec::ImportType(_)
                    | candid_parser::syntax::Dec::ImportServ(_)
            )
        });
        let service_text = if has_imports {
            candid_parser::candid::pretty::candid::compile(&env, &Some(actor.clone()))
        } else {
            text
        };
        Ok(CandidInterface {
            service_text,
            method_count: service.len(),
        })
    }
}

/// A parse error with its line and column, e.g. `line 3, column 17: Unexpected token (Expects one of ...)`.
fn describe(text: &str, error: &candid_parser::Error) -> String {
    let report = error.report();
    let Some(label) = report.labels.first() else {
        return report.message;
    };
    let offset = label.range.start.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let mut message = format!("line {line}, column {column}: {}", report.message);
    if !label.message.is_empty() {
        message.push_str(&format!(": {}", label.message));
    }
    for note in &report.notes {
        message.push_str(&format!(" ({note})"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_self_contained_did_is_embedded_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let text = "// the greeter\ntype Name = text;\nservice : (nat) -> { greet : (Name) -> (text) query; bump : () -> () }\n";
        let did = CandidInterface::load("greeter", &write(dir.path(), "g.did", text)).unwrap();
        assert_eq!(did.service_text, text);
        assert_eq!(did.method_count, 2);
    }

    #[test]
    fn imported_types_are_inlined() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "common.did",
            "type Err = variant { Unauthorized; Bad : text };\n",
        );
        let path = write(
            dir.path(),
            "main.did",
            "import \"common.did\";\nservice : { f : () -> (variant { Ok; Err : Err }) }\n",
        );
        let did = CandidInterface::load("main", &path).unwrap();
        assert!(!did.service_text.contains("import"), "{}", did.service_text);
        assert!(
            did.service_text.contains("Unauthorized"),
            "{}",
            did.service_text
        );
        // The embedded text must itself be a valid, self-contained interface.
        let reparsed = write(dir.path(), "embedded.did", &did.service_text);
        assert_eq!(
            CandidInterface::load("main", &reparsed)
                .unwrap()
                .method_count,
            1
        );
    }

    #[test]
    fn missing_did_says_where_it_was_looked_for() {
        let err = CandidInterface::load("token", Path::new("/nonexistent/token.did")).unwrap_err();
        assert!(matches!(err, Error::MissingDid { .. }));
        let message = err.to_string();
        assert!(
            message.contains("token") && message.contains("/nonexistent/token.did"),
            "{message}"
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "bad.did",
            "service : {\n  f : (nat) -> (nat) query;\n  g : nat -> ()\n}\n",
        );
        let message = CandidInterface::load("bad", &path).unwrap_err().to_string();
        assert!(
            message.contains("bad.did") && message.contains("line 3"),
            "{message}"
        );
    }

    #[test]
    fn type_errors_and_missing_service_are_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let unbound = write(
            dir.path(),
            "unbound.did",
            "service : { f : (Missing) -> () }\n",
        );
        let message = CandidInterface::load("x", &unbound)
            .unwrap_err()
            .to_string();
        assert!(message.contains("Missing"), "{message}");
        let no_service = write(dir.path(), "types.did", "type A = nat;\n");
        let message = CandidInterface::load("x", &no_service)
            .unwrap_err()
            .to_string();
        assert!(message.contains("no `service`"), "{message}");
    }
}
