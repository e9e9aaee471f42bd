//! Corrections and merges: a citizen asks once per field, an official decides; duplicate
//! records of one person are merged.  Either way the certificates are re-issued with new IDs
//! and the old ones revoked, by the certificate job (storage enqueues `certificate.reissue`
//! in the same transaction).  Every step is in the audit log.

use chrono::Datelike;
use serde::Serialize;
use tika_domain::beneficiary::{BirthYear, PersonName, PhotoIdNumber};
use tika_storage::{
    Beneficiary, CorrectionChange, CorrectionDecision, CorrectionField, CorrectionFilter,
    CorrectionRequest, CorrectionStatus, MergeOutcome, NewCorrection, StorageError,
};

use crate::error::{ApiError, ApiResult};
use crate::services::auth::{Principal, Scope};
use crate::services::registration;
use crate::state::AppState;

/// A correction request as shown to its holder and to officials (no full ID numbers: a photo
/// id shows its last 4 characters only).
#[derive(Debug, Serialize)]
pub struct CorrectionView {
    /// Request id.
    pub id: String,
    /// Beneficiary reference ID.
    pub beneficiary_reference_id: String,
    /// `name`, `birth_year`, `gender`, `photo_id`.
    pub field: &'static str,
    /// Value when requested.
    pub old_value: String,
    /// Value asked for.
    pub new_value: String,
    /// The holder's reason.
    pub reason: String,
    /// `pending`, `approved`, `rejected`.
    pub status: &'static str,
    /// When requested (RFC 3339).
    pub requested_at: String,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Decision note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The view of a request, given the person's reference id.
pub fn view(req: &CorrectionRequest, reference: &str) -> CorrectionView {
    CorrectionView {
        id: req.id.to_string(),
        beneficiary_reference_id: reference.to_owned(),
        field: req.field.as_str(),
        old_value: req.old_value.clone(),
        new_value: req.new_value.clone(),
        reason: req.reason.clone(),
        status: req.status.as_str(),
        requested_at: rfc3339(req.requested_at_ms),
        decided_by: req.decided_by.clone(),
        decision_note: req.decision_note.clone(),
    }
}

/// Parses a requested change for a person (the same rules as registration).
pub fn parse_change(
    state: &AppState,
    person: &Beneficiary,
    field: &str,
    value: &str,
) -> ApiResult<CorrectionChange> {
    let field = CorrectionField::parse(field.trim()).ok_or_else(|| {
        ApiError::bad_request("CERT0011", "field must be one of name, birth_year, gender, photo_id")
    })?;
    let change = match field {
        CorrectionField::Name => {
            CorrectionChange::Name(PersonName::parse(value)?.as_str().to_owned())
        }
        CorrectionField::BirthYear => {
            let year = state.today().year();
            CorrectionChange::BirthYear(BirthYear::parse(value, year)?.get())
        }
        CorrectionField::Gender => {
            let id: i64 = value.trim().parse().map_err(|_| {
                ApiError::bad_request("CERT0012", "gender must be a gender id (see genders)")
            })?;
            if state.pack.gender(id).is_none() {
                return Err(ApiError::bad_request(
                    "CERT0012",
                    "gender must be a gender id (see genders)",
                ));
            }
            CorrectionChange::Gender(id)
        }
        CorrectionField::PhotoId => {
            let id_type = state.pack.id_type(person.photo_id_type).ok_or_else(|| {
                ApiError::bad_request("CERT0013", "This person's ID type is no longer accepted")
            })?;
            let number = PhotoIdNumber::parse(id_type, value)?;
            CorrectionChange::PhotoId {
                hash: state.keys.hash_photo_id(person.photo_id_type, number.normalized()),
                last4: number.last4(),
            }
        }
    };
    let unchanged = match &change {
        CorrectionChange::Name(n) => n == &person.name,
        CorrectionChange::BirthYear(y) => *y == person.birth_year,
        CorrectionChange::Gender(g) => *g == person.gender_id,
        CorrectionChange::PhotoId { hash, .. } => hash == &person.photo_id_hash,
    };
    if unchanged {
        return Err(ApiError::bad_request(
            "CERT0014",
            "The new value is the same as the current one",
        ));
    }
    Ok(change)
}

/// A holder asks for a correction of one of their beneficiaries (protected token).
pub async fn request(
    state: &AppState,
    principal: &Principal,
    reference: &str,
    field: &str,
    value: &str,
    reason: &str,
) -> ApiResult<CorrectionView> {
    if principal.scope != Scope::Protected {
        return Err(ApiError::Unauthenticated);
    }
    let person = registration::find_own(state, principal, reference).await?;
    let reason = reason.trim();
    if reason.chars().count() < 5 || reason.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "CERT0015",
            "reason must say why, in 5 to 500 characters",
        ));
    }
    let change = parse_change(state, &person, field, value)?;
    let req = state
        .store
        .request_correction(&NewCorrection {
            id: uuid::Uuid::new_v4(),
            beneficiary_id: person.id,
            change,
            reason: reason.to_owned(),
            requested_by: format!("citizen:{}", principal.account),
            requested_at_ms: state.now_ms(),
        })
        .await?;
    Ok(view(&req, person.reference_id.as_str()))
}

/// The holder's correction requests for one beneficiary.
pub async fn list_own(
    state: &AppState,
    principal: &Principal,
    reference: &str,
) -> ApiResult<Vec<CorrectionView>> {
    let person = registration::find_own(state, principal, reference).await?;
    let reqs = state
        .store
        .list_corrections(&CorrectionFilter { status: None, beneficiary: Some(person.id) })
        .await?;
    Ok(reqs.iter().map(|r| view(r, person.reference_id.as_str())).collect())
}

/// Requests for officials, with the people's reference ids.
pub async fn list(state: &AppState, status: Option<&str>) -> ApiResult<Vec<CorrectionView>> {
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(CorrectionStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("CERT0016", "status must be pending, approved or rejected")
        })?),
    };
    let reqs =
        state.store.list_corrections(&CorrectionFilter { status, beneficiary: None }).await?;
    let ids: Vec<_> = reqs.iter().map(|r| r.beneficiary_id).collect();
    let people = state.store.find_beneficiaries(&ids).await?;
    Ok(reqs
        .iter()
        .map(|r| {
            let reference = people
                .iter()
                .find(|p| p.id == r.beneficiary_id)
                .map(|p| p.reference_id.as_str().to_owned())
                .unwrap_or_default();
            view(r, &reference)
        })
        .collect())
}

/// An official approves or rejects a request.
pub async fn decide(
    state: &AppState,
    actor: &str,
    id: &str,
    approve: bool,
    note: &str,
) -> ApiResult<CorrectionView> {
    let id: uuid::Uuid = id
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("CERT0017", "Unknown correction request"))?;
    let decision = if approve { CorrectionDecision::Approve } else { CorrectionDecision::Reject };
    let req =
        match state.store.decide_correction(id, decision, actor, note.trim(), state.now_ms()).await
        {
            Ok(r) => r,
            Err(StorageError::NotFound) => {
                return Err(ApiError::bad_request("CERT0017", "Unknown correction request"));
            }
            Err(e) => return Err(e.into()),
        };
    let people = state.store.find_beneficiaries(&[req.beneficiary_id]).await?;
    let reference = people.first().map(|p| p.reference_id.as_str().to_owned()).unwrap_or_default();
    Ok(view(&req, &reference))
}

/// An official merges `drop` into `keep` (both by reference id).
pub async fn merge(
    state: &AppState,
    actor: &str,
    keep: &str,
    drop: &str,
) -> ApiResult<MergeOutcome> {
    let find = |r: &str| {
        let r = r.trim().to_owned();
        async move {
            let reference = tika_domain::ids::BeneficiaryRef::parse(&r).map_err(|_| {
                ApiError::bad_request("CERT0018", "Unknown beneficiary reference id")
            })?;
            match state.store.find_beneficiary_by_ref(&reference).await {
                Ok(b) => Ok(b),
                Err(StorageError::NotFound) => {
                    Err(ApiError::bad_request("CERT0018", "Unknown beneficiary reference id"))
                }
                Err(e) => Err(ApiError::from(e)),
            }
        }
    };
    let keep = find(keep).await?;
    let drop = find(drop).await?;
    Ok(state.store.merge_beneficiaries(keep.id, drop.id, actor, state.now_ms()).await?)
}
