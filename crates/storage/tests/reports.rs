//! The storage contract of reports, on SQLite and on PostgreSQL: doses folded into the
//! counters, voids and merges taken back out of the same keys, every report (each grouping,
//! area level and filter, date ranges across months) equal to the reference aggregation over
//! an independent recount of a random dataset, people waiting for a second dose, targets
//! replaced as a whole with their audit entry, and the simulator's direct counts.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::Connection;
use tika_domain::admin::Area;
use tika_domain::beneficiary::BirthYear;
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, StateId, VaccinationId};
use tika_domain::reports::{
    AgeGroup, DoseBucket, DoseFacts, DueCounts, FacilityOwnership, GroupBy, PendingSecondKey,
    ReportFilter, ReportQuery, RollupKey, Setting, Target, aggregate,
};
use tika_domain::session::FeeType;
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{NOW, TestDb, center, on_both_backends};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (id, state, district, block, paid)
const CENTERS: [(i64, i64, i64, &str, bool); 6] = [
    (11, 21, 395, "Block A", false),
    (12, 21, 395, "Block A", true),
    (13, 21, 395, "block b", false),
    (14, 21, 363, "Haveli", false),
    (15, 9, 141, "Central", false),
    (16, 9, 141, "Central", true),
];

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()
}

fn vaccines() -> [VaccineCode; 2] {
    [VaccineCode::parse("COVISHIELD").unwrap(), VaccineCode::parse("COVAXIN").unwrap()]
}

/// The test's priority rule: 60 and over are "SENIOR", health workers would be "HCW".
fn classify(f: &FoldFacts) -> Option<String> {
    if f.birth_year.age_in(f.date.year()) >= 60 { Some("SENIOR".into()) } else { None }
}

fn classifier() -> PriorityClassifier {
    Arc::new(classify)
}

/// A generated dose and the facts the test computes its key from.
#[derive(Clone)]
struct Dose {
    id: VaccinationId,
    person: usize,
    number: u8,
    vaccine: VaccineCode,
    date: NaiveDate,
    center: usize,
    live: bool,
}

struct Dataset {
    people: Vec<SimulatedPerson>,
    doses: Vec<Dose>,
}

fn generate(seed: u64, people: usize) -> Dataset {
    let mut rng = Rng(seed);
    let mut out = Dataset { people: Vec::new(), doses: Vec::new() };
    for p in 0..people {
        out.people.push(SimulatedPerson {
            id: BeneficiaryId::new(),
            birth_year: BirthYear::from_stored(1940 + rng.below(70) as i32),
            gender_id: 1 + rng.below(3) as i64,
        });
        let vaccine = rng.pick(&vaccines()).clone();
        let doses = rng.below(4) as u8;
        let mut date = start() + Duration::days(rng.below(40) as i64);
        for number in 1..=doses {
            out.doses.push(Dose {
                id: VaccinationId::new(),
                person: p,
                number,
                vaccine: vaccine.clone(),
                date,
                center: rng.below(CENTERS.len() as u64) as usize,
                live: true,
            });
            date += Duration::days(20 + rng.below(30) as i64);
        }
    }
    out
}

fn centers() -> Vec<NewCenter> {
    CENTERS
        .iter()
        .map(|(id, state, district, block, paid)| {
            let mut c = center(*id);
            c.state_id = StateId(*state);
            c.district_id = DistrictId(*district);
            c.block_name = (*block).into();
            c.fee_type = if *paid { FeeType::Paid } else { FeeType::Free };
            c
        })
        .collect()
}

/// The independent recount: the key of every live dose from the test's own facts.
fn recount(data: &Dataset) -> Vec<(RollupKey, i64)> {
    let mut sums: BTreeMap<RollupKey, i64> = BTreeMap::new();
    for d in data.doses.iter().filter(|d| d.live) {
        let (id, state, district, block, paid) = CENTERS[d.center];
        let person = &data.people[d.person];
        let group = classify(&FoldFacts {
            date: d.date,
            birth_year: person.birth_year,
            comorbidity: false,
            occupation: None,
        });
        let key = RollupKey::for_dose(&DoseFacts {
            date: d.date,
            state: StateId(state),
            district: DistrictId(district),
            block,
            center: CenterId(id),
            vaccine: &d.vaccine,
            dose: DoseNumber::new(i64::from(d.number)).unwrap(),
            birth_year: person.birth_year,
            gender_id: person.gender_id,
            priority_group: group.as_deref(),
            ownership: if paid {
                FacilityOwnership::Private
            } else {
                FacilityOwnership::Government
            },
            setting: Setting::Unknown,
        });
        *sums.entry(key).or_insert(0) += 1;
    }
    sums.into_iter().collect()
}

/// People waiting for a second dose, recounted: a live first dose and no live second dose.
fn recount_pending(data: &Dataset) -> Vec<(PendingSecondKey, i64)> {
    let keys = recount_keys_per_dose(data);
    let mut first: HashMap<usize, RollupKey> = HashMap::new();
    let mut second: HashMap<usize, bool> = HashMap::new();
    for (d, k) in data.doses.iter().zip(keys) {
        if !d.live {
            continue;
        }
        match d.number {
            1 => {
                first.insert(d.person, k.unwrap());
            }
            2 => {
                second.insert(d.person, true);
            }
            _ => {}
        }
    }
    let mut sums: BTreeMap<PendingSecondKey, i64> = BTreeMap::new();
    for (p, k) in first {
        if !second.contains_key(&p) {
            *sums.entry(PendingSecondKey::of_first_dose(&k).unwrap()).or_insert(0) += 1;
        }
    }
    sums.into_iter().collect()
}

fn recount_keys_per_dose(data: &Dataset) -> Vec<Option<RollupKey>> {
    data.doses
        .iter()
        .map(|d| {
            let one = Dataset { people: data.people.clone(), doses: vec![d.clone()] };
            recount(&one).into_iter().next().map(|(k, _)| k)
        })
        .collect()
}

async fn write(db: &TestDb, data: &Dataset) {
    db.store.insert_centers(&centers()).await.unwrap();
    // Two calls, as the simulator writes in chunks; every dose's person exists by then.
    let half = data.people.len() / 2;
    let (first, rest): (Vec<&Dose>, Vec<&Dose>) = data.doses.iter().partition(|d| d.person < half);
    for (people, doses) in [(&data.people[..half], first), (&data.people[half..], rest)] {
        let doses: Vec<SimulatedDose> = doses
            .iter()
            .map(|d| SimulatedDose {
                id: d.id,
                beneficiary: data.people[d.person].id,
                dose: DoseNumber::new(i64::from(d.number)).unwrap(),
                vaccine: d.vaccine.clone(),
                date: d.date,
                center: CenterId(CENTERS[d.center].0),
            })
            .collect();
        db.store.insert_simulated_doses(people, &doses, NOW).await.unwrap();
    }
}

/// Folds in small rounds until nothing is pending; returns the rounds' outcomes summed.
async fn fold_all(store: &SqlStore) -> FoldOutcome {
    let mut total = FoldOutcome::default();
    loop {
        let o = store.fold_doses(37, classifier()).await.unwrap();
        total.doses += o.doses;
        total.counted += o.counted;
        total.uncounted += o.uncounted;
        if !o.more {
            return total;
        }
    }
}

/// Voids doses the way the site's undo does: `voided_at` and `rollup_pending` in one update
/// (the column contract every void path follows; the real undo is tested in `sync.rs`).
async fn void(db: &TestDb, ids: &[VaccinationId]) {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    for id in ids {
        sqlx::query(
            "UPDATE vaccinations SET voided_at = $1, void_reason = 'test', rollup_pending = 1 \
             WHERE id = $2",
        )
        .bind(NOW)
        .bind(id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

fn areas() -> Vec<Area> {
    let (s, d) = (StateId(21), DistrictId(395));
    vec![
        Area::National,
        Area::State { state: s },
        Area::State { state: StateId(9) },
        Area::District { state: s, district: d },
        Area::Block { state: s, district: d, block: "BLOCK A".into() },
        Area::Facility { state: s, district: d, block: "block a".into(), center: CenterId(12) },
    ]
}

/// Random report queries over every area and grouping, dates across month boundaries.
fn queries(seed: u64, n: usize) -> Vec<ReportQuery> {
    let mut rng = Rng(seed);
    let areas = areas();
    let mut out = Vec::new();
    for i in 0..n {
        let mut from = start() + Duration::days(rng.below(90) as i64 - 10);
        if rng.below(4) == 0 {
            // Months wholly inside the range are read from the month tables.
            from = from.with_day(1).unwrap();
        }
        let until = from + Duration::days(rng.below(120) as i64);
        let mut filter = ReportFilter::nation(from, until);
        filter.area = areas[i % areas.len()].clone();
        let group_by = GroupBy::ALL[(i / areas.len()) % GroupBy::ALL.len()];
        if rng.below(3) == 0 {
            filter.dose =
                Some(*rng.pick(&[DoseBucket::First, DoseBucket::Second, DoseBucket::Precaution]));
        }
        if rng.below(4) == 0 {
            filter.vaccine = Some(rng.pick(&vaccines()).clone());
        }
        if rng.below(5) == 0 {
            filter.age_group =
                Some(*rng.pick(&[AgeGroup::From18To44, AgeGroup::From45To59, AgeGroup::From60]));
        }
        if rng.below(5) == 0 {
            filter.gender_id = Some(1 + rng.below(3) as i64);
        }
        if rng.below(6) == 0 {
            filter.priority_group = Some("senior".into());
        }
        if rng.below(6) == 0 {
            filter.ownership =
                Some(*rng.pick(&[FacilityOwnership::Government, FacilityOwnership::Private]));
        }
        if rng.below(8) == 0 {
            filter.setting = Some(Setting::Unknown);
        }
        out.push(ReportQuery { filter, group_by });
    }
    out
}

async fn check_reports(store: &SqlStore, truth: &[(RollupKey, i64)], seed: u64) {
    for q in queries(seed, 240) {
        let got = store.report(&q).await.unwrap();
        let want = aggregate(truth, &q.filter, q.group_by);
        assert_eq!(got, want, "report {q:?}");
    }
}

fn due(
    rows: &[(PendingSecondKey, i64)],
    area: &Area,
) -> Vec<(tika_domain::reports::GroupValue, DueCounts)> {
    let windows: HashMap<VaccineCode, (Option<u32>, Option<u32>)> =
        vaccines().into_iter().map(|v| (v, (Some(28), Some(84)))).collect();
    DueCounts::by_area(rows, area, &windows, start() + Duration::days(70))
}

async fn reports_equal_a_recount_of_random_doses(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut data = generate(0x5eed_1234, 400);
    write(&db, &data).await;
    assert_eq!(db.store.pending_doses().await.unwrap(), data.doses.len() as u64);

    let o = fold_all(&db.store).await;
    assert_eq!(o.doses as usize, data.doses.len());
    assert_eq!(o.counted as usize, data.doses.len());
    assert_eq!(db.store.pending_doses().await.unwrap(), 0);
    let truth = recount(&data);
    assert_eq!(db.store.counted_doses(&Area::National).await.unwrap(), truth);
    check_reports(&db.store, &truth, 7).await;

    // Folding again changes nothing.
    let again = db.store.fold_doses(100, classifier()).await.unwrap();
    assert_eq!((again.doses, again.more), (0, false));

    // Void a third of the doses; the counters lose exactly those.
    let mut rng = Rng(99);
    let mut voided = Vec::new();
    for d in data.doses.iter_mut() {
        if rng.below(3) == 0 {
            d.live = false;
            voided.push(d.id);
        }
    }
    void(&db, &voided).await;
    let o = fold_all(&db.store).await;
    assert_eq!(
        (o.doses as usize, o.uncounted as usize, o.counted),
        (voided.len(), voided.len(), 0)
    );
    let truth = recount(&data);
    assert_eq!(db.store.counted_doses(&Area::National).await.unwrap(), truth);
    check_reports(&db.store, &truth, 8).await;

    // The people waiting for a second dose, at every level.
    let pending = recount_pending(&data);
    for area in areas() {
        let stored = db.store.pending_second(&area).await.unwrap();
        assert_eq!(due(&stored, &area), due(&pending, &area), "due counts in {area:?}");
    }
    let national: i64 =
        db.store.pending_second(&Area::National).await.unwrap().iter().map(|r| r.1).sum();
    assert_eq!(national, pending.iter().map(|r| r.1).sum::<i64>());
    assert!(national > 0);
}

async fn a_voided_dose_leaves_the_key_it_was_counted_under(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = generate(42, 30);
    write(&db, &data).await;
    fold_all(&db.store).await;
    // The facility moves to another block and turns private; its past doses stay where they
    // were counted, and voiding one subtracts from that same key.
    let target = data.doses.iter().find(|d| d.center == 0).unwrap();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE centers SET block_name = 'Moved', kind = 'private' WHERE id = 11")
        .execute(&mut conn)
        .await
        .unwrap();
    let before = db.store.counted_doses(&Area::National).await.unwrap();
    void(&db, &[target.id]).await;
    fold_all(&db.store).await;
    let after = db.store.counted_doses(&Area::National).await.unwrap();
    let total = |rows: &[(RollupKey, i64)]| rows.iter().map(|r| r.1).sum::<i64>();
    assert_eq!(total(&after), total(&before) - 1);
    assert!(after.iter().all(|(k, _)| k.block != "MOVED"));
    let q = ReportQuery {
        filter: ReportFilter::nation(start() - Duration::days(1), start() + Duration::days(200)),
        group_by: GroupBy::Area,
    };
    assert_eq!(db.store.report(&q).await.unwrap(), aggregate(&after, &q.filter, q.group_by));
}

async fn a_merge_recounts_the_doses_under_their_new_person(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.store.insert_centers(&centers()).await.unwrap();
    let (keep, drop) = (BeneficiaryId::new(), BeneficiaryId::new());
    let person =
        |id| SimulatedPerson { id, birth_year: BirthYear::from_stored(1980), gender_id: 2 };
    let dose = |who, day: i64| SimulatedDose {
        id: VaccinationId::new(),
        beneficiary: who,
        dose: DoseNumber::FIRST,
        vaccine: vaccines()[0].clone(),
        date: start() + Duration::days(day),
        center: CenterId(11),
    };
    db.store
        .insert_simulated_doses(
            &[person(keep), person(drop)],
            &[dose(keep, 0), dose(drop, 40)],
            NOW,
        )
        .await
        .unwrap();
    fold_all(&db.store).await;
    let by_dose = ReportQuery {
        filter: ReportFilter::nation(start(), start() + Duration::days(60)),
        group_by: GroupBy::Dose,
    };
    let rows = db.store.report(&by_dose).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.group.code(), r.doses)).collect::<Vec<_>>(),
        vec![("first".to_owned(), 2)]
    );
    let waiting = |db: &TestDb| {
        let store = Arc::clone(&db.store);
        async move {
            store.pending_second(&Area::National).await.unwrap().iter().map(|r| r.1).sum::<i64>()
        }
    };
    assert_eq!(waiting(&db).await, 2);

    // The same person registered twice: the later first dose becomes their second.
    let outcome = db.store.merge_beneficiaries(keep, drop, "admin:test", NOW).await.unwrap();
    assert_eq!((outcome.moved_doses, outcome.renumbered), (1, 1));
    fold_all(&db.store).await;
    let rows = db.store.report(&by_dose).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.group.code(), r.doses)).collect::<Vec<_>>(),
        vec![("first".to_owned(), 1), ("second".to_owned(), 1)]
    );
    assert_eq!(waiting(&db).await, 0, "the merged person is no longer waiting");
}

async fn targets_are_replaced_as_a_whole_with_an_audit_entry(backend: Backend) {
    let db = TestDb::new(backend).await;
    let change = |n: u8| Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW + i64::from(n),
        actor: "admin:test".into(),
        action: "report.targets".into(),
        subject: "targets".into(),
        place: None,
        before: None,
        after: Some(format!("{{\"rows\":{n}}}")),
    };
    let first = vec![
        Target {
            area: Area::National,
            age_group: None,
            dose: Some(DoseBucket::First),
            population_eligible: 940_000_000,
        },
        Target {
            area: Area::State { state: StateId(21) },
            age_group: Some(AgeGroup::From18To44),
            dose: None,
            population_eligible: 70_000_000,
        },
        Target {
            area: Area::Block {
                state: StateId(21),
                district: DistrictId(395),
                block: "block a".into(),
            },
            age_group: None,
            dose: Some(DoseBucket::Second),
            population_eligible: 120_000,
        },
    ];
    db.store.replace_targets(&first, &change(3), NOW).await.unwrap();
    let mut got = db.store.targets().await.unwrap();
    let mut want = first.clone();
    want[2].area =
        Area::Block { state: StateId(21), district: DistrictId(395), block: "BLOCK A".into() };
    got.sort_by_key(|t| format!("{:?}", t.area));
    want.sort_by_key(|t| format!("{:?}", t.area));
    assert_eq!(got, want);

    let second = vec![Target {
        area: Area::District { state: StateId(9), district: DistrictId(141) },
        age_group: None,
        dose: None,
        population_eligible: 5_000_000,
    }];
    db.store.replace_targets(&second, &change(1), NOW).await.unwrap();
    assert_eq!(db.store.targets().await.unwrap(), second);
    let audit = db
        .store
        .list_changes(&ChangeFilter {
            area: Area::National,
            subject: Some("targets".into()),
            actor: None,
            action_prefix: None,
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
}

async fn simulated_counts_add_to_the_counters(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = generate(3, 80);
    let truth = recount(&data);
    db.store.add_simulated_counts(&truth, &recount_pending(&data)).await.unwrap();
    // Twice the same counts: every counter doubles.
    db.store.add_simulated_counts(&truth, &[]).await.unwrap();
    let doubled: Vec<(RollupKey, i64)> = truth.iter().map(|(k, n)| (k.clone(), n * 2)).collect();
    // Only what counters answer can be checked: there are no dose rows behind direct counts,
    // so facility- and block-level questions about age, gender and the like (read from the
    // doses' keys) have nothing to read.  National, state and district reports not broken
    // down by block come from counters whatever they filter.
    let mut checked = 0;
    for q in queries(11, 240) {
        let counters_only = match q.filter.area {
            Area::National | Area::State { .. } => true,
            Area::District { .. } => q.group_by != GroupBy::Area,
            _ => false,
        };
        if counters_only {
            let got = db.store.report(&q).await.unwrap();
            assert_eq!(got, aggregate(&doubled, &q.filter, q.group_by), "report {q:?}");
            checked += 1;
        }
    }
    assert!(checked > 100);
    let waiting: i64 =
        db.store.pending_second(&Area::National).await.unwrap().iter().map(|r| r.1).sum();
    assert_eq!(waiting, recount_pending(&data).iter().map(|r| r.1).sum::<i64>());
}

async fn center_names_label_facilities(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.store.insert_centers(&centers()).await.unwrap();
    let names = db.store.center_names(&[CenterId(12), CenterId(999), CenterId(11)]).await.unwrap();
    assert_eq!(
        names.iter().map(|(id, name, _)| (id.0, name.as_str())).collect::<Vec<_>>(),
        vec![(11, "PHC 11"), (12, "PHC 12")]
    );
}

on_both_backends!(
    reports_equal_a_recount_of_random_doses,
    a_voided_dose_leaves_the_key_it_was_counted_under,
    a_merge_recounts_the_doses_under_their_new_person,
    targets_are_replaced_as_a_whole_with_an_audit_entry,
    simulated_counts_add_to_the_counters,
    center_names_label_facilities,
);
