//! `tika simulate campaign`: a national campaign's report counters, made in minutes.
//!
//! A year of a national campaign is about a hundred crore doses; keeping them as rows is not
//! what a report benchmark needs (reports read counters, never doses).  This command makes the
//! facilities (the demo's, at real post-office locations in every district) and then writes
//! the counters directly ([`tika_storage::ReportStore::add_simulated_counts`]), in batches,
//! with a realistic shape:
//! - districts weighted by their number of pincodes in the country pack (and ±25 % noise per
//!   district-day);
//! - days: a slow start, two peaks and a tail, fewer doses on Sundays; second doses follow
//!   first doses by about twelve weeks, precaution doses come late;
//! - about 50 % first doses, 45 % second, 5 % precaution;
//! - vaccines by age (Corbevax for 12–14, Covaxin for 15–17, Covishield for most adults:
//!   Covishield ≈ 88 %, Covaxin ≈ 11 % overall), age groups, genders, the priority group the
//!   pack's policy in force gives a representative person of the key, facilities of the
//!   district (government facilities four times as busy as private ones), setting not recorded
//!   (as every real dose is counted today);
//! - people waiting for their second dose under the key of their first.
//!
//! A district-day gets at most 13 distinct keys (5 + 5 + 3 by dose; about 9.5 on average), so
//! 10 crore doses over 365 days and 745 districts make about 2.6 million keys (fewer keys would
//! be faster still: on SQLite the upserts' parameter binding is most of the time).  The counted
//! total is exactly `--doses`.
//!
//! For `--real-districts` districts (the largest, in distinct states) it also writes real
//! people and doses ([`tika_storage::ReportStore::insert_simulated_doses`]) and folds them,
//! so those districts' facility- and block-level reports about age or gender, which read the
//! keys kept on doses, have rows to read.  The real doses are part of the total.
//!
//! Finally it uploads targets (eligible adults per state and district, 94 crore in all) with
//! an audit entry by `cli`, checks the national total and prints the time taken, the keys and
//! counter rows written and the database size.  Synthetic people carry no personal data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{Datelike, Duration as Days, NaiveDate, Weekday};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Row};
use tika_domain::admin::Area;
use tika_domain::beneficiary::BirthYear;
use tika_domain::country::CountryPack;
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, StateId, VaccinationId};
use tika_domain::policy::{Occupation, PersonFacts};
use tika_domain::reports::{
    AgeGroup, DoseBucket, FacilityOwnership, GroupBy, PendingSecondKey, ReportFilter, ReportQuery,
    RollupKey, Setting, Target, normalize_block, priority_group_code,
};
use tika_domain::session::FeeType;
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::{
    Center, Change, DynStore, FoldFacts, PriorityClassifier, SimulatedDose, SimulatedPerson,
};

use crate::run::{StoreArgs, load_config_for, open_configured_store};

/// `tika simulate campaign`.
#[derive(Debug, Args, Clone)]
pub(crate) struct CampaignArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Doses in all (the national total the counters will hold).
    #[arg(long, default_value_t = 100_000_000)]
    pub(crate) doses: u64,
    /// Days of campaign: from today − DAYS to yesterday.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub(crate) days: u32,
    /// Seed of the generator (same seed, same counters).
    #[arg(long, default_value_t = 2021)]
    pub(crate) seed: u64,
    /// Districts that also get real people and dose rows (folded into the counters).
    #[arg(long, default_value_t = 3)]
    pub(crate) real_districts: usize,
    /// People with real rows per real district (each has a first dose, most a second).
    #[arg(long, default_value_t = 3_000)]
    pub(crate) people_per_district: usize,
    /// Facilities to create when the database has none (the demo's national set).
    #[arg(long, default_value_t = 55_000)]
    pub(crate) facilities: usize,
    /// Keys per `add_simulated_counts` call (one transaction).
    #[arg(long, default_value_t = 20_000)]
    pub(crate) batch_keys: usize,
}

/// A facility of a district, as the generator needs it.
#[derive(Debug, Clone)]
pub(crate) struct Facility {
    /// Id.
    pub(crate) id: CenterId,
    /// Block, normalised.
    pub(crate) block: String,
    /// Government or private.
    pub(crate) ownership: FacilityOwnership,
}

/// A district with facilities.
#[derive(Debug, Clone)]
pub(crate) struct DistrictPlan {
    /// State.
    pub(crate) state: StateId,
    /// District.
    pub(crate) district: DistrictId,
    /// Pincodes of the district in the pack: its share of the doses.
    pub(crate) weight: f64,
    /// Its facilities.
    pub(crate) facilities: Vec<Facility>,
    /// Cumulative pick weights of `facilities`.
    cumulative: Vec<f64>,
}

impl DistrictPlan {
    /// A facility, government ones four times as likely as private ones.
    fn pick(&self, rng: &mut StdRng) -> &Facility {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|c| *c <= x).min(self.facilities.len() - 1);
        &self.facilities[i]
    }
}

/// The districts that have facilities, by district id.
pub(crate) fn district_plans(pack: &CountryPack, centers: &[Center]) -> Vec<DistrictPlan> {
    let mut pins: HashMap<DistrictId, f64> = HashMap::new();
    for p in pack.pincodes.values() {
        *pins.entry(p.district_id).or_insert(0.0) += 1.0;
    }
    let mut by_district: BTreeMap<DistrictId, (StateId, Vec<Facility>)> = BTreeMap::new();
    for c in centers {
        let ownership = if c.fee_type == FeeType::Paid {
            FacilityOwnership::Private
        } else {
            FacilityOwnership::Government
        };
        by_district
            .entry(c.district_id)
            .or_insert_with(|| (c.state_id, Vec::new()))
            .1
            .push(Facility { id: c.id, block: normalize_block(&c.block_name), ownership });
    }
    by_district
        .into_iter()
        .filter_map(|(district, (state, mut facilities))| {
            let weight = pins.get(&district).copied().unwrap_or(0.0);
            if weight <= 0.0 || facilities.is_empty() {
                return None;
            }
            facilities.sort_by_key(|f| f.id);
            let mut acc = 0.0;
            let cumulative = facilities
                .iter()
                .map(|f| {
                    acc += if f.ownership == FacilityOwnership::Private { 0.25 } else { 1.0 };
                    acc
                })
                .collect();
            Some(DistrictPlan { state, district, weight, facilities, cumulative })
        })
        .collect()
}

/// The districts that get real rows: the `k` largest (by weight), each in a different state
/// while there are states left.  Indexes into `plans`.
pub(crate) fn real_districts(plans: &[DistrictPlan], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by(|&a, &b| {
        plans[b].weight.total_cmp(&plans[a].weight).then(plans[a].district.cmp(&plans[b].district))
    });
    let mut states = HashSet::new();
    let mut out = Vec::new();
    for &i in &order {
        if out.len() == k {
            break;
        }
        if states.insert(plans[i].state) {
            out.push(i);
        }
    }
    for &i in &order {
        if out.len() == k {
            break;
        }
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Splits `total` over `weights` exactly (largest remainder); zero weights get nothing.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut rest: Vec<(f64, usize)> = Vec::with_capacity(weights.len());
    let mut given = 0u64;
    for (i, w) in weights.iter().enumerate() {
        let exact = total as f64 * w.max(0.0) / sum;
        let floor = exact.floor();
        out.push(floor as u64);
        given += floor as u64;
        rest.push((exact - floor, i));
    }
    let mut left = total.saturating_sub(given);
    if left > 0 {
        rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in rest.iter().cycle() {
            if left == 0 {
                break;
            }
            if weights[i] > 0.0 {
                out[i] += 1;
                left -= 1;
            }
        }
    }
    out
}

fn gauss(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    (-0.5 * z * z).exp()
}

fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// The first-dose curve over the campaign's fraction `t`: a slow start, two peaks, a tail.
fn first_dose_shape(t: f64) -> f64 {
    if t < 0.0 {
        return 0.0;
    }
    smoothstep(t / 0.12)
        * (0.12 + gauss(t, 0.28, 0.09) + 0.7 * gauss(t, 0.52, 0.1) + 0.15 * (1.0 - t).max(0.0))
}

/// The day weights of each dose bucket (first, second, precaution).
fn day_curves(days: u32, first: NaiveDate, rng: &mut StdRng) -> [Vec<f64>; 3] {
    let span = f64::from(days.saturating_sub(1).max(1));
    let mut curves = [Vec::new(), Vec::new(), Vec::new()];
    for i in 0..days {
        let t = f64::from(i) / span;
        let date = first + Days::days(i64::from(i));
        let week = match date.weekday() {
            Weekday::Sun => 0.45,
            Weekday::Sat => 0.85,
            _ => 1.0,
        };
        let noise = rng.random_range(0.9..1.1) * week;
        curves[0].push((first_dose_shape(t) + 1e-6) * noise);
        // Dose 2 about twelve weeks after dose 1 (Covishield's interval).
        curves[1].push((first_dose_shape(t - 0.23) + 1e-6) * noise);
        curves[2].push((if t < 0.6 { 0.0 } else { gauss(t, 0.88, 0.08) } + 1e-6) * noise);
    }
    curves
}

/// Picks an index by weight.
fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (v, w) in items {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// What the generator draws from, checked against the pack once.
struct Dimensions {
    ages_regular: Vec<(AgeGroup, f64)>,
    ages_precaution: Vec<(AgeGroup, f64)>,
    vaccines: Vec<VaccineCode>,
    /// Vaccine choices by age group (indexes into `vaccines`).
    by_age: HashMap<AgeGroup, Vec<(usize, f64)>>,
    genders: Vec<(i64, f64)>,
    /// Minimum interval to the second dose, per vaccine index; `None`: one-dose vaccine.
    interval: Vec<Option<i64>>,
}

impl Dimensions {
    fn new(pack: &CountryPack) -> anyhow::Result<Self> {
        let wanted = ["COVISHIELD", "COVAXIN", "CORBEVAX", "SPUTNIK V", "COVOVAX"];
        let mut vaccines = Vec::new();
        let mut interval = Vec::new();
        for code in wanted {
            let Ok(v) = VaccineCode::parse(code) else { continue };
            if let Some(def) = pack.vaccine(&v) {
                interval.push(
                    (def.doses_in_series >= 2)
                        .then(|| i64::from(def.min_interval_days.unwrap_or(28))),
                );
                vaccines.push(v);
            }
        }
        anyhow::ensure!(!vaccines.is_empty(), "the country pack has none of the usual vaccines");
        let idx = |c: &str| vaccines.iter().position(|v| v.as_str() == c);
        let mut by_age: HashMap<AgeGroup, Vec<(usize, f64)>> = HashMap::new();
        let adults: Vec<(usize, f64)> =
            [("COVISHIELD", 0.92), ("COVAXIN", 0.0775), ("SPUTNIK V", 0.0015), ("COVOVAX", 0.001)]
                .into_iter()
                .filter_map(|(c, w)| idx(c).map(|i| (i, w)))
                .collect();
        let fallback = if adults.is_empty() { vec![(0, 1.0)] } else { adults };
        for age in [AgeGroup::From18To44, AgeGroup::From45To59, AgeGroup::From60] {
            by_age.insert(age, fallback.clone());
        }
        by_age.insert(
            AgeGroup::From15To17,
            idx("COVAXIN").map_or_else(|| fallback.clone(), |i| vec![(i, 1.0)]),
        );
        by_age.insert(
            AgeGroup::From12To14,
            idx("CORBEVAX").map_or_else(|| fallback.clone(), |i| vec![(i, 1.0)]),
        );
        let genders: Vec<(i64, f64)> = pack
            .genders
            .iter()
            .map(|g| {
                let w = match g.id {
                    1 => 0.515,
                    2 => 0.484,
                    _ => 0.001,
                };
                (g.id, w)
            })
            .collect();
        anyhow::ensure!(!genders.is_empty(), "the country pack has no genders");
        Ok(Self {
            ages_regular: vec![
                (AgeGroup::From12To14, 0.010),
                (AgeGroup::From15To17, 0.035),
                (AgeGroup::From18To44, 0.580),
                (AgeGroup::From45To59, 0.235),
                (AgeGroup::From60, 0.140),
            ],
            ages_precaution: vec![
                (AgeGroup::From18To44, 0.35),
                (AgeGroup::From45To59, 0.25),
                (AgeGroup::From60, 0.40),
            ],
            vaccines,
            by_age,
            genders,
            interval,
        })
    }

    fn vaccine_for(&self, rng: &mut StdRng, age: AgeGroup) -> usize {
        self.by_age.get(&age).map_or(0, |choices| pick(rng, choices))
    }
}

/// An age inside a group, for a representative birth year.
fn age_in_group(rng: &mut StdRng, age: AgeGroup) -> i32 {
    match age {
        AgeGroup::Under12 => rng.random_range(5..=11),
        AgeGroup::From12To14 => rng.random_range(12..=14),
        AgeGroup::From15To17 => rng.random_range(15..=17),
        AgeGroup::From18To44 => rng.random_range(18..=44),
        AgeGroup::From45To59 => rng.random_range(45..=59),
        AgeGroup::From60 => rng.random_range(60..=85),
    }
}

/// The person facts of a synthetic person: a few health and frontline workers, comorbidity
/// common from 45.
fn person_facts(rng: &mut StdRng, age: AgeGroup, birth_year: BirthYear) -> PersonFacts {
    let adult = age >= AgeGroup::From18To44;
    let r = rng.random::<f64>();
    let occupation = if adult && r < 0.01 {
        Some(Occupation::HealthWorker)
    } else if adult && r < 0.03 {
        Some(Occupation::FrontlineWorker)
    } else {
        None
    };
    let comorbidity = age >= AgeGroup::From45To59 && rng.random_ratio(1, 4);
    PersonFacts { birth_year, comorbidity, occupation }
}

/// The generator's settings.
struct Plan {
    pack: Arc<CountryPack>,
    districts: Arc<Vec<DistrictPlan>>,
    dims: Dimensions,
    first: NaiveDate,
    today: NaiveDate,
    days: u32,
    /// Doses per bucket to write as counters.
    doses: [u64; 3],
    seed: u64,
    batch_keys: usize,
}

/// One call's worth of counters.
struct Batch {
    doses: Vec<(RollupKey, i64)>,
    pending: Vec<(PendingSecondKey, i64)>,
    total: u64,
    day: u32,
}

/// Keys per district-day and bucket, at most.
const KEYS_PER_BUCKET: [u64; 3] = [5, 5, 3];

/// Generates every counter, day by day, sending batches down `tx`.  Runs on its own thread.
fn generate(plan: &Plan, tx: &tokio::sync::mpsc::Sender<Batch>) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let curves = day_curves(plan.days, plan.first, &mut rng);
    let per_day: Vec<Vec<u64>> = (0..3).map(|b| apportion(plan.doses[b], &curves[b])).collect();
    let weights: Vec<f64> = plan.districts.iter().map(|d| d.weight).collect();
    let mut doses: HashMap<RollupKey, i64> = HashMap::new();
    let mut pending: HashMap<PendingSecondKey, i64> = HashMap::new();
    let mut total = 0u64;
    for day_i in 0..plan.days {
        let day = plan.first + Days::days(i64::from(day_i));
        let policy = plan.pack.policy_on(day);
        let noisy: Vec<f64> = weights.iter().map(|w| w * rng.random_range(0.75..1.25)).collect();
        let split: Vec<Vec<u64>> =
            (0..3).map(|b| apportion(per_day[b][day_i as usize], &noisy)).collect();
        for (k, district) in plan.districts.iter().enumerate() {
            for (b, bucket) in DoseBucket::ALL.into_iter().enumerate() {
                let c = split[b][k];
                if c == 0 {
                    continue;
                }
                let n_keys = c.min(KEYS_PER_BUCKET[b]) as usize;
                let shares: Vec<f64> = (0..n_keys).map(|_| rng.random_range(0.3..1.7)).collect();
                for n in apportion(c, &shares) {
                    if n == 0 {
                        continue;
                    }
                    let ages = if bucket == DoseBucket::Precaution {
                        &plan.dims.ages_precaution
                    } else {
                        &plan.dims.ages_regular
                    };
                    let age = pick(&mut rng, ages);
                    let v = plan.dims.vaccine_for(&mut rng, age);
                    let gender_id = pick(&mut rng, &plan.dims.genders);
                    let facility = district.pick(&mut rng);
                    let birth_year =
                        BirthYear::from_stored(day.year() - age_in_group(&mut rng, age));
                    let facts = person_facts(&mut rng, age, birth_year);
                    let key = RollupKey {
                        day,
                        state: district.state,
                        district: district.district,
                        block: facility.block.clone(),
                        center: facility.id,
                        vaccine: plan.dims.vaccines[v].clone(),
                        dose: bucket,
                        age_group: age,
                        gender_id,
                        priority_group: priority_group_code(policy, &facts, day),
                        ownership: facility.ownership,
                        setting: Setting::Unknown,
                    };
                    if bucket == DoseBucket::First
                        && let Some(interval) = plan.dims.interval[v]
                    {
                        // Most people whose second dose is not due yet wait; of the others,
                        // about one in eight never came back.
                        let frac =
                            if (plan.today - day).num_days() < interval { 0.97 } else { 0.12 };
                        let waiting = (n as f64 * frac).round() as i64;
                        if let Some(p) = PendingSecondKey::of_first_dose(&key)
                            && waiting > 0
                        {
                            *pending.entry(p).or_insert(0) += waiting;
                        }
                    }
                    *doses.entry(key).or_insert(0) += n as i64;
                    total += n;
                }
            }
            if doses.len() >= plan.batch_keys {
                let batch = Batch {
                    doses: doses.drain().collect(),
                    pending: pending.drain().collect(),
                    total: std::mem::take(&mut total),
                    day: day_i,
                };
                if tx.blocking_send(batch).is_err() {
                    return Ok(());
                }
            }
        }
    }
    if !doses.is_empty() || !pending.is_empty() {
        let batch = Batch {
            doses: doses.drain().collect(),
            pending: pending.drain().collect(),
            total,
            day: plan.days,
        };
        let _ = tx.blocking_send(batch);
    }
    Ok(())
}

/// The real people and doses of one district (dose 1 for everyone, dose 2 for most of those
/// whose interval has passed).
fn real_rows(
    plan: &Plan,
    district: &DistrictPlan,
    people: usize,
    seed: u64,
) -> (Vec<SimulatedPerson>, Vec<SimulatedDose>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let curves = day_curves(plan.days, plan.first, &mut rng);
    let total: f64 = curves[0].iter().sum();
    let mut out_people = Vec::with_capacity(people);
    let mut out_doses = Vec::with_capacity(people * 2);
    for _ in 0..people {
        let mut x = rng.random::<f64>() * total;
        let mut day_i = 0usize;
        while day_i + 1 < curves[0].len() && x >= curves[0][day_i] {
            x -= curves[0][day_i];
            day_i += 1;
        }
        let day = plan.first + Days::days(day_i as i64);
        let age = pick(&mut rng, &plan.dims.ages_regular);
        let birth_year = BirthYear::from_stored(day.year() - age_in_group(&mut rng, age));
        let gender_id = pick(&mut rng, &plan.dims.genders);
        let v = plan.dims.vaccine_for(&mut rng, age);
        let vaccine = plan.dims.vaccines[v].clone();
        let person = SimulatedPerson { id: BeneficiaryId::new(), birth_year, gender_id };
        out_doses.push(SimulatedDose {
            id: VaccinationId::new(),
            beneficiary: person.id,
            dose: DoseNumber::FIRST,
            vaccine: vaccine.clone(),
            date: day,
            center: district.pick(&mut rng).id,
        });
        if let Some(interval) = plan.dims.interval[v] {
            let second = day + Days::days(interval + rng.random_range(0..21));
            if second < plan.today && rng.random_ratio(7, 8) {
                out_doses.push(SimulatedDose {
                    id: VaccinationId::new(),
                    beneficiary: person.id,
                    dose: DoseNumber::SECOND,
                    vaccine,
                    date: second,
                    center: district.pick(&mut rng).id,
                });
            }
        }
        out_people.push(person);
    }
    (out_people, out_doses)
}

/// The priority classifier of the pack's policies (what `tika serve` uses, without the
/// console's added versions).
pub(crate) fn pack_classifier(pack: Arc<CountryPack>) -> PriorityClassifier {
    Arc::new(move |f: &FoldFacts| {
        let facts = PersonFacts {
            birth_year: f.birth_year,
            comorbidity: f.comorbidity,
            occupation: f.occupation,
        };
        priority_group_code(pack.policy_on(f.date), &facts, f.date)
    })
}

/// Makes the demo's national facilities when the database has none; returns every facility.
pub(crate) async fn ensure_facilities(
    store: &DynStore,
    pack: &CountryPack,
    n: usize,
    now_ms: i64,
) -> anyhow::Result<Vec<Center>> {
    if store.count_centers().await? == 0 {
        let sites = crate::demo::pick_sites(pack, tika_packs::india_sites()?, n);
        let centers = crate::demo::centers(pack, &sites, now_ms);
        let mut created = 0;
        for chunk in centers.chunks(5_000) {
            created += store.insert_centers(chunk).await?;
        }
        eprintln!("campaign: {created} facilities created at post-office locations");
    }
    Ok(store.list_centers().await?)
}

/// The national total the counters hold over `first..=until`.
pub(crate) async fn national_total(
    store: &DynStore,
    first: NaiveDate,
    until: NaiveDate,
) -> anyhow::Result<i64> {
    let rows = store
        .report(&ReportQuery {
            filter: ReportFilter::nation(first, until),
            group_by: GroupBy::Total,
        })
        .await?;
    Ok(rows.iter().map(|r| r.cumulative).sum())
}

/// Folds every pending dose.
async fn fold_all(store: &DynStore, classify: &PriorityClassifier) -> anyhow::Result<u64> {
    let mut folded = 0u64;
    loop {
        let out = store.fold_doses(5_000, Arc::clone(classify)).await?;
        folded += u64::from(out.doses);
        if !out.more {
            return Ok(folded);
        }
    }
}

/// Eligible adults (94 crore) per state and district, in proportion to the districts' weights,
/// and the nation's.
fn targets(plans: &[DistrictPlan]) -> Vec<Target> {
    const ADULTS: u64 = 940_000_000;
    let weights: Vec<f64> = plans.iter().map(|d| d.weight).collect();
    let per_district = apportion(ADULTS, &weights);
    let mut per_state: BTreeMap<StateId, u64> = BTreeMap::new();
    let mut out = vec![Target {
        area: Area::National,
        age_group: None,
        dose: None,
        population_eligible: ADULTS,
    }];
    for (d, n) in plans.iter().zip(per_district) {
        *per_state.entry(d.state).or_insert(0) += n;
        out.push(Target {
            area: Area::District { state: d.state, district: d.district },
            age_group: None,
            dose: None,
            population_eligible: n,
        });
    }
    out.extend(per_state.into_iter().map(|(state, n)| Target {
        area: Area::State { state },
        age_group: None,
        dose: None,
        population_eligible: n,
    }));
    out
}

/// The database's size: the SQLite file with its WAL, or PostgreSQL's `pg_database_size`.
pub(crate) async fn database_size(url: &str) -> anyhow::Result<u64> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        let mut size = 0;
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(m) = std::fs::metadata(format!("{path}{suffix}")) {
                size += m.len();
            }
        }
        return Ok(size);
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let row = sqlx::query("SELECT CAST(pg_database_size(current_database()) AS BIGINT) AS n")
        .fetch_one(&mut conn)
        .await?;
    let n: i64 = row.try_get("n")?;
    let _ = conn.close().await;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Rows in the report counter tables (a diagnostic: how much the roll-ups hold).
async fn counter_rows(url: &str) -> anyhow::Result<Vec<(&'static str, i64)>> {
    const TABLES: [&str; 13] = [
        "rpt_center_day",
        "rpt_center_month",
        "rpt_district_day",
        "rpt_district_month",
        "rpt_district_day_lite",
        "rpt_district_month_lite",
        "rpt_state_day",
        "rpt_state_month",
        "rpt_state_day_lite",
        "rpt_state_month_lite",
        "rpt_pending_center",
        "rpt_pending_district",
        "rpt_pending_state",
    ];
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let mut out = Vec::new();
    for t in TABLES {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {t}"
        )))
        .fetch_one(&mut conn)
        .await?;
        out.push((t, row.try_get::<i64, _>("n")?));
    }
    let _ = conn.close().await;
    Ok(out)
}

/// A byte count in MiB / GiB.
pub(crate) fn size_text(n: u64) -> String {
    let mib = n as f64 / (1024.0 * 1024.0);
    if mib >= 1024.0 { format!("{:.2} GiB", mib / 1024.0) } else { format!("{mib:.1} MiB") }
}

/// The campaign's first day for `days` days ending yesterday.
pub(crate) fn first_day(today: NaiveDate, days: u32) -> NaiveDate {
    today - Days::days(i64::from(days))
}

/// Runs `tika simulate campaign`.
pub(crate) async fn campaign(file: Option<&Path>, args: CampaignArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.doses > 0, "--doses must be more than 0");
    anyhow::ensure!(args.batch_keys > 0, "--batch-keys must be more than 0");
    let started = Instant::now();
    let config = load_config_for(file, &args.store)?;
    let url = config.database_url();
    let (store, pack) = open_configured_store(file, &args.store).await?;
    let now = chrono::Utc::now();
    let now_ms = now.timestamp_millis();
    let today = tika_server::clock::local_today(now, pack.timezone_offset_minutes);
    let first = first_day(today, args.days);
    let yesterday = today - Days::days(1);
    eprintln!(
        "campaign: {} doses from {first} to {yesterday} into {} ({})",
        crate::bench::thousands(args.doses),
        crate::config::redact_url(&url),
        store.backend().name()
    );
    let before = national_total(&store, first - Days::days(3_000), today).await?;
    // What the database counted already (a demo's few doses): the campaign adds to it.
    let recount_before: i64 =
        store.counted_doses(&Area::National).await?.iter().map(|(_, n)| *n).sum();

    let centers = ensure_facilities(&store, &pack, args.facilities, now_ms).await?;
    let districts = Arc::new(district_plans(&pack, &centers));
    anyhow::ensure!(!districts.is_empty(), "no district has a facility");
    eprintln!(
        "campaign: {} facilities in {} districts ({:.1} s)",
        centers.len(),
        districts.len(),
        started.elapsed().as_secs_f64()
    );

    // Real rows first: their doses are part of the total.
    let dims = Dimensions::new(&pack)?;
    let mut plan = Plan {
        pack: Arc::clone(&pack),
        districts: Arc::clone(&districts),
        dims,
        first,
        today,
        days: args.days,
        doses: [0; 3],
        seed: args.seed,
        batch_keys: args.batch_keys,
    };
    let real = real_districts(&districts, args.real_districts);
    let mut real_doses = [0u64; 3];
    let mut real_people = 0usize;
    let real_started = Instant::now();
    for (n, &i) in real.iter().enumerate() {
        let d = &districts[i];
        let (people, doses) =
            real_rows(&plan, d, args.people_per_district, args.seed ^ (0x5eed + n as u64));
        for dose in &doses {
            real_doses[if dose.dose == DoseNumber::FIRST { 0 } else { 1 }] += 1;
        }
        real_people += people.len();
        let mut by_person: HashMap<BeneficiaryId, Vec<SimulatedDose>> = HashMap::new();
        for dose in doses {
            by_person.entry(dose.beneficiary).or_default().push(dose);
        }
        for chunk in people.chunks(500) {
            let doses: Vec<SimulatedDose> =
                chunk.iter().flat_map(|p| by_person.remove(&p.id).unwrap_or_default()).collect();
            store.insert_simulated_doses(chunk, &doses, now_ms).await?;
        }
        eprintln!(
            "campaign: real rows in district {} (state {}): {} people",
            d.district,
            d.state,
            people.len()
        );
    }
    let folded = fold_all(&store, &pack_classifier(Arc::clone(&pack))).await?;
    let real_total: u64 = real_doses.iter().sum();
    eprintln!(
        "campaign: {real_people} people, {real_total} real doses written and {folded} folded in {:.1} s",
        real_started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        real_total <= args.doses,
        "--doses {} is less than the {real_total} real doses: lower --people-per-district",
        args.doses
    );

    // Counters for the rest: 50 % first doses, 45 % second, 5 % precaution, in all.
    let rest = args.doses - real_total;
    let mut buckets = apportion(args.doses, &[0.50, 0.45, 0.05]);
    for (b, r) in buckets.iter_mut().zip(real_doses) {
        *b = b.saturating_sub(r);
    }
    let short = rest - buckets.iter().sum::<u64>().min(rest);
    buckets[0] += short;
    let over = buckets.iter().sum::<u64>().saturating_sub(rest);
    buckets[2] = buckets[2].saturating_sub(over);
    plan.doses = [buckets[0], buckets[1], buckets[2]];

    let gen_started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let generator = std::thread::spawn(move || generate(&plan, &tx));
    let mut keys_written = 0u64;
    let mut pending_written = 0u64;
    let mut doses_written = 0u64;
    let mut last_report = Instant::now();
    while let Some(batch) = rx.recv().await {
        store.add_simulated_counts(&batch.doses, &batch.pending).await?;
        keys_written += batch.doses.len() as u64;
        pending_written += batch.pending.len() as u64;
        doses_written += batch.total;
        if last_report.elapsed().as_secs() >= 5 {
            last_report = Instant::now();
            let secs = gen_started.elapsed().as_secs_f64();
            eprintln!(
                "campaign: day {}/{}: {} doses, {} keys ({:.0} keys/s), {:.0} s",
                batch.day.min(args.days),
                args.days,
                crate::bench::thousands(doses_written),
                crate::bench::thousands(keys_written),
                keys_written as f64 / secs.max(0.001),
                secs
            );
        }
    }
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator thread panicked"))?
        .context("generating the counters")?;
    let gen_secs = gen_started.elapsed().as_secs_f64();
    eprintln!(
        "campaign: counters written: {} doses under {} keys, {} pending keys, in {gen_secs:.1} s",
        crate::bench::thousands(doses_written),
        crate::bench::thousands(keys_written),
        crate::bench::thousands(pending_written)
    );

    // Targets, replaced as a whole with the CLI's audit entry.
    let targets = targets(&districts);
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: now_ms,
        actor: "cli".to_owned(),
        action: "report.targets.replace".to_owned(),
        subject: "targets".to_owned(),
        place: None,
        before: None,
        after: Some(
            serde_json::json!({ "targets": targets.len(), "source": "tika simulate campaign" })
                .to_string(),
        ),
    };
    store.replace_targets(&targets, &audit, now_ms).await?;

    // The check: the counters add up to the doses asked for.
    let total = national_total(&store, first - Days::days(3_000), today).await? - before;
    let recount: i64 =
        store.counted_doses(&Area::National).await?.iter().map(|(_, n)| *n).sum::<i64>()
            - recount_before;
    anyhow::ensure!(
        u64::try_from(total).ok() == Some(args.doses),
        "the national total grew by {total}, not {}",
        args.doses
    );
    anyhow::ensure!(
        u64::try_from(recount).ok() == Some(real_total),
        "the doses counted from rows are {recount}, not the {real_total} written"
    );
    let elapsed = started.elapsed().as_secs_f64();
    let size = database_size(&url).await.unwrap_or(0);
    println!("campaign: done in {elapsed:.1} s (counters {gen_secs:.1} s)");
    println!(
        "campaign: national total {} doses = --doses (of which {} real rows, recounted from their keys)",
        crate::bench::thousands(args.doses),
        crate::bench::thousands(real_total)
    );
    println!(
        "campaign: {} dose keys and {} pending-second keys written; {} targets",
        crate::bench::thousands(keys_written),
        crate::bench::thousands(pending_written),
        targets.len()
    );
    match counter_rows(&url).await {
        Ok(rows) => {
            let all: i64 = rows.iter().map(|(_, n)| n).sum();
            println!(
                "campaign: counter rows: {} in all ({})",
                crate::bench::thousands(u64::try_from(all).unwrap_or(0)),
                rows.iter()
                    .map(|(t, n)| format!(
                        "{t} {}",
                        crate::bench::thousands(u64::try_from(*n).unwrap_or(0))
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Err(e) => eprintln!("campaign: cannot count the counter rows: {e}"),
    }
    println!("campaign: database size {}", size_text(size));
    let names: Vec<String> = real
        .iter()
        .map(|&i| format!("{} (state {})", districts[i].district, districts[i].state))
        .collect();
    println!("campaign: districts with real rows: {}", names.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]).iter().sum::<u64>(), 10);
        assert_eq!(apportion(7, &[0.0, 2.0, 1.0]), vec![0, 5, 2]);
        assert_eq!(apportion(0, &[1.0]), vec![0]);
        assert_eq!(apportion(5, &[0.0, 0.0]), vec![5, 0]);
        let w: Vec<f64> = (0..750).map(|i| f64::from(i % 17) + 0.5).collect();
        assert_eq!(apportion(123_456_789, &w).iter().sum::<u64>(), 123_456_789);
    }

    #[test]
    fn generation_sums_to_the_doses_asked_for() {
        let pack = Arc::new(tika_packs::india().unwrap());
        let sites = crate::demo::pick_sites(&pack, tika_packs::india_sites().unwrap(), 2_000);
        let centers = crate::demo::centers(&pack, &sites, 0);
        let districts = Arc::new(district_plans(&pack, &centers));
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let plan = Plan {
            pack: Arc::clone(&pack),
            districts,
            dims: Dimensions::new(&pack).unwrap(),
            first: first_day(today, 30),
            today,
            days: 30,
            doses: [50_000, 45_000, 5_000],
            seed: 1,
            batch_keys: 1_000,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(1_000_000);
        generate(&plan, &tx).unwrap();
        drop(tx);
        let mut total = 0i64;
        let mut by_dose = [0i64; 3];
        while let Ok(b) = rx.try_recv() {
            for (k, n) in &b.doses {
                assert!(k.day >= plan.first && k.day < today);
                by_dose[DoseBucket::ALL.iter().position(|d| *d == k.dose).unwrap()] += n;
                total += n;
            }
        }
        assert_eq!(total, 100_000);
        assert_eq!(by_dose, [50_000, 45_000, 5_000]);
        assert_eq!(real_districts(&plan.districts, 3).len(), 3);
    }
}
