//! Who may book which session: age, dose order, same vaccine, interval window, one booking per dose.

use chrono::{Datelike, NaiveDate};

use crate::beneficiary::BirthYear;
use crate::country::{CountryPack, Policy};
use crate::session::AgeLimits;
use crate::vaccine::{DoseNumber, VaccineCode, VaccineDef};

/// A dose already given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastDose {
    /// Which dose.
    pub dose: DoseNumber,
    /// Which vaccine.
    pub vaccine: VaccineCode,
    /// When.
    pub date: NaiveDate,
}

/// What the rules need to know about the person.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Birth year.
    pub birth_year: BirthYear,
    /// Doses given, in any order.
    pub history: &'a [PastDose],
    /// Dose numbers of the person's active (booked, not cancelled or done) appointments.
    pub active_bookings: &'a [DoseNumber],
}

/// What the rules need to know about the session.
#[derive(Debug, Clone)]
pub struct SessionFacts<'a> {
    /// Session date.
    pub date: NaiveDate,
    /// Vaccine given at the session.
    pub vaccine: &'a VaccineCode,
    /// Session's age limits.
    pub ages: AgeLimits,
}

/// Why a booking is not allowed.  Every variant is a message for the citizen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EligibilityError {
    /// The session's age group does not include the person.
    #[error("Beneficiary's age {age} is outside this session's age group")]
    AgeOutsideSession {
        /// Age in the session's year.
        age: i32,
    },
    /// Too young for the vaccine or for the campaign's current policy.
    #[error("Beneficiary must be at least {min} years old for this vaccine")]
    TooYoung {
        /// Minimum age.
        min: u8,
    },
    /// The requested dose is not the next one.
    #[error("Beneficiary's next dose is dose {expected}, not dose {requested}")]
    WrongDose {
        /// The next dose by history.
        expected: u8,
        /// The dose asked for.
        requested: u8,
    },
    /// The series is complete for this vaccine.
    #[error("Beneficiary has completed the {vaccine} series")]
    SeriesComplete {
        /// Vaccine.
        vaccine: String,
    },
    /// A later dose must use the vaccine of the earlier doses.
    #[error("Dose {dose} must be {expected}, the vaccine of the earlier doses")]
    VaccineMismatch {
        /// Dose asked for.
        dose: u8,
        /// Vaccine required.
        expected: String,
    },
    /// Too early for the next dose.
    #[error("Dose {dose} can be taken from {earliest} onwards")]
    TooEarly {
        /// Dose.
        dose: u8,
        /// First allowed date, `DD-MM-YYYY`.
        earliest: String,
    },
    /// Past the interval window.
    #[error("Dose {dose} was due by {latest}; please contact your vaccination centre")]
    TooLate {
        /// Dose.
        dose: u8,
        /// Last allowed date, `DD-MM-YYYY`.
        latest: String,
    },
    /// Already holds a booking for this dose.
    #[error("Beneficiary already has an appointment for dose {dose}")]
    AlreadyBooked {
        /// Dose.
        dose: u8,
    },
    /// The session's vaccine is not in the catalogue.
    #[error("Unknown vaccine {0}")]
    UnknownVaccine(String),
}

/// The interval window (min, max days) for the dose after `previous`, under a policy.
pub fn interval_window(policy: &Policy, vaccine: &VaccineDef) -> (Option<u32>, Option<u32>) {
    match policy.interval_overrides.get(&vaccine.code) {
        Some((min, max)) => (Some(*min), Some(*max)),
        None => (vaccine.min_interval_days, vaccine.max_interval_days),
    }
}

/// Decides whether `candidate` may book `dose` at `session` under `policy`.
pub fn check_booking(
    pack: &CountryPack,
    policy: &Policy,
    candidate: &Candidate<'_>,
    session: &SessionFacts<'_>,
    dose: DoseNumber,
) -> Result<(), EligibilityError> {
    let vaccine = pack
        .vaccine(session.vaccine)
        .ok_or_else(|| EligibilityError::UnknownVaccine(session.vaccine.to_string()))?;
    let age = candidate.birth_year.age_in(session.date.year());
    if !session.ages.admits(age) {
        return Err(EligibilityError::AgeOutsideSession { age });
    }
    let min_age = vaccine.min_age_years.max(policy.min_age_years);
    if age < i32::from(min_age) {
        return Err(EligibilityError::TooYoung { min: min_age });
    }
    if candidate.active_bookings.contains(&dose) {
        return Err(EligibilityError::AlreadyBooked { dose: dose.get() });
    }
    let mut history: Vec<&PastDose> = candidate.history.iter().collect();
    history.sort_by_key(|d| (d.dose, d.date));
    let expected = u8::try_from(history.len()).unwrap_or(u8::MAX).saturating_add(1);
    let last = history.last();
    if let Some(last) = last
        && last.vaccine == vaccine.code
        && expected > vaccine.doses_in_series
    {
        return Err(EligibilityError::SeriesComplete { vaccine: vaccine.code.to_string() });
    }
    if dose.get() != expected {
        return Err(EligibilityError::WrongDose { expected, requested: dose.get() });
    }
    if let Some(last) = last {
        if last.vaccine != vaccine.code {
            return Err(EligibilityError::VaccineMismatch {
                dose: dose.get(),
                expected: last.vaccine.to_string(),
            });
        }
        let (min, max) = interval_window(policy, vaccine);
        if let Some(min) = min {
            let earliest = last.date + chrono::Duration::days(i64::from(min));
            if session.date < earliest {
                return Err(EligibilityError::TooEarly {
                    dose: dose.get(),
                    earliest: crate::date::format_cowin_date(earliest),
                });
            }
        }
        if let Some(max) = max {
            let latest = last.date + chrono::Duration::days(i64::from(max));
            if session.date > latest {
                return Err(EligibilityError::TooLate {
                    dose: dose.get(),
                    latest: crate::date::format_cowin_date(latest),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::country::{GenderDef, Language};

    fn vaccine(code: &str, doses: u8, min: u32, max: u32, age: u8) -> VaccineDef {
        VaccineDef {
            code: VaccineCode::parse(code).unwrap(),
            name: code.to_owned(),
            manufacturer: String::new(),
            doses_in_series: doses,
            min_interval_days: Some(min),
            max_interval_days: Some(max),
            min_age_years: age,
            doses_per_vial: Some(10),
        }
    }

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
            vaccines: vec![
                vaccine("COVAXIN", 2, 28, 42, 12),
                vaccine("COVISHIELD", 2, 84, 112, 18),
            ],
            policies: vec![policy(18)],
        }
    }

    fn policy(min_age: u8) -> Policy {
        Policy {
            version: "P1".into(),
            effective_from: d(2021, 1, 1),
            min_age_years: min_age,
            interval_overrides: HashMap::new(),
            groups: Vec::new(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn check(
        history: &[PastDose],
        active: &[DoseNumber],
        vaccine: &str,
        date: NaiveDate,
        dose: u8,
        born: i32,
    ) -> Result<(), EligibilityError> {
        let pack = pack();
        let code = VaccineCode::parse(vaccine).unwrap();
        check_booking(
            &pack,
            &pack.policies[0],
            &Candidate {
                birth_year: BirthYear::from_stored(born),
                history,
                active_bookings: active,
            },
            &SessionFacts { date, vaccine: &code, ages: AgeLimits { min: 18, max: None } },
            DoseNumber::new(i64::from(dose)).unwrap(),
        )
    }

    fn past(dose: u8, vaccine: &str, date: NaiveDate) -> PastDose {
        PastDose {
            dose: DoseNumber::new(i64::from(dose)).unwrap(),
            vaccine: VaccineCode::parse(vaccine).unwrap(),
            date,
        }
    }

    #[test]
    fn first_dose_for_an_adult_is_allowed() {
        assert_eq!(check(&[], &[], "COVAXIN", d(2021, 6, 1), 1, 1990), Ok(()));
    }

    #[test]
    fn age_is_checked_against_session_and_policy() {
        assert_eq!(
            check(&[], &[], "COVAXIN", d(2021, 6, 1), 1, 2010),
            Err(EligibilityError::AgeOutsideSession { age: 11 })
        );
    }

    #[test]
    fn second_dose_needs_a_first_dose() {
        assert_eq!(
            check(&[], &[], "COVAXIN", d(2021, 6, 1), 2, 1990),
            Err(EligibilityError::WrongDose { expected: 1, requested: 2 })
        );
        let h = [past(1, "COVAXIN", d(2021, 5, 1))];
        assert_eq!(
            check(&h, &[], "COVAXIN", d(2021, 6, 1), 1, 1990),
            Err(EligibilityError::WrongDose { expected: 2, requested: 1 })
        );
    }

    #[test]
    fn second_dose_must_be_the_same_vaccine_inside_the_window() {
        let h = [past(1, "COVAXIN", d(2021, 5, 1))];
        assert_eq!(check(&h, &[], "COVAXIN", d(2021, 5, 29), 2, 1990), Ok(()));
        assert_eq!(
            check(&h, &[], "COVAXIN", d(2021, 5, 28), 2, 1990),
            Err(EligibilityError::TooEarly { dose: 2, earliest: "29-05-2021".into() })
        );
        assert_eq!(
            check(&h, &[], "COVAXIN", d(2021, 6, 13), 2, 1990),
            Err(EligibilityError::TooLate { dose: 2, latest: "12-06-2021".into() })
        );
        assert_eq!(
            check(&h, &[], "COVISHIELD", d(2021, 9, 1), 2, 1990),
            Err(EligibilityError::VaccineMismatch { dose: 2, expected: "COVAXIN".into() })
        );
    }

    #[test]
    fn completed_series_and_double_bookings_are_refused() {
        let h = [past(1, "COVAXIN", d(2021, 5, 1)), past(2, "COVAXIN", d(2021, 6, 1))];
        assert_eq!(
            check(&h, &[], "COVAXIN", d(2021, 9, 1), 2, 1990),
            Err(EligibilityError::SeriesComplete { vaccine: "COVAXIN".into() })
        );
        assert_eq!(
            check(&[], &[DoseNumber::FIRST], "COVAXIN", d(2021, 6, 1), 1, 1990),
            Err(EligibilityError::AlreadyBooked { dose: 1 })
        );
    }

    #[test]
    fn the_policy_in_force_is_found_by_date() {
        let mut pack = pack();
        pack.policies.push(Policy {
            version: "P2".into(),
            effective_from: d(2022, 3, 16),
            ..policy(12)
        });
        assert_eq!(pack.policy_on(d(2021, 6, 1)).version, "P1");
        assert_eq!(pack.policy_on(d(2022, 3, 16)).version, "P2");
        assert_eq!(pack.policy_on(d(2020, 1, 1)).version, "P1");
        assert_eq!(pack.policy("P2").map(|p| p.min_age_years), Some(12));
    }
}
