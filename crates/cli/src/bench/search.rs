//! `tika bench search`: public slot search over national-scale demo data.
//!
//! Loads the demo (55,000 facilities in every district, 7 days of sessions), then for each
//! endpoint (`findByPin`, `calendarByDistrict`) and each encoding (identity, gzip) runs a
//! closed loop of many keep-alive connections for a fixed duration.  Every request asks for a
//! (pincode or district, date) drawn uniformly from the pairs that have sessions, so the
//! response cache sees the spread of a national audience, not one hot key.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use http_body_util::Full;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HOST};
use hyper::{Method, Request, StatusCode};
use tika_domain::date::format_cowin_date;
use tika_domain::ids::DistrictId;
use tika_server::AppState;
use tika_server::services::search::{self as svc, Lang, Query};
use tika_storage::DynStore;

use super::load::{self, Answer, Plan, Req};
use super::{
    CommonArgs, Database, Server, Summary, bench_config, bytes, describe_run, ms, open_store,
    parse_duration, print_header, print_row, runtime, thousands,
};
use crate::demo::{self, DemoSize};

/// The targets of issue #2.
const TARGET_RPS: f64 = 20_000.0;
const TARGET_P99_MS: f64 = 25.0;

/// `tika bench search`.
#[derive(Debug, Args, Clone)]
pub(crate) struct SearchArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Measured duration of each scenario (endpoint × encoding).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(crate) duration: Duration,
    /// Unmeasured warm-up before each scenario.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) warmup: Duration,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 128)]
    pub(crate) connections: usize,
    /// Demo facilities (national scale).
    #[arg(long, default_value_t = 55_000)]
    pub(crate) facilities: usize,
    /// Endpoints to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Endpoint::FindByPin, Endpoint::CalendarByDistrict])]
    pub(crate) endpoints: Vec<Endpoint>,
    /// Skip priming the response cache (every first request of a (key, date) then renders
    /// its answer inside the measurement: the cold-start case).
    #[arg(long)]
    pub(crate) no_prime: bool,
    /// Encodings to measure (`gzip` sends `Accept-Encoding: gzip`).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Encoding::Identity, Encoding::Gzip])]
    pub(crate) encodings: Vec<Encoding>,
}

/// A public search endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Endpoint {
    /// `/api/v2/appointment/sessions/public/findByPin`.
    FindByPin,
    /// `/api/v2/appointment/sessions/public/calendarByDistrict`.
    CalendarByDistrict,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::FindByPin => "findByPin",
            Endpoint::CalendarByDistrict => "calendarByDistrict",
        }
    }
}

/// Response encoding asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Encoding {
    /// No `Accept-Encoding`.
    Identity,
    /// `Accept-Encoding: gzip`.
    Gzip,
}

/// The request paths, one per (key, date) pair with sessions, and the same as service queries.
struct Queries {
    find_by_pin: Vec<String>,
    calendar_by_district: Vec<String>,
    all: Vec<(Query, NaiveDate)>,
}

fn queries(server: &Server) -> Queries {
    let index = server.state.cache.index();
    let today = server.state.today();
    let last = today + chrono::Duration::days(6);
    let mut pins: BTreeSet<(u32, NaiveDate)> = BTreeSet::new();
    let mut districts: BTreeSet<(i64, NaiveDate)> = BTreeSet::new();
    for s in index.sessions.iter().filter(|s| s.is_active() && s.date >= today && s.date <= last) {
        let c = &index.center(s.center_idx).center;
        pins.insert((c.pincode, s.date));
        districts.insert((c.district_id.0, s.date));
    }
    let all = pins
        .iter()
        .map(|&(p, d)| (Query::FindByPin(p), d))
        .chain(districts.iter().map(|&(id, d)| (Query::CalendarByDistrict(DistrictId(id)), d)))
        .collect();
    Queries {
        all,
        find_by_pin: pins
            .into_iter()
            .map(|(p, d)| {
                format!(
                    "/api/v2/appointment/sessions/public/findByPin?pincode={p}&date={}",
                    format_cowin_date(d)
                )
            })
            .collect(),
        calendar_by_district: districts
            .into_iter()
            .map(|(id, d)| {
                format!(
                    "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={id}&date={}",
                    format_cowin_date(d)
                )
            })
            .collect(),
    }
}

/// Renders every answer once through the search service, as a running server's traffic would
/// have, so the measurement sees the steady state (answers kept, re-rendered only after
/// their district changed).  Two threads, like the server's runtime.
fn prime(state: &AppState, queries: &[(Query, NaiveDate)]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let half = queries.len().div_ceil(2).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = queries
            .chunks(half)
            .map(|chunk| {
                scope.spawn(move || {
                    for &(q, date) in chunk {
                        svc::search(state, q, date, None, Lang::En)
                            .map_err(|e| anyhow::anyhow!("priming {q:?}: {e:?}"))?;
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| anyhow::anyhow!("priming thread panicked"))??;
        }
        anyhow::Ok(())
    })?;
    Ok(started.elapsed())
}

/// `splitmix64`: a stateless, well-mixed pick of the next query for (connection, n).
fn mix(conn: usize, n: u64) -> u64 {
    let mut z = (conn as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n.wrapping_add(0x6A09_E667);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn get(path: &str, encoding: Encoding) -> Option<Req> {
    let mut b = Request::builder().method(Method::GET).uri(path).header(HOST, "127.0.0.1");
    if encoding == Encoding::Gzip {
        b = b.header(ACCEPT_ENCODING, "gzip");
    }
    b.body(Full::new(Bytes::new())).ok()
}

fn answer_ok(a: &Answer, encoding: Encoding) -> bool {
    if a.status != StatusCode::OK || a.body.is_empty() {
        return false;
    }
    let gzipped = a.headers.get(CONTENT_ENCODING).is_some_and(|v| v.as_bytes() == b"gzip");
    match encoding {
        Encoding::Gzip => gzipped && a.body.starts_with(&[0x1f, 0x8b]),
        Encoding::Identity => !gzipped && a.body.first() == Some(&b'{'),
    }
}

/// One scenario's figures.
struct Row {
    endpoint: Endpoint,
    encoding: Encoding,
    tally: load::Tally,
}

async fn scenario(
    addr: SocketAddr,
    paths: Arc<Vec<String>>,
    endpoint: Endpoint,
    encoding: Encoding,
    args: &SearchArgs,
) -> anyhow::Result<Row> {
    // One plain request first: the answer must be real data, not an empty list.
    let mut probe = load::connect(addr).await?;
    let first = paths.first().ok_or_else(|| anyhow::anyhow!("no sessions to search"))?;
    let req = get(first, Encoding::Identity).ok_or_else(|| anyhow::anyhow!("bad path"))?;
    let answer = load::send(&mut probe, req).await?;
    let json: serde_json::Value = serde_json::from_slice(&answer.body)?;
    let items = json
        .get("sessions")
        .or_else(|| json.get("centers"))
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    anyhow::ensure!(
        answer.status == StatusCode::OK && items > 0,
        "probe {first} answered {} with {items} items",
        answer.status
    );
    drop(probe);

    let senders = load::connect_many(addr, args.connections).await?;
    let plan = Plan { warmup: args.warmup, duration: args.duration };
    let picks = Arc::clone(&paths);
    let tally = load::closed_loop(
        addr,
        senders,
        plan,
        move |conn, n| {
            let i = usize::try_from(mix(conn, n) % picks.len() as u64).unwrap_or(0);
            get(&picks[i], encoding)
        },
        move |a| answer_ok(a, encoding),
    )
    .await;
    Ok(Row { endpoint, encoding, tally })
}

/// Runs the search benchmark.
pub(crate) fn run(args: &SearchArgs) -> anyhow::Result<()> {
    let server_rt = runtime("tika-server", args.common.server_threads)?;
    let client_rt = runtime("tika-loadgen", args.common.client_threads)?;
    let db = server_rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    let outcome = (|| -> anyhow::Result<Vec<Row>> {
        let (server, store) = server_rt.block_on(async {
            let store = open_store(&db.url, args.common.read_connections).await?;
            let dyn_store: DynStore = Arc::clone(&store) as DynStore;
            let pack = Arc::new(tika_packs::india()?);
            let now = chrono::Utc::now();
            let today = tika_server::clock::local_today(now, pack.timezone_offset_minutes);
            let started = Instant::now();
            let size = DemoSize { facilities: args.facilities, days: 7 };
            let (centers, sessions) =
                demo::load(&dyn_store, &pack, size, today, now.timestamp_millis()).await?;
            eprintln!(
                "bench: demo data loaded in {:.1} s ({} new centres, {} new sessions)",
                started.elapsed().as_secs_f64(),
                thousands(centers),
                thousands(sessions)
            );
            let started = Instant::now();
            let server =
                Server::start(dyn_store, pack, bench_config(args.common.read_connections)).await?;
            eprintln!(
                "bench: server listening on {} (search cache built in {:.1} s)",
                server.addr,
                started.elapsed().as_secs_f64()
            );
            anyhow::Ok((server, store))
        })?;
        let q = queries(&server);
        eprintln!(
            "bench: {} (pincode, date) and {} (district, date) pairs with sessions; {}",
            thousands(q.find_by_pin.len() as u64),
            thousands(q.calendar_by_district.len() as u64),
            describe_run(backend, &args.common)
        );
        if args.no_prime {
            eprintln!("bench: response cache left cold (--no-prime)");
        } else {
            let took = prime(&server.state, &q.all)?;
            eprintln!(
                "bench: response cache primed with {} answers in {:.1} s ({:.0} renders/s)",
                thousands(q.all.len() as u64),
                took.as_secs_f64(),
                q.all.len() as f64 / took.as_secs_f64().max(1e-9)
            );
        }
        let find = Arc::new(q.find_by_pin);
        let calendar = Arc::new(q.calendar_by_district);
        let mut rows = Vec::new();
        for &endpoint in &args.endpoints {
            for &encoding in &args.encodings {
                let paths = match endpoint {
                    Endpoint::FindByPin => Arc::clone(&find),
                    Endpoint::CalendarByDistrict => Arc::clone(&calendar),
                };
                eprintln!(
                    "bench: {} {encoding:?}: {} connections, {:?} warm-up + {:?} measured …",
                    endpoint.name(),
                    args.connections,
                    args.warmup,
                    args.duration
                );
                let row =
                    client_rt.block_on(scenario(server.addr, paths, endpoint, encoding, args))?;
                rows.push(row);
            }
        }
        server_rt.block_on(async {
            server.stop().await;
            store.close().await;
        });
        Ok(rows)
    })();
    server_rt.block_on(db.cleanup())?;
    let rows = outcome?;

    println!();
    print_header(&[
        "benchmark",
        "backend",
        "encoding",
        "connections",
        "duration",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "mean body",
        "max body",
        "target (≥ 20,000 req/s, p99 ≤ 25 ms)",
    ]);
    let mut all_clean = true;
    for r in &rows {
        let s = Summary::of(&r.tally.latency, r.tally.elapsed);
        let met = s.rate >= TARGET_RPS && s.p99_ms <= TARGET_P99_MS && r.tally.errors() == 0;
        all_clean &= r.tally.errors() == 0;
        print_row(&[
            format!("search {}", r.endpoint.name()),
            backend.to_owned(),
            match r.encoding {
                Encoding::Identity => "identity".to_owned(),
                Encoding::Gzip => "gzip".to_owned(),
            },
            thousands(args.connections as u64),
            format!("{:.0} s", r.tally.elapsed.as_secs_f64()),
            thousands(s.rate.round() as u64),
            ms(s.p50_ms),
            ms(s.p90_ms),
            ms(s.p99_ms),
            ms(s.max_ms),
            thousands(r.tally.errors()),
            bytes(r.tally.body_mean()),
            bytes(r.tally.body_max),
            if met { "met".to_owned() } else { "missed".to_owned() },
        ]);
        if r.tally.errors() > 0 {
            eprintln!(
                "bench: {} {:?}: {} errors; statuses {:?}",
                r.endpoint.name(),
                r.encoding,
                r.tally.errors(),
                r.tally.statuses
            );
        }
    }
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
    anyhow::ensure!(all_clean, "some search requests failed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_spread_over_every_query() {
        let n = 1_000u64;
        let mut seen = std::collections::HashSet::new();
        for conn in 0..8 {
            for i in 0..2_000 {
                seen.insert(mix(conn, i) % n);
            }
        }
        assert!(seen.len() > 990, "{}", seen.len());
    }
}
