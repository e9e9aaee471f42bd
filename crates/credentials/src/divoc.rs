//! The DIVOC/CoWIN vaccination credential: typed model, builder, binding.
//!
//! [`Credential`] mirrors the JSON that DIVOC emits (spec §1.1/§1.2) field for
//! field, in the same member order and with the same JSON types (`age` is a
//! string, `dose` a number, `postalCode` a number or `""`, `nonTransferable`
//! the string `"true"`). Every struct denies unknown fields, and the fixed
//! values (`@context`, the `type` arrays, `"Person"`, `"assertionMethod"`) are
//! unit types that only accept their exact value, so a document that parses
//! into [`Credential`] has exactly the RDF that [`crate::canon::template_quads`]
//! generates. That is what makes the verification fast path sound.
//!
//! The builder ([`build`]) turns a [`CertificateInput`] into a credential the
//! way DIVOC's `certifyV2`/`certifyV3` do, and adds Tika's swap-detection
//! binding to `infoUrl` (see [`Binding`]).

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contexts;

/// Which vaccination context a credential uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContextVersion {
    /// `…/vaccination/v1`: the domestic certificate (CoWIN `certifyV2`).
    Domestic,
    /// `…/vaccination/v2`: the international certificate with `dob`,
    /// `icd11Code` and `prophylaxis` (CoWIN `certifyV3`).
    International,
}

impl ContextVersion {
    /// The vaccination context URL Tika emits for this version.
    #[must_use]
    pub fn context_url(self) -> &'static str {
        match self {
            Self::Domestic => contexts::VACCINATION_V1,
            Self::International => contexts::VACCINATION_V2,
        }
    }

    /// `addressCountry` as DIVOC fills it for this version.
    #[must_use]
    pub fn address_country(self) -> &'static str {
        match self {
            Self::Domestic => "IN",
            Self::International => "IND",
        }
    }
}

/// The `@context` array: credentials v1 then one vaccination context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LdContext {
    /// The version the vaccination context URL stands for.
    pub version: ContextVersion,
    /// The vaccination context URL as written (the DIVOC generic URL is
    /// accepted as v1).
    pub url: &'static str,
}

impl LdContext {
    /// The context Tika emits for `version`.
    #[must_use]
    pub fn for_version(version: ContextVersion) -> Self {
        Self { version, url: version.context_url() }
    }
}

impl Serialize for LdContext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(contexts::CREDENTIALS_V1)?;
        seq.serialize_element(self.url)?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for LdContext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let [first, second] = <[String; 2]>::deserialize(d)?;
        if first != contexts::CREDENTIALS_V1 {
            return Err(de::Error::custom("first @context must be credentials v1"));
        }
        let (version, url) = match second.as_str() {
            contexts::VACCINATION_V1 => (ContextVersion::Domestic, contexts::VACCINATION_V1),
            contexts::DIVOC_VACCINATION_V1 => {
                (ContextVersion::Domestic, contexts::DIVOC_VACCINATION_V1)
            }
            contexts::VACCINATION_V2 => (ContextVersion::International, contexts::VACCINATION_V2),
            _ => return Err(de::Error::custom("unknown vaccination context")),
        };
        Ok(Self { version, url })
    }
}

/// Declares a unit type that (de)serializes as one exact JSON value.
macro_rules! fixed_value {
    ($(#[$m:meta])* $name:ident, str $value:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($value)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = String::deserialize(d)?;
                if v == $value {
                    Ok($name)
                } else {
                    Err(de::Error::custom(concat!("expected \"", $value, "\"")))
                }
            }
        }
    };
    ($(#[$m:meta])* $name:ident, list [$($value:literal),+]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let values: &[&str] = &[$($value),+];
                values.serialize(s)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Vec::<String>::deserialize(d)?;
                let expected: &[&str] = &[$($value),+];
                if v.iter().map(String::as_str).eq(expected.iter().copied()) {
                    Ok($name)
                } else {
                    Err(de::Error::custom(concat!("expected ", stringify!([$($value),+]))))
                }
            }
        }
    };
}

fixed_value!(
    /// `["VerifiableCredential", "ProofOfVaccinationCredential"]`.
    CredentialTypes, list ["VerifiableCredential", "ProofOfVaccinationCredential"]
);
fixed_value!(
    /// `["Vaccination"]`.
    VaccinationTypes, list ["Vaccination"]
);
fixed_value!(
    /// `"Person"`.
    PersonType, str "Person"
);
fixed_value!(
    /// `"true"` (a string, as DIVOC emits it).
    NonTransferable, str "true"
);
fixed_value!(
    /// `"assertionMethod"`.
    AssertionMethod, str "assertionMethod"
);

/// `postalCode`: a JSON number, or `""` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostalCode {
    /// A numeric PIN code (canonicalizes as `xsd:integer`).
    Number(u32),
    /// `""`.
    Empty,
}

impl Serialize for PostalCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => s.serialize_u32(*n),
            Self::Empty => s.serialize_str(""),
        }
    }
}

impl<'de> Deserialize<'de> for PostalCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PostalCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer or \"\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PostalCode, E> {
                u32::try_from(v)
                    .map(PostalCode::Number)
                    .map_err(|_| E::custom("postalCode too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PostalCode, E> {
                if v.is_empty() {
                    Ok(PostalCode::Empty)
                } else {
                    Err(E::custom("postalCode string must be empty"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A postal address as DIVOC emits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Address {
    /// `schema:streetAddress`.
    pub street_address: String,
    /// `vac:addressLine2`.
    pub street_address2: String,
    /// `vac:district`.
    pub district: String,
    /// `vac:city`.
    pub city: String,
    /// `schema:addressRegion` (the state).
    pub address_region: String,
    /// `"IN"` (v1) or `"IND"` (v2).
    pub address_country: String,
    /// `schema:postalCode`.
    pub postal_code: PostalCode,
}

/// `credentialSubject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subject {
    /// Always `"Person"`.
    #[serde(rename = "type")]
    pub kind: PersonType,
    /// The subject IRI (`did:…`).
    pub id: String,
    /// Beneficiary reference ID.
    pub ref_id: String,
    /// Full name.
    pub name: String,
    /// Unique health ID (usually `""`).
    pub uhid: String,
    /// Gender as registered.
    pub gender: String,
    /// Age in years, as a string.
    pub age: String,
    /// Nationality.
    pub nationality: String,
    /// Residential address.
    pub address: Address,
    /// Date of birth `YYYY-MM-DD` (v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
}

/// `evidence[0].verifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierInfo {
    /// The vaccinator's name.
    pub name: String,
}

/// `evidence[0].facility`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    /// Facility name.
    pub name: String,
    /// Facility address.
    pub address: Address,
}

/// `evidence[0]`: the vaccination event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Evidence {
    /// `<issuer>vaccine/<certificateId>`.
    pub id: String,
    /// `<info_base>?<certificateId>`.
    pub feedback_url: String,
    /// `<info_base>?<certificateId>&b=<binding>` for Tika certificates.
    pub info_url: String,
    /// 11-digit certificate number.
    pub certificate_id: String,
    /// Always `["Vaccination"]`.
    #[serde(rename = "type")]
    pub kind: VaccinationTypes,
    /// Batch / lot number.
    pub batch: String,
    /// Vaccine name as DIVOC writes it (`COVISHIELD`).
    pub vaccine: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Vaccination time, JS `toISOString()`.
    pub date: String,
    /// `YYYY-MM-DD`.
    pub effective_start: String,
    /// `YYYY-MM-DD`.
    pub effective_until: String,
    /// Dose number.
    pub dose: u32,
    /// Doses in the schedule.
    pub total_doses: u32,
    /// The vaccinator.
    pub verifier: VerifierInfo,
    /// Where the dose was given.
    pub facility: Facility,
    /// ICD-11 code (v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icd11_code: Option<String>,
    /// ICD-11 term (v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prophylaxis: Option<String>,
}

/// The linked-data proof suites this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProofType {
    /// Ed25519, JWS `EdDSA` (Tika's issuer; DIVOC generic).
    Ed25519Signature2018,
    /// RSA-PSS, JWS `PS256` (real CoWIN certificates; verify only).
    RsaSignature2018,
}

impl ProofType {
    /// The suite's name as written in `proof.type`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519Signature2018 => "Ed25519Signature2018",
            Self::RsaSignature2018 => "RsaSignature2018",
        }
    }
}

/// `proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proof {
    /// Suite.
    #[serde(rename = "type")]
    pub kind: ProofType,
    /// `YYYY-MM-DDTHH:MM:SSZ` (no milliseconds).
    pub created: String,
    /// Key ID: `<did>#<kid>` for Tika, `did:india` for CoWIN.
    pub verification_method: String,
    /// Always `"assertionMethod"`.
    pub proof_purpose: AssertionMethod,
    /// Detached JWS.
    pub jws: String,
}

/// A DIVOC/CoWIN vaccination credential (signed when `proof` is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credential {
    /// `@context`.
    #[serde(rename = "@context")]
    pub context: LdContext,
    /// Always `["VerifiableCredential", "ProofOfVaccinationCredential"]`.
    #[serde(rename = "type")]
    pub kind: CredentialTypes,
    /// The vaccinated person.
    pub credential_subject: Subject,
    /// Issuer URL (also the key controller).
    pub issuer: String,
    /// JS `toISOString()` of the signing time.
    pub issuance_date: String,
    /// Exactly one vaccination event.
    pub evidence: [Evidence; 1],
    /// Always `"true"`.
    pub non_transferable: NonTransferable,
    /// The proof, once signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

impl Credential {
    /// The vaccination context version.
    #[must_use]
    pub fn version(&self) -> ContextVersion {
        self.context.version
    }

    /// The (only) vaccination event.
    #[must_use]
    pub fn evidence(&self) -> &Evidence {
        let [e] = &self.evidence;
        e
    }

    /// Mutable access to the vaccination event.
    pub fn evidence_mut(&mut self) -> &mut Evidence {
        let [e] = &mut self.evidence;
        e
    }

    /// The certificate number.
    #[must_use]
    pub fn certificate_id(&self) -> &str {
        &self.evidence().certificate_id
    }

    /// Compact JSON, members in DIVOC's order.
    ///
    /// # Errors
    /// Only if serialization fails, which the model's types rule out.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Whether every value the template canonicalization relies on is in the
    /// range where it provably equals the JSON-LD processor's output: the
    /// version-specific terms only under v2, node IDs absolute IRIs of a
    /// scheme no context defines as a prefix, no control characters.
    /// Documents failing this are verified through the general path.
    #[must_use]
    pub fn fits_template(&self) -> bool {
        let s = &self.credential_subject;
        let e = self.evidence();
        let v2 = self.version() == ContextVersion::International;
        if !v2 && (s.dob.is_some() || e.icd11_code.is_some() || e.prophylaxis.is_some()) {
            return false;
        }
        let iris_ok =
            [s.id.as_str(), self.issuer.as_str(), e.id.as_str()].into_iter().all(template_safe_iri);
        let proof_ok = self
            .proof
            .as_ref()
            .is_none_or(|p| template_safe_iri(&p.verification_method) && !has_control(&p.created));
        iris_ok && proof_ok && self.all_strings(|v| !has_control(v))
    }

    /// Calls `f` on every string value of the document (without `proof`).
    fn all_strings(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        let s = &self.credential_subject;
        let e = self.evidence();
        let addr = |a: &Address, f: &mut dyn FnMut(&str) -> bool| {
            [
                &a.street_address,
                &a.street_address2,
                &a.district,
                &a.city,
                &a.address_region,
                &a.address_country,
            ]
            .into_iter()
            .all(|v| f(v))
        };
        let plain = [
            &s.id,
            &s.ref_id,
            &s.name,
            &s.uhid,
            &s.gender,
            &s.age,
            &s.nationality,
            &self.issuer,
            &self.issuance_date,
            &e.id,
            &e.feedback_url,
            &e.info_url,
            &e.certificate_id,
            &e.batch,
            &e.vaccine,
            &e.manufacturer,
            &e.date,
            &e.effective_start,
            &e.effective_until,
            &e.verifier.name,
            &e.facility.name,
        ]
        .into_iter()
        .chain(s.dob.as_ref())
        .chain(e.icd11_code.as_ref())
        .chain(e.prophylaxis.as_ref())
        .all(|v| f(v));
        plain && addr(&s.address, &mut f) && addr(&e.facility.address, &mut f)
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// An absolute IRI whose scheme is not a term of any vaccination/credentials
/// context (so JSON-LD cannot read it as a compact IRI).
pub(crate) fn template_safe_iri(s: &str) -> bool {
    let scheme_ok = ["did:", "https:", "http:", "urn:"].iter().any(|p| s.starts_with(p));
    scheme_ok && json_ld::Iri::new(s).is_ok()
}

// ---------------------------------------------------------------------------
// Builder input
// ---------------------------------------------------------------------------

/// An address as the caller knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    /// First address line.
    pub street_address: String,
    /// Second address line.
    pub street_address2: String,
    /// District.
    pub district: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// PIN code; `None` emits `""`.
    pub pincode: Option<u32>,
}

/// The vaccinated person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectInput {
    /// ID document type, e.g. `"Aadhaar Card"`, `"Passport"`.
    pub id_type: String,
    /// ID number as printed: masked (`XXXXXXXX1234`) for domestic
    /// certificates, the full passport number for international ones.
    pub id_value: String,
    /// 14-digit beneficiary reference ID.
    pub ref_id: String,
    /// Unique health ID, usually empty.
    pub uhid: String,
    /// Name.
    pub name: String,
    /// Gender.
    pub gender: String,
    /// Age in years.
    pub age: u32,
    /// Date of birth (emitted under v2 only).
    pub dob: Option<NaiveDate>,
    /// Nationality.
    pub nationality: String,
    /// Residential address.
    pub address: AddressInput,
}

/// The dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaccinationInput {
    /// Batch number.
    pub batch: String,
    /// Vaccine name as DIVOC writes it, e.g. `"COVISHIELD"`.
    pub vaccine: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// When the dose was given.
    pub date: DateTime<Utc>,
    /// Start of validity.
    pub effective_start: NaiveDate,
    /// End of validity.
    pub effective_until: NaiveDate,
    /// Dose number (may exceed `total_doses` for a precaution dose).
    pub dose: u32,
    /// Doses in the schedule.
    pub total_doses: u32,
    /// Vaccinator's name.
    pub verifier_name: String,
    /// Facility name.
    pub facility_name: String,
    /// Facility address.
    pub facility_address: AddressInput,
    /// ICD-11 code (v2 only); see [`icd11_for_vaccine`].
    pub icd11_code: String,
    /// ICD-11 term (v2 only).
    pub prophylaxis: String,
}

/// Everything needed to build one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    /// 11 digits, see [`generate_certificate_id`].
    pub certificate_id: String,
    /// Domestic (v1) or international (v2).
    pub version: ContextVersion,
    /// Issuer URL, ending in `/` (e.g. `https://cowin.gov.in/`).
    pub issuer: String,
    /// Base of `feedbackUrl`/`infoUrl` (e.g. `https://cowin.gov.in/`).
    pub info_base_url: String,
    /// The vaccinated person.
    pub subject: SubjectInput,
    /// The dose.
    pub vaccination: VaccinationInput,
    /// Signing time (becomes `issuanceDate`).
    pub issuance_date: DateTime<Utc>,
}

/// Why a certificate could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The certificate ID is not 11 digits.
    #[error("certificate id must be 11 digits, got {0:?}")]
    CertificateId(String),
    /// The issuer or info base URL is not an absolute `http(s)` IRI.
    #[error("{field} must be an absolute http(s) URL: {value:?}")]
    Url {
        /// Which input.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// The subject ID does not form a valid IRI.
    #[error("credentialSubject.id {0:?} is not a valid IRI")]
    SubjectId(String),
    /// A text value contains a control character (these canonicalize
    /// differently between JSON-LD implementations).
    #[error("{0} contains a control character")]
    ControlCharacter(&'static str),
    /// A date outside years 1000..=9999 (JS `toISOString` changes format).
    #[error("{0} is out of range")]
    DateOutOfRange(&'static str),
    /// An international certificate needs a date of birth.
    #[error("an international (v2) certificate needs a date of birth")]
    MissingDob,
}

/// JS `Date.prototype.toISOString()` form: milliseconds and `Z`.
#[must_use]
pub fn js_iso_string(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `proof.created` form: seconds and `Z`, no fraction.
#[must_use]
pub fn proof_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Normalizes the subject ID as DIVOC does (spec §1.2).
///
/// * empty, `NA` or one-character values → `did:india:<refId>`;
/// * no ID type → `did:india:<value>`;
/// * otherwise `did:<type>:<value>`, where the type loses its whitespace and,
///   for the domestic certificate, is lowercased (`did:aadhaarcard:XXXX1234`);
///   the international certificate keeps its case (`did:Passport:Z1234567`)
///   as in CoWIN's v2 example.
///
/// A value that is already a URI (`did:…`) is kept.
#[must_use]
pub fn subject_did(version: ContextVersion, id_type: &str, id_value: &str, ref_id: &str) -> String {
    let value = id_value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("NA") || value.chars().count() == 1 {
        return format!("did:india:{ref_id}");
    }
    if value.starts_with("did:") {
        return value.to_owned();
    }
    let method: String = id_type.chars().filter(|c| !c.is_whitespace()).collect();
    if method.is_empty() {
        return format!("did:india:{value}");
    }
    let method = match version {
        ContextVersion::Domestic => method.to_lowercase(),
        ContextVersion::International => method,
    };
    format!("did:{method}:{value}")
}

/// ICD-11 code and term for a vaccine name, as CoWIN maps them (spec §1.2).
#[must_use]
pub fn icd11_for_vaccine(vaccine: &str) -> Option<(&'static str, &'static str)> {
    let v = vaccine.to_ascii_lowercase();
    let table: [(&str, &str, &str); 10] = [
        ("covaxin", "XM1NL1", "COVID-19 vaccine, inactivated virus"),
        ("covishield", "XM9QW8", "COVID-19 vaccine, non-replicating viral vector"),
        ("sputnik", "XM9QW8", "COVID-19 vaccine, non-replicating viral vector"),
        ("zycov", "XM6AT1", "COVID-19 vaccine, DNA based"),
        ("covovax", "XM5JC5", "COVID-19 vaccine, virus protein subunit"),
        ("corbevax", "XM5JC5", "COVID-19 vaccine, virus protein subunit"),
        ("novavax", "XM5JC5", "COVID-19 vaccine, virus protein subunit"),
        ("nuvaxovid", "XM5JC5", "COVID-19 vaccine, virus protein subunit"),
        ("spikevax", "XM0GQ8", "COVID-19 vaccine, RNA based"),
        ("moderna", "XM0GQ8", "COVID-19 vaccine, RNA based"),
    ];
    table.iter().find(|(k, _, _)| v.contains(k)).map(|(_, code, term)| (*code, *term))
}

fn address(a: &AddressInput, version: ContextVersion) -> Address {
    Address {
        street_address: a.street_address.clone(),
        street_address2: a.street_address2.clone(),
        district: a.district.clone(),
        city: a.city.clone(),
        address_region: a.state.clone(),
        address_country: version.address_country().to_owned(),
        postal_code: a.pincode.map_or(PostalCode::Empty, PostalCode::Number),
    }
}

fn check_year(field: &'static str, year: i32) -> Result<(), BuildError> {
    if (1000..=9999).contains(&year) { Ok(()) } else { Err(BuildError::DateOutOfRange(field)) }
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && json_ld::Iri::new(s).is_ok()
}

/// Builds the unsigned credential, with the swap-detection binding in
/// `infoUrl`.
///
/// # Errors
/// [`BuildError`] for an input that would not canonicalize the same in every
/// verifier (bad IDs, URLs, control characters, dates out of range).
pub fn build(input: &CertificateInput) -> Result<Credential, BuildError> {
    let id = &input.certificate_id;
    if id.len() != 11 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BuildError::CertificateId(id.clone()));
    }
    for (field, value) in [("issuer", &input.issuer), ("info_base_url", &input.info_base_url)] {
        if !is_http_url(value) || value.contains('?') || value.contains('#') {
            return Err(BuildError::Url { field, value: value.clone() });
        }
    }
    let version = input.version;
    let s = &input.subject;
    let v = &input.vaccination;
    check_year("issuance_date", input.issuance_date.year())?;
    check_year("vaccination.date", v.date.year())?;
    check_year("effective_start", v.effective_start.year())?;
    check_year("effective_until", v.effective_until.year())?;
    let dob = match version {
        ContextVersion::Domestic => None,
        ContextVersion::International => {
            let dob = s.dob.ok_or(BuildError::MissingDob)?;
            check_year("dob", dob.year())?;
            Some(dob.format("%Y-%m-%d").to_string())
        }
    };
    let subject_id = subject_did(version, &s.id_type, &s.id_value, &s.ref_id);
    if !template_safe_iri(&subject_id) {
        return Err(BuildError::SubjectId(subject_id));
    }
    let (icd11_code, prophylaxis) = match version {
        ContextVersion::Domestic => (None, None),
        ContextVersion::International => (Some(v.icd11_code.clone()), Some(v.prophylaxis.clone())),
    };
    let feedback_url = format!("{}?{}", input.info_base_url, id);
    let mut cred = Credential {
        context: LdContext::for_version(version),
        kind: CredentialTypes,
        credential_subject: Subject {
            kind: PersonType,
            id: subject_id,
            ref_id: s.ref_id.clone(),
            name: s.name.clone(),
            uhid: s.uhid.clone(),
            gender: s.gender.clone(),
            age: s.age.to_string(),
            nationality: s.nationality.clone(),
            address: address(&s.address, version),
            dob,
        },
        issuer: input.issuer.clone(),
        issuance_date: js_iso_string(input.issuance_date),
        evidence: [Evidence {
            id: format!("{}vaccine/{}", input.issuer, id),
            feedback_url: feedback_url.clone(),
            info_url: String::new(),
            certificate_id: id.clone(),
            kind: VaccinationTypes,
            batch: v.batch.clone(),
            vaccine: v.vaccine.clone(),
            manufacturer: v.manufacturer.clone(),
            date: js_iso_string(v.date),
            effective_start: v.effective_start.format("%Y-%m-%d").to_string(),
            effective_until: v.effective_until.format("%Y-%m-%d").to_string(),
            dose: v.dose,
            total_doses: v.total_doses,
            verifier: VerifierInfo { name: v.verifier_name.clone() },
            facility: Facility {
                name: v.facility_name.clone(),
                address: address(&v.facility_address, version),
            },
            icd11_code,
            prophylaxis,
        }],
        non_transferable: NonTransferable,
        proof: None,
    };
    let tag = binding_tag(&BoundFields::of(&cred));
    cred.evidence_mut().info_url = format!("{feedback_url}&b={tag}");
    if !cred.all_strings(|v| !has_control(v)) {
        return Err(BuildError::ControlCharacter("a text field"));
    }
    Ok(cred)
}

// ---------------------------------------------------------------------------
// Swap-detection binding
// ---------------------------------------------------------------------------

/// Result of checking Tika's second binding (spec §1.9).
///
/// Values that share an RDF predicate (`dose`/`totalDoses`;
/// `certificateId`/`batch`/`vaccine`/`manufacturer`; `date`/`effectiveStart`/
/// `effectiveUntil`; `refId`/`uhid`) can be swapped without breaking the LD
/// signature. Tika's `infoUrl` carries `&b=<tag>`, a hash over those values in
/// a fixed order; being signed as a distinct `schema:url` value, it pins the
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// The tag matches the fields as they are.
    Intact,
    /// The tag does not match: the listed fields were swapped (when a
    /// permutation of the groups explains the tag), or every bound field when
    /// none does.
    Mismatch {
        /// JSON names of the fields whose values are not where the issuer put
        /// them.
        fields: Vec<&'static str>,
    },
    /// No tag (a foreign certificate, or not our credential shape).
    Absent,
}

/// The values the binding covers, in their fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BoundFields<'a> {
    ids: [&'a str; 4],    // certificateId, batch, vaccine, manufacturer
    dates: [&'a str; 3],  // date, effectiveStart, effectiveUntil
    doses: [u32; 2],      // dose, totalDoses
    person: [&'a str; 2], // refId, uhid
}

const ID_NAMES: [&str; 4] = ["certificateId", "batch", "vaccine", "manufacturer"];
const DATE_NAMES: [&str; 3] = ["date", "effectiveStart", "effectiveUntil"];
const DOSE_NAMES: [&str; 2] = ["dose", "totalDoses"];
const PERSON_NAMES: [&str; 2] = ["refId", "uhid"];

impl<'a> BoundFields<'a> {
    fn of(c: &'a Credential) -> Self {
        let e = c.evidence();
        let s = &c.credential_subject;
        Self {
            ids: [&e.certificate_id, &e.batch, &e.vaccine, &e.manufacturer],
            dates: [&e.date, &e.effective_start, &e.effective_until],
            doses: [e.dose, e.total_doses],
            person: [&s.ref_id, &s.uhid],
        }
    }
}

/// `base64url(SHA-256(canonical string))[..22]`; the canonical string is the
/// compact JSON array `["tika-binding-v1", <ids…>, <dates…>, <doses…>,
/// <person…>]`, unambiguous whatever the values contain.
fn binding_tag(f: &BoundFields<'_>) -> String {
    let canonical = serde_json::json!([
        "tika-binding-v1",
        f.ids[0],
        f.ids[1],
        f.ids[2],
        f.ids[3],
        f.dates[0],
        f.dates[1],
        f.dates[2],
        f.doses[0],
        f.doses[1],
        f.person[0],
        f.person[1],
    ])
    .to_string();
    let digest = Sha256::digest(canonical.as_bytes());
    let mut tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    tag.truncate(22);
    tag
}

fn permutations<const N: usize>() -> Vec<[usize; N]> {
    fn rec<const N: usize>(cur: &mut Vec<usize>, out: &mut Vec<[usize; N]>) {
        if cur.len() == N {
            let mut a = [0; N];
            a.copy_from_slice(cur);
            out.push(a);
            return;
        }
        for i in 0..N {
            if !cur.contains(&i) {
                cur.push(i);
                rec(cur, out);
                cur.pop();
            }
        }
    }
    let mut out = Vec::new();
    rec::<N>(&mut Vec::new(), &mut out);
    out
}

/// Extracts the binding tag from whichever of `infoUrl`/`feedbackUrl`
/// carries one (they share `schema:url`, so they can be swapped too).
fn find_tag(c: &Credential) -> Option<&str> {
    let e = c.evidence();
    let is_tag = |t: &str| {
        t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    [&e.info_url, &e.feedback_url]
        .into_iter()
        .filter(|u| u.contains('?'))
        .find_map(|u| u.rsplit_once("&b=").map(|(_, t)| t).filter(|t| is_tag(t)))
}

/// Checks the binding of a (typed) credential.
#[must_use]
pub fn check_binding(c: &Credential) -> Binding {
    let Some(tag) = find_tag(c) else {
        return Binding::Absent;
    };
    let now = BoundFields::of(c);
    if binding_tag(&now) == tag {
        return Binding::Intact;
    }
    // Find the arrangement the issuer signed: at most 24·6·2·2 = 576 hashes.
    for pi in permutations::<4>() {
        for pd in permutations::<3>() {
            for px in permutations::<2>() {
                for pp in permutations::<2>() {
                    let cand = BoundFields {
                        ids: pi.map(|i| now.ids[i]),
                        dates: pd.map(|i| now.dates[i]),
                        doses: px.map(|i| now.doses[i]),
                        person: pp.map(|i| now.person[i]),
                    };
                    if binding_tag(&cand) == tag {
                        let mut fields = Vec::new();
                        diff_names(&now.ids, &cand.ids, &ID_NAMES, &mut fields);
                        diff_names(&now.dates, &cand.dates, &DATE_NAMES, &mut fields);
                        diff_names(&now.doses, &cand.doses, &DOSE_NAMES, &mut fields);
                        diff_names(&now.person, &cand.person, &PERSON_NAMES, &mut fields);
                        return Binding::Mismatch { fields };
                    }
                }
            }
        }
    }
    let fields = ID_NAMES
        .iter()
        .chain(&DATE_NAMES)
        .chain(&DOSE_NAMES)
        .chain(&PERSON_NAMES)
        .copied()
        .collect();
    Binding::Mismatch { fields }
}

fn diff_names<T: PartialEq>(a: &[T], b: &[T], names: &[&'static str], out: &mut Vec<&'static str>) {
    for ((x, y), n) in a.iter().zip(b).zip(names) {
        if x != y {
            out.push(n);
        }
    }
}

/// A random certificate ID: 11 decimal digits, uniform in `[10^10, 10^11)`.
///
/// # Errors
/// If the operating system's random source fails.
pub fn generate_certificate_id() -> Result<String, getrandom::Error> {
    const LOW: u64 = 10_000_000_000;
    const SPAN: u64 = 90_000_000_000;
    // Rejection sampling keeps the distribution uniform.
    let zone = u64::MAX - (u64::MAX % SPAN);
    loop {
        let r = getrandom::u64()?;
        if r < zone {
            return Ok((LOW + r % SPAN).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_normalization() {
        use ContextVersion::*;
        assert_eq!(
            subject_did(Domestic, "Aadhaar Card", "XXXX1234", "1"),
            "did:aadhaarcard:XXXX1234"
        );
        assert_eq!(
            subject_did(International, "Passport", "Z1234567", "1"),
            "did:Passport:Z1234567"
        );
        assert_eq!(
            subject_did(Domestic, "PAN", "NA", "12345678901234"),
            "did:india:12345678901234"
        );
        assert_eq!(subject_did(Domestic, "PAN", "", "12345678901234"), "did:india:12345678901234");
        assert_eq!(subject_did(Domestic, "", "ABC12", "1"), "did:india:ABC12");
    }

    #[test]
    fn certificate_ids() {
        for _ in 0..100 {
            let id = generate_certificate_id().unwrap();
            assert_eq!(id.len(), 11);
            assert!(!id.starts_with('0'));
        }
    }

    #[test]
    fn permutation_counts() {
        assert_eq!(permutations::<4>().len(), 24);
        assert_eq!(permutations::<3>().len(), 6);
        assert_eq!(permutations::<2>().len(), 2);
    }

    #[test]
    fn time_formats() {
        let t = DateTime::parse_from_rfc3339("2021-06-01T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(js_iso_string(t), "2021-06-01T10:00:00.000Z");
        assert_eq!(proof_time(t), "2021-06-01T10:00:00Z");
    }
}
