//! Open-loop load: units of work (one request, or a short chain such as OTP → confirm →
//! register) are *scheduled* at a fixed rate, unit `i` at `start + i / rate`, whatever the
//! server's answers take.  Latency is measured from that intended time, so a server that falls
//! behind shows as growing latency rather than as a slower client (no coordinated omission).
//!
//! As in wrk2, the schedule is dealt round-robin to `connections` workers, each a keep-alive
//! connection doing its units one after the other: with enough connections for the rate times
//! the latency, every unit starts on time; when the server saturates, units start late and
//! that lateness is counted.  Connections are dealt round-robin to the servers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hdrhistogram::Histogram;

use crate::bench::load::{self, Answer, Req, Sender};

/// How much load, for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate {
    /// Units per second.
    pub(crate) per_sec: f64,
    /// Unmeasured first part.
    pub(crate) warmup: Duration,
    /// Measured part.
    pub(crate) duration: Duration,
    /// Workers (connections).
    pub(crate) connections: usize,
}

/// One unit's view of its connection: sends requests and records them.
pub(crate) struct Ctx<'a> {
    sender: &'a mut Sender,
    addr: SocketAddr,
    /// When the unit's first request was meant to go.
    intended: Instant,
    first: bool,
    measured: bool,
    tally: &'a mut Tally,
}

impl Ctx<'_> {
    /// Sends one request and reads its answer; the first request of a unit is timed from the
    /// unit's intended start, the others from when they are sent.
    pub(crate) async fn send(&mut self, req: Req) -> anyhow::Result<Answer> {
        let from = if self.first { self.intended } else { Instant::now() };
        self.first = false;
        match load::send(self.sender, req).await {
            Ok(answer) => {
                if self.measured {
                    load::record(&mut self.tally.requests, from.elapsed());
                    *self.tally.statuses.entry(answer.status.as_u16()).or_default() += 1;
                }
                Ok(answer)
            }
            Err(e) => {
                if self.measured {
                    self.tally.transport_errors += 1;
                }
                if let Ok(fresh) = load::connect(self.addr).await {
                    *self.sender = fresh;
                }
                Err(e)
            }
        }
    }

    /// Notes why a unit failed its check (a few are kept to print).
    pub(crate) fn fail(&mut self, why: String) {
        if self.measured && self.tally.failures.len() < 5 {
            self.tally.failures.push(why);
        }
    }
}

/// A kind of unit of work.
#[async_trait]
pub(crate) trait Unit: Send + Sync + 'static {
    /// Does unit `i`; `Ok(true)` if every answer passed its check.  An `Err` is a transport
    /// failure (already counted).
    async fn run(&self, i: u64, ctx: &mut Ctx<'_>) -> anyhow::Result<bool>;

    /// How many units there are (the schedule ends early when they run out).
    fn available(&self) -> Option<u64> {
        None
    }
}

/// What a run counted, over its measured units only.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Latency of each request, µs.
    pub(crate) requests: Histogram<u64>,
    /// Latency of each unit from its intended start to its last answer, µs.
    pub(crate) units: Histogram<u64>,
    /// Units that passed their checks.
    pub(crate) ok: u64,
    /// Units that failed a check.
    pub(crate) bad: u64,
    /// Requests without an answer.
    pub(crate) transport_errors: u64,
    /// Units abandoned because the run's deadline passed before they could start.
    pub(crate) abandoned: u64,
    /// Answers by status.
    pub(crate) statuses: BTreeMap<u16, u64>,
    /// Samples of failures.
    pub(crate) failures: Vec<String>,
    /// Units scheduled inside the measured window.
    pub(crate) scheduled: u64,
    /// From the measured window's start to the last measured unit's end.
    pub(crate) elapsed: Duration,
}

impl Tally {
    fn new() -> Self {
        Self {
            requests: load::histogram(),
            units: load::histogram(),
            ok: 0,
            bad: 0,
            transport_errors: 0,
            abandoned: 0,
            statuses: BTreeMap::new(),
            failures: Vec::new(),
            scheduled: 0,
            elapsed: Duration::ZERO,
        }
    }

    fn merge(&mut self, o: Tally) {
        let _ = self.requests.add(&o.requests);
        let _ = self.units.add(&o.units);
        self.ok += o.ok;
        self.bad += o.bad;
        self.transport_errors += o.transport_errors;
        self.abandoned += o.abandoned;
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for f in o.failures {
            if self.failures.len() < 5 {
                self.failures.push(f);
            }
        }
        self.scheduled += o.scheduled;
    }

    /// A tally of a storm's attempts (all released at once, timed from the launch).
    pub(crate) fn for_storm(latency: &Histogram<u64>, wall: Duration) -> Self {
        let mut t = Self::new();
        let _ = t.requests.add(latency);
        let _ = t.units.add(latency);
        t.scheduled = latency.len();
        t.elapsed = wall;
        t
    }

    /// Units per second that passed, over the measured window.
    pub(crate) fn ok_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.ok as f64 / s } else { 0.0 }
    }

    /// Failed units, transport errors and abandoned units.
    pub(crate) fn errors(&self) -> u64 {
        self.bad + self.transport_errors + self.abandoned
    }
}

/// Index of worker `w`'s `k`-th unit.
fn unit_index(w: usize, k: u64, workers: usize) -> u64 {
    w as u64 + k * workers as u64
}

/// Runs `unit` at `rate` against `addrs` and returns the measured tally.  Units still waiting
/// to start when the measured window is over by its own length again (at least 10 s) are
/// abandoned and counted as errors.
pub(crate) async fn run(addrs: &[SocketAddr], rate: Rate, unit: Arc<dyn Unit>) -> Tally {
    let workers = rate.connections.max(1);
    let senders: Vec<(SocketAddr, anyhow::Result<Sender>)> = {
        use futures::StreamExt as _;
        futures::stream::iter((0..workers).map(|w| addrs[w % addrs.len()]))
            .map(|addr| async move { (addr, load::connect(addr).await) })
            .buffered(128)
            .collect()
            .await
    };
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + rate.warmup;
    let end = measure_from + rate.duration;
    let give_up = end + rate.duration.max(Duration::from_secs(10));
    let interval = 1.0 / rate.per_sec.max(1e-9);
    let at = move |i: u64| start + Duration::from_secs_f64(i as f64 * interval);
    let limit = unit.available();
    let mut tasks = Vec::with_capacity(workers);
    for (w, (addr, sender)) in senders.into_iter().enumerate() {
        let unit = Arc::clone(&unit);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            let mut last_end = measure_from;
            let Ok(mut sender) = sender else {
                tally.transport_errors += 1;
                return (tally, last_end);
            };
            for k in 0.. {
                let i = unit_index(w, k, workers);
                if limit.is_some_and(|n| i >= n) {
                    break;
                }
                let intended = at(i);
                if intended >= end {
                    break;
                }
                let measured = intended >= measure_from;
                if measured {
                    tally.scheduled += 1;
                }
                if Instant::now() >= give_up {
                    if measured {
                        tally.abandoned += 1;
                    }
                    continue;
                }
                tokio::time::sleep_until(intended.into()).await;
                let mut ctx = Ctx {
                    sender: &mut sender,
                    addr,
                    intended,
                    first: true,
                    measured,
                    tally: &mut tally,
                };
                let passed = unit.run(i, &mut ctx).await;
                if measured {
                    let done = Instant::now();
                    last_end = last_end.max(done);
                    match passed {
                        Ok(true) => {
                            tally.ok += 1;
                            load::record(&mut tally.units, done.duration_since(intended));
                        }
                        Ok(false) => tally.bad += 1,
                        // The transport error is already counted on its request.
                        Err(_) => {}
                    }
                }
            }
            (tally, last_end)
        }));
    }
    let mut total = Tally::new();
    let mut last_end = measure_from;
    for t in tasks {
        if let Ok((tally, end)) = t.await {
            total.merge(tally);
            last_end = last_end.max(end);
        }
    }
    // A run that kept up ends with its window; one that fell behind ends with its last unit.
    total.elapsed = last_end.max(end).saturating_duration_since(measure_from);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_dealt_round_robin() {
        let workers = 4;
        let mut seen: Vec<u64> =
            (0..workers).flat_map(|w| (0..3).map(move |k| unit_index(w, k, workers))).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        assert_eq!(unit_index(1, 2, 4), 9);
    }
}
