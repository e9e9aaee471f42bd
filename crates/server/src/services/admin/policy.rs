//! The campaign policy as versioned data (phases, priority groups, eligibility, dose intervals)
//! changed from the console with an effective date; surveys of comorbidities.
//!
//! The versions in force are the pack's plus the console's (stored as JSON bodies), merged by
//! effective date into a [`PolicySet`] the server state holds; booking, the site bundle and
//! sync read it.  A national official adds a version effective tomorrow or later, never
//! retroactively; every process reloads the set after its own change and every 30 seconds.
//!
//! Surveys: an official of any level records a person's comorbidities (the pack's list) for
//! a person of their area, found by reference id.  A person is in the area when listed there
//! or booked or vaccinated at a facility of the area; anyone else is "not found".  A CSV upload
//! (`reference_id,comorbidities,notes`) is checked whole first: one bad row and nothing is
//! recorded, every problem reported by row.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tika_domain::admin::{Capability, FieldError, Place};
use tika_domain::beneficiary::BirthYear;
use tika_domain::country::{CountryPack, Policy};
use tika_domain::ids::{BeneficiaryRef, SurveyId};
use tika_domain::policy::{Comorbidity, PersonFacts, PolicyForm, PriorityGroup, merge_versions};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{
    AddVersionOutcome, Beneficiary, NewSurvey, PolicyVersionRecord, SurveyFilter, SurveyRecord,
    SurveySource, SurveyTarget,
};

use super::{AdminPrincipal, actor, change, require};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Most rows one CSV upload of surveys may have.
pub const MAX_SURVEY_ROWS: usize = 50_000;
/// Largest CSV of surveys accepted (50,000 rows with several conditions and notes fit).
pub const MAX_SURVEY_BYTES: usize = 8 * 1024 * 1024;
/// Most row problems reported for one upload (the count of the rest is given).
pub const MAX_REPORTED_ERRORS: usize = 200;
/// How often other processes' versions are picked up.
pub const REFRESH_SECS: u64 = 30;

// ---------------------------------------------------------------------------------------------
// The set in force
// ---------------------------------------------------------------------------------------------

/// The policy versions in force and what the console shows about them.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// The country pack with its policies replaced by the merged versions: what booking, the
    /// site bundle and sync read (`pack.policy_on(date)`, `pack.policy(version)`).
    pub pack: Arc<CountryPack>,
    /// The console's versions as stored (label, author, note).
    pub console: Vec<PolicyVersionRecord>,
    /// The comorbidities surveyors record.
    pub conditions: Arc<Vec<Comorbidity>>,
}

/// A stored version's body.
#[derive(Debug, Serialize, Deserialize)]
struct Body {
    min_age_years: u8,
    #[serde(default)]
    groups: Vec<PriorityGroup>,
    #[serde(default)]
    intervals: Vec<IntervalBody>,
}

#[derive(Debug, Serialize, Deserialize)]
struct IntervalBody {
    vaccine: String,
    min_days: u32,
    max_days: u32,
}

fn body_of(p: &Policy) -> Body {
    let mut intervals: Vec<IntervalBody> = p
        .interval_overrides
        .iter()
        .map(|(v, (min, max))| IntervalBody {
            vaccine: v.to_string(),
            min_days: *min,
            max_days: *max,
        })
        .collect();
    intervals.sort_by(|a, b| a.vaccine.cmp(&b.vaccine));
    Body { min_age_years: p.min_age_years, groups: p.groups.clone(), intervals }
}

fn policy_of(r: &PolicyVersionRecord) -> anyhow::Result<Policy> {
    let body: Body = serde_json::from_str(&r.body)
        .map_err(|e| anyhow::anyhow!("policy version {}: {e}", r.version))?;
    let mut interval_overrides = HashMap::new();
    for i in body.intervals {
        let code = VaccineCode::parse(&i.vaccine)
            .map_err(|e| anyhow::anyhow!("policy version {}: {e}", r.version))?;
        interval_overrides.insert(code, (i.min_days, i.max_days));
    }
    let mut groups = body.groups;
    groups.sort_by_key(|g| g.rank);
    Ok(Policy {
        version: r.version.clone(),
        effective_from: r.effective_from,
        min_age_years: body.min_age_years,
        interval_overrides,
        groups,
    })
}

impl PolicySet {
    /// The pack's versions merged with the console's stored ones.
    pub async fn load(
        store: &tika_storage::DynStore,
        pack: &CountryPack,
        conditions: Arc<Vec<Comorbidity>>,
    ) -> anyhow::Result<Self> {
        let console = store.list_policy_versions().await?;
        let parsed = console.iter().map(policy_of).collect::<anyhow::Result<Vec<_>>>()?;
        let mut merged = pack.clone();
        merged.policies = merge_versions(&pack.policies, parsed);
        Ok(Self { pack: Arc::new(merged), console, conditions })
    }

    /// A set of the pack's versions alone (no database).
    pub fn of_pack(pack: &CountryPack, conditions: Arc<Vec<Comorbidity>>) -> Self {
        Self { pack: Arc::new(pack.clone()), console: Vec::new(), conditions }
    }
}

/// Reloads the set from the database (after a change here, and every [`REFRESH_SECS`] for the
/// changes of other processes); keeps the old set if the database cannot be read.  Rebuilds
/// only when the console's versions changed.
pub async fn refresh(state: &AppState) {
    let stored = match state.store.list_policy_versions().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "policy versions could not be read; keeping the last set");
            return;
        }
    };
    let current = state.policies.load();
    if current.console == stored {
        return;
    }
    let conditions = Arc::clone(&current.conditions);
    match PolicySet::load(&state.store, &state.pack, conditions).await {
        Ok(set) => {
            tracing::info!(versions = set.pack.policies.len(), "policy versions reloaded");
            state.policies.store(Arc::new(set));
        }
        Err(e) => {
            tracing::warn!(error = %e, "policy versions could not be loaded; keeping the last set")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Booking: the groups of the version in force
// ---------------------------------------------------------------------------------------------

/// Refuses (`APPOIN0050`, like the other eligibility refusals) anyone not in a group of
/// `policy` open on `date`; a version without groups admits everyone.  Occupations (from the
/// lists) are read only for people no open group admits without one, so the usual booking
/// costs no query.
pub(crate) async fn check_groups(
    state: &AppState,
    policy: &Policy,
    people: &[Beneficiary],
    date: NaiveDate,
) -> ApiResult<()> {
    if policy.groups.is_empty() {
        return Ok(());
    }
    let facts = |b: &Beneficiary, occupation| PersonFacts {
        birth_year: BirthYear::from_stored(b.birth_year),
        comorbidity: b.comorbidity,
        occupation,
    };
    let doubtful: Vec<&Beneficiary> =
        people.iter().filter(|b| policy.check_groups(&facts(b, None), date).is_err()).collect();
    if doubtful.is_empty() {
        return Ok(());
    }
    let ids: Vec<_> = doubtful.iter().map(|b| b.id).collect();
    let occupations: HashMap<_, _> = state.store.occupations_of(&ids).await?.into_iter().collect();
    for b in doubtful {
        if let Err(e) = policy.check_groups(&facts(b, occupations.get(&b.id).copied()), date) {
            state.metrics.bookings.with_label_values(&["ineligible"]).inc();
            return Err(ApiError::conflict("APPOIN0050", e.to_string()));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

/// A version as the console shows it.
#[derive(Debug, Clone)]
pub struct VersionView {
    /// The version.
    pub policy: Policy,
    /// `pack` or `console`.
    pub source: &'static str,
    /// Whether it is the one in force today.
    pub in_force: bool,
    /// Whether it takes effect after today.
    pub upcoming: bool,
    /// Who added it (console versions).
    pub created_by: Option<String>,
    /// When (ms).
    pub created_at_ms: Option<i64>,
    /// The version it started from.
    pub based_on: Option<String>,
    /// Why.
    pub note: String,
}

fn views(state: &AppState) -> Vec<VersionView> {
    let set = state.policies.load();
    let today = state.today();
    let in_force = set.pack.policy_on(today).version.clone();
    set.pack
        .policies
        .iter()
        .map(|p| {
            let stored = set.console.iter().find(|r| r.version == p.version);
            VersionView {
                policy: p.clone(),
                source: if stored.is_some() { "console" } else { "pack" },
                in_force: p.version == in_force,
                upcoming: p.effective_from > today,
                created_by: stored.map(|r| r.created_by.clone()),
                created_at_ms: stored.map(|r| r.created_at_ms),
                based_on: stored.and_then(|r| r.based_on.clone()),
                note: stored.map(|r| r.note.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// Every version, oldest first (every official may read them).
pub fn list_versions(state: &AppState, _who: &AdminPrincipal) -> Vec<VersionView> {
    views(state)
}

/// One version by label.
pub fn version(state: &AppState, _who: &AdminPrincipal, label: &str) -> ApiResult<VersionView> {
    views(state).into_iter().find(|v| v.policy.version == label).ok_or(ApiError::NotFound)
}

/// The form for the next version, pre-filled from the one in force today.
pub fn next_version_form(state: &AppState) -> PolicyForm {
    let set = state.policies.load();
    let current = set.pack.policy_on(state.today());
    let mut form = PolicyForm::from_policy(current);
    let tomorrow = state.today().succ_opt().unwrap_or_else(|| state.today());
    form.effective_from = Some(tomorrow);
    form.version = format!("{}-{}", set.pack.code, tomorrow.format("%Y-%m-%d"));
    form
}

/// Adds a version (national officials only), effective tomorrow or later; audited.
pub async fn create_version(
    state: &AppState,
    who: &AdminPrincipal,
    form: &PolicyForm,
) -> ApiResult<VersionView> {
    require(who, Capability::ChangePolicy)?;
    let today = state.today();
    let set = state.policies.load_full();
    let policy = form.check(&state.pack, &set.pack.policies, today).map_err(ApiError::Invalid)?;
    let based_on = set.pack.policy_on(today).version.clone();
    let body = serde_json::to_string(&body_of(&policy))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("policy body: {e}")))?;
    let record = PolicyVersionRecord {
        version: policy.version.clone(),
        effective_from: policy.effective_from,
        body: body.clone(),
        based_on: Some(based_on.clone()),
        created_by: actor(who),
        created_at_ms: state.now_ms(),
        note: form.note.trim().to_owned(),
    };
    let after = json!({
        "version": record.version,
        "effective_from": record.effective_from.to_string(),
        "based_on": based_on,
        "note": record.note,
        "body": serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default(),
    });
    let audit = change(
        state,
        who,
        "policy.create",
        format!("policy:{}", record.version),
        None,
        None,
        Some(after),
    );
    match state.store.add_policy_version(&record, &audit).await? {
        AddVersionOutcome::Added => {}
        AddVersionOutcome::VersionTaken | AddVersionOutcome::DateTaken => {
            return Err(ApiError::conflict(
                "ADM0042",
                "Another version with this label or date was just added; reload and try again",
            ));
        }
    }
    refresh(state).await;
    tracing::info!(admin = %who.admin, version = %policy.version, from = %policy.effective_from, "policy version added");
    version(state, who, &policy.version)
}

// ---------------------------------------------------------------------------------------------
// Surveys
// ---------------------------------------------------------------------------------------------

/// A person found for the survey form.
#[derive(Debug, Clone)]
pub struct SurveyPerson {
    /// Reference id.
    pub reference_id: String,
    /// Birth year.
    pub birth_year: i32,
    /// Whether a comorbidity is recorded.
    pub comorbidity: bool,
    /// The groups of today's version the person is in (codes, best first).
    pub groups: Vec<String>,
}

/// A survey as submitted by the form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    /// The person's reference id.
    pub reference_id: String,
    /// Condition codes.
    pub comorbidities: Vec<String>,
    /// Free notes.
    pub notes: String,
    /// The surveyor's name (default: the official's).
    pub surveyor: String,
}

/// What an upload recorded.
#[derive(Debug, Clone, Serialize)]
pub struct UploadOutcome {
    /// Rows recorded.
    pub recorded: usize,
    /// Of which found at least one condition.
    pub with_conditions: usize,
}

fn place_of(target: &SurveyTarget, who: &AdminPrincipal) -> Option<Place> {
    target.places.iter().find(|p| who.area.covers(p)).cloned()
}

async fn target_in_area(
    state: &AppState,
    who: &AdminPrincipal,
    reference: &str,
) -> ApiResult<(SurveyTarget, Place)> {
    let Ok(r) = BeneficiaryRef::parse(reference) else {
        return Err(ApiError::Invalid(vec![FieldError {
            field: "reference_id",
            message: "a reference id is 14 digits".into(),
        }]));
    };
    let found = state.store.survey_targets(&[r.to_string()]).await?;
    match found.into_iter().next() {
        Some(t) => match place_of(&t, who) {
            Some(p) => Ok((t, p)),
            None => {
                tracing::info!(admin = %who.admin, "survey asked for a person outside the area");
                Err(ApiError::NotFound)
            }
        },
        None => Err(ApiError::NotFound),
    }
}

/// Finds a person of the area by reference id, for the survey form.
pub async fn find_person(
    state: &AppState,
    who: &AdminPrincipal,
    reference: &str,
) -> ApiResult<SurveyPerson> {
    require(who, Capability::RecordSurvey)?;
    let (t, _) = target_in_area(state, who, reference).await?;
    let occupation = state.store.occupations_of(&[t.beneficiary_id]).await?.first().map(|o| o.1);
    let facts = PersonFacts {
        birth_year: BirthYear::from_stored(t.birth_year),
        comorbidity: t.comorbidity,
        occupation,
    };
    let today = state.today();
    let set = state.policies.load();
    let groups =
        set.pack.policy_on(today).groups_of(&facts, today).iter().map(|g| g.code.clone()).collect();
    Ok(SurveyPerson {
        reference_id: t.reference_id,
        birth_year: t.birth_year,
        comorbidity: t.comorbidity,
        groups,
    })
}

/// Checks condition codes against the pack's list: the codes, sorted and deduplicated.
fn check_codes(conditions: &[Comorbidity], codes: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for c in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let Some(known) = conditions.iter().find(|k| k.code.eq_ignore_ascii_case(c)) else {
            return Err(format!("unknown condition {c:?}"));
        };
        if !out.contains(&known.code) {
            out.push(known.code.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn check_notes(notes: &str) -> Result<String, String> {
    let notes = notes.trim();
    if notes.chars().count() > 500 {
        return Err("notes are at most 500 characters".into());
    }
    Ok(notes.to_owned())
}

fn survey_change(
    state: &AppState,
    who: &AdminPrincipal,
    s: &NewSurvey,
    place: Place,
) -> tika_storage::Change {
    // Ids and a count only: the conditions themselves are health data.
    let after = json!({
        "survey": s.id.to_string(),
        "conditions": s.comorbidities.len(),
        "source": s.source.as_str(),
    });
    change(
        state,
        who,
        "survey.record",
        s.beneficiary_id.to_string(),
        Some(place),
        None,
        Some(after),
    )
}

fn surveyor_name(who: &AdminPrincipal, given: &str) -> Result<String, String> {
    let given = given.trim();
    if given.chars().count() > 120 {
        return Err("the surveyor's name is at most 120 characters".into());
    }
    Ok(if given.is_empty() { who.name.clone() } else { given.to_owned() })
}

/// Records one survey for a person of the area; audited (a count, no conditions).
pub async fn record_survey(
    state: &AppState,
    who: &AdminPrincipal,
    form: &SurveyForm,
) -> ApiResult<SurveyRecord> {
    require(who, Capability::RecordSurvey)?;
    let conditions = Arc::clone(&state.policies.load().conditions);
    let mut errors = Vec::new();
    let codes = check_codes(&conditions, &form.comorbidities)
        .map_err(|m| errors.push(FieldError { field: "comorbidities", message: m }))
        .unwrap_or_default();
    let notes = check_notes(&form.notes)
        .map_err(|m| errors.push(FieldError { field: "notes", message: m }))
        .unwrap_or_default();
    let surveyor = surveyor_name(who, &form.surveyor)
        .map_err(|m| errors.push(FieldError { field: "surveyor", message: m }))
        .unwrap_or_default();
    if BeneficiaryRef::parse(&form.reference_id).is_err() {
        errors.push(FieldError {
            field: "reference_id",
            message: "a reference id is 14 digits".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (target, place) = target_in_area(state, who, &form.reference_id).await?;
    let survey = NewSurvey {
        id: SurveyId::new(),
        beneficiary_id: target.beneficiary_id,
        comorbidities: codes,
        notes,
        surveyor,
        created_by: actor(who),
        source: SurveySource::Form,
        state: Some(place.state),
        district: Some(place.district),
        created_at_ms: state.now_ms(),
    };
    let audit = survey_change(state, who, &survey, place);
    state.store.record_surveys(&[(survey.clone(), audit)]).await?;
    tracing::info!(admin = %who.admin, survey = %survey.id, conditions = survey.comorbidities.len(), "survey recorded");
    Ok(SurveyRecord { survey, reference_id: target.reference_id })
}

/// Records the surveys of a CSV file (`reference_id,comorbidities,notes`; conditions separated
/// by `;` or `|` inside their cell).  Every row is checked first (the reference id, the person
/// in the area, the conditions, the notes); one problem and nothing is recorded, and the
/// answer lists the problems by row (header = row 1).
pub async fn upload_surveys(
    state: &AppState,
    who: &AdminPrincipal,
    csv_text: &str,
    surveyor: &str,
) -> ApiResult<UploadOutcome> {
    require(who, Capability::RecordSurvey)?;
    let surveyor = surveyor_name(who, surveyor).map_err(|m| ApiError::invalid("surveyor", m))?;
    let rows = parse_csv(csv_text)?;
    let conditions = Arc::clone(&state.policies.load().conditions);
    let mut problems: Vec<String> = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for (row_no, r) in &rows {
        let reference = match BeneficiaryRef::parse(&r.reference_id) {
            Ok(x) => Some(x.to_string()),
            Err(_) => {
                problems.push(format!("row {row_no}: reference_id: a reference id is 14 digits"));
                None
            }
        };
        if let Some(reference) = &reference
            && let Some(first) = seen.insert(reference.clone(), *row_no)
        {
            problems.push(format!("row {row_no}: reference_id: the same person as row {first}"));
        }
        let codes: Vec<String> = r.comorbidities.split([';', '|']).map(str::to_owned).collect();
        let codes = check_codes(&conditions, &codes)
            .map_err(|m| problems.push(format!("row {row_no}: comorbidities: {m}")))
            .ok();
        let notes = check_notes(&r.notes)
            .map_err(|m| problems.push(format!("row {row_no}: notes: {m}")))
            .ok();
        if let (Some(reference), Some(codes), Some(notes)) = (reference, codes, notes) {
            parsed.push((*row_no, reference, codes, notes));
        }
    }
    let refs: Vec<String> = parsed.iter().map(|p| p.1.clone()).collect();
    let targets: HashMap<String, SurveyTarget> = state
        .store
        .survey_targets(&refs)
        .await?
        .into_iter()
        .map(|t| (t.reference_id.clone(), t))
        .collect();
    let now = state.now_ms();
    let mut surveys = Vec::with_capacity(parsed.len());
    for (row_no, reference, codes, notes) in parsed {
        // Unknown and outside the area read the same, as everywhere in the console.
        let Some((t, place)) = targets.get(&reference).and_then(|t| Some((t, place_of(t, who)?)))
        else {
            problems
                .push(format!("row {row_no}: reference_id: no person {reference} in your area"));
            continue;
        };
        let survey = NewSurvey {
            id: SurveyId::new(),
            beneficiary_id: t.beneficiary_id,
            comorbidities: codes,
            notes,
            surveyor: surveyor.clone(),
            created_by: actor(who),
            source: SurveySource::Csv,
            state: Some(place.state),
            district: Some(place.district),
            created_at_ms: now,
        };
        let audit = survey_change(state, who, &survey, place);
        surveys.push((survey, audit));
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| row_number(p));
        let total = problems.len();
        let mut errors: Vec<FieldError> = problems
            .into_iter()
            .take(MAX_REPORTED_ERRORS)
            .map(|message| FieldError { field: "file", message })
            .collect();
        if total > MAX_REPORTED_ERRORS {
            errors.push(FieldError {
                field: "file",
                message: format!("… and {} more problems", total - MAX_REPORTED_ERRORS),
            });
        }
        errors.push(FieldError {
            field: "file",
            message: format!(
                "{total} problems: nothing was recorded; fix the rows and upload again"
            ),
        });
        return Err(ApiError::Invalid(errors));
    }
    let with_conditions = surveys.iter().filter(|s| !s.0.comorbidities.is_empty()).count();
    state.store.record_surveys(&surveys).await?;
    tracing::info!(admin = %who.admin, rows = surveys.len(), with_conditions, "surveys uploaded");
    Ok(UploadOutcome { recorded: surveys.len(), with_conditions })
}

fn row_number(problem: &str) -> usize {
    problem
        .strip_prefix("row ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

struct CsvRow {
    reference_id: String,
    comorbidities: String,
    notes: String,
}

/// Reads the upload's rows with their row numbers (header = row 1; blank lines are skipped
/// and not counted).
fn parse_csv(text: &str) -> ApiResult<Vec<(usize, CsvRow)>> {
    let bad_header = || {
        ApiError::bad_request(
            "ADM0040",
            "The file must be CSV with the header reference_id,comorbidities,notes",
        )
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| bad_header())?.clone();
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_ref), Some(c_codes)) = (col("reference_id"), col("comorbidities")) else {
        return Err(bad_header());
    };
    let c_notes = col("notes");
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row_no = i + 2;
        let record = record.map_err(|e| {
            ApiError::bad_request(
                "ADM0040",
                format!("row {row_no}: the file is not valid CSV ({e})"),
            )
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if out.len() == MAX_SURVEY_ROWS {
            return Err(ApiError::bad_request(
                "ADM0041",
                format!("At most {MAX_SURVEY_ROWS} rows per upload; split the file"),
            ));
        }
        let get = |c: usize| record.get(c).unwrap_or_default().to_owned();
        out.push((
            row_no,
            CsvRow {
                reference_id: get(c_ref),
                comorbidities: get(c_codes),
                notes: c_notes.map(get).unwrap_or_default(),
            },
        ));
    }
    if out.is_empty() {
        return Err(ApiError::bad_request("ADM0040", "The file has no rows"));
    }
    Ok(out)
}

/// Surveys of the official's area, newest first: a state's or district's by where the person
/// was found; a block or facility official sees the surveys they recorded.
pub async fn list_surveys(
    state: &AppState,
    who: &AdminPrincipal,
    limit: u32,
) -> ApiResult<Vec<SurveyRecord>> {
    require(who, Capability::RecordSurvey)?;
    use tika_domain::admin::Area;
    let mut filter = SurveyFilter { limit: limit.clamp(1, 500), ..SurveyFilter::default() };
    match &who.area {
        Area::National => {}
        Area::State { state } => filter.state = Some(*state),
        Area::District { district, .. } => filter.district = Some(*district),
        Area::Block { district, .. } | Area::Facility { district, .. } => {
            filter.district = Some(*district);
            filter.created_by = Some(actor(who));
        }
    }
    Ok(state.store.list_surveys(&filter).await?)
}

/// The pack's list of conditions.
pub fn conditions(state: &AppState) -> Arc<Vec<Comorbidity>> {
    Arc::clone(&state.policies.load().conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_numbers_and_headers_are_checked() {
        let rows = parse_csv("\u{feff}reference_id,comorbidities,notes\n1,a;b,x\n\n2,,\n").unwrap();
        let nums: Vec<usize> = rows.iter().map(|r| r.0).collect();
        assert_eq!(nums, [2, 3]);
        assert_eq!(rows[0].1.comorbidities, "a;b");
        assert!(parse_csv("ref,x\n1,2\n").is_err());
        assert!(parse_csv("reference_id,comorbidities\n").is_err());
        assert_eq!(row_number("row 12: notes: x"), 12);
    }

    #[test]
    fn codes_are_checked_against_the_list() {
        let list =
            vec![Comorbidity { code: "diabetes".into(), name: "D".into(), name_hi: "म".into() }];
        assert_eq!(
            check_codes(&list, &[" Diabetes".into(), "diabetes".into(), String::new()]),
            Ok(vec!["diabetes".to_owned()])
        );
        assert_eq!(check_codes(&list, &["flu".into()]), Err("unknown condition \"flu\"".into()));
    }
}
