//! `release rehearse --report`: the page built from a real rehearsal outcome on the emulator holds every step and
//! every closing table (contracts per version and per policy, rollouts, failures and rollbacks, books) with every
//! cell escaped, and the rollback the rehearsal provokes is listed with its reason.
#![cfg(feature = "rehearse")]

use release::html_report::{escape, render, RehearsalReport, ReportTable, StepRow};

#[test]
fn the_report_of_a_real_rehearsal_holds_every_table_escaped() {
    let wasm = fleet_tests::fleet::FleetWasm::load();
    let outcome = fleet_tests::rehearsal::run(fleet_tests::ic::new_instance(), &wasm, |_| {}).expect("rehearsal");
    let tables: Vec<ReportTable> = outcome
        .tables
        .iter()
        .map(|t| ReportTable { title: t.title.clone(), columns: t.columns.clone(), rows: t.rows.clone() })
        .collect();
    let titles: Vec<&str> = tables.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Contracts per installed version",
            "Contracts per upgrade policy",
            "Rollouts (contracts per outcome)",
            "Failures and rollbacks",
            "Payment ledger books"
        ]
    );
    let rollbacks = &tables[3];
    assert!(rollbacks.rows.iter().any(|r| r[3] == "RolledBack" && !r[5].is_empty()), "{rollbacks:?}");
    let books = &tables[4];
    let cell = |name: &str| books.rows.iter().find(|r| r[0] == name).map(|r| r[1].clone()).unwrap();
    assert_eq!(cell("sum of the balances"), cell("ledger total supply"));

    let steps: Vec<StepRow> =
        outcome.steps.iter().map(|s| StepRow { name: s.name.into(), seconds: 0.0, detail: s.detail.clone() }).collect();
    let page =
        render(&RehearsalReport { failure: None, seconds: 1.0, steps, tables: tables.clone(), modules: "x".into() });
    for step in &outcome.steps {
        assert!(page.contains(&format!("<td>{}</td>", escape(step.name))), "step {}", step.name);
    }
    for table in &tables {
        assert!(page.contains(&format!("<h2>{}</h2>", escape(&table.title))));
        for row in &table.rows {
            for cell in row {
                assert!(page.contains(&format!(">{}</td>", escape(cell))), "cell {cell:?} of {}", table.title);
            }
        }
    }
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
}
