//! The load generator: keep-alive HTTP/1.1 connections over raw `hyper`, each driven by one
//! task that sends its next request as soon as the previous answer has been read in full
//! (a closed loop: the offered load is exactly what the server sustains).
//!
//! Runs on the benchmark's own client runtime, never on the server's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// One keep-alive connection's request handle.
pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// A request ready to send.
pub(crate) type Req = Request<Full<Bytes>>;

/// Highest latency the histograms hold: 120 s, in microseconds.
const MAX_MICROS: u64 = 120_000_000;

/// A latency histogram in microseconds (3 significant digits).
pub(crate) fn histogram() -> Histogram<u64> {
    // The bounds are constants that `new_with_bounds` accepts; fall back to auto-resizing.
    Histogram::new_with_bounds(1, MAX_MICROS, 3).unwrap_or_else(|_| {
        let mut h = Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits"));
        h.auto(true);
        h
    })
}

/// Records a duration, clamped into the histogram's range.
pub(crate) fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(MAX_MICROS).clamp(1, MAX_MICROS);
    h.saturating_record(us);
}

/// Opens one connection (`TCP_NODELAY`, HTTP/1.1 handshake); its driver runs as a task.
pub(crate) async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Opens `n` connections, at most 128 handshakes at a time (so the listen backlog never
/// overflows).
pub(crate) async fn connect_many(addr: SocketAddr, n: usize) -> anyhow::Result<Vec<Sender>> {
    let all: Vec<anyhow::Result<Sender>> =
        futures::stream::iter(0..n).map(|_| connect(addr)).buffer_unordered(128).collect().await;
    all.into_iter().collect()
}

/// A response, read in full.
pub(crate) struct Answer {
    /// Status.
    pub(crate) status: StatusCode,
    /// Headers.
    pub(crate) headers: HeaderMap,
    /// Body bytes as received (compressed if the server compressed them).
    pub(crate) body: Bytes,
}

/// Sends one request on a connection and reads the whole answer.
pub(crate) async fn send(sender: &mut Sender, req: Req) -> anyhow::Result<Answer> {
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    let (parts, body) = res.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Answer { status: parts.status, headers: parts.headers, body })
}

/// How long to load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Unmeasured warm-up.
    pub(crate) warmup: Duration,
    /// Measured window after the warm-up.
    pub(crate) duration: Duration,
}

/// What a closed-loop run counted (measured window only).
#[derive(Debug)]
pub(crate) struct Tally {
    /// Latency of every measured request, microseconds.
    pub(crate) latency: Histogram<u64>,
    /// Requests whose answer passed the check.
    pub(crate) ok: u64,
    /// Answers that failed the check (wrong status or body).
    pub(crate) bad: u64,
    /// Requests that got no answer (connection error).
    pub(crate) transport_errors: u64,
    /// Body bytes received.
    pub(crate) body_bytes: u64,
    /// Smallest body.
    pub(crate) body_min: u64,
    /// Largest body.
    pub(crate) body_max: u64,
    /// Answers by status code.
    pub(crate) statuses: BTreeMap<u16, u64>,
    /// The measured window.
    pub(crate) elapsed: Duration,
}

impl Tally {
    fn new() -> Self {
        Self {
            latency: histogram(),
            ok: 0,
            bad: 0,
            transport_errors: 0,
            body_bytes: 0,
            body_min: u64::MAX,
            body_max: 0,
            statuses: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn merge(&mut self, other: Tally) {
        let _ = self.latency.add(&other.latency);
        self.ok += other.ok;
        self.bad += other.bad;
        self.transport_errors += other.transport_errors;
        self.body_bytes += other.body_bytes;
        self.body_min = self.body_min.min(other.body_min);
        self.body_max = self.body_max.max(other.body_max);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
    }

    /// Every measured request.
    pub(crate) fn requests(&self) -> u64 {
        self.ok + self.bad + self.transport_errors
    }

    /// Errors of any kind.
    pub(crate) fn errors(&self) -> u64 {
        self.bad + self.transport_errors
    }

    /// Mean body size.
    pub(crate) fn body_mean(&self) -> u64 {
        let answered = self.ok + self.bad;
        self.body_bytes.checked_div(answered).unwrap_or(0)
    }
}

/// Runs every connection in a closed loop for the plan's warm-up plus duration.
///
/// `make(connection, n)` builds the `n`-th request of a connection; `None` stops that
/// connection (it ran out of work).  `check` decides whether an answer counts as a success.
pub(crate) async fn closed_loop<M, C>(
    addr: SocketAddr,
    senders: Vec<Sender>,
    plan: Plan,
    make: M,
    check: C,
) -> Tally
where
    M: Fn(usize, u64) -> Option<Req> + Send + Sync + 'static,
    C: Fn(&Answer) -> bool + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let check = Arc::new(check);
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let end = measure_from + plan.duration;
    let mut tasks = Vec::with_capacity(senders.len());
    for (i, mut sender) in senders.into_iter().enumerate() {
        let make = Arc::clone(&make);
        let check = Arc::clone(&check);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            let mut n = 0u64;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let Some(req) = make(i, n) else { break };
                n += 1;
                let measured = t0 >= measure_from;
                match send(&mut sender, req).await {
                    Ok(answer) => {
                        if measured {
                            record(&mut tally.latency, t0.elapsed());
                            let len = answer.body.len() as u64;
                            tally.body_bytes += len;
                            tally.body_min = tally.body_min.min(len);
                            tally.body_max = tally.body_max.max(len);
                            *tally.statuses.entry(answer.status.as_u16()).or_default() += 1;
                            if check(&answer) {
                                tally.ok += 1;
                            } else {
                                tally.bad += 1;
                            }
                        }
                    }
                    Err(_) => {
                        if measured {
                            tally.transport_errors += 1;
                        }
                        match connect(addr).await {
                            Ok(s) => sender = s,
                            Err(_) => break,
                        }
                    }
                }
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for t in tasks {
        if let Ok(tally) = t.await {
            total.merge(tally);
        }
    }
    // Requests started before the end but answered after it count; a run whose connections
    // all ran out of work early is measured up to when they stopped.
    total.elapsed = Instant::now().min(end).saturating_duration_since(measure_from);
    if total.body_min == u64::MAX {
        total.body_min = 0;
    }
    total
}
