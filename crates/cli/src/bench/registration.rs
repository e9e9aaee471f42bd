//! `tika bench registration`: sustained `POST /api/v2/registration/beneficiary/new`.
//!
//! Accounts and their tokens are made directly through the store (untimed).  Each connection
//! owns its own accounts and registers new people for them, 4 per account (India's limit per
//! mobile), each with a valid and unique Aadhaar number (Verhoeff check digit), in a closed
//! loop for a fixed duration.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use sqlx::Connection;
use tika_storage::DynStore;

use super::load::{self, Plan};
use super::{
    CommonArgs, Database, Server, Summary, aadhaar, bench_config, describe_run, make_citizens, ms,
    open_store, parse_duration, print_header, print_row, run_seed, runtime, thousands,
};

/// The target of issue #2.
const TARGET_PER_SEC: f64 = 2_000.0;
/// Registrations per account (India's pack allows 4 per mobile).
const PER_ACCOUNT: u64 = 4;
/// The rate the default number of accounts is sized for (well above the target).
const SIZED_FOR_PER_SEC: f64 = 8_000.0;

/// `tika bench registration`.
#[derive(Debug, Args, Clone)]
pub(crate) struct RegistrationArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Measured duration.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(crate) duration: Duration,
    /// Unmeasured warm-up before it.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) warmup: Duration,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 256)]
    pub(crate) connections: usize,
    /// Accounts to make (default: enough for 8,000 registrations/s over warm-up + duration).
    #[arg(long)]
    pub(crate) accounts: Option<usize>,
}

fn body(n: u64, photo_id: &str) -> Vec<u8> {
    let year = 1950 + n % 55;
    let gender = 1 + n % 3;
    let comorbidity = if n.is_multiple_of(7) { "Y" } else { "N" };
    format!(
        r#"{{"name":"Bench Citizen","birth_year":"{year}","gender_id":{gender},"photo_id_type":1,"photo_id_number":"{photo_id}","comorbidity_ind":"{comorbidity}","consent_version":"1"}}"#
    )
    .into_bytes()
}

async fn count_beneficiaries(url: &str) -> anyhow::Result<i64> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM beneficiaries WHERE deleted_at IS NULL")
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(n)
}

/// Runs the registration benchmark.
pub(crate) fn run(args: &RegistrationArgs) -> anyhow::Result<()> {
    let server_rt = runtime("tika-server", args.common.server_threads)?;
    let client_rt = runtime("tika-loadgen", args.common.client_threads)?;
    let db = server_rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    let connections = args.connections.max(1);
    let accounts = args.accounts.unwrap_or_else(|| {
        let secs = (args.warmup + args.duration).as_secs_f64();
        let needed = (SIZED_FOR_PER_SEC * secs / PER_ACCOUNT as f64).ceil() as usize;
        needed.max(connections)
    });
    let outcome = (|| -> anyhow::Result<(load::Tally, i64, Duration)> {
        let setup = Instant::now();
        let seed = run_seed();
        let (server, store, citizens) = server_rt.block_on(async {
            let store = open_store(&db.url, args.common.read_connections).await?;
            let dyn_store: DynStore = Arc::clone(&store) as DynStore;
            let pack = Arc::new(tika_packs::india()?);
            let server =
                Server::start(dyn_store, pack, bench_config(args.common.read_connections)).await?;
            let citizens = make_citizens(&server.state, accounts, seed).await?;
            anyhow::Ok((server, store, citizens))
        })?;
        eprintln!(
            "bench: {} accounts with tokens made in {:.1} s; {}",
            thousands(accounts as u64),
            setup.elapsed().as_secs_f64(),
            describe_run(backend, &args.common)
        );
        let auth: Arc<Vec<String>> =
            Arc::new(citizens.iter().map(|c| format!("Bearer {}", c.token)).collect());
        let next_id = Arc::new(AtomicU64::new(seed.wrapping_mul(104_729)));
        let plan = Plan { warmup: args.warmup, duration: args.duration };
        eprintln!(
            "bench: registering over {connections} connections, {:?} warm-up + {:?} measured …",
            args.warmup, args.duration
        );
        let started = Instant::now();
        let tally = client_rt.block_on(async {
            let senders = load::connect_many(server.addr, connections).await?;
            let tally = load::closed_loop(
                server.addr,
                senders,
                plan,
                move |conn, n| {
                    // Connection `conn` owns accounts conn, conn + C, conn + 2C, …
                    let account = conn + connections * usize::try_from(n / PER_ACCOUNT).ok()?;
                    let bearer = auth.get(account)?;
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    Request::builder()
                        .method(Method::POST)
                        .uri("/api/v2/registration/beneficiary/new")
                        .header(HOST, "127.0.0.1")
                        .header(CONTENT_TYPE, "application/json")
                        .header(AUTHORIZATION, bearer.as_str())
                        .body(Full::new(Bytes::from(body(id, &aadhaar(id)))))
                        .ok()
                },
                |a| {
                    a.status == StatusCode::OK
                        && a.body.windows(24).any(|w| w == b"beneficiary_reference_id")
                },
            )
            .await;
            anyhow::Ok(tally)
        })?;
        let ran = started.elapsed();
        let stored = server_rt.block_on(async {
            let n = count_beneficiaries(&db.url).await?;
            server.stop().await;
            store.close().await;
            anyhow::Ok(n)
        })?;
        Ok((tally, stored, ran))
    })();
    server_rt.block_on(db.cleanup())?;
    let (tally, stored, ran) = outcome?;

    let s = Summary::of(&tally.latency, tally.elapsed);
    let ok_rate =
        if tally.elapsed.is_zero() { 0.0 } else { tally.ok as f64 / tally.elapsed.as_secs_f64() };
    println!();
    print_header(&[
        "benchmark",
        "backend",
        "connections",
        "duration",
        "registrations/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "target (≥ 2,000/s)",
    ]);
    print_row(&[
        "registration".to_owned(),
        backend.to_owned(),
        thousands(connections as u64),
        format!("{:.0} s", tally.elapsed.as_secs_f64()),
        thousands(ok_rate.round() as u64),
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p99_ms),
        ms(s.max_ms),
        thousands(tally.errors()),
        if ok_rate >= TARGET_PER_SEC && tally.errors() == 0 { "met" } else { "missed" }.to_owned(),
    ]);
    eprintln!(
        "bench: {} registrations measured ({} ok), {} stored in all (warm-up included) in {:.1} s; \
         statuses {:?}",
        thousands(tally.requests()),
        thousands(tally.ok),
        thousands(u64::try_from(stored).unwrap_or(0)),
        ran.as_secs_f64(),
        tally.statuses
    );
    if tally.elapsed + Duration::from_millis(500) < args.duration {
        eprintln!("bench: the accounts ran out before the end; pass a larger --accounts");
    }
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
    anyhow::ensure!(tally.errors() == 0, "some registrations failed: {:?}", tally.statuses);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_valid_registrations() {
        let v: serde_json::Value = serde_json::from_slice(&body(8, &aadhaar(8))).unwrap();
        assert_eq!(v["name"], "Bench Citizen");
        assert_eq!(v["photo_id_type"], 1);
        assert!(tika_domain::beneficiary::verhoeff_valid(v["photo_id_number"].as_str().unwrap()));
        let year: i32 = v["birth_year"].as_str().unwrap().parse().unwrap();
        assert!((1950..2005).contains(&year));
    }
}
