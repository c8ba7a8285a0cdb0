//! `release rehearse --report <file.html>`: the rehearsal's outcome as one self-contained HTML page (inline CSS, no
//! script, no external asset; every text escaped): whether it passed, each step with its time and what it checked,
//! then the closing tables (contracts per version and per policy, rollouts per outcome, failures and rollbacks with
//! their reasons, the ledger's books). Written through a temporary file and a rename, so a reader never sees half a
//! page. The data types are plain so the page can be built and tested without running the emulator.

use std::fmt::Write as _;
use std::path::Path;

/// One finished step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub name: String,
    pub seconds: f64,
    pub detail: String,
}

/// A titled table of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTable {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RehearsalReport {
    /// `None`: passed; otherwise the promise that broke.
    pub failure: Option<String>,
    pub seconds: f64,
    pub steps: Vec<StepRow>,
    pub tables: Vec<ReportTable>,
    /// Where the modules came from (shown in the header).
    pub modules: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1200px;\
padding:0 1em;color:#1d2330;background:#fafbfc}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;\
margin-top:1.8em;border-bottom:1px solid #d8dde6;padding-bottom:.2em}.verdict{display:inline-block;padding:.25em .8em;\
border-radius:4px;font-weight:600;color:#fff}.passed{background:#1f883d}.failed{background:#cf222e}\
.meta{color:#57606a}table{border-collapse:collapse;width:100%;margin:.6em 0;background:#fff}th,td{border:1px solid \
#d8dde6;padding:.35em .6em;text-align:left;vertical-align:top}th{background:#eef1f5}td.num{text-align:right;\
font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#f6f8fa}.empty{color:#57606a;font-style:italic}\
pre{white-space:pre-wrap;background:#fff0f0;border:1px solid #f5c2c7;padding:.8em}";

fn is_number(cell: &str) -> bool {
    !cell.is_empty() && cell.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_')
}

/// The whole page.
pub fn render(report: &RehearsalReport) -> String {
    let mut page = String::new();
    let (class, verdict) = if report.failure.is_none() { ("passed", "passed") } else { ("failed", "FAILED") };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Fleet rehearsal: {verdict}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<h1>Fleet rehearsal on the emulator</h1>\n\
         <p><span class=\"verdict {class}\">{verdict}</span> <span class=\"meta\">{} steps in {:.1} s; modules from {}</span></p>\n",
        report.steps.len(),
        report.seconds,
        escape(&report.modules),
    );
    if let Some(failure) = &report.failure {
        let _ = write!(page, "<h2>What broke</h2>\n<pre>{}</pre>\n", escape(failure));
    }
    let steps = ReportTable {
        title: "Steps".into(),
        columns: vec!["step".into(), "seconds".into(), "what was checked".into()],
        rows: report
            .steps
            .iter()
            .map(|s| vec![s.name.clone(), format!("{:.1}", s.seconds), s.detail.clone()])
            .collect(),
    };
    for table in std::iter::once(&steps).chain(&report.tables) {
        render_table(&mut page, table);
    }
    page.push_str("</body>\n</html>\n");
    page
}

fn render_table(page: &mut String, table: &ReportTable) {
    let _ = writeln!(page, "<h2>{}</h2>", escape(&table.title));
    if table.rows.is_empty() {
        page.push_str("<p class=\"empty\">none</p>\n");
        return;
    }
    page.push_str("<table>\n<thead><tr>");
    for column in &table.columns {
        let _ = write!(page, "<th>{}</th>", escape(column));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        page.push_str("<tr>");
        for cell in row {
            let class = if is_number(cell) { " class=\"num\"" } else { "" };
            let _ = write!(page, "<td{class}>{}</td>", escape(cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
}

/// `table` as aligned text for a terminal (the title, then the columns and rows).
pub fn text_table(table: &ReportTable) -> String {
    let mut widths: Vec<usize> = table.columns.iter().map(|c| c.chars().count()).collect();
    for row in &table.rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 < cells.len() {
                    format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0))
                } else {
                    c.clone()
                }
            })
            .collect();
        format!("  {}\n", padded.join("  "))
    };
    let mut out = format!("{}\n", table.title);
    if table.rows.is_empty() {
        out.push_str("  none\n");
        return out;
    }
    out.push_str(&line(&table.columns));
    for row in &table.rows {
        out.push_str(&line(row));
    }
    out
}

/// Renders `report` and writes it to `path` through a temporary file beside it and a rename.
pub fn write(path: &Path, report: &RehearsalReport) -> Result<(), crate::registry::RegistryError> {
    crate::registry::write_file_atomically(path, render(report).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> RehearsalReport {
        RehearsalReport {
            failure: None,
            seconds: 12.5,
            steps: vec![
                StepRow { name: "deploy".into(), seconds: 3.0, detail: "9 canisters".into() },
                StepRow { name: "rollout".into(), seconds: 4.5, detail: "a <script>alert(1)</script> & co".into() },
            ],
            tables: vec![
                ReportTable {
                    title: "Failures and rollbacks".into(),
                    columns: vec!["contract".into(), "reason".into()],
                    rows: vec![vec!["rrkah-fqaaa-aaaaa-aaaaq-cai".into(), "post_upgrade: x < y \"quoted\"".into()]],
                },
                ReportTable { title: "Empty".into(), columns: vec!["a".into()], rows: vec![] },
            ],
            modules: "target/canisters".into(),
        }
    }

    #[test]
    fn the_page_escapes_every_text_and_needs_nothing_outside_itself() {
        let page = render(&report());
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), "{page}");
        assert!(page.contains("post_upgrade: x &lt; y &quot;quoted&quot;"));
        assert!(!page.contains("<script"), "no script, escaped or not");
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
        assert!(page.contains("<h2>Steps</h2>") && page.contains("<h2>Failures and rollbacks</h2>"));
        assert!(page.contains("<p class=\"empty\">none</p>"));
        assert!(page.contains("verdict passed"));
        let text = text_table(&report().tables[0]);
        assert!(text.starts_with("Failures and rollbacks\n  contract ") && text.contains("x < y"), "{text}");
        assert!(text_table(&report().tables[1]).ends_with("  none\n"));
        let failed = render(&RehearsalReport { failure: Some("books: 1 < 2".into()), ..report() });
        assert!(failed.contains("verdict failed") && failed.contains("<pre>books: 1 &lt; 2</pre>"));
    }

    #[test]
    fn the_page_is_written_whole_through_a_rename() {
        let dir = std::env::temp_dir().join(format!("release-html-report-{}", std::process::id()));
        let path = dir.join("report.html");
        write(&path, &report()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), render(&report()));
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
