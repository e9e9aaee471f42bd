//! `tika bench booking`: a booking storm on one session.
//!
//! 10,000 accounts, each with one registered beneficiary and a token, are made directly
//! through the store and the services (untimed).  Then every account's `POST
//! /api/v2/appointment/schedule` for the same 150-seat session is released at the same instant
//! over pre-opened keep-alive connections.  The run passes only if exactly 150 attempts got
//! 200, every other one got 409 `APPOIN0040`, and the database holds `booked_dose1 = 150` and
//! 150 booked appointment rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use sqlx::Connection;
use tika_domain::beneficiary::RegistrationInput;
use tika_domain::ids::{CenterId, SessionId};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_server::services::auth::{Principal, Scope};
use tika_server::services::registration;
use tika_storage::{DynStore, NewCenter, NewSession, Store};

use super::load::{self, Req};
use super::{
    CommonArgs, Database, Server, Summary, aadhaar, bench_config, describe_run, make_citizens,
    max_connections, ms, open_store, parse_duration, print_header, print_row, run_seed, runtime,
    thousands,
};

/// The target of issue #2.
const TARGET_P99_MS: f64 = 250.0;

/// `tika bench booking`.
#[derive(Debug, Args, Clone)]
pub(crate) struct BookingArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Booking attempts, one per account, all released at the same instant.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) attempts: usize,
    /// Dose-1 seats of the one session.
    #[arg(long, default_value_t = 150)]
    pub(crate) seats: u32,
    /// Keep-alive connections (default: one per attempt, as many as the open-file limit
    /// allows; the rest wait for a connection, and their wait counts in their latency).
    #[arg(long)]
    pub(crate) connections: Option<usize>,
    /// Longest the storm may take before the run is declared failed.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub(crate) duration: Duration,
}

/// One attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Booked,
    Full,
    Other(u16),
    NoAnswer,
}

pub(super) fn classify(status: StatusCode, body: &[u8]) -> Outcome {
    let code = || {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("errorCode").and_then(|c| c.as_str()).map(str::to_owned))
    };
    match status {
        StatusCode::OK => Outcome::Booked,
        StatusCode::CONFLICT if code().as_deref() == Some("APPOIN0040") => Outcome::Full,
        other => Outcome::Other(other.as_u16()),
    }
}

/// What a storm's attempts came back with.
pub(super) struct Storm {
    /// Latency of each attempt from the common launch instant.
    pub(super) from_launch: hdrhistogram::Histogram<u64>,
    /// Latency of each attempt from when it was sent.
    pub(super) on_the_wire: hdrhistogram::Histogram<u64>,
    /// Every attempt's outcome.
    pub(super) outcomes: Vec<Outcome>,
    /// Launch to last answer.
    pub(super) wall: Duration,
    /// Connections used.
    pub(super) connections: usize,
    /// Samples of unexpected answers.
    pub(super) samples: Vec<String>,
    /// (first, last) answer after launch, for 200s and for 409s.
    pub(super) booked_span: (Duration, Duration),
    pub(super) full_span: (Duration, Duration),
}

/// Opens the connections (dealt round-robin to `addrs`), then releases every attempt at one
/// instant; attempt `i` goes on connection `i % connections`, in order.
pub(super) async fn storm(
    addrs: &[std::net::SocketAddr],
    requests: Vec<Req>,
    wanted: usize,
) -> anyhow::Result<Storm> {
    let n = requests.len();
    let connections = wanted.clamp(1, n.max(1));
    // Connection i is on server i % servers; at most 128 handshakes at a time.
    let senders: Vec<load::Sender> = {
        use futures::{StreamExt as _, TryStreamExt as _};
        futures::stream::iter((0..connections).map(|i| addrs[i % addrs.len()]))
            .map(load::connect)
            .buffered(128)
            .try_collect()
            .await?
    };
    // Attempt i goes on connection i % connections, in order.
    let mut queues: Vec<Vec<Req>> = (0..connections).map(|_| Vec::new()).collect();
    for (i, r) in requests.into_iter().enumerate() {
        queues[i % connections].push(r);
    }
    let (go, ready) = tokio::sync::watch::channel(None::<Instant>);
    let mut tasks = Vec::with_capacity(connections);
    for (mut sender, queue) in senders.into_iter().zip(queues) {
        let mut ready = ready.clone();
        tasks.push(tokio::spawn(async move {
            let launch = match ready.wait_for(Option::is_some).await {
                Ok(t) => t.unwrap_or_else(Instant::now),
                Err(_) => Instant::now(),
            };
            let mut out = Vec::with_capacity(queue.len());
            for req in queue {
                let sent = Instant::now();
                let outcome = match load::send(&mut sender, req).await {
                    Ok(a) => (classify(a.status, &a.body), a.body),
                    Err(e) => (Outcome::NoAnswer, Bytes::from(e.to_string())),
                };
                out.push((outcome, launch.elapsed(), sent.elapsed()));
            }
            out
        }));
    }
    // Let every task reach its wait, then release them all at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let launch = Instant::now();
    let _ = go.send(Some(launch));
    let mut s = Storm {
        from_launch: load::histogram(),
        on_the_wire: load::histogram(),
        outcomes: Vec::with_capacity(n),
        wall: Duration::ZERO,
        connections,
        samples: Vec::new(),
        booked_span: (Duration::MAX, Duration::ZERO),
        full_span: (Duration::MAX, Duration::ZERO),
    };
    for t in tasks {
        for ((outcome, body), since_launch, own) in t.await? {
            load::record(&mut s.from_launch, since_launch);
            let span = match outcome {
                Outcome::Booked => Some(&mut s.booked_span),
                Outcome::Full => Some(&mut s.full_span),
                _ => None,
            };
            if let Some((first, last)) = span {
                *first = (*first).min(since_launch);
                *last = (*last).max(since_launch);
            }
            load::record(&mut s.on_the_wire, own);
            if !matches!(outcome, Outcome::Booked | Outcome::Full) && s.samples.len() < 5 {
                s.samples.push(format!("{outcome:?}: {}", String::from_utf8_lossy(&body)));
            }
            s.outcomes.push(outcome);
        }
    }
    s.wall = launch.elapsed();
    Ok(s)
}

/// The session under siege, with its centre (untimed setup).
pub(super) async fn make_session(
    store: &DynStore,
    pack: &tika_domain::country::CountryPack,
    seats: u32,
    now_ms: i64,
) -> anyhow::Result<NewSession> {
    let pin = pack.pincode(110_001).ok_or_else(|| anyhow::anyhow!("pincode 110001 unknown"))?;
    let district =
        pack.district(pin.district_id).ok_or_else(|| anyhow::anyhow!("district unknown"))?;
    let today = tika_server::clock::local_today(
        chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default(),
        pack.timezone_offset_minutes,
    );
    let center_id = CenterId(9_900_000 + i64::try_from(super::run_seed() % 99_999).unwrap_or(0));
    store
        .insert_centers(&[NewCenter {
            id: center_id,
            name: "Benchmark Vaccination Centre".into(),
            name_l: String::new(),
            address: "Connaught Place, New Delhi 110001".into(),
            block_name: "Not Applicable".into(),
            district_id: district.id,
            state_id: district.state_id,
            pincode: 110_001,
            lat: pin.lat,
            lon: pin.lon,
            open_time: "09:00:00".into(),
            close_time: "17:00:00".into(),
            fee_type: FeeType::Free,
            created_at_ms: now_ms,
        }])
        .await?;
    let session = NewSession {
        id: SessionId::new(),
        center_id,
        date: today + chrono::Duration::days(1),
        vaccine: VaccineCode::parse("COVISHIELD").map_err(|e| anyhow::anyhow!("{e}"))?,
        ages: AgeLimits { min: 18, max: None },
        fee: "0".into(),
        capacity_dose1: seats,
        capacity_dose2: 0,
        slots: Slot::split(9 * 60, 17 * 60, 4),
        updated_at_ms: now_ms,
    };
    store.insert_sessions(std::slice::from_ref(&session)).await?;
    Ok(session)
}

/// Counts the session's booked appointment rows with a connection of its own.
async fn booked_rows(url: &str, session: SessionId) -> anyhow::Result<i64> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM appointments WHERE session_id = $1 AND status = 'booked'",
    )
    .bind(session.to_string())
    .fetch_one(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(n)
}

struct Verified {
    storm: Storm,
    booked_dose1: u32,
    rows: i64,
}

/// Runs the booking benchmark.
pub(crate) fn run(args: &BookingArgs) -> anyhow::Result<()> {
    let server_rt = runtime("tika-server", args.common.server_threads)?;
    let client_rt = runtime("tika-loadgen", args.common.client_threads)?;
    let db = server_rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    let fit = max_connections();
    let connections = args.connections.unwrap_or(args.attempts).min(fit);
    if connections < args.connections.unwrap_or(args.attempts) {
        eprintln!(
            "bench: the open-file limit allows {fit} client connections (each costs a descriptor on \
             both ends); using {connections}"
        );
    }
    let outcome = (|| -> anyhow::Result<Verified> {
        let setup = Instant::now();
        let (server, store, session, requests) = server_rt.block_on(async {
            let store = open_store(&db.url, args.common.read_connections).await?;
            let dyn_store: DynStore = Arc::clone(&store) as DynStore;
            let pack = Arc::new(tika_packs::india()?);
            let now_ms = chrono::Utc::now().timestamp_millis();
            let session = make_session(&dyn_store, &pack, args.seats, now_ms).await?;
            let server =
                Server::start(dyn_store, pack, bench_config(args.common.read_connections)).await?;
            let seed = run_seed();
            let citizens = make_citizens(&server.state, args.attempts, seed).await?;
            let state = &server.state;
            let refs: Vec<anyhow::Result<String>> =
                futures::stream::iter(citizens.iter().enumerate())
                    .map(|(i, c)| async move {
                        let principal = Principal { account: c.account, scope: Scope::Protected };
                        let id = aadhaar(seed.wrapping_mul(7_919).wrapping_add(i as u64));
                        let input = RegistrationInput {
                            name: "Bench Citizen",
                            birth_year: "1985",
                            gender_id: 1 + (i % 3) as i64,
                            photo_id_type: 1,
                            photo_id_number: &id,
                            comorbidity_ind: Some("N"),
                        };
                        let b = registration::register(state, &principal, &input)
                            .await
                            .map_err(|e| anyhow::anyhow!("registration failed: {e:?}"))?;
                        Ok(b.reference_id.as_str().to_owned())
                    })
                    .buffered(1_024)
                    .collect()
                    .await;
            let refs: Vec<String> = refs.into_iter().collect::<anyhow::Result<_>>()?;
            let mut requests = Vec::with_capacity(citizens.len());
            for (i, (c, r)) in citizens.iter().zip(&refs).enumerate() {
                let body = serde_json::json!({
                    "dose": 1,
                    "session_id": session.id.to_string(),
                    "slot": session.slots[i % session.slots.len()].as_str(),
                    "beneficiaries": [r],
                    "center_id": session.center_id.0,
                });
                requests.push(
                    Request::builder()
                        .method(Method::POST)
                        .uri("/api/v2/appointment/schedule")
                        .header(HOST, "127.0.0.1")
                        .header(CONTENT_TYPE, "application/json")
                        .header(AUTHORIZATION, format!("Bearer {}", c.token))
                        .body(Full::new(Bytes::from(serde_json::to_vec(&body)?)))?,
                );
            }
            anyhow::Ok((server, store, session, requests))
        })?;
        eprintln!(
            "bench: {} accounts with a beneficiary and a token made in {:.1} s; session {} has {} \
             dose-1 seats; {}",
            thousands(args.attempts as u64),
            setup.elapsed().as_secs_f64(),
            session.id,
            args.seats,
            describe_run(backend, &args.common)
        );
        eprintln!(
            "bench: releasing {} attempts at once over {} connections …",
            thousands(args.attempts as u64),
            thousands(connections as u64)
        );
        let storm = client_rt.block_on(async {
            tokio::time::timeout(args.duration, storm(&[server.addr], requests, connections)).await
        });
        let storm = storm
            .map_err(|_| anyhow::anyhow!("the storm took longer than {:?}", args.duration))??;
        let (booked_dose1, rows) = server_rt.block_on(async {
            let s = store.find_session(session.id).await?;
            let rows = booked_rows(&db.url, session.id).await?;
            server.stop().await;
            store.close().await;
            anyhow::Ok((s.booked_dose1, rows))
        })?;
        Ok(Verified { storm, booked_dose1, rows })
    })();
    server_rt.block_on(db.cleanup())?;
    let Verified { storm, booked_dose1, rows } = outcome?;

    let count = |want: Outcome| storm.outcomes.iter().filter(|o| **o == want).count();
    let booked = count(Outcome::Booked);
    let full = count(Outcome::Full);
    let other = storm.outcomes.len() - booked - full;
    let seats = args.seats as usize;
    let expected_full = args.attempts.saturating_sub(seats);
    let checks = [
        (format!("{booked} × 200 (expected {seats})"), booked == seats),
        (format!("{full} × 409 APPOIN0040 (expected {expected_full})"), full == expected_full),
        (format!("{other} other answers (expected 0)"), other == 0),
        (
            format!("database booked_dose1 = {booked_dose1} (expected {seats})"),
            booked_dose1 == args.seats,
        ),
        (
            format!("database booked appointment rows = {rows} (expected {seats})"),
            rows == seats as i64,
        ),
    ];
    println!();
    for (what, ok) in &checks {
        println!("- [{}] {what}", if *ok { "x" } else { " " });
    }
    for s in &storm.samples {
        eprintln!("bench: unexpected answer {s}");
    }
    let s = Summary::of(&storm.from_launch, storm.wall);
    let w = Summary::of(&storm.on_the_wire, storm.wall);
    let verified = checks.iter().all(|(_, ok)| *ok);
    println!();
    print_header(&[
        "benchmark",
        "backend",
        "attempts",
        "connections",
        "200",
        "409 APPOIN0040",
        "other",
        "DB booked_dose1",
        "all answered in",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "target (p99 ≤ 250 ms)",
    ]);
    print_row(&[
        format!("booking ({} seats)", args.seats),
        backend.to_owned(),
        thousands(args.attempts as u64),
        thousands(storm.connections as u64),
        thousands(booked as u64),
        thousands(full as u64),
        thousands(other as u64),
        booked_dose1.to_string(),
        format!("{} ms", thousands(storm.wall.as_millis() as u64)),
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p99_ms),
        ms(s.max_ms),
        if verified && s.p99_ms <= TARGET_P99_MS { "met" } else { "missed" }.to_owned(),
    ]);
    eprintln!(
        "bench: latency is measured from the common launch instant; on the wire alone (from each \
         request's own send): p50 {} ms, p99 {} ms, max {} ms",
        ms(w.p50_ms),
        ms(w.p99_ms),
        ms(w.max_ms)
    );
    let span = |(a, b): (Duration, Duration)| {
        if a > b { "-".to_owned() } else { format!("{}–{} ms", a.as_millis(), b.as_millis()) }
    };
    eprintln!(
        "bench: after launch, the 200s were answered at {} and the 409s at {}",
        span(storm.booked_span),
        span(storm.full_span)
    );
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
    anyhow::ensure!(verified, "the booking storm's outcome is wrong (see the checks above)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(StatusCode::OK, b"{}"), Outcome::Booked);
        let full =
            br#"{"errorCode":"APPOIN0040","error":"This vaccination center is completely booked"}"#;
        assert_eq!(classify(StatusCode::CONFLICT, full), Outcome::Full);
        assert_eq!(
            classify(StatusCode::CONFLICT, br#"{"errorCode":"APPOIN0041"}"#),
            Outcome::Other(409)
        );
        assert_eq!(classify(StatusCode::BAD_REQUEST, b"x"), Outcome::Other(400));
    }
}
