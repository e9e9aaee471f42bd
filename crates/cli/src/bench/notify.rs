//! `tika bench notify`: the notification pipeline, from outbox event to SMS gateway hand-off.
//!
//! Targets (issue: notifications): outbox throughput ≥ 2,000 messages/s from event to gateway
//! hand-off on 2 cores, and OTP latency p99 ≤ 1 s from request to gateway while a 1,000,000
//! reminder backlog is draining.
//!
//! The gateway is the real [`HttpGateway`] (a pooled keep-alive `reqwest` client posting the
//! provider JSON), pointed at an in-process HTTP sink bound to `127.0.0.1:0` on the load
//! generator's runtime.  The sink is a minimal HTTP/1.1 server written on tokio (keep-alive,
//! `content-length` bodies, a fixed `200 {}` answer): it parses each JSON body and records, per
//! message id, the `Instant` it arrived, and per OTP recipient the first arrival.  OTP recipients
//! are told apart by their number: OTPs go to `9…` mobiles, Phase A's registrations to `7…`,
//! the backlog's reminders to `6…`.
//!
//! - **Phase A (event → hand-off)**: `--events` beneficiaries are registered through the store
//!   (one account each, made first; concurrent, so the group-commit writer batches them; timed
//!   but not part of the measure): each writes a `beneficiary.registered` event.  Then the
//!   planner and both dispatcher lanes start exactly as `tika serve` starts them
//!   ([`dispatch::spawn_planner`], [`dispatch::spawn_dispatcher`]) and the clock runs until the
//!   sink has received every registration SMS.
//! - **Phase B (OTP latency under a backlog)**: `--backlog` bulk reminders, due now, are queued
//!   with `enqueue_messages` in chunks of 5,000; the planner and lanes start again (gateway
//!   limited to `--gateway-rate`, 0 = unlimited, so the backlog drains as fast as Tika can);
//!   after 2 s, OTPs are requested for `--otp-seconds` at `--otp-rate`/s, open loop (each at its
//!   scheduled time on its own task, through [`generate_otp`], the service behind
//!   `POST /api/v2/auth/generateMobileOTP`).  An OTP's latency runs from its scheduled time to
//!   the sink's receipt of its SMS.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef};
use tika_domain::message::{MessageKind, Priority};
use tika_server::AppState;
use tika_server::app::{Parts, build_state};
use tika_server::clock::SystemClock;
use tika_server::keys::Keys;
use tika_server::services::auth::{Scope, generate_otp};
use tika_server::services::notifications::dispatch;
use tika_server::sms::{GatewayPool, HttpGateway, HttpGatewayConfig};
use tika_storage::{DynStore, NewBeneficiaryRecord, NewMessage, SendOutcome, SqlStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::load;
use super::{
    CommonArgs, Database, aadhaar, bench_config, bench_templates, describe_run, mobile, ms,
    open_store, print_header, print_row, run_seed, runtime, thousands,
};

/// Event → hand-off target, messages/s.
const TARGET_RATE: f64 = 2_000.0;
/// OTP latency target, p99 ms.
const TARGET_P99_MS: f64 = 1_000.0;
/// Reminders per `enqueue_messages` call.
const ENQUEUE_CHUNK: u64 = 5_000;
/// Registrations in flight during Phase A's setup.
const SETUP_CONCURRENCY: usize = 512;
/// Phase B runs the lanes this long before the first OTP.
const WARMUP: Duration = Duration::from_secs(2);

/// Flags of `tika bench notify`.
#[derive(Debug, Args, Clone)]
pub(crate) struct NotifyArgs {
    /// Phase A: beneficiaries registered, each one `beneficiary.registered` event and one SMS
    /// (0 skips the phase).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) events: u64,
    /// Phase B: bulk reminders queued (due now) before the OTPs start.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) backlog: u64,
    /// Phase B: OTP requests per second (open loop; 0 skips the phase).
    #[arg(long, default_value_t = 20)]
    pub(crate) otp_rate: u32,
    /// Phase B: seconds of OTP requests.
    #[arg(long, default_value_t = 30)]
    pub(crate) otp_seconds: u64,
    /// Phase B: the gateway's rate limit, messages/s (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    pub(crate) gateway_rate: u32,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

// ---------------------------------------------------------------------------------------------
// The HTTP sink
// ---------------------------------------------------------------------------------------------

/// What the provider's sink saw.
#[derive(Default)]
struct Sink {
    /// First arrival of each message id.
    seen: Mutex<HashMap<uuid::Uuid, Instant>>,
    /// First arrival of an SMS to each OTP mobile (10 digits, starting with 9).
    otps: Mutex<HashMap<String, Instant>>,
    /// Distinct messages received.
    received: AtomicU64,
    /// Of which OTPs.
    otp_received: AtomicU64,
    /// The same id again (at-least-once).
    duplicates: AtomicU64,
    /// Bodies that were not the provider JSON.
    bad: AtomicU64,
}

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

impl Sink {
    fn take(&self, body: &[u8]) {
        let at = Instant::now();
        let v: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                self.bad.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let id = v.get("id").and_then(|id| id.as_str()).and_then(|s| uuid::Uuid::parse_str(s).ok());
        let to = v.get("to").and_then(|t| t.as_str()).unwrap_or_default();
        let Some(id) = id else {
            self.bad.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let fresh = lock(&self.seen).insert(id, at).is_none();
        if !fresh {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.received.fetch_add(1, Ordering::Relaxed);
        let national = &to[to.len().saturating_sub(10)..];
        if national.starts_with('9') {
            self.otp_received.fetch_add(1, Ordering::Relaxed);
            lock(&self.otps).entry(national.to_owned()).or_insert(at);
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    fn bulk_received(&self) -> u64 {
        self.received() - self.otp_received.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections for ever (a task of the load generator's runtime).
async fn serve_sink(listener: TcpListener, sink: Arc<Sink>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let sink = Arc::clone(&sink);
        tokio::spawn(async move {
            let _ = sink_connection(stream, &sink).await;
        });
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// One keep-alive connection: request head, `content-length` body, fixed answer, again.
async fn sink_connection(mut stream: TcpStream, sink: &Sink) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let end = head_end + content_length(&buf[..head_end]);
        while buf.len() < end {
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        sink.take(&buf[head_end..end]);
        buf.drain(..end);
        stream.write_all(ANSWER).await?;
    }
}

/// A pool holding one [`HttpGateway`] posting to the sink at `rate`/s (0: unlimited).
fn http_pool(url: &str, rate: u32) -> anyhow::Result<Arc<GatewayPool>> {
    let gateway = HttpGateway::new(HttpGatewayConfig {
        name: "bench-http".to_owned(),
        url: url.to_owned(),
        token: "bench-token".to_owned(),
        max_per_second: if rate == 0 { 10_000_000 } else { rate },
        timeout: Duration::from_secs(10),
        ..HttpGatewayConfig::default()
    })?;
    Ok(Arc::new(GatewayPool::new(vec![Arc::new(gateway)])))
}

async fn state_with(
    store: &DynStore,
    sms: Arc<GatewayPool>,
    read: u32,
) -> anyhow::Result<AppState> {
    build_state(Parts {
        config: bench_config(read),
        store: Arc::clone(store),
        pack: Arc::new(tika_packs::india()?),
        keys: Keys::derive(b"bench master secret, at least 32 bytes long"),
        sms,
        templates: bench_templates()?,
        clock: Arc::new(SystemClock),
        certificates: None,
    })
    .await
}

/// The background jobs `tika serve` runs for messages; aborted on drop.
struct Workers(Vec<tokio::task::JoinHandle<()>>);

impl Workers {
    fn start(state: &AppState) -> Self {
        let mut tasks = vec![dispatch::spawn_planner(state.clone())];
        tasks.extend(dispatch::spawn_dispatcher(state.clone()));
        Self(tasks)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Letters for a number (names may not contain digits).
fn letters(mut n: u64) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + u8::try_from(n % 26).unwrap_or(0)));
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

/// Waits until no message is queued-and-due or being sent (the lanes recorded their last
/// round), at most `limit`.
async fn settle(store: &DynStore, limit: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        let depth = store.queue_depth(chrono::Utc::now().timestamp_millis()).await?;
        if depth.sending == 0 && depth.due.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Phase A
// ---------------------------------------------------------------------------------------------

struct PhaseA {
    events: u64,
    setup: Duration,
    planned_in: Option<Duration>,
    received_at_planned: u64,
    handed_in: Duration,
    received: u64,
}

async fn phase_a(
    store: &DynStore,
    sink: &Sink,
    url: &str,
    args: &NotifyArgs,
    seed: u64,
) -> anyhow::Result<PhaseA> {
    let n = args.events;
    let state = state_with(store, http_pool(url, 0)?, args.common.read_connections).await?;
    eprintln!("bench: phase A: registering {} beneficiaries (setup, untimed) …", thousands(n));
    let t = Instant::now();
    let now = state.now_ms();
    let base = seed.wrapping_mul(1_000_003);
    let made: Vec<anyhow::Result<()>> = futures::stream::iter(0..n)
        .map(|i| async move {
            let k = base.wrapping_add(i) % 1_000_000_000;
            let account = store.upsert_account(&mobile(1_000_000_000 + k)?, now).await?.0.id;
            store
                .create_beneficiary(
                    &NewBeneficiaryRecord {
                        id: BeneficiaryId::new(),
                        reference_id: BeneficiaryRef::from_random(k.wrapping_mul(7919)),
                        account_id: account,
                        name: format!("Bench Person {}", letters(k)),
                        birth_year: 1980,
                        gender_id: 1,
                        photo_id_type: 1,
                        photo_id_hash: format!("bench-notify-{k}-{}", aadhaar(k)),
                        photo_id_last4: aadhaar(k)[8..].to_owned(),
                        comorbidity: false,
                        created_at_ms: now,
                    },
                    4,
                )
                .await?;
            Ok(())
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    made.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let setup = t.elapsed();
    eprintln!(
        "bench: phase A: {} accounts + beneficiaries (events) in {:.1} s ({:.0}/s); starting the planner and the lanes",
        thousands(n),
        setup.as_secs_f64(),
        n as f64 / setup.as_secs_f64()
    );
    let planned =
        || state.metrics.messages_planned.with_label_values(&["registration", "queued"]).get();
    let before = sink.received();
    let t0 = Instant::now();
    let workers = Workers::start(&state);
    let mut planned_in = None;
    let mut received_at_planned = 0;
    let mut last = (0u64, Instant::now());
    loop {
        let got = sink.received() - before;
        if planned_in.is_none() && planned() >= n {
            planned_in = Some(t0.elapsed());
            received_at_planned = got;
        }
        if got >= n {
            break;
        }
        if got != last.0 {
            last = (got, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(60) {
            eprintln!("bench: phase A: no progress for 60 s, stopping at {got} of {n}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let received = sink.received() - before;
    // The last arrival, from the sink's own timestamps.
    let handed_in = lock(&sink.seen).values().max().map_or(t0.elapsed(), |at| *at - t0);
    settle(store, Duration::from_secs(10)).await?;
    drop(workers);
    Ok(PhaseA { events: n, setup, planned_in, received_at_planned, handed_in, received })
}

// ---------------------------------------------------------------------------------------------
// Phase B
// ---------------------------------------------------------------------------------------------

struct PhaseB {
    backlog: u64,
    enqueue: Duration,
    depth_ms: f64,
    claim_ms: f64,
    otp_claim_ms: f64,
    otps: u64,
    arrived: hdrhistogram::Histogram<u64>,
    request: hdrhistogram::Histogram<u64>,
    missing: u64,
    errors: u64,
    window: Duration,
    drained: u64,
    due_at_end: u64,
    depth_end_ms: f64,
}

struct OtpSent {
    national: String,
    scheduled: Instant,
    answered: Instant,
    ok: bool,
}

fn reminder(i: u64, now: i64) -> anyhow::Result<NewMessage> {
    let to = mobile(i % 1_000_000_000)?;
    Ok(NewMessage {
        id: uuid::Uuid::now_v7(),
        kind: MessageKind::Reminder,
        mobile: to,
        account_id: None,
        beneficiary_id: None,
        booking_id: None,
        session_id: None,
        language: "en".to_owned(),
        template_id: "1107161234500000006".to_owned(),
        body: format!(
            "Reminder: Bench Person {}, your vaccination is tomorrow 05-12-2026 09:00AM-11:00AM \
             at PHC Bench {}. Code {:04}. - MoHFW",
            letters(i),
            i % 997,
            i % 10_000
        ),
        parts: 1,
        unicode: false,
        supersede_key: None,
        quiet_hours: None,
        available_at_ms: now - 1_000,
        expires_at_ms: now + MessageKind::Reminder.ttl_ms(),
        created_at_ms: now - 1_000,
    })
}

async fn timed<T, F: std::future::Future<Output = T>>(f: F) -> (T, f64) {
    let t = Instant::now();
    let out = f.await;
    (out, t.elapsed().as_secs_f64() * 1000.0)
}

async fn phase_b(
    store: &DynStore,
    sink: &Arc<Sink>,
    url: &str,
    args: &NotifyArgs,
    client: &tokio::runtime::Handle,
    seed: u64,
) -> anyhow::Result<PhaseB> {
    let state =
        state_with(store, http_pool(url, args.gateway_rate)?, args.common.read_connections).await?;
    eprintln!(
        "bench: phase B: queueing {} reminders in chunks of {} …",
        thousands(args.backlog),
        thousands(ENQUEUE_CHUNK)
    );
    let t = Instant::now();
    let now = state.now_ms();
    let mut next = 0;
    while next < args.backlog {
        let end = (next + ENQUEUE_CHUNK).min(args.backlog);
        let chunk = (next..end).map(|i| reminder(i, now)).collect::<anyhow::Result<Vec<_>>>()?;
        store.enqueue_messages(&chunk).await?;
        next = end;
    }
    let enqueue = t.elapsed();
    eprintln!(
        "bench: phase B: {} reminders queued in {:.1} s ({:.0}/s)",
        thousands(args.backlog),
        enqueue.as_secs_f64(),
        args.backlog as f64 / enqueue.as_secs_f64()
    );
    // What a scrape of /metrics and one claim cost on the full queue.
    let now = state.now_ms();
    let (depth, depth_ms) = timed(store.queue_depth(now)).await;
    let due: u64 = depth?.due.iter().map(|(_, n, _)| n).sum();
    let (claimed, claim_ms) =
        timed(store.claim_messages(&[Priority::Bulk], dispatch::MAIN_BATCH, now, now + 60_000))
            .await;
    let back: Vec<SendOutcome> =
        claimed?.iter().map(|m| SendOutcome::Defer { id: m.id, until_ms: now }).collect();
    store.record_send_outcomes(&back).await?;
    let (otp_claimed, otp_claim_ms) =
        timed(store.claim_messages(&[Priority::Otp], 50, now, now + 60_000)).await;
    anyhow::ensure!(otp_claimed?.is_empty(), "no OTP should be queued yet");
    eprintln!(
        "bench: phase B: on the full queue ({} due): queue_depth {depth_ms:.1} ms, claim of {} bulk {claim_ms:.1} ms, empty OTP-lane claim {otp_claim_ms:.1} ms",
        thousands(due),
        dispatch::MAIN_BATCH
    );

    let workers = Workers::start(&state);
    tokio::time::sleep(WARMUP).await;
    let total = u64::from(args.otp_rate) * args.otp_seconds;
    let interval = Duration::from_secs(1) / args.otp_rate.max(1);
    eprintln!(
        "bench: phase B: lanes draining; {} OTPs at {}/s for {} s (open loop) …",
        thousands(total),
        args.otp_rate,
        args.otp_seconds
    );
    let drained_before = sink.bulk_received();
    let start = Instant::now();
    let server = tokio::runtime::Handle::current();
    let base = seed.wrapping_mul(7_919);
    let scheduler = {
        let state = state.clone();
        client.spawn(async move {
            let mut sent = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            for i in 0..total {
                let scheduled = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
                tokio::time::sleep_until(scheduled.into()).await;
                let state = state.clone();
                sent.push(server.spawn(async move {
                    let k = base.wrapping_add(i) % 1_000_000_000;
                    let national = mobile(3_000_000_000 + k)
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_default();
                    let ok = generate_otp(&state, Some(&national), Scope::Public, None)
                        .await
                        .inspect_err(|e| tracing::warn!(error = ?e, "bench OTP failed"))
                        .is_ok();
                    OtpSent { national, scheduled, answered: Instant::now(), ok }
                }));
            }
            sent
        })
    };
    let handles = scheduler.await?;
    let window = start.elapsed();
    let drained = sink.bulk_received() - drained_before;
    let mut sent = Vec::with_capacity(handles.len());
    for h in handles {
        sent.push(h.await?);
    }
    // The SMS of the last OTPs may still be on its way (a lane retry, say).
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until
        && sent.iter().filter(|s| s.ok).any(|s| !lock(&sink.otps).contains_key(&s.national))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(workers);
    let mut arrived = load::histogram();
    let mut request = load::histogram();
    let mut missing = 0;
    let mut errors = 0;
    {
        let otps = lock(&sink.otps);
        for s in &sent {
            if !s.ok {
                errors += 1;
            }
            load::record(&mut request, s.answered - s.scheduled);
            match otps.get(&s.national) {
                Some(at) => load::record(&mut arrived, at.saturating_duration_since(s.scheduled)),
                None => missing += 1,
            }
        }
    }
    let (depth, depth_end_ms) = timed(store.queue_depth(state.now_ms())).await;
    let due_at_end = depth?.due.iter().map(|(_, n, _)| n).sum();
    Ok(PhaseB {
        backlog: args.backlog,
        enqueue,
        depth_ms,
        claim_ms,
        otp_claim_ms,
        otps: total,
        arrived,
        request,
        missing,
        errors,
        window,
        drained,
        due_at_end,
        depth_end_ms,
    })
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

fn q(h: &hdrhistogram::Histogram<u64>, quantile: f64) -> String {
    if h.is_empty() { "–".to_owned() } else { ms(h.value_at_quantile(quantile) as f64 / 1000.0) }
}

fn report_a(backend: &str, a: &PhaseA) {
    let rate = a.received as f64 / a.handed_in.as_secs_f64();
    let (plan, tail) = match a.planned_in {
        Some(p) => {
            let tail_secs = (a.handed_in.saturating_sub(p)).as_secs_f64();
            let tail = a.events.saturating_sub(a.received_at_planned) as f64 / tail_secs.max(1e-3);
            (
                format!(
                    "{:.2} s ({:.0} events/s)",
                    p.as_secs_f64(),
                    a.events as f64 / p.as_secs_f64()
                ),
                format!("{:.0}/s", tail),
            )
        }
        None => ("–".to_owned(), "–".to_owned()),
    };
    println!("\n-- phase A: event → gateway hand-off --\n");
    print_header(&[
        "backend",
        "events",
        "setup (accounts + registrations, untimed)",
        "all planned in",
        "all handed over in",
        "**messages/s**",
        "hand-off after planning",
        "target (≥ 2,000/s)",
    ]);
    print_row(&[
        backend.to_owned(),
        thousands(a.events),
        format!(
            "{:.1} s ({:.0}/s)",
            a.setup.as_secs_f64(),
            a.events as f64 / a.setup.as_secs_f64()
        ),
        plan,
        format!("{:.2} s", a.handed_in.as_secs_f64()),
        format!("**{}**", thousands(rate.round() as u64)),
        tail,
        if a.received >= a.events && rate >= TARGET_RATE { "met" } else { "MISSED" }.to_owned(),
    ]);
    if a.received < a.events {
        println!("\nonly {} of {} messages reached the gateway", a.received, a.events);
    }
}

fn report_b(backend: &str, args: &NotifyArgs, b: &PhaseB) {
    let p99_ms = if b.arrived.is_empty() {
        f64::INFINITY
    } else {
        b.arrived.value_at_quantile(0.99) as f64 / 1000.0
    };
    let drain_rate = b.drained as f64 / b.window.as_secs_f64();
    println!("\n-- phase B: OTP latency while a reminder backlog drains --\n");
    print_header(&[
        "backend",
        "backlog",
        "queued in",
        "gateway rate",
        "OTPs",
        "request → gateway p50 / p95 / p99 / max ms",
        "request answered p50 / p99 ms",
        "missing",
        "backlog drained in window",
        "drain msgs/s",
        "due at end",
        "target (p99 ≤ 1 s)",
    ]);
    print_row(&[
        backend.to_owned(),
        thousands(b.backlog),
        format!(
            "{:.1} s ({:.0}/s)",
            b.enqueue.as_secs_f64(),
            b.backlog as f64 / b.enqueue.as_secs_f64()
        ),
        if args.gateway_rate == 0 {
            "unlimited".to_owned()
        } else {
            format!("{}/s", args.gateway_rate)
        },
        format!("{} ({}/s × {} s)", thousands(b.otps), args.otp_rate, args.otp_seconds),
        format!(
            "{} / {} / **{}** / {}",
            q(&b.arrived, 0.5),
            q(&b.arrived, 0.95),
            q(&b.arrived, 0.99),
            q(&b.arrived, 1.0)
        ),
        format!("{} / {}", q(&b.request, 0.5), q(&b.request, 0.99)),
        thousands(b.missing),
        format!("{} in {:.1} s", thousands(b.drained), b.window.as_secs_f64()),
        thousands(drain_rate.round() as u64),
        thousands(b.due_at_end),
        if b.missing == 0 && b.errors == 0 && p99_ms <= TARGET_P99_MS { "met" } else { "MISSED" }
            .to_owned(),
    ]);
    println!(
        "\nfull queue: queue_depth {:.1} ms, claim of {} bulk {:.1} ms, empty OTP-lane claim {:.1} ms; \
         queue_depth at the end {:.1} ms; OTP errors {}",
        b.depth_ms,
        dispatch::MAIN_BATCH,
        b.claim_ms,
        b.otp_claim_ms,
        b.depth_end_ms,
        b.errors
    );
}

/// Runs both phases.
pub(crate) fn run(args: &NotifyArgs) -> anyhow::Result<()> {
    let server_rt = runtime("tika-server", args.common.server_threads)?;
    let client_rt = runtime("tika-loadgen", args.common.client_threads)?;
    let db = server_rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    eprintln!("bench: notify: {}", describe_run(backend, &args.common));
    let sink = Arc::new(Sink::default());
    let url = client_rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(serve_sink(listener, Arc::clone(&sink)));
        anyhow::Ok(format!("http://{addr}/send"))
    })?;
    let client = client_rt.handle().clone();
    let outcome = server_rt.block_on(async {
        let sql: Arc<SqlStore> = open_store(&db.url, args.common.read_connections).await?;
        let store: DynStore = Arc::clone(&sql) as DynStore;
        let seed = run_seed();
        let result = async {
            let a = if args.events > 0 {
                Some(phase_a(&store, &sink, &url, args, seed).await?)
            } else {
                None
            };
            if let Some(a) = &a {
                report_a(backend, a);
            }
            let b = if args.otp_rate > 0 && args.otp_seconds > 0 {
                Some(phase_b(&store, &sink, &url, args, &client, seed).await?)
            } else {
                None
            };
            if let Some(b) = &b {
                report_b(backend, args, b);
            }
            anyhow::Ok(())
        }
        .await;
        sql.close().await;
        result
    });
    let dup = sink.duplicates.load(Ordering::Relaxed);
    let bad = sink.bad.load(Ordering::Relaxed);
    if dup + bad > 0 {
        eprintln!("bench: the sink saw {dup} duplicate ids and {bad} unreadable bodies");
    }
    server_rt.block_on(db.cleanup())?;
    client_rt.shutdown_timeout(Duration::from_secs(2));
    server_rt.shutdown_timeout(Duration::from_secs(5));
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_reads_ids_and_otp_recipients() {
        let sink = Sink::default();
        let id = uuid::Uuid::new_v4();
        let body = |id: uuid::Uuid, to: &str| {
            serde_json::to_vec(&serde_json::json!({"id": id.to_string(), "to": to})).unwrap()
        };
        sink.take(&body(id, "+919000000001"));
        sink.take(&body(id, "+919000000001"));
        sink.take(&body(uuid::Uuid::new_v4(), "+916000000001"));
        sink.take(b"nonsense");
        assert_eq!(sink.received(), 2);
        assert_eq!(sink.bulk_received(), 1);
        assert_eq!(sink.duplicates.load(Ordering::Relaxed), 1);
        assert_eq!(sink.bad.load(Ordering::Relaxed), 1);
        assert!(lock(&sink.otps).contains_key("9000000001"));
        assert_eq!(content_length(b"POST /send HTTP/1.1\r\nContent-Length: 42\r\n\r\n"), 42);
        assert_eq!(find(b"ab\r\n\r\nc", b"\r\n\r\n"), Some(2));
    }

    #[test]
    fn reminders_are_bulk_and_due() {
        let m = reminder(5, 1_000_000).unwrap();
        assert_eq!(m.kind.priority(), Priority::Bulk);
        assert!(m.available_at_ms <= 1_000_000 && m.expires_at_ms > 1_000_000);
        assert!(m.mobile.as_str().starts_with('6'));
        assert!(mobile(3_000_000_000 + 999_999_999).unwrap().as_str().starts_with('9'));
        assert!(mobile(1_000_000_000 + 999_999_999).unwrap().as_str().starts_with('7'));
    }
}
