//! `tika bench sync`: many vaccination sites uploading their day's doses at once.
//!
//! Setup (untimed, directly through the [`Store`] trait): `--sites` facilities, each with a
//! session today, a vaccinator (one Argon2 hash made once and shared by all), a batch issued,
//! and `--per-site` people booked into the session (4 to a booking, as families book).  Then,
//! like a real device, each site's vaccinator logs in over HTTP (`POST /api/site/v1/login`),
//! lists today's sessions and downloads the session's bundle once.
//!
//! Timed: every site is a concurrent client on its own keep-alive connection, uploading its
//! records (`POST /api/site/v1/sync`) in uploads of `--upload-size`, one after the other, each
//! with a fresh idempotency key: for each booked person an `arrival` and a `dose` (against the
//! appointment, with the bundle's batch and vaccine), and after every tenth person a walk-in
//! (a `walk_in` record and its `dose` with the registration inline; a valid Aadhaar number,
//! half of them with a mobile).  Every 50th upload is sent a second time with the same key and
//! body and must come back byte for byte (a replay); replays are not counted as doses.
//!
//! The run passes only if every upload answered 200, every record came back `applied`, and the
//! database then holds, for every session, exactly as many non-undone doses as dose records
//! were sent, as many arrivals and completed appointments as people were booked, and no review
//! item at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tika_domain::ids::{
    AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, SessionId, StaffId,
};
use tika_domain::session::{AgeLimits, FeeType, SecurityCode, Slot};
use tika_domain::staff::{StaffRole, Username};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::AppState;
use tika_storage::{
    Batch, BookingMember, DynStore, NewBeneficiaryRecord, NewBooking, NewCenter, NewSession,
    NewStaff, ReviewFilter,
};

use super::load::{self, Req, Sender};
use super::{
    CommonArgs, Database, Server, aadhaar, bench_config, describe_run, max_connections, mobile, ms,
    open_store, parse_duration, print_header, print_row, run_seed, runtime, thousands,
};

/// The target of issue #2.
const TARGET_PER_SEC: f64 = 2_000.0;
/// Every site's vaccinator has this password (hashed once).
const PASSWORD: &str = "tika-bench-vaccinator";
/// One upload in this many is sent twice (2 %).
const REPLAY_EVERY: usize = 50;
/// One walk-in after this many booked people (10 %).
const WALK_IN_EVERY: usize = 10;
/// People per booking (and per account).
const PER_BOOKING: usize = 4;
/// The session's vaccine and the batch issued to every site.
const VACCINE: &str = "COVISHIELD";

/// `tika bench sync`.
#[derive(Debug, Args, Clone)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Vaccination sites, each one concurrent client with its own connection.
    #[arg(long, default_value_t = 200)]
    pub(crate) sites: usize,
    /// People booked into each site's session (each site adds 10 % walk-ins).
    #[arg(long, default_value_t = 60)]
    pub(crate) per_site: usize,
    /// Records per upload (1 to 500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub(crate) upload_size: u16,
    /// Longest the timed phase may take before the run is declared failed.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub(crate) timeout: Duration,
}

/// One site as set up in the store.
pub(crate) struct Site {
    pub(crate) n: usize,
    pub(crate) center: CenterId,
    pub(crate) session: SessionId,
    pub(crate) username: String,
}

/// What a site's device knows after logging in and downloading the bundle.
pub(crate) struct Device {
    pub(crate) token: String,
    staff_id: String,
    session_id: String,
    vaccine: String,
    batch: String,
    /// (appointment row id, beneficiary id, dose number) of every booked person.
    appointments: Vec<(String, String, i64)>,
}

/// One upload ready to send, and what the answer must say.
pub(crate) struct Upload {
    pub(crate) body: Bytes,
    /// Per record: is it a dose?
    pub(crate) doses: Vec<bool>,
    pub(crate) replay: bool,
}

/// How many walk-ins a site with `per_site` booked people has.
fn walk_ins(per_site: usize) -> usize {
    per_site / WALK_IN_EVERY
}

// --- setup --------------------------------------------------------------------------------

pub(super) async fn make_sites(
    state: &AppState,
    args: &SyncArgs,
    seed: u64,
) -> anyhow::Result<(Vec<Site>, usize)> {
    let store = &state.store;
    let pack = &state.pack;
    let now_ms = state.now_ms();
    let today = state.today();
    let pin = pack.pincode(110_001).ok_or_else(|| anyhow::anyhow!("pincode 110001 unknown"))?;
    let district =
        pack.district(pin.district_id).ok_or_else(|| anyhow::anyhow!("district unknown"))?;
    let vaccine = VaccineCode::parse(VACCINE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let first_center = 50_000_000 + i64::try_from(seed % 1_000).unwrap_or(0) * 100_000;
    let slots = Slot::split(9 * 60, 17 * 60, 4);
    let seats = u32::try_from(args.per_site).unwrap_or(u32::MAX);
    let mut centers = Vec::with_capacity(args.sites);
    let mut sessions = Vec::with_capacity(args.sites);
    let mut sites = Vec::with_capacity(args.sites);
    for n in 0..args.sites {
        let center = CenterId(first_center + n as i64);
        centers.push(NewCenter {
            id: center,
            name: format!("Benchmark Vaccination Site {n}"),
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
        });
        let session = SessionId::new();
        sessions.push(NewSession {
            id: session,
            center_id: center,
            date: today,
            vaccine: vaccine.clone(),
            ages: AgeLimits { min: 18, max: None },
            fee: "0".into(),
            capacity_dose1: seats,
            capacity_dose2: 0,
            slots: slots.clone(),
            updated_at_ms: now_ms,
        });
        sites.push(Site { n, center, session, username: format!("bench.{seed}.v{n}") });
    }
    for chunk in centers.chunks(500) {
        store.insert_centers(chunk).await?;
    }
    for chunk in sessions.chunks(500) {
        store.insert_sessions(chunk).await?;
    }

    // One Argon2 hash for everyone: hashing is deliberately slow, and not what is measured.
    let hash = tika_server::services::staff::hash_password(PASSWORD)?;
    let hash = &hash;
    let vaccine = &vaccine;
    let made: Vec<anyhow::Result<()>> = futures::stream::iter(&sites)
        .map(|site| async move {
            store
                .create_staff(&NewStaff {
                    id: StaffId::new(),
                    center_id: site.center,
                    username: Username::parse(&site.username)?,
                    name: format!("Bench Vaccinator {}", site.n),
                    mobile: None,
                    role: StaffRole::Vaccinator,
                    password_hash: hash.clone(),
                    created_at_ms: now_ms,
                })
                .await?;
            store
                .issue_batch(&Batch {
                    center_id: site.center,
                    batch: format!("BX{}", 4_121 + site.n),
                    vaccine: vaccine.clone(),
                    expiry: today + chrono::Duration::days(180),
                    doses_per_vial: 10,
                    issued_at_ms: now_ms,
                })
                .await?;
            Ok(())
        })
        .buffer_unordered(256)
        .collect()
        .await;
    made.into_iter().collect::<anyhow::Result<()>>()?;

    // People, four to an account and a booking, all sites at once (the writer batches them).
    let groups_per_site = args.per_site.div_ceil(PER_BOOKING);
    let policy = pack.policy_on(today).version.clone();
    let policy = &policy;
    let slots = &slots;
    let year = chrono::Datelike::year(&today);
    let jobs = sites.iter().flat_map(|s| (0..groups_per_site).map(move |g| (s, g)));
    let booked: Vec<anyhow::Result<usize>> = futures::stream::iter(jobs)
        .map(|(site, g)| async move {
            let first = g * PER_BOOKING;
            let members = PER_BOOKING.min(args.per_site - first);
            let person0 = (site.n * args.per_site + first) as u64;
            let account_n = seed.wrapping_mul(1_000_003).wrapping_add(person0 / 4);
            let (account, _) = store.upsert_account(&mobile(account_n)?, now_ms).await?;
            let mut booking = Vec::with_capacity(members);
            for k in 0..members as u64 {
                let p = person0 + k;
                let photo = aadhaar(seed.wrapping_mul(7_919).wrapping_add(p));
                let person = store
                    .create_beneficiary(
                        &NewBeneficiaryRecord {
                            id: BeneficiaryId::new(),
                            reference_id: BeneficiaryRef::from_random(
                                uuid::Uuid::new_v4().as_u128() as u64,
                            ),
                            account_id: account.id,
                            name: "Bench Citizen".into(),
                            birth_year: year - 19 - (p % 60) as i32,
                            gender_id: 1 + (p % 2) as i64,
                            photo_id_type: 1,
                            photo_id_hash: state.keys.hash_photo_id(1, &photo),
                            photo_id_last4: photo[photo.len() - 4..].to_owned(),
                            comorbidity: false,
                            created_at_ms: now_ms,
                        },
                        PER_BOOKING as u32,
                    )
                    .await?;
                booking.push(BookingMember {
                    beneficiary_id: person.id,
                    security_code: SecurityCode::from_random(uuid::Uuid::new_v4().as_u128() as u32),
                });
            }
            store
                .book(&NewBooking {
                    booking_id: AppointmentId::new(),
                    account_id: account.id,
                    session_id: site.session,
                    dose: DoseNumber::FIRST,
                    slot: slots[g % slots.len()].clone(),
                    policy_version: policy.clone(),
                    members: booking,
                    now_ms,
                })
                .await?;
            Ok(members)
        })
        .buffer_unordered(512)
        .collect()
        .await;
    let booked = booked.into_iter().sum::<anyhow::Result<usize>>()?;
    Ok((sites, booked))
}

// --- the device ---------------------------------------------------------------------------

pub(super) fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Bytes,
) -> anyhow::Result<Req> {
    let mut b = Request::builder().method(method).uri(uri).header(HOST, "127.0.0.1");
    if !body.is_empty() {
        b = b.header(CONTENT_TYPE, "application/json");
    }
    if let Some(t) = token {
        b = b.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    Ok(b.body(Full::new(body))?)
}

async fn call(sender: &mut Sender, req: Req, what: &str) -> anyhow::Result<Value> {
    let a = load::send(sender, req).await?;
    anyhow::ensure!(
        a.status == StatusCode::OK,
        "{what}: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    Ok(serde_json::from_slice(&a.body)?)
}

fn text(v: &Value, what: &str) -> anyhow::Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("{what} missing"))
}

/// Logs in, finds today's session and downloads its bundle, as the site app does.
pub(super) async fn open_device(sender: &mut Sender, site: &Site) -> anyhow::Result<Device> {
    let login = json!({ "username": site.username, "password": PASSWORD });
    let login = call(
        sender,
        request(Method::POST, "/api/site/v1/login", None, Bytes::from(login.to_string()))?,
        "login",
    )
    .await?;
    let token = text(&login["token"], "token")?;
    let staff_id = text(&login["staff"]["id"], "staff.id")?;
    let sessions = call(
        sender,
        request(Method::GET, "/api/site/v1/sessions", Some(&token), Bytes::new())?,
        "sessions",
    )
    .await?;
    let session_id = text(&sessions["sessions"][0]["session_id"], "sessions[0].session_id")?;
    anyhow::ensure!(session_id == site.session.to_string(), "today's session is not the one made");
    let uri = format!("/api/site/v1/sessions/{session_id}/bundle");
    let bundle =
        call(sender, request(Method::GET, &uri, Some(&token), Bytes::new())?, "bundle").await?;
    let vaccine = text(&bundle["session"]["vaccine"], "session.vaccine")?;
    let batch = bundle["batches"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["vaccine"].as_str() == Some(vaccine.as_str()))
        .map(|b| text(&b["batch"], "batch"))
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("no batch for {vaccine} in the bundle"))?;
    let appointments = bundle["appointments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["status"].as_str() == Some("booked"))
        .map(|a| {
            Ok((
                text(&a["appointment_id"], "appointment_id")?,
                text(&a["beneficiary_id"], "beneficiary_id")?,
                a["dose"].as_i64().ok_or_else(|| anyhow::anyhow!("dose missing"))?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Device { token, staff_id, session_id, vaccine, batch, appointments })
}

/// The records a site's device made during the day, in order, cut into uploads.
pub(super) fn uploads(
    site: &Site,
    device: &Device,
    upload_size: usize,
    seed: u64,
    first_upload: usize,
) -> Vec<Upload> {
    let device_id = uuid::Uuid::new_v4().to_string();
    let mut at = chrono::Utc::now().timestamp_millis() - 8 * 3_600_000;
    let mut tick = || {
        at += 20_000;
        at
    };
    let mut records: Vec<(Value, bool)> = Vec::new();
    let mut walk_in_n = 0u64;
    for (i, (appointment, person, dose)) in device.appointments.iter().enumerate() {
        records.push((
            json!({
                "client_id": uuid::Uuid::now_v7().to_string(), "kind": "arrival",
                "session_id": device.session_id, "at": tick(), "beneficiary_id": person,
            }),
            false,
        ));
        records.push((
            json!({
                "client_id": uuid::Uuid::now_v7().to_string(), "kind": "dose",
                "session_id": device.session_id, "at": tick(), "beneficiary_id": person,
                "appointment_id": appointment, "vaccine": device.vaccine, "batch": device.batch,
                "dose": dose, "vaccinator_id": device.staff_id,
            }),
            true,
        ));
        if (i + 1) % WALK_IN_EVERY == 0 {
            let n = (site.n as u64) * 10_000 + walk_in_n;
            walk_in_n += 1;
            let photo = aadhaar(seed.wrapping_mul(7_919).wrapping_add(40_000_000_000 + n));
            let mobile = n
                .is_multiple_of(2)
                .then(|| mobile(seed.wrapping_mul(1_000_003).wrapping_add(2_000_000_000 + n)))
                .and_then(Result::ok)
                .map(|m| m.as_str().to_owned());
            let person = json!({
                "name": "Bench Walk In", "birth_year": 1960 + (n % 40), "gender_id": 1 + (n % 2),
                "photo_id_type": 1, "photo_id_number": photo, "mobile": mobile,
            });
            let id = uuid::Uuid::now_v7().to_string();
            records.push((
                json!({
                    "client_id": id, "kind": "walk_in", "session_id": device.session_id,
                    "at": tick(), "beneficiary": person,
                }),
                false,
            ));
            records.push((
                json!({
                    "client_id": uuid::Uuid::now_v7().to_string(), "kind": "dose",
                    "session_id": device.session_id, "at": tick(), "beneficiary_id": id,
                    "walk_in": person, "vaccine": device.vaccine, "batch": device.batch,
                    "dose": 1, "vaccinator_id": device.staff_id,
                }),
                true,
            ));
        }
    }
    records
        .chunks(upload_size.max(1))
        .enumerate()
        .map(|(k, chunk)| {
            let body = json!({
                "idempotency_key": uuid::Uuid::new_v4().to_string(),
                "device_id": device_id,
                "records": chunk.iter().map(|(r, _)| r).collect::<Vec<_>>(),
            });
            Upload {
                body: Bytes::from(body.to_string()),
                doses: chunk.iter().map(|(_, d)| *d).collect(),
                replay: (first_upload + k) % REPLAY_EVERY == REPLAY_EVERY - 1,
            }
        })
        .collect()
}

// --- the timed phase ----------------------------------------------------------------------

/// What one site's uploads came back with.
struct SiteTally {
    latency: Histogram<u64>,
    replay_latency: Histogram<u64>,
    uploads: u64,
    replays: u64,
    records: u64,
    doses_applied: u64,
    records_not_applied: u64,
    errors: u64,
    samples: Vec<String>,
    last_answer: Duration,
}

impl SiteTally {
    fn new() -> Self {
        Self {
            latency: load::histogram(),
            replay_latency: load::histogram(),
            uploads: 0,
            replays: 0,
            records: 0,
            doses_applied: 0,
            records_not_applied: 0,
            errors: 0,
            samples: Vec::new(),
            last_answer: Duration::ZERO,
        }
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.samples.len() < 3 {
            self.samples.push(what);
        }
    }

    fn merge(&mut self, o: SiteTally) {
        let _ = self.latency.add(&o.latency);
        let _ = self.replay_latency.add(&o.replay_latency);
        self.uploads += o.uploads;
        self.replays += o.replays;
        self.records += o.records;
        self.doses_applied += o.doses_applied;
        self.records_not_applied += o.records_not_applied;
        self.errors += o.errors;
        for s in o.samples {
            if self.samples.len() < 5 {
                self.samples.push(s);
            }
        }
        self.last_answer = self.last_answer.max(o.last_answer);
    }

    /// Counts an answer's results against what the upload held.
    fn check_answer(&mut self, up: &Upload, body: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return self.error("answer is not JSON".into());
        };
        let results = v["results"].as_array().map(Vec::as_slice).unwrap_or_default();
        if results.len() != up.doses.len() {
            return self.error(format!("{} results for {} records", results.len(), up.doses.len()));
        }
        for (r, is_dose) in results.iter().zip(&up.doses) {
            self.records += 1;
            if r["outcome"].as_str() == Some("applied") {
                if *is_dose {
                    self.doses_applied += 1;
                }
            } else {
                self.records_not_applied += 1;
                if self.samples.len() < 3 {
                    self.samples.push(format!("record not applied: {r}"));
                }
            }
        }
    }
}

async fn run_site(
    mut sender: Sender,
    token: String,
    uploads: Vec<Upload>,
    mut go: tokio::sync::watch::Receiver<Option<Instant>>,
) -> SiteTally {
    let launch = match go.wait_for(Option::is_some).await {
        Ok(t) => t.unwrap_or_else(Instant::now),
        Err(_) => Instant::now(),
    };
    let mut t = SiteTally::new();
    let post =
        |body: &Bytes| request(Method::POST, "/api/site/v1/sync", Some(&token), body.clone());
    for up in &uploads {
        let Ok(req) = post(&up.body) else {
            t.error("cannot build the request".into());
            continue;
        };
        let sent = Instant::now();
        let answer = load::send(&mut sender, req).await;
        load::record(&mut t.latency, sent.elapsed());
        t.uploads += 1;
        let first = match answer {
            Ok(a) if a.status == StatusCode::OK => a.body,
            Ok(a) => {
                t.error(format!("{}: {}", a.status, String::from_utf8_lossy(&a.body)));
                continue;
            }
            Err(e) => {
                t.error(format!("no answer: {e}"));
                continue;
            }
        };
        t.check_answer(up, &first);
        if up.replay {
            // The device never saw the answer (say the connection dropped): it sends again.
            let Ok(req) = post(&up.body) else { continue };
            let sent = Instant::now();
            let again = load::send(&mut sender, req).await;
            load::record(&mut t.replay_latency, sent.elapsed());
            t.replays += 1;
            match again {
                Ok(a) if a.status == StatusCode::OK && a.body == first => {}
                Ok(a) => t.error(format!(
                    "replay answered {} with a different body: {}",
                    a.status,
                    String::from_utf8_lossy(&a.body)
                )),
                Err(e) => t.error(format!("replay: no answer: {e}")),
            }
        }
    }
    t.last_answer = launch.elapsed();
    t
}

// --- verification -------------------------------------------------------------------------

/// What the store holds afterwards.
struct Stored {
    doses: u64,
    /// Sessions whose non-undone doses, walk-in doses, arrivals or completed appointments differ
    /// from what was sent.
    wrong_sessions: Vec<String>,
    reviews: usize,
}

async fn read_back(store: &DynStore, sites: &[Site], per_site: usize) -> anyhow::Result<Stored> {
    let expect_walk_ins = walk_ins(per_site);
    let checked: Vec<anyhow::Result<(u64, Option<String>)>> = futures::stream::iter(sites)
        .map(|site| async move {
            let (doses, arrivals, roster) = tokio::try_join!(
                store.session_doses(site.session),
                store.session_arrivals(site.session),
                store.session_roster(site.session),
            )?;
            let given = doses.iter().filter(|d| !d.voided).count();
            let walked_in = doses.iter().filter(|d| !d.voided && d.walk_in).count();
            let completed = roster
                .iter()
                .filter(|r| r.appointment.status == tika_storage::AppointmentStatus::Completed)
                .count();
            let ok = given == per_site + expect_walk_ins
                && walked_in == expect_walk_ins
                && arrivals.len() == per_site
                && completed == per_site;
            let wrong = (!ok).then(|| {
                format!(
                    "session {}: {given} doses ({walked_in} walk-ins), {} arrivals, {completed} \
                     completed appointments",
                    site.session,
                    arrivals.len()
                )
            });
            Ok((given as u64, wrong))
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut stored = Stored { doses: 0, wrong_sessions: Vec::new(), reviews: 0 };
    for c in checked {
        let (n, wrong) = c?;
        stored.doses += n;
        stored.wrong_sessions.extend(wrong);
    }
    stored.reviews = store.list_reviews(&ReviewFilter::default()).await?.len();
    Ok(stored)
}

// --- the run ------------------------------------------------------------------------------

// A PostgreSQL database in service has statistics (autovacuum keeps them) and its plans are made
// against tables of their real size.  One created a second ago has neither, and the run is too
// short for autovacuum: the writer would keep, for the whole run, generic plans made while the
// sync tables were still empty (sequential scans of tables that then grow by thousands of rows a
// second).  So a database made for the run plans every statement afresh, and everything is
// analysed after setup.

/// Makes PostgreSQL plan each execution of a prepared statement afresh on the current database
/// (connections opened later only; call before the store is opened).
async fn custom_plans(url: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let name: String =
        sqlx::query_scalar("SELECT current_database()::text").fetch_one(&mut conn).await?;
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "unexpected database name {name:?}"
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} SET plan_cache_mode = force_custom_plan"
    )))
    .execute(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(())
}

/// Updates the planner's statistics of every table (what autovacuum does in service).
async fn analyze(url: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    let _ = conn.close().await;
    Ok(())
}

fn p(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

struct Outcome {
    tally: SiteTally,
    stored: Stored,
    wall: Duration,
    setup: Duration,
    devices: Duration,
    booked: usize,
    expected_doses: u64,
    upload_bytes: u64,
}

/// Runs the sync benchmark.
pub(crate) fn run(args: &SyncArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.sites > 0 && args.per_site > 0, "--sites and --per-site must be positive");
    let fit = max_connections();
    anyhow::ensure!(
        args.sites <= fit,
        "the open-file limit allows {fit} client connections (one per site); raise `ulimit -n` or \
         pass fewer --sites"
    );
    let server_rt = runtime("tika-server", args.common.server_threads)?;
    let client_rt = runtime("tika-loadgen", args.common.client_threads)?;
    let db = server_rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    let upload_size = usize::from(args.upload_size);
    let outcome = (|| -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let seed = run_seed();
        let (server, store, sites, booked) = server_rt.block_on(async {
            if backend == "postgres" && args.common.fresh_pg.is_some() {
                custom_plans(&db.url).await?;
            }
            let store = open_store(&db.url, args.common.read_connections).await?;
            let dyn_store: DynStore = Arc::clone(&store) as DynStore;
            let pack = Arc::new(tika_packs::india()?);
            let server =
                Server::start(dyn_store, pack, bench_config(args.common.read_connections)).await?;
            let (sites, booked) = make_sites(&server.state, args, seed).await?;
            if backend == "postgres" {
                analyze(&db.url).await?;
            }
            anyhow::Ok((server, store, sites, booked))
        })?;
        let setup = started.elapsed();
        eprintln!(
            "bench: {} sites with a session today, a vaccinator and a batch, and {} people booked, \
             made in {:.1} s; {}",
            thousands(sites.len() as u64),
            thousands(booked as u64),
            setup.as_secs_f64(),
            describe_run(backend, &args.common)
        );
        if backend == "postgres" {
            eprintln!(
                "bench: PostgreSQL analysed after setup{}",
                if args.common.fresh_pg.is_some() {
                    "; plan_cache_mode = force_custom_plan on this fresh database"
                } else {
                    ""
                }
            );
        }
        anyhow::ensure!(booked == args.sites * args.per_site, "only {booked} people were booked");

        // Every device logs in and downloads its bundle once (untimed).
        let addr = server.addr;
        let opened = Instant::now();
        let devices = client_rt.block_on(async {
            let opened: Vec<anyhow::Result<(Sender, Device)>> = futures::stream::iter(&sites)
                .map(|site| async move {
                    let mut sender = load::connect(addr).await?;
                    let device = open_device(&mut sender, site).await?;
                    anyhow::Ok((sender, device))
                })
                .buffered(64)
                .collect()
                .await;
            opened.into_iter().collect::<anyhow::Result<Vec<_>>>()
        })?;
        let devices_took = opened.elapsed();
        let mut plans = Vec::with_capacity(sites.len());
        let mut first_upload = 0;
        let mut upload_bytes = 0u64;
        for (site, (sender, device)) in sites.iter().zip(devices) {
            anyhow::ensure!(
                device.appointments.len() == args.per_site,
                "the bundle of site {} lists {} booked people",
                site.n,
                device.appointments.len()
            );
            let ups = uploads(site, &device, upload_size, seed, first_upload);
            first_upload += ups.len();
            upload_bytes += ups.iter().map(|u| u.body.len() as u64).sum::<u64>();
            plans.push((sender, device.token, ups));
        }
        let expected_doses = (sites.len() * (args.per_site + walk_ins(args.per_site))) as u64;
        eprintln!(
            "bench: {} devices logged in and downloaded their bundle in {:.1} s; {} uploads of up \
             to {upload_size} records ({} doses, mean upload {}) …",
            thousands(sites.len() as u64),
            devices_took.as_secs_f64(),
            thousands(first_upload as u64),
            thousands(expected_doses),
            super::bytes(upload_bytes / (first_upload.max(1) as u64)),
        );

        let (tally, wall) = client_rt.block_on(async {
            let (go, ready) = tokio::sync::watch::channel(None::<Instant>);
            let tasks: Vec<_> = plans
                .into_iter()
                .map(|(sender, token, ups)| {
                    tokio::spawn(run_site(sender, token, ups, ready.clone()))
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(200)).await;
            let launch = Instant::now();
            let _ = go.send(Some(launch));
            let all = tokio::time::timeout(args.timeout, futures::future::join_all(tasks))
                .await
                .map_err(|_| anyhow::anyhow!("the uploads took longer than {:?}", args.timeout))?;
            let mut tally = SiteTally::new();
            for t in all {
                tally.merge(t?);
            }
            let wall = tally.last_answer;
            anyhow::Ok((tally, wall))
        })?;
        let stored = server_rt.block_on(async {
            let dyn_store: DynStore = Arc::clone(&store) as DynStore;
            let stored = read_back(&dyn_store, &sites, args.per_site).await?;
            server.stop().await;
            store.close().await;
            anyhow::Ok(stored)
        })?;
        Ok(Outcome {
            tally,
            stored,
            wall,
            setup,
            devices: devices_took,
            booked,
            expected_doses,
            upload_bytes,
        })
    })();
    server_rt.block_on(db.cleanup())?;
    let o = outcome?;
    let t = &o.tally;

    let checks = [
        (format!("{} upload or replay errors (expected 0)", t.errors), t.errors == 0),
        (
            format!("{} records answered other than `applied` (expected 0)", t.records_not_applied),
            t.records_not_applied == 0,
        ),
        (
            format!(
                "{} doses answered `applied` (expected {})",
                thousands(t.doses_applied),
                thousands(o.expected_doses)
            ),
            t.doses_applied == o.expected_doses,
        ),
        (
            format!(
                "database: {} non-undone doses (expected {})",
                thousands(o.stored.doses),
                thousands(o.expected_doses)
            ),
            o.stored.doses == o.expected_doses,
        ),
        (
            format!(
                "database: {} sessions whose doses, walk-ins, arrivals or completed appointments \
                 differ from what was sent (expected 0)",
                o.stored.wrong_sessions.len()
            ),
            o.stored.wrong_sessions.is_empty(),
        ),
        (
            format!("database: {} review items (expected 0)", o.stored.reviews),
            o.stored.reviews == 0,
        ),
    ];
    println!();
    for (what, ok) in &checks {
        println!("- [{}] {what}", if *ok { "x" } else { " " });
    }
    for s in t.samples.iter().chain(o.stored.wrong_sessions.iter().take(3)) {
        eprintln!("bench: {s}");
    }
    let verified = checks.iter().all(|(_, ok)| *ok);
    let secs = o.wall.as_secs_f64();
    let rate = if secs > 0.0 { t.doses_applied as f64 / secs } else { 0.0 };
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    println!();
    print_header(&[
        "benchmark",
        "backend",
        "cores",
        "sites",
        "records/upload",
        "uploads (+ replays)",
        "doses applied",
        "all answered in",
        "doses/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "target (≥ 2,000 doses/s)",
    ]);
    print_row(&[
        format!(
            "sync ({} booked + {} walk-ins per site)",
            o.booked / args.sites,
            walk_ins(args.per_site)
        ),
        backend.to_owned(),
        cores.to_string(),
        thousands(args.sites as u64),
        upload_size.to_string(),
        format!("{} (+ {})", thousands(t.uploads), thousands(t.replays)),
        thousands(t.doses_applied),
        format!("{} ms", thousands(o.wall.as_millis() as u64)),
        thousands(rate.round() as u64),
        ms(p(&t.latency, 0.50)),
        ms(p(&t.latency, 0.95)),
        ms(p(&t.latency, 0.99)),
        ms(t.latency.max() as f64 / 1000.0),
        thousands(t.errors + t.records_not_applied),
        if verified && rate >= TARGET_PER_SEC { "met" } else { "missed" }.to_owned(),
    ]);
    eprintln!(
        "bench: {} records in all ({:.0} records/s, {} uploaded); replays p50 {} ms, max {} ms; \
         setup {:.1} s, logins and bundles {:.1} s",
        thousands(t.records),
        if secs > 0.0 { t.records as f64 / secs } else { 0.0 },
        super::bytes(o.upload_bytes),
        ms(p(&t.replay_latency, 0.50)),
        ms(t.replay_latency.max() as f64 / 1000.0),
        o.setup.as_secs_f64(),
        o.devices.as_secs_f64(),
    );
    eprintln!(
        "bench: every site keeps exactly one upload in flight (no think time), so the latency is \
         mostly queueing behind the other {} sites' uploads at the single writer",
        thousands(args.sites.saturating_sub(1) as u64)
    );
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
    anyhow::ensure!(verified, "the sync run's outcome is wrong (see the checks above)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device {
            token: "t".into(),
            staff_id: StaffId::new().to_string(),
            session_id: SessionId::new().to_string(),
            vaccine: VACCINE.into(),
            batch: "BX4121".into(),
            appointments: (0..25)
                .map(|_| (uuid::Uuid::new_v4().to_string(), BeneficiaryId::new().to_string(), 1))
                .collect(),
        }
    }

    #[test]
    fn uploads_hold_every_record_once_in_order() {
        let site =
            Site { n: 3, center: CenterId(1), session: SessionId::new(), username: "x".into() };
        let ups = uploads(&site, &device(), 7, 42, 45);
        // 25 people: 25 arrivals + 25 doses, 2 walk-ins: 2 walk_in + 2 doses = 54 records.
        let records: usize = ups.iter().map(|u| u.doses.len()).sum();
        assert_eq!(records, 54);
        assert_eq!(ups.len(), 54usize.div_ceil(7));
        assert_eq!(ups.iter().flat_map(|u| &u.doses).filter(|d| **d).count(), 27);
        // Uploads 45..53 globally: only number 49 is replayed.
        let replayed: Vec<usize> =
            ups.iter().enumerate().filter(|(_, u)| u.replay).map(|(k, _)| k).collect();
        assert_eq!(replayed, vec![4]);
        let mut ids = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for u in &ups {
            let v: Value = serde_json::from_slice(&u.body).unwrap();
            assert!(keys.insert(v["idempotency_key"].as_str().unwrap().to_owned()));
            for r in v["records"].as_array().unwrap() {
                let id: uuid::Uuid = r["client_id"].as_str().unwrap().parse().unwrap();
                assert_eq!(id.get_version_num(), 7);
                assert!(ids.insert(id));
                if r["kind"] == "walk_in" {
                    let photo = r["beneficiary"]["photo_id_number"].as_str().unwrap();
                    assert!(tika_domain::beneficiary::verhoeff_valid(photo));
                }
            }
        }
    }

    #[test]
    fn one_walk_in_per_ten_booked() {
        assert_eq!(walk_ins(60), 6);
        assert_eq!(walk_ins(9), 0);
    }
}
