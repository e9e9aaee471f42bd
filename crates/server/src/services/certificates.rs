//! Certificates: every recorded dose becomes a signed DIVOC credential, rendered on demand as a
//! bilingual PDF with its QR code, and verifiable offline.
//!
//! - **Issuing** is a durable job.  Recording a dose writes a `dose.recorded` event in the
//!   dose's own transaction (storage); [`process_pending`] turns events into certificates:
//!   gather the facts, build the credential, sign it with the active key, store it signed and
//!   complete.  Storage keeps at most one live certificate per dose and kind, so a retried or
//!   doubled job cannot issue two.  A failure is retried with backoff; a voided dose gets none.
//! - **Corrections and merges** enqueue `certificate.reissue`: the new certificate gets a new
//!   ID and the old one is revoked (reason `superseded`).  `dose.voided` revokes.
//! - **Reading** needs no signing and no writes: a download renders the stored credential, the
//!   revocation list is signed from the `revocations` table (cached per version), and the
//!   verification page carries the public keys.  That is all a read-only server serves.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use parking_lot::Mutex;
use tika_credentials::divoc::{
    AddressInput, CertificateInput, ContextVersion, Credential, SubjectInput, VaccinationInput,
    generate_certificate_id, icd11_for_vaccine,
};
use tika_credentials::keys::{Keyring, PublicKeysDocument};
use tika_credentials::revocation::{RevocationList, RevocationListType, RevokedEntry};
use tika_credentials::suite::{self, Signer, TrustStore};
use tika_domain::country::CountryPack;
use tika_domain::ids::BeneficiaryId;
use tika_pdf::certificate::{CertificateDoc, CertificateKind as PdfKind};
use tika_pdf::qr::QrMatrix;
use tika_storage::{
    CertificateFacts, CertificateKind, CertificateRecord, ConflictKind, IssueOutcome,
    NewCertificate, OutboxEvent, StorageError,
};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Event kinds the certificate job consumes.
pub const EVENT_KINDS: [&str; 3] = ["dose.recorded", "certificate.reissue", "dose.voided"];

/// How the certificates name their issuer.
#[derive(Debug, Clone)]
pub struct CertificateSettings {
    /// Issuer URL, ending in `/` (`issuer` in the credential, the keys' controller).
    pub issuer: String,
    /// DID of the issuing country; keys are `<did>#<kid>`.
    pub did: String,
    /// Base of the credential's `infoUrl`/`feedbackUrl`.
    pub info_base_url: String,
    /// Authority line printed on the PDF.
    pub authority: String,
    /// Public URL of the verification page, printed under the QR code.
    pub verify_url: String,
}

impl Default for CertificateSettings {
    fn default() -> Self {
        Self {
            issuer: "https://tika.example.in/".into(),
            did: suite::DEFAULT_DID.into(),
            info_base_url: "https://tika.example.in/".into(),
            authority: "Ministry of Health & Family Welfare, Government of India".into(),
            verify_url: "https://tika.example.in/verify/".into(),
        }
    }
}

/// The issuer: keys, trust and settings; built once at start-up.
pub struct Authority {
    settings: CertificateSettings,
    signer: Option<Signer>,
    trust: TrustStore,
    keys_doc: PublicKeysDocument,
    keys_json: String,
    revocations: Mutex<Option<(i64, Arc<str>)>>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("settings", &self.settings)
            .field("keys", &self.keys_doc.keys.len())
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// From a loaded keyring (its active key signs; every key is trusted).
    pub fn new(keyring: &Keyring, settings: CertificateSettings) -> anyhow::Result<Self> {
        let signer = keyring.signer().ok();
        let keys_doc = keyring.public_keys(&settings.issuer);
        let trust = keyring.trust_store();
        let keys_json = serde_json::to_string(&keys_doc)?;
        Ok(Self { settings, signer, trust, keys_doc, keys_json, revocations: Mutex::new(None) })
    }

    /// With one key held in memory only (tests, benchmarks): `kid` signs and is trusted.
    pub fn ephemeral(kid: &str, settings: CertificateSettings) -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let signer = Signer::new(ed25519_dalek::SigningKey::from_bytes(&seed), &settings.did, kid);
        let mut trust = TrustStore::new();
        trust.insert(
            signer.verification_method(),
            suite::TrustedKey::Ed25519(signer.verifying_key()),
        );
        let keys_doc = PublicKeysDocument {
            issuer: settings.issuer.clone(),
            did: settings.did.clone(),
            keys: vec![tika_credentials::keys::PublishedKey {
                kid: kid.to_owned(),
                id: signer.verification_method().to_owned(),
                kind: "Ed25519VerificationKey2018".into(),
                controller: settings.issuer.clone(),
                public_key_base58: bs58::encode(signer.verifying_key().as_bytes()).into_string(),
                status: tika_credentials::keys::KeyStatus::Active,
            }],
        };
        let keys_json = serde_json::to_string(&keys_doc)?;
        Ok(Self {
            settings,
            signer: Some(signer),
            trust,
            keys_doc,
            keys_json,
            revocations: Mutex::new(None),
        })
    }

    /// Settings.
    pub fn settings(&self) -> &CertificateSettings {
        &self.settings
    }

    /// Trusted keys (ours).
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// The public keys document (`/.well-known/tika/keys.json`).
    pub fn keys_json(&self) -> &str {
        &self.keys_json
    }

    /// The public keys document.
    pub fn keys_document(&self) -> &PublicKeysDocument {
        &self.keys_doc
    }

    fn signer(&self) -> anyhow::Result<&Signer> {
        self.signer.as_ref().ok_or_else(|| {
            anyhow::anyhow!("no active signing key: run `tika keys generate` (all keys retired?)")
        })
    }
}

/// The configured issuer, or 503 when certificates are not configured.
pub fn authority(state: &AppState) -> ApiResult<&Authority> {
    state.certificates.as_deref().ok_or_else(|| {
        ApiError::Unavailable("Certificates are not configured on this server".into())
    })
}

// ---------------------------------------------------------------------------
// Issuing
// ---------------------------------------------------------------------------

/// Retry delay after `attempts` failures: 5 s doubling up to an hour.
fn backoff_ms(attempts: u32) -> i64 {
    let secs = 5u64.saturating_mul(1u64 << attempts.min(10)).min(3600);
    i64::try_from(secs * 1000).unwrap_or(3_600_000)
}

/// Processes due certificate events; returns how many were handled.
pub async fn process_pending(state: &AppState, limit: u32) -> anyhow::Result<usize> {
    use futures::StreamExt as _;
    let Some(auth) = state.certificates.as_deref() else { return Ok(0) };
    let now = state.clock.now();
    let events = state.store.claim_events(&EVENT_KINDS, limit, now.timestamp_millis()).await?;
    let count = events.len();
    // Events of one dose run in order; different doses run concurrently, so the group-commit
    // writer puts many certificates in one transaction (one commit each would cap the job at
    // the database's commit rate).
    let mut groups: Vec<Vec<OutboxEvent>> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for event in events {
        match index.get(&event.subject_id) {
            Some(&i) => groups[i].push(event),
            None => {
                index.insert(event.subject_id.clone(), groups.len());
                groups.push(vec![event]);
            }
        }
    }
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(groups)
        .map(|group| async move {
            for event in group {
                handle_and_record(state, auth, &event).await?;
            }
            Ok(())
        })
        .buffer_unordered(JOB_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(count)
}

/// Doses whose certificates are built at once.
const JOB_CONCURRENCY: usize = 32;

async fn handle_and_record(
    state: &AppState,
    auth: &Authority,
    event: &OutboxEvent,
) -> anyhow::Result<()> {
    let kind = event.kind.as_str();
    match handle_event(state, auth, event).await {
        Ok(outcome) => {
            state.metrics.certificates.with_label_values(&[kind, outcome]).inc();
        }
        Err(e) => {
            state.metrics.certificates.with_label_values(&[kind, "failed"]).inc();
            tracing::warn!(event = %event.id, kind = %kind, attempts = event.attempts, error = %e, "certificate job failed; will retry");
            let retry_at = state.now_ms() + backoff_ms(event.attempts);
            state.store.fail_event(event.id, &e.to_string(), retry_at).await?;
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct EventPayload {
    vaccination_id: String,
    #[serde(default)]
    kind: Option<String>,
}

async fn handle_event(
    state: &AppState,
    auth: &Authority,
    event: &OutboxEvent,
) -> anyhow::Result<&'static str> {
    let payload: EventPayload = serde_json::from_str(&event.payload)
        .map_err(|e| anyhow::anyhow!("event payload unreadable: {e}"))?;
    let vaccination = payload
        .vaccination_id
        .parse()
        .map_err(|_| anyhow::anyhow!("event names an invalid vaccination id"))?;
    let now = state.clock.now();
    if event.kind == "dose.voided" {
        state
            .store
            .revoke_for_vaccination(vaccination, "dose voided", "system", now.timestamp_millis())
            .await?;
        state.store.skip_event(event.id, "revoked").await?;
        return Ok("revoked");
    }
    let mut facts = match state.store.certificate_facts(vaccination).await {
        Ok(f) => f,
        Err(StorageError::NotFound) => {
            state.store.skip_event(event.id, "vaccination not found").await?;
            return Ok("skipped");
        }
        Err(e) => return Err(e.into()),
    };
    if facts.voided_at_ms.is_some() {
        state.store.skip_event(event.id, "dose voided").await?;
        return Ok("skipped");
    }
    facts.name_places(&state.pack);
    let kind = match payload.kind.as_deref() {
        Some("international") => CertificateKind::International,
        _ => CertificateKind::Domestic,
    };
    if kind == CertificateKind::International
        && (facts.beneficiary_dob.is_none() || facts.beneficiary_passport.is_none())
    {
        state.store.skip_event(event.id, "no travel details").await?;
        return Ok("skipped");
    }
    let outcome = issue_one(state, auth, &facts, kind, Some(event.id), now).await?;
    // A dose of someone who gave travel details also gets the international certificate.
    if kind == CertificateKind::Domestic
        && payload.kind.is_none()
        && facts.beneficiary_dob.is_some()
        && facts.beneficiary_passport.is_some()
    {
        issue_one(state, auth, &facts, CertificateKind::International, None, now).await?;
    }
    Ok(outcome)
}

/// Signs and stores one certificate; a fresh certificate ID can collide with an existing one
/// (1 in 9·10¹⁰ per pair), so a collision draws another.
async fn issue_one(
    state: &AppState,
    auth: &Authority,
    facts: &CertificateFacts,
    kind: CertificateKind,
    event: Option<uuid::Uuid>,
    now: DateTime<Utc>,
) -> anyhow::Result<&'static str> {
    for _ in 0..3 {
        let new = sign_certificate(state, auth, facts, kind, now)?;
        match state.store.issue_certificate(event, &new, "system").await {
            Ok(IssueOutcome::Issued(_)) => return Ok("issued"),
            Ok(IssueOutcome::AlreadyIssued(_)) => return Ok("already_issued"),
            Err(StorageError::Conflict(ConflictKind::CertificateIdTaken)) => continue,
            Err(StorageError::Conflict(ConflictKind::DoseVoided)) => {
                if let Some(id) = event {
                    state.store.skip_event(id, "dose voided").await?;
                }
                return Ok("skipped");
            }
            // The dose moved or was renumbered by a merge meanwhile: the retry reads it again.
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("could not find a free certificate id")
}

/// The holder gives a date of birth and passport: stored, and the international certificate
/// (context v2, full date of birth, passport) is issued at once for every dose that has a
/// domestic certificate.  Returns how many were issued.
pub async fn set_travel_details(
    state: &AppState,
    principal: &crate::services::auth::Principal,
    reference: &str,
    dob: &str,
    passport: &str,
) -> ApiResult<usize> {
    if principal.scope != crate::services::auth::Scope::Protected {
        return Err(ApiError::Unauthenticated);
    }
    let auth = authority(state)?;
    let person = crate::services::registration::find_own(state, principal, reference).await?;
    let dob = NaiveDate::parse_from_str(dob.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request("CERT0007", "dob must be a date of birth as YYYY-MM-DD")
    })?;
    if dob.year() != person.birth_year {
        return Err(ApiError::bad_request(
            "CERT0007",
            "The date of birth does not match the registered year of birth (request a correction first)",
        ));
    }
    let passport: String = passport.trim().to_uppercase();
    if !(6..=12).contains(&passport.len()) || !passport.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request(
            "CERT0008",
            "passport must be the passport number: 6 to 12 letters and digits",
        ));
    }
    let now = state.clock.now();
    state
        .store
        .set_travel_details(
            person.id,
            Some(dob),
            Some(&passport),
            &format!("citizen:{}", principal.account),
            now.timestamp_millis(),
        )
        .await?;
    let mut issued = 0;
    for cert in live_certificates(state, person.id).await? {
        if cert.kind != CertificateKind::Domestic {
            continue;
        }
        let mut facts = state.store.certificate_facts(cert.vaccination_id).await?;
        facts.name_places(&state.pack);
        let outcome = issue_one(state, auth, &facts, CertificateKind::International, None, now)
            .await
            .map_err(ApiError::Internal)?;
        if outcome == "issued" {
            issued += 1;
        }
    }
    Ok(issued)
}

/// Builds and signs the certificate for one dose.
pub fn sign_certificate(
    state: &AppState,
    auth: &Authority,
    facts: &CertificateFacts,
    kind: CertificateKind,
    now: DateTime<Utc>,
) -> anyhow::Result<NewCertificate> {
    let certificate_id = generate_certificate_id()?;
    let input = certificate_input(&state.pack, auth.settings(), facts, kind, certificate_id, now)?;
    let signer = auth.signer()?;
    let (cred, json) = suite::issue(&input, signer)?;
    Ok(NewCertificate {
        certificate_id: cred.certificate_id().to_owned(),
        vaccination_id: facts.vaccination_id,
        beneficiary_id: facts.beneficiary_id,
        dose: facts.dose,
        kind,
        credential: json,
        key_id: signer.verification_method().to_owned(),
        issued_at_ms: now.timestamp_millis(),
    })
}

/// The credential's input from the stored facts (pure).
pub fn certificate_input(
    pack: &CountryPack,
    settings: &CertificateSettings,
    facts: &CertificateFacts,
    kind: CertificateKind,
    certificate_id: String,
    now: DateTime<Utc>,
) -> anyhow::Result<CertificateInput> {
    let vaccine = pack.vaccine(&facts.vaccine);
    let vaccine_name =
        vaccine.map_or_else(|| facts.vaccine.as_str().to_owned(), |v| v.name.to_uppercase());
    let manufacturer = vaccine.map(|v| v.manufacturer.clone()).unwrap_or_default();
    let total_doses = vaccine.map_or(2, |v| u32::from(v.doses_in_series));
    let dose = u32::from(facts.dose);
    let offset = i64::from(pack.timezone_offset_minutes) * 60_000;
    let date = facts
        .given_at_ms
        .and_then(DateTime::from_timestamp_millis)
        .or_else(|| {
            let midnight = facts.date.and_hms_opt(0, 0, 0)?;
            DateTime::from_timestamp_millis(
                Utc.from_utc_datetime(&midnight).timestamp_millis() - offset,
            )
        })
        .unwrap_or(now);
    // Validity: until the next dose is due, or a year after the last one.
    let until_days = match vaccine {
        Some(v) if dose < total_doses => {
            i64::from(v.max_interval_days.or(v.min_interval_days).unwrap_or(84))
        }
        _ => 365,
    };
    let effective_until = facts.date + chrono::Duration::days(until_days);
    let (icd11_code, prophylaxis) = icd11_for_vaccine(&vaccine_name).unwrap_or(("", ""));
    let version = match kind {
        CertificateKind::Domestic => ContextVersion::Domestic,
        CertificateKind::International => ContextVersion::International,
    };
    let (id_type, id_value) = match (kind, &facts.beneficiary_passport) {
        (CertificateKind::International, Some(passport)) => {
            ("Passport".to_owned(), passport.clone())
        }
        _ => (
            pack.id_type(facts.photo_id_type).map(|t| t.name.clone()).unwrap_or_default(),
            format!("XXXXXXXX{}", facts.photo_id_last4),
        ),
    };
    let issue_year = (now + chrono::Duration::milliseconds(offset)).year();
    let age = u32::try_from(issue_year - facts.birth_year).unwrap_or(0);
    let center_address = AddressInput {
        street_address: facts.center_address.clone().unwrap_or_default(),
        street_address2: String::new(),
        district: facts.district_name.clone().unwrap_or_default(),
        city: facts.block_name.clone().unwrap_or_default(),
        state: facts.state_name.clone().unwrap_or_default(),
        pincode: facts.pincode,
    };
    let home = AddressInput {
        street_address: String::new(),
        street_address2: String::new(),
        district: center_address.district.clone(),
        city: String::new(),
        state: center_address.state.clone(),
        pincode: None,
    };
    let dob = facts
        .beneficiary_dob
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    Ok(CertificateInput {
        certificate_id,
        version,
        issuer: settings.issuer.clone(),
        info_base_url: settings.info_base_url.clone(),
        subject: SubjectInput {
            id_type,
            id_value,
            ref_id: facts.reference_id.clone(),
            uhid: String::new(),
            name: facts.name.clone(),
            gender: pack.gender(facts.gender_id).map(|g| g.name.clone()).unwrap_or_default(),
            age,
            dob,
            nationality: if pack.code == "IN" { "Indian".into() } else { pack.name.clone() },
            address: home,
        },
        vaccination: VaccinationInput {
            batch: facts.batch.clone().unwrap_or_default(),
            vaccine: vaccine_name,
            manufacturer,
            date,
            effective_start: facts.date,
            effective_until,
            dose,
            total_doses,
            verifier_name: facts.vaccinator_name.clone().unwrap_or_default(),
            facility_name: facts.center_name.clone().unwrap_or_default(),
            facility_address: center_address,
            icd11_code: icd11_code.to_owned(),
            prophylaxis: prophylaxis.to_owned(),
        },
        issuance_date: now,
    })
}

/// Runs the certificate job every half second until the process stops.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match process_pending(&state, 200).await {
                    Ok(n) if n >= 200 => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "certificate job could not run");
                        break;
                    }
                }
            }
        }
    })
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// The holder's live certificates for one beneficiary, lowest dose first.
pub async fn live_certificates(
    state: &AppState,
    beneficiary: BeneficiaryId,
) -> ApiResult<Vec<CertificateRecord>> {
    let mut certs: Vec<CertificateRecord> = state
        .store
        .list_certificates(beneficiary)
        .await?
        .into_iter()
        .filter(|c| c.revoked_at_ms.is_none())
        .collect();
    certs.sort_by_key(|c| (c.dose, c.kind == CertificateKind::International));
    Ok(certs)
}

/// Picks the certificate to download: the given dose, else the latest dose (domestic).
pub fn choose(certs: &[CertificateRecord], dose: Option<u8>) -> Option<&CertificateRecord> {
    choose_kind(certs, dose, CertificateKind::Domestic)
}

/// [`choose`] for a kind of certificate.
pub fn choose_kind(
    certs: &[CertificateRecord],
    dose: Option<u8>,
    kind: CertificateKind,
) -> Option<&CertificateRecord> {
    let of_kind = certs.iter().filter(move |c| c.kind == kind);
    match dose {
        Some(d) => of_kind.into_iter().find(|c| c.dose == d),
        None => of_kind.max_by_key(|c| c.dose),
    }
}

/// Renders a stored certificate as its PDF.
pub fn render_pdf(state: &AppState, record: &CertificateRecord) -> ApiResult<Vec<u8>> {
    let settings = state.certificates.as_deref().map(|a| a.settings().clone()).unwrap_or_default();
    let doc = pdf_document(
        &settings,
        &record.credential,
        state.clock.now(),
        state.pack.timezone_offset_minutes,
    )
    .map_err(ApiError::Internal)?;
    tika_pdf::render_certificate(&doc).map_err(|e| ApiError::Internal(e.into()))
}

/// What the PDF shows, read back from the signed credential (so it prints exactly what is
/// signed), plus its QR code.
pub fn pdf_document(
    settings: &CertificateSettings,
    credential_json: &str,
    now: DateTime<Utc>,
    tz_offset_minutes: i32,
) -> anyhow::Result<CertificateDoc> {
    let cred: Credential = serde_json::from_str(credential_json)?;
    let zip = tika_credentials::qr::zip_credential(credential_json)?;
    let code = tika_credentials::qr::qr_code(&zip)?;
    let qr = QrMatrix::from_modules(code.width(), code.dark().to_vec())?;
    let ev = cred.evidence();
    let subject = &cred.credential_subject;
    let offset = chrono::Duration::minutes(i64::from(tz_offset_minutes));
    let dose_date = DateTime::parse_from_rfc3339(&ev.date)
        .map(|d| (d.with_timezone(&Utc) + offset).format("%d-%m-%Y").to_string())
        .unwrap_or_else(|_| ev.effective_start.clone());
    let dose = ev.dose;
    let total = ev.total_doses;
    let kind = PdfKind::for_dose(dose, total);
    let id_number = subject.id.splitn(3, ':').nth(2).unwrap_or_default().to_owned();
    let facility_address =
        [ev.facility.address.street_address.as_str(), ev.facility.address.city.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
    let (age_or_dob, dob_present) = match &subject.dob {
        Some(dob) => (
            NaiveDate::parse_from_str(dob, "%Y-%m-%d")
                .map(|d| d.format("%d-%m-%Y").to_string())
                .unwrap_or_else(|_| dob.clone()),
            true,
        ),
        None => (subject.age.clone(), false),
    };
    let passport = (cred.version() == ContextVersion::International)
        .then(|| subject.id.rsplit(':').next().unwrap_or_default().to_owned());
    Ok(CertificateDoc {
        kind,
        certificate_id: ev.certificate_id.clone(),
        issuer_line: settings.authority.clone(),
        name: subject.name.clone(),
        age_or_dob,
        dob_present,
        gender: subject.gender.clone(),
        id_type: id_type_label(&subject.id),
        id_number,
        uhid: subject.uhid.clone(),
        reference_id: subject.ref_id.clone(),
        passport,
        vaccine: ev.vaccine.clone(),
        prophylaxis: ev.prophylaxis.clone().unwrap_or_default(),
        manufacturer: ev.manufacturer.clone(),
        dose,
        total_doses: total,
        dose_date,
        batch: ev.batch.clone(),
        vaccinator: ev.verifier.name.clone(),
        facility: ev.facility.name.clone(),
        facility_address,
        district: ev.facility.address.district.clone(),
        state: ev.facility.address.address_region.clone(),
        verify_url: settings.verify_url.clone(),
        generated_at: (now + offset).format("%d-%m-%Y %H:%M IST").to_string(),
        qr,
    })
}

/// `did:aadhaarcard:XXXX1234` → `Aadhaar Card`-like label for the PDF.
fn id_type_label(did: &str) -> String {
    let method = did.split(':').nth(1).unwrap_or_default();
    match method.to_ascii_lowercase().as_str() {
        "aadhaarcard" | "aadharcard" => "Aadhaar Card".into(),
        "passport" => "Passport".into(),
        "pancard" => "PAN Card".into(),
        "voteridcard" | "voterid" => "Voter ID".into(),
        "drivinglicense" | "drivinglicence" => "Driving License".into(),
        "india" => "Beneficiary ID".into(),
        other => other.to_owned(),
    }
}

/// The current revocation list, signed; re-signed only when the list changes.
pub async fn revocation_jws(state: &AppState) -> ApiResult<Arc<str>> {
    let auth = authority(state)?;
    let version = state.store.revocation_version().await?;
    if let Some((v, jws)) = auth.revocations.lock().as_ref()
        && *v == version
    {
        return Ok(Arc::clone(jws));
    }
    let revoked = state
        .store
        .list_revocations(0)
        .await?
        .into_iter()
        .map(|r| RevokedEntry {
            certificate_id: r.certificate_id,
            revoked_at: DateTime::from_timestamp_millis(r.revoked_at_ms).unwrap_or_default(),
            reason: r.reason,
        })
        .collect();
    let list = RevocationList {
        kind: RevocationListType,
        issuer: auth.settings().issuer.clone(),
        version: u64::try_from(version).unwrap_or(0),
        issued: state.clock.now(),
        revoked,
    };
    let signer = auth.signer().map_err(ApiError::Internal)?;
    let jws: Arc<str> = tika_credentials::revocation::sign_revocation_list(&list, signer)
        .map_err(|e| ApiError::Internal(e.into()))?
        .into();
    *auth.revocations.lock() = Some((version, Arc::clone(&jws)));
    Ok(jws)
}

/// Result of verifying a presented certificate online.
#[derive(Debug, serde::Serialize)]
pub struct VerifyReport {
    /// `valid`, `invalid` or `revoked`.
    pub status: &'static str,
    /// Why, when not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The certificate ID.
    #[serde(rename = "certificateId", skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
    /// The signed credential, when the signature holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<serde_json::Value>,
}

/// Verifies a scanned payload (ZIP, mangled ZIP or JSON) against our keys and revocations.
pub async fn verify_payload(state: &AppState, payload: &[u8]) -> ApiResult<VerifyReport> {
    let auth = authority(state)?;
    let invalid = |reason: String| VerifyReport {
        status: "invalid",
        reason: Some(reason),
        certificate_id: None,
        credential: None,
    };
    let json = match tika_credentials::qr::decode_payload(payload) {
        Ok(j) => j,
        Err(e) => return Ok(invalid(e.to_string())),
    };
    let verified = match suite::verify(json.as_bytes(), auth.trust()) {
        Ok(v) => v,
        Err(e) => return Ok(invalid(e.to_string())),
    };
    if let tika_credentials::divoc::Binding::Mismatch { fields } = &verified.binding {
        return Ok(VerifyReport {
            status: "invalid",
            reason: Some(format!("fields were swapped after signing ({})", fields.join(", "))),
            certificate_id: verified.certificate_id.clone(),
            credential: None,
        });
    }
    if let Some(id) = &verified.certificate_id {
        match state.store.find_certificate(id).await {
            Ok(rec) if rec.revoked_at_ms.is_some() => {
                return Ok(VerifyReport {
                    status: "revoked",
                    reason: rec.revoke_reason.clone(),
                    certificate_id: Some(id.clone()),
                    credential: Some(verified.credential),
                });
            }
            Ok(_) | Err(StorageError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(VerifyReport {
        status: "valid",
        reason: None,
        certificate_id: verified.certificate_id.clone(),
        credential: Some(verified.credential),
    })
}
