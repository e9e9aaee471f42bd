//! The units of work each scenario schedules, and the slot-search staleness probe.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tika_domain::date::format_cowin_date;
use tika_storage::Session;

use super::dataset::{Weighted, mix};
use super::open_loop::{Ctx, Unit};
use crate::bench::load::{self, Req};
use crate::bench::sync::{Device, Upload};
use crate::bench::{aadhaar, mobile};

/// A request with the usual headers.
pub(crate) fn request(
    method: Method,
    uri: &str,
    bearer: Option<&str>,
    body: Option<Vec<u8>>,
) -> anyhow::Result<Req> {
    let mut b = Request::builder().method(method).uri(uri).header(HOST, "127.0.0.1");
    if body.is_some() {
        b = b.header(CONTENT_TYPE, "application/json");
    }
    if let Some(t) = bearer {
        b = b.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    Ok(b.body(Full::new(Bytes::from(body.unwrap_or_default())))?)
}

fn json_field(body: &[u8], field: &str) -> Option<String> {
    serde_json::from_slice::<Value>(body).ok()?.get(field)?.as_str().map(str::to_owned)
}

fn describe(what: &str, status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    format!("{what}: {status} {text}")
}

// --- registration-storm -------------------------------------------------------------------

/// The citizen portal's sign-up for a new mobile: `generateMobileOTP`, `validateMobileOtp`
/// and `beneficiary/new`, three requests.
pub(crate) struct Registration {
    /// Mobiles and photo ids of this run start here.
    pub(crate) base: u64,
    /// The servers' fixed test OTP, hashed as clients send it.
    pub(crate) otp_hash: String,
    /// Registrations started (numbers them across a ramp's steps).
    pub(crate) next: Arc<AtomicU64>,
}

impl Registration {
    /// The registration body of person `n`.
    fn body(n: u64) -> Vec<u8> {
        let year = 1950 + n % 55;
        let gender = 1 + n % 3;
        let photo = aadhaar(60_000_000_000 + n);
        format!(
            r#"{{"name":"Storm Citizen","birth_year":"{year}","gender_id":{gender},"photo_id_type":1,"photo_id_number":"{photo}","comorbidity_ind":"N","consent_version":"1"}}"#
        )
        .into_bytes()
    }
}

#[async_trait]
impl Unit for Registration {
    async fn run(&self, _: u64, ctx: &mut Ctx<'_>) -> anyhow::Result<bool> {
        let n = self.base + self.next.fetch_add(1, Ordering::Relaxed);
        let mobile = mobile(1_000_000_000 + n)?;
        let body = json!({ "mobile": mobile.as_str() }).to_string().into_bytes();
        let a = ctx
            .send(request(Method::POST, "/api/v2/auth/generateMobileOTP", None, Some(body))?)
            .await?;
        let Some(txn) =
            (a.status == StatusCode::OK).then(|| json_field(&a.body, "txnId")).flatten()
        else {
            ctx.fail(describe("generateMobileOTP", a.status, &a.body));
            return Ok(false);
        };
        let body = json!({ "otp": self.otp_hash, "txnId": txn }).to_string().into_bytes();
        let a = ctx
            .send(request(Method::POST, "/api/v2/auth/validateMobileOtp", None, Some(body))?)
            .await?;
        let Some(token) =
            (a.status == StatusCode::OK).then(|| json_field(&a.body, "token")).flatten()
        else {
            ctx.fail(describe("validateMobileOtp", a.status, &a.body));
            return Ok(false);
        };
        let a = ctx
            .send(request(
                Method::POST,
                "/api/v2/registration/beneficiary/new",
                Some(&token),
                Some(Self::body(n)),
            )?)
            .await?;
        if a.status == StatusCode::OK && json_field(&a.body, "beneficiary_reference_id").is_some() {
            Ok(true)
        } else {
            ctx.fail(describe("beneficiary/new", a.status, &a.body));
            Ok(false)
        }
    }
}

// --- slot-search --------------------------------------------------------------------------

/// `findByPin` (by pincode popularity) and `calendarByDistrict`, as a browser asks for them
/// (gzip accepted).
pub(crate) struct Search {
    pub(crate) pincodes: Vec<u32>,
    pub(crate) weights: Weighted,
    pub(crate) districts: Vec<i64>,
    /// The 7 days, as CoWIN writes them.
    pub(crate) dates: Vec<String>,
    /// Share of `findByPin` in percent (the rest is `calendarByDistrict`).
    pub(crate) pin_percent: u64,
    pub(crate) seed: u64,
}

impl Search {
    /// Every search key: `findByPin` for each pincode and day, `calendarByDistrict` for each
    /// district and day.
    fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for date in &self.dates {
            for pin in &self.pincodes {
                keys.push(format!(
                    "/api/v2/appointment/sessions/public/findByPin?pincode={pin}&date={date}"
                ));
            }
            for d in &self.districts {
                keys.push(format!(
                    "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={d}&date={date}"
                ));
            }
        }
        keys
    }

    /// Asks every key once on every server (untimed; as a server that has been answering for a
    /// while keeps every answer rendered), as fast as `connections` connections go.  Returns the
    /// answers asked for and how many failed.
    pub(crate) async fn prime(
        &self,
        addrs: &[SocketAddr],
        connections: usize,
    ) -> anyhow::Result<(u64, u64)> {
        let keys = Arc::new(self.keys());
        let mut tasks = Vec::new();
        for addr in addrs {
            let next = Arc::new(AtomicU64::new(0));
            for _ in 0..connections {
                let keys = Arc::clone(&keys);
                let next = Arc::clone(&next);
                let mut sender = load::connect(*addr).await?;
                tasks.push(tokio::spawn(async move {
                    let (mut asked, mut failed) = (0u64, 0u64);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(uri) = keys.get(i) else { break };
                        let req = Request::builder()
                            .uri(uri)
                            .header(HOST, "127.0.0.1")
                            .header(ACCEPT_ENCODING, "gzip")
                            .body(Full::new(Bytes::new()));
                        asked += 1;
                        let ok = match req {
                            Ok(req) => load::send(&mut sender, req)
                                .await
                                .is_ok_and(|a| a.status == StatusCode::OK),
                            Err(_) => false,
                        };
                        failed += u64::from(!ok);
                    }
                    (asked, failed)
                }));
            }
        }
        let mut total = (0, 0);
        for t in tasks {
            let (a, f) = t.await?;
            total = (total.0 + a, total.1 + f);
        }
        Ok(total)
    }
}

#[async_trait]
impl Unit for Search {
    async fn run(&self, i: u64, ctx: &mut Ctx<'_>) -> anyhow::Result<bool> {
        let r = mix(self.seed ^ i.wrapping_mul(0x9E37_79B9));
        let date = &self.dates[(r % self.dates.len() as u64) as usize];
        let uri = if (r >> 8) % 100 < self.pin_percent {
            let pin = self.pincodes[self.weights.pick(r >> 16)];
            format!("/api/v2/appointment/sessions/public/findByPin?pincode={pin}&date={date}")
        } else {
            let d = self.districts[((r >> 16) % self.districts.len() as u64) as usize];
            format!(
                "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={d}&date={date}"
            )
        };
        let req = Request::builder()
            .uri(&uri)
            .header(HOST, "127.0.0.1")
            .header(ACCEPT_ENCODING, "gzip")
            .body(Full::new(Bytes::new()))?;
        let a = ctx.send(req).await?;
        if a.status == StatusCode::OK && !a.body.is_empty() {
            Ok(true)
        } else {
            ctx.fail(describe(&uri, a.status, &a.body));
            Ok(false)
        }
    }
}

/// How soon a booking shows in search: books one seat every `every`, then polls `findByPin`
/// (on another server, when there are two) until the session's free dose-1 seats have gone
/// down; records the delay.
pub(crate) struct StalenessProbe {
    /// (session, its pincode) to book, each once.
    pub(crate) targets: Vec<(Session, u32)>,
    /// (citizen token, beneficiary reference) per target.
    pub(crate) people: Vec<(String, String)>,
    pub(crate) every: Duration,
}

/// What the probe saw.
pub(crate) struct Staleness {
    /// Delay from the booking's answer to search showing it, µs.
    pub(crate) delays: Histogram<u64>,
    /// Bookings never seen within 10 s.
    pub(crate) unseen: u64,
    /// Bookings that failed.
    pub(crate) failed: Vec<String>,
}

async fn free_seats(
    sender: &mut load::Sender,
    pin: u32,
    date: &str,
    session: &str,
) -> anyhow::Result<Option<i64>> {
    let uri = format!("/api/v2/appointment/sessions/public/findByPin?pincode={pin}&date={date}");
    let a = load::send(sender, request(Method::GET, &uri, None, None)?).await?;
    let v: Value = serde_json::from_slice(&a.body)?;
    Ok(v["sessions"].as_array().into_iter().flatten().find_map(|s| {
        (s["session_id"].as_str() == Some(session))
            .then(|| s["available_capacity_dose1"].as_i64())
            .flatten()
    }))
}

impl StalenessProbe {
    /// Runs until `until`.
    pub(crate) async fn run(
        self,
        addrs: &[SocketAddr],
        until: Instant,
    ) -> anyhow::Result<Staleness> {
        let mut booker = load::connect(addrs[0]).await?;
        let mut searcher = load::connect(addrs[addrs.len() - 1]).await?;
        let mut out = Staleness { delays: load::histogram(), unseen: 0, failed: Vec::new() };
        let mut tick = tokio::time::interval(self.every);
        for ((session, pin), (token, reference)) in self.targets.iter().zip(&self.people) {
            tick.tick().await;
            if Instant::now() >= until {
                break;
            }
            let date = format_cowin_date(session.date);
            let id = session.id.to_string();
            let Some(before) = free_seats(&mut searcher, *pin, &date, &id).await? else {
                out.failed.push(format!("session {id} not found by pincode {pin}"));
                continue;
            };
            let body = json!({
                "dose": 1, "session_id": id, "slot": session.slots[0].as_str(),
                "beneficiaries": [reference], "center_id": session.center_id.0,
            });
            let a = load::send(
                &mut booker,
                request(
                    Method::POST,
                    "/api/v2/appointment/schedule",
                    Some(token),
                    Some(serde_json::to_vec(&body)?),
                )?,
            )
            .await?;
            let booked_at = Instant::now();
            if a.status != StatusCode::OK {
                out.failed.push(describe("schedule", a.status, &a.body));
                continue;
            }
            loop {
                let now = free_seats(&mut searcher, *pin, &date, &id).await?;
                if now.is_some_and(|n| n < before) {
                    load::record(&mut out.delays, booked_at.elapsed());
                    break;
                }
                if booked_at.elapsed() > Duration::from_secs(10) {
                    out.unseen += 1;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(out)
    }
}

// --- vaccination-day ----------------------------------------------------------------------

/// Sites uploading their records: unit `i` is upload `i / sites` of site `i % sites` (so each
/// site's uploads go in order on its own connection: there must be as many connections as
/// sites).
pub(crate) struct Uploads {
    pub(crate) sites: Vec<(Device, Vec<Upload>)>,
    /// Each site's next upload (across a ramp's steps).
    pub(crate) cursors: Vec<AtomicU64>,
    /// Doses applied (counted as answers come).
    pub(crate) doses: Arc<AtomicU64>,
}

/// Doses in an upload of 50 records: an arrival and a dose per booked person, and after every
/// tenth a walk-in and its dose (22 records, 11 doses).
pub(crate) const DOSES_PER_UPLOAD: f64 = 25.0;

#[async_trait]
impl Unit for Uploads {
    async fn run(&self, i: u64, ctx: &mut Ctx<'_>) -> anyhow::Result<bool> {
        let site = (i % self.sites.len() as u64) as usize;
        let (device, uploads) = &self.sites[site];
        let next = self.cursors[site].fetch_add(1, Ordering::Relaxed);
        let Some(up) = uploads.get(next as usize) else {
            ctx.fail(format!("site {site} has no records left: raise --sites"));
            return Ok(false);
        };
        let req = request(
            Method::POST,
            "/api/site/v1/sync",
            Some(&device.token),
            Some(up.body.to_vec()),
        )?;
        let a = ctx.send(req).await?;
        if a.status != StatusCode::OK {
            ctx.fail(describe("sync", a.status, &a.body));
            return Ok(false);
        }
        let v: Value = serde_json::from_slice(&a.body).unwrap_or(Value::Null);
        let results = v["results"].as_array().map(Vec::as_slice).unwrap_or_default();
        if results.len() != up.doses.len() {
            ctx.fail(format!("{} results for {} records", results.len(), up.doses.len()));
            return Ok(false);
        }
        let mut all = true;
        for (r, is_dose) in results.iter().zip(&up.doses) {
            if r["outcome"].as_str() == Some("applied") {
                if *is_dose {
                    self.doses.fetch_add(1, Ordering::Relaxed);
                }
            } else {
                all = false;
                ctx.fail(format!("record not applied: {r}"));
            }
        }
        Ok(all)
    }
}

// --- certificate-downloads ----------------------------------------------------------------

/// A holder downloading their certificate PDF.
pub(crate) struct Downloads {
    /// (token, beneficiary reference id) of each holder.
    pub(crate) holders: Vec<(String, String)>,
}

#[async_trait]
impl Unit for Downloads {
    async fn run(&self, i: u64, ctx: &mut Ctx<'_>) -> anyhow::Result<bool> {
        let (token, reference) = &self.holders[(i % self.holders.len() as u64) as usize];
        let uri = format!(
            "/api/v2/registration/certificate/download?beneficiary_reference_id={reference}"
        );
        let a = ctx.send(request(Method::GET, &uri, Some(token), None)?).await?;
        if a.status == StatusCode::OK && a.body.starts_with(b"%PDF-") {
            Ok(true)
        } else {
            ctx.fail(describe("certificate/download", a.status, &a.body));
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_bodies_are_valid_and_apart() {
        let a: Value = serde_json::from_slice(&Registration::body(1)).unwrap_or(Value::Null);
        let b: Value = serde_json::from_slice(&Registration::body(2)).unwrap_or(Value::Null);
        let id = |v: &Value| v["photo_id_number"].as_str().unwrap_or_default().to_owned();
        assert_eq!(id(&a).len(), 12);
        assert!(tika_domain::beneficiary::verhoeff_valid(&id(&a)));
        assert_ne!(id(&a), id(&b));
        assert_eq!(a["name"], "Storm Citizen");
    }
}
