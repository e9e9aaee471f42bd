//! Registering, listing and deleting beneficiaries under a citizen account.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use tika_domain::beneficiary::{NewBeneficiary, RegistrationInput};
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef};
use tika_storage::{
    Appointment, AppointmentStatus, Beneficiary, NewBeneficiaryRecord, StorageError, Vaccination,
};

use super::auth::{Principal, Scope};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Where a beneficiary stands, in CoWIN's exact words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaccinationStatus {
    /// No dose yet.
    NotVaccinated,
    /// Some doses of the series.
    PartiallyVaccinated,
    /// Series complete.
    Vaccinated,
}

impl VaccinationStatus {
    /// CoWIN's text (scripts branch on it).
    pub fn as_str(self) -> &'static str {
        match self {
            VaccinationStatus::NotVaccinated => "Not Vaccinated",
            VaccinationStatus::PartiallyVaccinated => "Partially Vaccinated",
            VaccinationStatus::Vaccinated => "Vaccinated",
        }
    }
}

/// A beneficiary with their history and appointments.
#[derive(Debug, Clone)]
pub struct BeneficiaryView {
    /// The record.
    pub beneficiary: Beneficiary,
    /// Status.
    pub status: VaccinationStatus,
    /// Doses given, by dose number.
    pub doses: Vec<Vaccination>,
    /// Appointments, newest first.
    pub appointments: Vec<Appointment>,
}

impl BeneficiaryView {
    /// The vaccine of the doses given, if any.
    pub fn vaccine(&self) -> Option<&str> {
        self.doses.first().map(|d| d.vaccine.as_str())
    }

    /// The date of a dose.
    pub fn dose_date(&self, dose: u8) -> Option<NaiveDate> {
        self.doses.iter().find(|d| d.dose.get() == dose).map(|d| d.date)
    }

    /// Active (booked) appointments.
    pub fn active_appointments(&self) -> impl Iterator<Item = &Appointment> {
        self.appointments.iter().filter(|a| a.status == AppointmentStatus::Booked)
    }
}

/// Only protected tokens may manage beneficiaries.
pub fn require_protected(principal: &Principal) -> ApiResult<()> {
    if principal.scope == Scope::Protected { Ok(()) } else { Err(ApiError::Unauthenticated) }
}

/// Registers a beneficiary under the principal's mobile.
pub async fn register(
    state: &AppState,
    principal: &Principal,
    input: &RegistrationInput<'_>,
) -> ApiResult<Beneficiary> {
    require_protected(principal)?;
    let year = state.today().year();
    let parsed = NewBeneficiary::parse(&state.pack, input, year)?;
    let record = NewBeneficiaryRecord {
        id: BeneficiaryId::new(),
        reference_id: BeneficiaryRef::from_random(rand::rng().random()),
        account_id: principal.account,
        name: parsed.name.as_str().to_owned(),
        birth_year: parsed.birth_year.get(),
        gender_id: parsed.gender_id,
        photo_id_type: parsed.photo_id_type,
        photo_id_hash: state.keys.hash_photo_id(parsed.photo_id_type, parsed.photo_id.normalized()),
        photo_id_last4: parsed.photo_id.last4(),
        comorbidity: parsed.comorbidity,
        created_at_ms: state.now_ms(),
    };
    let max = state.max_beneficiaries();
    match state.store.create_beneficiary(&record, max).await {
        Ok(b) => {
            state.metrics.registrations.with_label_values(&["ok"]).inc();
            tracing::info!(beneficiary.id = %b.id, "beneficiary registered");
            Ok(b)
        }
        Err(StorageError::Conflict(tika_storage::ConflictKind::TooManyBeneficiaries)) => {
            state.metrics.registrations.with_label_values(&["limit"]).inc();
            Err(ApiError::conflict(
                "BENREG0002",
                format!(
                    "A maximum of {max} beneficiaries can be registered with one mobile number"
                ),
            ))
        }
        Err(e) => {
            state.metrics.registrations.with_label_values(&["refused"]).inc();
            Err(e.into())
        }
    }
}

/// The principal's beneficiaries with history and appointments.
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<Vec<BeneficiaryView>> {
    require_protected(principal)?;
    let people = state.store.list_beneficiaries(principal.account).await?;
    let ids: Vec<BeneficiaryId> = people.iter().map(|b| b.id).collect();
    let doses = state.store.list_vaccinations(&ids).await?;
    let appointments = state.store.list_appointments(&ids).await?;
    Ok(people
        .into_iter()
        .map(|b| {
            let mut mine: Vec<Vaccination> =
                doses.iter().filter(|d| d.beneficiary_id == b.id).cloned().collect();
            mine.sort_by_key(|d| d.dose);
            let series = mine
                .first()
                .and_then(|d| state.pack.vaccine(&d.vaccine))
                .map_or(2, |v| v.doses_in_series);
            let status = match mine.len() {
                0 => VaccinationStatus::NotVaccinated,
                n if n < usize::from(series) => VaccinationStatus::PartiallyVaccinated,
                _ => VaccinationStatus::Vaccinated,
            };
            let appts = appointments.iter().filter(|a| a.beneficiary_id == b.id).cloned().collect();
            BeneficiaryView { beneficiary: b, status, doses: mine, appointments: appts }
        })
        .collect())
}

/// Finds one of the principal's beneficiaries by reference id; someone else's is "not found".
pub async fn find_own(
    state: &AppState,
    principal: &Principal,
    reference: &str,
) -> ApiResult<Beneficiary> {
    let not_found =
        || ApiError::bad_request("BENREG0020", "Beneficiary not found for this mobile number");
    let reference = BeneficiaryRef::parse(reference).map_err(|_| not_found())?;
    match state.store.find_beneficiary_by_ref(&reference).await {
        Ok(b) if b.account_id == principal.account => Ok(b),
        Ok(_) | Err(StorageError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a beneficiary who has no active appointment and no dose.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    reference: Option<&str>,
) -> ApiResult<()> {
    require_protected(principal)?;
    let reference = reference
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::missing("beneficiary_reference_id"))?;
    let b = find_own(state, principal, reference).await?;
    state.store.delete_beneficiary(principal.account, b.id, state.now_ms()).await?;
    tracing::info!(beneficiary.id = %b.id, "beneficiary deleted");
    Ok(())
}
