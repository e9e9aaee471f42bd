//! The performance suite end to end, at a tiny scale: `tika bench <scenario>` fills a small
//! national dataset, starts real `tika serve` processes, drives load over HTTP and checks the
//! outcome in the database.  The figures of a debug build mean nothing; these tests assert
//! that every scenario runs, that its checks pass (no overbooking, every dose with one
//! certificate, every registration stored, search fresh within 2 s) and that the table is
//! printed.  On PostgreSQL the scale-out case runs two servers on one database.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::process::Command;

/// Runs `tika bench <args>` and returns its standard output; fails on a non-zero exit.
fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tika"))
        .arg("bench")
        .args(args)
        .args(["--people", "12000", "--facilities", "400", "--warmup", "1s", "--duration", "2s"])
        .env("TIKA_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tika bench {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

fn pg_admin() -> String {
    std::env::var("TIKA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The table row of a scenario: its cells.
fn row<'a>(out: &'a str, scenario: &str) -> Vec<&'a str> {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("| {scenario}")))
        .unwrap_or_else(|| panic!("no row for {scenario} in:\n{out}"));
    line.trim_matches('|').split('|').map(str::trim).collect()
}

/// Every check line passed, and there are `n` of them.
fn checks_pass(out: &str, n: usize) {
    let checks: Vec<&str> = out.lines().filter(|l| l.starts_with("check: ")).collect();
    assert_eq!(checks.len(), n, "{out}");
    assert!(checks.iter().all(|c| c.ends_with("… ok")), "{out}");
}

#[test]
fn slot_storm_books_exactly_the_seats() {
    let out = bench(&["slot-storm", "--clients", "600", "--seats", "150"]);
    let cells = row(&out, "slot-storm");
    assert_eq!(cells[1], "sqlite");
    assert_eq!(cells[9], "0", "errors: {out}");
    assert!(out.contains("check: 150 × 200 (expected 150) … ok"), "{out}");
    assert!(out.contains("check: 450 × 409 APPOIN0040 (expected 450) … ok"), "{out}");
    checks_pass(&out, 3);
}

#[test]
fn registration_storm_stores_every_registration_and_sends_every_otp() {
    let out = bench(&["registration-storm", "--rate", "20", "--connections", "8"]);
    let cells = row(&out, "registration-storm");
    assert_eq!(cells[3], "20 registrations");
    assert_eq!(cells[9], "0", "errors: {out}");
    assert!(out.contains("check: SMS handed to the gateway"), "{out}");
    checks_pass(&out, 2);
}

#[test]
fn slot_search_answers_and_shows_bookings_within_two_seconds() {
    let out = bench(&["slot-search", "--rate", "50", "--connections", "8"]);
    let cells = row(&out, "slot-search");
    assert_eq!(cells[9], "0", "errors: {out}");
    assert!(out.contains("check: search shows a booking within 2 s"), "{out}");
    checks_pass(&out, 1);
}

#[test]
fn vaccination_day_signs_one_certificate_per_dose() {
    let out = bench(&["vaccination-day", "--rate", "50", "--sites", "8"]);
    let cells = row(&out, "vaccination-day");
    assert_eq!(cells[9], "0", "errors: {out}");
    assert!(out.contains("0 doses without one; 0 duplicates"), "{out}");
    checks_pass(&out, 4);
}

#[test]
fn certificate_downloads_serve_pdfs() {
    let out =
        bench(&["certificate-downloads", "--rate", "10", "--holders", "40", "--connections", "4"]);
    let cells = row(&out, "certificate-downloads");
    assert_eq!(cells[3], "10 PDFs");
    assert_eq!(cells[9], "0", "errors: {out}");
}

#[test]
fn two_servers_on_postgresql_share_the_peak_without_overbooking_or_double_certificates() {
    let admin = pg_admin();
    let out = bench(&[
        "mixed-peak",
        "--fresh-pg",
        &admin,
        "--servers",
        "2",
        "--scale",
        "0.04",
        "--clients",
        "15000",
        "--sites",
        "8",
        "--holders",
        "40",
        "--connections",
        "8",
    ]);
    for scenario in [
        "registration-storm",
        "slot-search",
        "vaccination-day",
        "certificate-downloads",
        "slot-storm",
    ] {
        let cells = row(&out, scenario);
        assert_eq!((cells[1], cells[2]), ("postgres", "2"), "{out}");
        assert_eq!(cells[9], "0", "errors in {scenario}: {out}");
    }
    // 15,000 × ¼ × 0.04 = 150 clients for 150 seats.
    assert!(out.contains("check: 150 × 200 (expected 150) … ok"), "{out}");
    checks_pass(&out, 10);
}

#[test]
fn two_servers_need_postgresql() {
    let out = Command::new(env!("CARGO_BIN_EXE_tika"))
        .args(["bench", "slot-storm", "--servers", "2", "--people", "100", "--facilities", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs PostgreSQL"));
}
