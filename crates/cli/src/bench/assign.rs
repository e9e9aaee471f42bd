//! `tika bench assign`: assignment of 4.69 lakh listed people to sessions, end to end.
//!
//! Loads the national demo (post-office sites as facilities in every district, a week of
//! sessions) and lists `--people` people (health workers, frontline workers and others, born
//! 1950–2003) at real pincodes of a few states, through `upsert_listed_people` as an upload
//! does (not timed).  Then times one national run exactly as the console's background task
//! runs it (`services::admin::assign::execute`): read the inputs, decide, and write the
//! appointments, their `appointment.booked` events and the `assignments` rows in chunks.
//! Afterwards it checks that no session is over capacity and that every assigned person has
//! exactly one booking.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Connection;
use tika_domain::assign::Basis;
use tika_domain::ids::{AccountId, AssignmentRunId, BeneficiaryId, BeneficiaryRef, StateId};
use tika_domain::mobile::Mobile;
use tika_server::services::admin::assign::execute;
use tika_storage::{
    DynStore, ListedPersonRecord, NewAssignmentRun, NewBeneficiaryRecord, Occupation,
};

use super::{CommonArgs, Database, open_store, runtime, thousands};
use crate::demo::{self, DemoSize};

/// The target of issue #6: 4.69 lakh people in under a minute.
const TARGET_S: f64 = 60.0;

/// `tika bench assign`.
#[derive(Debug, Args, Clone)]
pub(crate) struct AssignArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Listed people to assign.
    #[arg(long, default_value_t = 469_000)]
    pub(crate) people: u64,
    /// Demo facilities (national scale).
    #[arg(long, default_value_t = 55_000)]
    pub(crate) facilities: usize,
    /// Days of sessions (from today; the run takes tomorrow onwards).
    #[arg(long, default_value_t = 7)]
    pub(crate) days: u32,
    /// States whose pincodes the people are listed at (CoWIN ids).
    #[arg(long, value_delimiter = ',', default_values_t = [21, 9, 16, 31, 34])]
    pub(crate) states: Vec<i64>,
    /// Distance limit of the run, km.
    #[arg(long, default_value_t = 50)]
    pub(crate) max_km: u32,
}

fn people(
    pack: &tika_domain::country::CountryPack,
    states: &[i64],
    n: u64,
    now_ms: i64,
) -> anyhow::Result<Vec<ListedPersonRecord>> {
    let mut pins: Vec<(u32, StateId, tika_domain::ids::DistrictId)> = pack
        .pincodes
        .values()
        .filter(|p| p.lat.is_some() && p.lon.is_some())
        .filter_map(|p| {
            let d = pack.district(p.district_id)?;
            states.contains(&d.state_id.0).then_some((p.pincode, d.state_id, p.district_id))
        })
        .collect();
    pins.sort_unstable_by_key(|p| p.0);
    anyhow::ensure!(!pins.is_empty(), "no pincodes with centroids in states {states:?}");
    let mut rng = StdRng::seed_from_u64(469);
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for i in 0..n {
        let (pin, state, district) = pins[rng.random_range(0..pins.len())];
        let home = pins[rng.random_range(0..pins.len())].0;
        let account_id = AccountId::new();
        let mobile = Mobile::parse(&format!("{}", 7_000_000_000u64 + i))
            .map_err(|e| anyhow::anyhow!("bench mobile: {e}"))?;
        let beneficiary = NewBeneficiaryRecord {
            id: BeneficiaryId::new(),
            reference_id: BeneficiaryRef::from_random(rng.random()),
            account_id,
            name: format!("Bench Person {i}"),
            birth_year: rng.random_range(1950..=2003),
            gender_id: rng.random_range(1..=2),
            photo_id_type: 1,
            photo_id_hash: format!("bench-assign-{i}"),
            photo_id_last4: format!("{:04}", i % 10_000),
            comorbidity: rng.random_ratio(1, 10),
            created_at_ms: now_ms,
        };
        out.push(ListedPersonRecord {
            list_key: format!("1:bench-assign-{i}"),
            mobile,
            beneficiary,
            occupation: match rng.random_range(0..10) {
                0..=3 => Occupation::HealthWorker,
                4..=6 => Occupation::FrontlineWorker,
                _ => Occupation::Other,
            },
            employer: String::new(),
            employee_id: String::new(),
            posting_center: None,
            posting_pincode: Some(pin),
            home_pincode: rng.random_ratio(1, 3).then_some(home),
            state,
            district,
        });
    }
    Ok(out)
}

/// Runs the assignment benchmark.
pub(crate) fn run(args: &AssignArgs) -> anyhow::Result<()> {
    let rt = runtime("tika-assign", args.common.server_threads)?;
    let db = rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    let result = rt.block_on(async {
        let store = open_store(&db.url, args.common.read_connections).await?;
        let dyn_store: DynStore = Arc::clone(&store) as DynStore;
        let pack = Arc::new(tika_packs::india()?);
        let now = chrono::Utc::now();
        let today = tika_server::clock::local_today(now, pack.timezone_offset_minutes);
        let started = Instant::now();
        let size = DemoSize { facilities: args.facilities, days: args.days.max(2) };
        let (centers, sessions) =
            demo::load(&dyn_store, &pack, size, today, now.timestamp_millis()).await?;
        eprintln!(
            "bench: demo loaded in {:.1} s ({} centres, {} sessions)",
            started.elapsed().as_secs_f64(),
            thousands(centers),
            thousands(sessions)
        );
        let started = Instant::now();
        let rows = people(&pack, &args.states, args.people, now.timestamp_millis())?;
        let mut listed = 0;
        let mut rows = rows;
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(5_000));
            let chunk = std::mem::replace(&mut rows, rest);
            listed +=
                dyn_store.upsert_listed_people(None, chunk, now.timestamp_millis()).await?.inserted;
        }
        eprintln!(
            "bench: {} people listed in {:.1} s (not timed)",
            thousands(listed),
            started.elapsed().as_secs_f64()
        );
        let run = NewAssignmentRun {
            id: AssignmentRunId::new(),
            created_by: "bench".into(),
            state: None,
            district: None,
            basis: Basis::Posting,
            date_from: today + Duration::days(1),
            date_until: today + Duration::days(i64::from(args.days.max(2)) - 1),
            vaccine: None,
            max_km: args.max_km,
            dry_run: false,
            now_ms: now.timestamp_millis(),
        };
        dyn_store.create_assignment_run(&run).await?;
        let started = Instant::now();
        let report =
            execute(&dyn_store, &pack, &run, || chrono::Utc::now().timestamp_millis()).await?;
        let total = started.elapsed().as_secs_f64();
        // Checks: nothing over capacity, one booking per assigned person.
        let over: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE booked_dose1 > capacity_dose1")
                .fetch_one(&mut sqlx::AnyConnection::connect(&db.url).await?)
                .await?;
        let booked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM appointments WHERE status = 'booked' AND dose = 1",
        )
        .fetch_one(&mut sqlx::AnyConnection::connect(&db.url).await?)
        .await?;
        anyhow::ensure!(over == 0, "{over} sessions over capacity");
        anyhow::ensure!(
            u64::try_from(booked).unwrap_or(0) == report.assigned,
            "{booked} bookings for {} people assigned",
            report.assigned
        );
        store.close().await;
        anyhow::Ok((report, total))
    });
    let cleanup = rt.block_on(db.cleanup());
    let (r, total) = result?;
    cleanup?;
    println!(
        "tika bench assign — {backend}, {} people, {} facilities",
        thousands(r.people),
        thousands(r.facilities)
    );
    println!("  sessions considered   {}", thousands(r.sessions));
    println!(
        "  assigned              {}  (unassigned {}, already booked {}, filled meanwhile {})",
        thousands(r.assigned),
        thousands(r.unassigned),
        thousands(r.already_booked),
        thousands(r.filled_meanwhile)
    );
    println!("  read inputs           {:>7.2} s", r.read_ms as f64 / 1000.0);
    println!("  decide                {:>7.2} s", r.plan_ms as f64 / 1000.0);
    println!("  write                 {:>7.2} s", r.write_ms as f64 / 1000.0);
    println!(
        "  end to end            {total:>7.2} s  ({:.0} people/s; target < {TARGET_S:.0} s: {})",
        r.people as f64 / total.max(1e-9),
        if total < TARGET_S { "met" } else { "NOT met" }
    );
    Ok(())
}
