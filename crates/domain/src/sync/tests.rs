//! Unit tests of the sync rules, one or more per rule, over in-memory facts.

use super::*;
use crate::country::{GenderDef, Language, Policy};
use crate::vaccine::VaccineDef;

const HERE: CenterId = CenterId(1);
const ELSEWHERE: CenterId = CenterId(2);

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The session's date.
fn today() -> NaiveDate {
    day(2026, 12, 10)
}

fn code(s: &str) -> VaccineCode {
    VaccineCode::parse(s).unwrap()
}

fn n(dose: u8) -> DoseNumber {
    DoseNumber::new(i64::from(dose)).unwrap()
}

fn vaccine(c: &str, min: u32, max: u32, age: u8) -> VaccineDef {
    VaccineDef {
        code: code(c),
        name: c.to_owned(),
        manufacturer: String::new(),
        doses_in_series: 2,
        min_interval_days: Some(min),
        max_interval_days: Some(max),
        min_age_years: age,
        doses_per_vial: Some(10),
    }
}

/// A minimal pack: two 2-dose vaccines and one policy (18+).
fn pack() -> CountryPack {
    CountryPack {
        code: "XX".into(),
        name: "Test".into(),
        default_language: "en".into(),
        languages: vec![Language { code: "en".into(), name: "English".into() }],
        mobile_country_prefix: "91".into(),
        max_beneficiaries_per_mobile: 4,
        timezone_offset_minutes: 330,
        states: vec![],
        districts: vec![],
        pincodes: HashMap::new(),
        id_types: vec![],
        genders: vec![GenderDef { id: 1, name: "Male".into(), name_l: String::new() }],
        vaccines: vec![vaccine("COVISHIELD", 84, 112, 18), vaccine("COVAXIN", 28, 42, 12)],
        policies: vec![Policy {
            version: "P1".into(),
            effective_from: day(2021, 1, 1),
            min_age_years: 18,
            interval_overrides: HashMap::new(),
            groups: Vec::new(),
        }],
    }
}

fn walk_in_person(photo: &str) -> WalkInPerson {
    WalkInPerson {
        name: PersonName::parse("Ravi Kumar").unwrap(),
        birth_year: BirthYear::from_stored(1980),
        gender_id: 1,
        photo_id_type: 1,
        photo_id_hash: format!("hash-{photo}"),
        photo_id_last4: photo[photo.len() - 4..].to_owned(),
        mobile: None,
    }
}

/// One facility's session (COVISHIELD, 18+) and what the server knows around it.
struct Fx {
    pack: CountryPack,
    facts: SyncFacts,
    session: SessionId,
    foreign_session: SessionId,
    staff: StaffId,
    clock: i64,
}

impl Fx {
    fn new() -> Self {
        let mut facts = SyncFacts::default();
        let session = SessionId::new();
        let foreign_session = SessionId::new();
        let ages = AgeLimits { min: 18, max: None };
        facts.sessions.insert(
            session,
            SessionInfo { center: HERE, date: today(), vaccine: code("COVISHIELD"), ages },
        );
        facts.sessions.insert(
            foreign_session,
            SessionInfo { center: ELSEWHERE, date: today(), vaccine: code("COVISHIELD"), ages },
        );
        let expiry = day(2027, 6, 30);
        facts.batches.insert("B1".into(), BatchInfo { vaccine: code("COVISHIELD"), expiry });
        facts.batches.insert("X9".into(), BatchInfo { vaccine: code("COVAXIN"), expiry });
        Self {
            pack: pack(),
            facts,
            session,
            foreign_session,
            staff: StaffId::new(),
            clock: 1_780_000_000_000,
        }
    }

    /// A registered person born in `born`, with no doses.
    fn person(&mut self, born: i32) -> BeneficiaryId {
        let id = BeneficiaryId::new();
        let reference = format!("1{:013}", self.facts.people.len() + 1);
        self.facts.people.insert(
            id,
            PersonFacts { reference, birth_year: BirthYear::from_stored(born), doses: Vec::new() },
        );
        id
    }

    fn reference(&self, who: BeneficiaryId) -> String {
        self.facts.people[&who].reference.clone()
    }

    /// A dose the server already holds for `who`, given `days_ago` before the session.
    fn past_dose(
        &mut self,
        who: BeneficiaryId,
        dose: u8,
        vaccine: &str,
        days_ago: i64,
    ) -> RecordId {
        let id = RecordId::new();
        self.facts.doses.insert(id, (who, Some(HERE), false));
        self.facts.people.get_mut(&who).unwrap().doses.push(KnownDose {
            id,
            dose: n(dose),
            vaccine: code(vaccine),
            date: today() - chrono::Duration::days(days_ago),
            center: Some(HERE),
            voided: false,
        });
        id
    }

    fn appointment(&mut self, who: BeneficiaryId, dose: u8, state: AppointmentState) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        self.facts
            .appointments
            .insert(id, AppointmentFacts { beneficiary: who, dose: n(dose), state });
        id
    }

    fn record(&mut self, body: RecordBody) -> SiteRecord {
        self.clock += 1_000;
        SiteRecord {
            client_id: RecordId::new(),
            session_id: self.session,
            at_ms: self.clock,
            staff_id: self.staff,
            body,
        }
    }

    /// A first dose of COVISHIELD from batch B1 for `who`, not against an appointment.
    fn dose_of(&self, who: BeneficiaryId) -> DoseRecord {
        DoseRecord {
            beneficiary_id: who,
            walk_in: None,
            appointment_id: None,
            vaccine: code("COVISHIELD"),
            batch: "B1".into(),
            dose: DoseNumber::FIRST,
            vaccinator_id: self.staff,
        }
    }

    fn dose(&mut self, d: DoseRecord) -> SiteRecord {
        self.record(RecordBody::Dose(d))
    }

    fn undo(&mut self, target: RecordId) -> SiteRecord {
        self.record(RecordBody::Undo {
            vaccination_client_id: target,
            reason: "wrong batch".into(),
        })
    }

    fn aefi(&mut self, target: RecordId) -> SiteRecord {
        self.record(RecordBody::Aefi {
            vaccination_client_id: target,
            severity: AefiSeverity::Minor,
            symptoms: vec!["fever".into()],
            notes: String::new(),
        })
    }

    fn run(&mut self, records: &[SiteRecord]) -> Vec<(RecordResult, Vec<Effect>)> {
        let ctx = SyncContext { pack: &self.pack, center: HERE, force: false };
        decide(ctx, &mut self.facts, records)
    }

    fn run_forced(&mut self, records: &[SiteRecord]) -> Vec<(RecordResult, Vec<Effect>)> {
        let ctx = SyncContext { pack: &self.pack, center: HERE, force: true };
        decide(ctx, &mut self.facts, records)
    }

    /// Decides one record.
    fn one(&mut self, rec: &SiteRecord) -> (RecordResult, Vec<Effect>) {
        self.run(std::slice::from_ref(rec)).pop().unwrap()
    }
}

/// Asserts a dose went to review with `code` and only a review effect holding the record.
fn assert_review(rec: &SiteRecord, decided: &(RecordResult, Vec<Effect>), code: SyncCode) {
    let (result, effects) = decided;
    assert_eq!(result.outcome, Outcome::Review, "{result:?}");
    assert_eq!(result.code, Some(code));
    assert_eq!(result.message.as_deref(), Some(code.message()));
    let id = ReviewId::from_uuid(rec.client_id.as_uuid());
    assert_eq!(result.review_id, Some(id));
    assert_eq!(result.dose, None);
    assert_eq!(effects.len(), 1, "{effects:?}");
    match &effects[0] {
        Effect::Review { id: rid, record, code: c, center } => {
            assert_eq!((*rid, *c, *center), (id, code, HERE));
            assert_eq!(**record, *rec);
        }
        other => panic!("expected a review, got {other:?}"),
    }
}

/// The single dose effect among `effects`.
fn dose_effect(effects: &[Effect]) -> &Effect {
    let doses: Vec<&Effect> = effects.iter().filter(|e| matches!(e, Effect::Dose { .. })).collect();
    assert_eq!(doses.len(), 1, "{effects:?}");
    doses[0]
}

#[test]
fn an_arrival_is_recorded_once_per_person_and_session() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let first = fx.record(RecordBody::Arrival { beneficiary_id: p });
    let second = fx.record(RecordBody::Arrival { beneficiary_id: p });
    let out = fx.run(&[first.clone(), second.clone()]);
    assert_eq!(out[0].0.outcome, Outcome::Applied);
    assert_eq!(out[0].0.beneficiary_id, Some(p));
    assert!(
        matches!(&out[0].1[..], [Effect::Arrival { session, beneficiary, at_ms }]
            if *session == fx.session && *beneficiary == p && *at_ms == first.at_ms),
        "{:?}",
        out[0].1
    );
    // Another device's arrival for the same person: applied, nothing more to write.
    assert_eq!((out[1].0.outcome, out[1].0.code), (Outcome::Applied, None));
    assert!(out[1].1.is_empty());
    // And in a later upload, once the server holds it.
    let third = fx.record(RecordBody::Arrival { beneficiary_id: p });
    assert!(fx.one(&third).1.is_empty());
    assert!(fx.facts.arrivals.contains(&(fx.session, p)));
}

#[test]
fn a_walk_in_is_registered_under_its_record_id() {
    let mut fx = Fx::new();
    let person = walk_in_person("123456789012");
    let rec = fx.record(RecordBody::WalkIn { beneficiary: person.clone() });
    let (result, effects) = fx.one(&rec);
    let id = BeneficiaryId::from_uuid(rec.client_id.as_uuid());
    let reference = walk_in_reference(id);
    assert_eq!(reference.len(), 14);
    assert_eq!((result.outcome, result.code), (Outcome::Applied, None));
    assert_eq!(result.beneficiary_id, Some(id));
    assert_eq!(result.reference_id.as_deref(), Some(reference.as_str()));
    match &effects[..] {
        [Effect::Register { id: rid, reference: r, person: p, center }] => {
            assert_eq!((*rid, r.as_str(), p, *center), (id, reference.as_str(), &person, HERE));
        }
        other => panic!("{other:?}"),
    }
    // The derivation is stable (the device shows it before syncing).
    assert_eq!(walk_in_reference(id), reference);
    // The same walk-in decided again over facts that hold it is not registered twice.
    let (result, effects) = fx.one(&rec);
    assert_eq!(
        (result.outcome, result.code, result.beneficiary_id),
        (Outcome::Applied, None, Some(id))
    );
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn a_walk_in_with_a_registered_photo_id_is_merged_and_its_id_follows() {
    let mut fx = Fx::new();
    let known = fx.person(1980);
    let person = walk_in_person("123456789012");
    fx.facts.photo_ids.insert((1, person.photo_id_hash.clone()), known);
    let walk_in = fx.record(RecordBody::WalkIn { beneficiary: person });
    let alias = BeneficiaryId::from_uuid(walk_in.client_id.as_uuid());
    let arrival = fx.record(RecordBody::Arrival { beneficiary_id: alias });
    let dose = fx.dose(fx.dose_of(alias));
    let out = fx.run(&[walk_in, arrival, dose.clone()]);

    let (result, effects) = &out[0];
    assert_eq!((result.outcome, result.code), (Outcome::Applied, Some(SyncCode::MatchedExisting)));
    assert_eq!(result.beneficiary_id, Some(known));
    assert_eq!(result.reference_id, Some(fx.reference(known)));
    assert!(
        matches!(&effects[..], [Effect::Alias { alias: a, beneficiary: b }] if *a == alias && *b == known),
        "{effects:?}"
    );
    assert_eq!(fx.facts.resolve(alias), known);

    // Later records naming the walk-in id apply to the existing person.
    assert!(
        matches!(&out[1].1[..], [Effect::Arrival { beneficiary, .. }] if *beneficiary == known),
        "{:?}",
        out[1].1
    );
    let (result, effects) = &out[2];
    assert_eq!((result.outcome, result.beneficiary_id), (Outcome::Applied, Some(known)));
    assert!(
        matches!(dose_effect(effects), Effect::Dose { beneficiary, walk_in: true, .. } if *beneficiary == known)
    );
}

#[test]
fn a_dose_with_its_walk_in_inline_registers_the_person_first() {
    let mut fx = Fx::new();
    let person = walk_in_person("555566667777");
    let walk_in_id = RecordId::new();
    let who = BeneficiaryId::from_uuid(walk_in_id.as_uuid());
    let mut d = fx.dose_of(who);
    d.walk_in = Some(person.clone());
    let dose = fx.dose(d);
    // The walk-in record itself arrives after its dose.
    let mut walk_in = fx.record(RecordBody::WalkIn { beneficiary: person });
    walk_in.client_id = walk_in_id;
    let out = fx.run(&[dose, walk_in]);
    let (result, effects) = &out[0];
    assert_eq!((result.outcome, result.code, result.dose), (Outcome::Applied, None, Some(1)));
    assert_eq!(result.reference_id, Some(walk_in_reference(who)));
    assert!(matches!(&effects[0], Effect::Register { id, .. } if *id == who), "{effects:?}");
    assert!(
        matches!(&effects[1], Effect::Dose { beneficiary, walk_in: true, .. } if *beneficiary == who)
    );
    let (result, effects) = &out[1];
    assert_eq!(
        (result.outcome, result.code, result.beneficiary_id),
        (Outcome::Applied, None, Some(who))
    );
    assert!(effects.is_empty(), "registered once: {effects:?}");
}

#[test]
fn an_inline_walk_in_is_registered_even_when_its_dose_goes_to_review() {
    let mut fx = Fx::new();
    let who = BeneficiaryId::new();
    let mut d = fx.dose_of(who);
    d.walk_in = Some(walk_in_person("555566667777"));
    d.batch = "NOPE".into();
    let rec = fx.dose(d);
    let (result, effects) = fx.one(&rec);
    assert_eq!((result.outcome, result.code), (Outcome::Review, Some(SyncCode::BatchNotIssued)));
    assert_eq!(result.beneficiary_id, Some(who));
    assert_eq!(result.reference_id, Some(walk_in_reference(who)));
    assert!(
        matches!(&effects[..], [Effect::Register { .. }, Effect::Review { .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_dose_completes_the_booked_appointment_rows() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let row = fx.appointment(p, 1, AppointmentState::Booked);
    let other_dose = fx.appointment(p, 2, AppointmentState::Booked);
    let mut d = fx.dose_of(p);
    d.appointment_id = Some(row);
    let rec = fx.dose(d);
    let (result, effects) = fx.one(&rec);
    assert_eq!((result.outcome, result.code, result.dose), (Outcome::Applied, None, Some(1)));
    assert_eq!(result.beneficiary_id, Some(p));
    assert_eq!(result.reference_id, Some(fx.reference(p)));
    assert_eq!(effects.len(), 1);
    match &effects[0] {
        Effect::Dose {
            id,
            beneficiary,
            session,
            center,
            dose,
            vaccine,
            batch,
            vaccinator,
            date,
            at_ms,
            walk_in,
            complete,
            voided,
        } => {
            assert_eq!(
                (*id, *beneficiary, *session, *center),
                (rec.client_id, p, fx.session, HERE)
            );
            assert_eq!((*dose, vaccine.as_str(), batch.as_str()), (n(1), "COVISHIELD", "B1"));
            assert_eq!((*vaccinator, *date, *at_ms), (fx.staff, today(), rec.at_ms));
            assert!(!*walk_in);
            assert_eq!(complete, &vec![row]);
            assert_eq!(voided, &None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.facts.appointments[&row].state, AppointmentState::Completed);
    assert_eq!(fx.facts.appointments[&other_dose].state, AppointmentState::Booked);
    assert!(fx.facts.people[&p].doses.iter().any(|k| k.id == rec.client_id && !k.voided));
}

#[test]
fn a_dose_without_naming_its_booking_still_completes_it_and_counts_as_a_walk_in() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let row = fx.appointment(p, 1, AppointmentState::Booked);
    let rec = fx.dose(fx.dose_of(p));
    let (_, effects) = fx.one(&rec);
    assert!(
        matches!(dose_effect(&effects), Effect::Dose { walk_in: true, complete, .. } if complete == &vec![row])
    );
}

#[test]
fn a_dose_against_a_cancelled_appointment_is_recorded_as_a_walk_in() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let row = fx.appointment(p, 1, AppointmentState::Cancelled);
    let mut d = fx.dose_of(p);
    d.appointment_id = Some(row);
    let rec = fx.dose(d);
    let (result, effects) = fx.one(&rec);
    assert_eq!(
        (result.outcome, result.code, result.dose),
        (Outcome::Applied, Some(SyncCode::AppointmentWasCancelled), Some(1))
    );
    assert_eq!(result.message.as_deref(), Some(SyncCode::AppointmentWasCancelled.message()));
    assert!(
        matches!(dose_effect(&effects), Effect::Dose { walk_in: true, complete, voided: None, .. } if complete.is_empty())
    );
    assert_eq!(fx.facts.appointments[&row].state, AppointmentState::Cancelled);
}

#[test]
fn a_dose_the_person_already_has_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    fx.past_dose(p, 1, "COVISHIELD", 0);
    let rec = fx.dose(fx.dose_of(p));
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::AlreadyVaccinated);
    // Two devices dosing the same person in one upload: the second goes to review.
    let q = fx.person(1980);
    let (a, b) = (fx.dose(fx.dose_of(q)), fx.dose(fx.dose_of(q)));
    let out = fx.run(&[a, b.clone()]);
    assert_eq!(out[0].0.outcome, Outcome::Applied);
    assert_review(&b, &out[1], SyncCode::AlreadyVaccinated);
    assert_eq!(out[1].0.beneficiary_id, Some(q), "the site is told who");
}

#[test]
fn a_dose_number_that_does_not_follow_the_history_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let mut d = fx.dose_of(p);
    d.dose = n(2);
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::DoseMismatch);
    // A completed series is a mismatch too.
    let q = fx.person(1980);
    fx.past_dose(q, 1, "COVISHIELD", 200);
    fx.past_dose(q, 2, "COVISHIELD", 100);
    let mut d = fx.dose_of(q);
    d.dose = n(3);
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::DoseMismatch);
}

#[test]
fn a_batch_not_issued_here_or_for_another_vaccine_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    // Unknown batch.
    let mut d = fx.dose_of(p);
    d.batch = "ZZZ".into();
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::BatchNotIssued);
    // A COVAXIN batch for a COVISHIELD dose.
    let mut d = fx.dose_of(p);
    d.batch = "X9".into();
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::BatchNotIssued);
    // A COVAXIN dose (with its own batch) in a COVISHIELD session.
    let mut d = fx.dose_of(p);
    d.batch = "X9".into();
    d.vaccine = code("COVAXIN");
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::BatchNotIssued);
    assert!(fx.facts.people[&p].doses.is_empty(), "nothing recorded");
}

#[test]
fn a_vaccine_other_than_the_earlier_doses_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    fx.past_dose(p, 1, "COVAXIN", 100);
    let mut d = fx.dose_of(p);
    d.dose = n(2);
    let rec = fx.dose(d);
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::VaccineMismatch);
}

#[test]
fn too_young_or_too_early_goes_to_review() {
    let mut fx = Fx::new();
    let child = fx.person(2015);
    let rec = fx.dose(fx.dose_of(child));
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::NotEligible);

    let p = fx.person(1980);
    fx.past_dose(p, 1, "COVISHIELD", 30);
    let mut d = fx.dose_of(p);
    d.dose = n(2);
    let rec = fx.dose(d.clone());
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::NotEligible);

    // Inside the window the same second dose is applied.
    let q = fx.person(1980);
    fx.past_dose(q, 1, "COVISHIELD", 90);
    d.beneficiary_id = q;
    let rec = fx.dose(d);
    let (result, _) = fx.one(&rec);
    assert_eq!((result.outcome, result.dose), (Outcome::Applied, Some(2)));
}

#[test]
fn a_dose_for_an_unknown_person_goes_to_review() {
    let mut fx = Fx::new();
    let rec = fx.dose(fx.dose_of(BeneficiaryId::new()));
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::UnknownBeneficiary);
    assert_eq!(decided.0.beneficiary_id, None);
}

#[test]
fn a_dose_in_a_session_of_another_facility_or_an_unknown_one_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let mut rec = fx.dose(fx.dose_of(p));
    rec.session_id = fx.foreign_session;
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::OtherFacility);
    rec.client_id = RecordId::new();
    rec.session_id = SessionId::new();
    let decided = fx.one(&rec);
    assert_review(&rec, &decided, SyncCode::OtherFacility);
}

#[test]
fn undoing_a_known_dose_voids_it_and_frees_its_number() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let row = fx.appointment(p, 1, AppointmentState::Completed);
    let given = fx.past_dose(p, 1, "COVISHIELD", 0);
    let undo = fx.undo(given);
    let (result, effects) = fx.one(&undo);
    assert_eq!(
        (result.outcome, result.code, result.beneficiary_id),
        (Outcome::Applied, None, Some(p))
    );
    match &effects[..] {
        [Effect::Undo { target, reason, by, at_ms, void_now: true }] => {
            assert_eq!(
                (*target, reason.as_str(), *by, *at_ms),
                (given, "wrong batch", fx.staff, undo.at_ms)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.facts.doses[&given], (p, Some(HERE), true));
    assert_eq!(fx.facts.appointments[&row].state, AppointmentState::Booked, "open again");

    // A second undo of the same dose changes nothing.
    let again = fx.undo(given);
    let (result, effects) = fx.one(&again);
    assert_eq!((result.outcome, result.code), (Outcome::Applied, None));
    assert!(effects.is_empty(), "{effects:?}");

    // The same dose number can now be recorded, and it completes the re-opened booking.
    let mut d = fx.dose_of(p);
    d.appointment_id = Some(row);
    let rec = fx.dose(d);
    let (result, effects) = fx.one(&rec);
    assert_eq!((result.outcome, result.dose), (Outcome::Applied, Some(1)));
    assert!(
        matches!(dose_effect(&effects), Effect::Dose { walk_in: false, complete, voided: None, .. } if complete == &vec![row])
    );
}

#[test]
fn dose_undo_and_dose_again_in_one_upload_completes_the_booking_again() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let row = fx.appointment(p, 1, AppointmentState::Booked);
    let mut d = fx.dose_of(p);
    d.appointment_id = Some(row);
    let first = fx.dose(d.clone());
    let undo = fx.undo(first.client_id);
    let second = fx.dose(d);
    let out = fx.run(&[first, undo, second]);
    assert!(
        matches!(dose_effect(&out[0].1), Effect::Dose { complete, .. } if complete == &vec![row])
    );
    assert!(matches!(&out[1].1[..], [Effect::Undo { void_now: true, .. }]), "{:?}", out[1].1);
    assert_eq!((out[2].0.outcome, out[2].0.code, out[2].0.dose), (Outcome::Applied, None, Some(1)));
    assert!(
        matches!(dose_effect(&out[2].1), Effect::Dose { complete, voided: None, .. } if complete == &vec![row]),
        "{:?}",
        out[2].1
    );
}

#[test]
fn an_undo_before_its_dose_is_kept_and_the_dose_is_stored_undone_without_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    // The person already has dose 1: the late dose would go to review if it were not undone.
    fx.past_dose(p, 1, "COVISHIELD", 0);
    let row = fx.appointment(p, 1, AppointmentState::Booked);
    let mut d = fx.dose_of(p);
    d.appointment_id = Some(row);
    let dose = fx.dose(d);
    let undo = fx.undo(dose.client_id);

    let (result, effects) = fx.one(&undo);
    assert_eq!((result.outcome, result.code), (Outcome::Applied, Some(SyncCode::StoredAhead)));
    assert!(
        matches!(&effects[..], [Effect::Undo { target, void_now: false, .. }] if *target == dose.client_id),
        "{effects:?}"
    );
    assert_eq!(fx.facts.tombstones.get(&dose.client_id).map(String::as_str), Some("wrong batch"));
    // The same undo re-sent is not stored twice.
    let twice = fx.undo(dose.client_id);
    let (result, effects) = fx.one(&twice);
    assert_eq!(result.code, Some(SyncCode::StoredAhead));
    assert!(effects.is_empty(), "{effects:?}");

    let (result, effects) = fx.one(&dose);
    assert_eq!(
        (result.outcome, result.code, result.dose, result.review_id),
        (Outcome::Applied, Some(SyncCode::StoredAhead), Some(1), None)
    );
    assert_eq!(effects.len(), 1, "no review: {effects:?}");
    assert!(
        matches!(&effects[0], Effect::Dose { voided: Some(r), complete, .. } if r == "wrong batch" && complete.is_empty()),
        "{effects:?}"
    );
    assert_eq!(fx.facts.appointments[&row].state, AppointmentState::Booked, "not completed");
    assert_eq!(fx.facts.doses[&dose.client_id], (p, Some(HERE), true));
}

#[test]
fn an_undo_before_a_dose_that_cannot_be_stored_closes_its_review_item() {
    let mut fx = Fx::new();
    let dose = fx.dose(fx.dose_of(BeneficiaryId::new()));
    let undo = fx.undo(dose.client_id);
    let out = fx.run(&[undo, dose.clone()]);
    let (result, effects) = &out[1];
    assert_eq!(
        (result.outcome, result.code),
        (Outcome::Review, Some(SyncCode::UnknownBeneficiary))
    );
    let id = ReviewId::from_uuid(dose.client_id.as_uuid());
    assert!(
        matches!(&effects[..], [Effect::Review { .. }, Effect::DiscardReview { id: d, .. }] if *d == id),
        "{effects:?}"
    );
}

#[test]
fn undoing_a_dose_in_open_review_discards_the_item() {
    let mut fx = Fx::new();
    let target = RecordId::new();
    let item = ReviewId::from_uuid(target.as_uuid());
    fx.facts.open_reviews.insert(target, item);
    let undo = fx.undo(target);
    let (result, effects) = fx.one(&undo);
    assert_eq!((result.outcome, result.code), (Outcome::Applied, Some(SyncCode::StoredAhead)));
    match &effects[..] {
        [Effect::Undo { target: t, void_now: false, .. }, Effect::DiscardReview { id, note }] => {
            assert_eq!((*t, *id), (target, item));
            assert_eq!(note, "Undone at the site: wrong batch");
        }
        other => panic!("{other:?}"),
    }
    assert!(fx.facts.open_reviews.is_empty());
}

#[test]
fn undoing_a_dose_that_went_to_review_in_the_same_upload_discards_the_item() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    fx.past_dose(p, 1, "COVISHIELD", 0);
    let dose = fx.dose(fx.dose_of(p));
    let undo = fx.undo(dose.client_id);
    let out = fx.run(&[dose.clone(), undo]);
    assert_review(&dose, &out[0], SyncCode::AlreadyVaccinated);
    let item = ReviewId::from_uuid(dose.client_id.as_uuid());
    assert!(
        matches!(&out[1].1[..], [Effect::Undo { void_now: false, .. }, Effect::DiscardReview { id, .. }] if *id == item),
        "{:?}",
        out[1].1
    );
}

#[test]
fn undoing_a_dose_of_another_facility_goes_to_review() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let theirs = RecordId::new();
    fx.facts.doses.insert(theirs, (p, Some(ELSEWHERE), false));
    let undo = fx.undo(theirs);
    let decided = fx.one(&undo);
    assert_review(&undo, &decided, SyncCode::OtherFacility);
    assert!(!fx.facts.doses[&theirs].2, "not voided");
}

#[test]
fn an_aefi_report_before_its_dose_is_stored_ahead() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let dose = fx.dose(fx.dose_of(p));
    let early = fx.aefi(dose.client_id);
    let late = fx.aefi(dose.client_id);
    let out = fx.run(&[early.clone(), dose.clone(), late.clone()]);
    assert_eq!((out[0].0.outcome, out[0].0.code), (Outcome::Applied, Some(SyncCode::StoredAhead)));
    match &out[0].1[..] {
        [Effect::Aefi { id, target, center, severity, symptoms, by, at_ms, .. }] => {
            assert_eq!(
                (*id, *target, *center, *severity),
                (early.client_id, dose.client_id, HERE, AefiSeverity::Minor)
            );
            assert_eq!(
                (symptoms.clone(), *by, *at_ms),
                (vec!["fever".to_owned()], fx.staff, early.at_ms)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out[1].0.outcome, Outcome::Applied);
    assert_eq!((out[2].0.outcome, out[2].0.code), (Outcome::Applied, None));
    assert!(matches!(&out[2].1[..], [Effect::Aefi { id, .. }] if *id == late.client_id));
}

#[test]
fn a_record_repeated_in_one_upload_is_a_duplicate_of_the_first() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let dose = fx.dose(fx.dose_of(p));
    let out = fx.run(&[dose.clone(), dose.clone()]);
    let (first, second) = (&out[0].0, &out[1].0);
    assert_eq!(first.outcome, Outcome::Applied);
    assert_eq!(second.outcome, Outcome::Duplicate);
    assert_eq!(*second, RecordResult { outcome: Outcome::Duplicate, ..first.clone() });
    assert!(out[1].1.is_empty(), "nothing written twice");

    // A repeated review keeps its review id and code.
    let bad = fx.dose(DoseRecord { batch: "ZZZ".into(), ..fx.dose_of(p) });
    let out = fx.run(&[bad.clone(), bad]);
    assert_eq!(out[1].0.outcome, Outcome::Duplicate);
    assert_eq!((out[1].0.code, out[1].0.review_id), (out[0].0.code, out[0].0.review_id));
    assert!(out[1].1.is_empty());
}

#[test]
fn accepting_records_the_dose_after_the_history() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    fx.past_dose(p, 1, "COVISHIELD", 0);
    // The site said dose 1 with a batch the facility was never issued: all review rules skipped.
    let rec = fx.dose(DoseRecord { batch: "ZZZ".into(), ..fx.dose_of(p) });
    let mut out = fx.run_forced(std::slice::from_ref(&rec));
    let (result, effects) = out.pop().unwrap();
    assert_eq!((result.outcome, result.code, result.dose), (Outcome::Applied, None, Some(2)));
    assert!(matches!(dose_effect(&effects), Effect::Dose { dose, .. } if *dose == n(2)));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Review { .. })));
}

#[test]
fn accepting_after_an_undone_first_dose_does_not_reuse_a_held_number() {
    let mut fx = Fx::new();
    let p = fx.person(1980);
    let first = fx.past_dose(p, 1, "COVISHIELD", 100);
    fx.past_dose(p, 2, "COVISHIELD", 0);
    fx.facts.people.get_mut(&p).unwrap().doses[0].voided = true;
    fx.facts.doses.get_mut(&first).unwrap().2 = true;
    let rec = fx.dose(fx.dose_of(p));
    let mut out = fx.run_forced(std::slice::from_ref(&rec));
    let (result, _) = out.pop().unwrap();
    // Dose 2 is held (not undone): the accepted dose must not be recorded as dose 2 again.
    assert_eq!((result.outcome, result.dose), (Outcome::Applied, Some(3)));
}

#[test]
fn codes_round_trip_and_have_messages() {
    for c in ALL_CODES {
        assert_eq!(SyncCode::parse(c.as_str()), Some(c));
        assert!(!c.message().is_empty());
    }
    assert_eq!(SyncCode::parse("SYNC9999"), None);
    assert_eq!(AefiSeverity::Serious.as_str(), "serious");
}
