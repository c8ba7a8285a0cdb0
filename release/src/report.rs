//! The table `release build` prints.

use crate::artifacts::CanisterArtifact;

/// One line per canister: name, role, sizes (cargo's wasm, shrunk wasm, gzipped) and the sha256 of the `.wasm.gz`.
pub fn build_table(artifacts: &[CanisterArtifact]) -> String {
    let header = [
        "canister",
        "role",
        "raw wasm",
        "shrunk",
        "wasm.gz",
        "sha256 (wasm.gz)",
    ];
    let rows: Vec<[String; 6]> = artifacts
        .iter()
        .map(|a| {
            let role = match (&a.kind, a.fixture) {
                (_, true) => "fixture".to_string(),
                (Some(kind), false) => format!("contract:{kind}"),
                (None, false) => "canister".to_string(),
            };
            [
                a.canister.clone(),
                role,
                human_size(a.raw_size),
                human_size(a.wasm_size),
                human_size(a.gz_size),
                a.sha256.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            // names left-aligned, sizes right-aligned, the hash last and unpadded
            .map(|(i, (cell, width))| match i {
                0 | 1 => format!("{cell:<width$}"),
                5 => cell.to_string(),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        padded.join("  ")
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// `1234` → `1.2 KiB`; exact bytes under 1 KiB.
pub fn human_size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.2} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn table_has_one_aligned_row_per_canister() {
        let artifact = |name: &str, kind: Option<&str>, fixture| CanisterArtifact {
            canister: name.into(),
            kind: kind.map(Into::into),
            fixture,
            raw_size: 2_000_000,
            wasm_size: 1_500_000,
            gz_size: 500_000,
            sha256: "ab".repeat(32),
            gz_path: PathBuf::from("x"),
        };
        let table = build_table(&[
            artifact("backend", None, false),
            artifact("token", Some("token"), false),
            artifact("probe", None, true),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("canister"));
        assert!(
            lines[2].contains("contract:token")
                && lines[2].contains("1.91 MiB")
                && lines[2].contains("488.3 KiB")
        );
        assert!(lines[3].contains("fixture"));
        assert!(lines.iter().skip(1).all(|l| l.ends_with(&"ab".repeat(32))));
        let hash_column = lines[1].find("abab").unwrap();
        assert!(
            lines
                .iter()
                .skip(2)
                .all(|l| l.find("abab") == Some(hash_column)),
            "{table}"
        );
    }

    #[test]
    fn sizes_are_human_readable() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.00 MiB");
    }
}
