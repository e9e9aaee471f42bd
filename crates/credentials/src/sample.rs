//! Deterministic sample inputs, for examples, tests and `tika bench certs`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};

use crate::divoc::{
    AddressInput, CertificateInput, ContextVersion, SubjectInput, VaccinationInput,
    icd11_for_vaccine,
};

const NAMES: [&str; 6] = ["Sita Devi", "सीता देवी", "Ravi Kumar", "அருண் குமார்", "Mohammed Iqbal", ""];
const VACCINES: [(&str, &str); 3] = [
    ("COVISHIELD", "Serum Institute of India"),
    ("COVAXIN", "Bharat Biotech"),
    ("CORBEVAX", "Biological E"),
];

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).single().unwrap_or(DateTime::UNIX_EPOCH)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The `n`-th sample certificate input (varied names, scripts, vaccines,
/// doses, PIN codes). `n` also makes the certificate ID.
#[must_use]
pub fn sample_input(version: ContextVersion, n: u64) -> CertificateInput {
    let idx = usize::try_from(n % 6).unwrap_or(0);
    let (vaccine, manufacturer) = VACCINES[idx % 3];
    let (icd, proph) = icd11_for_vaccine(vaccine).unwrap_or(("", ""));
    let when = base_time() + Duration::minutes(i64::try_from(n % 100_000).unwrap_or(0));
    let dose = u32::try_from(n % 3).unwrap_or(0) + 1;
    let (id_type, id_value) = match version {
        ContextVersion::Domestic => ("Aadhaar Card", format!("XXXXXXXX{:04}", n % 10_000)),
        ContextVersion::International => ("Passport", format!("Z{:07}", n % 10_000_000)),
    };
    CertificateInput {
        certificate_id: format!("{}", 10_000_000_000 + n % 90_000_000_000),
        version,
        issuer: "https://tika.example.in/".to_owned(),
        info_base_url: "https://verify.tika.example.in/".to_owned(),
        subject: SubjectInput {
            id_type: id_type.to_owned(),
            id_value,
            ref_id: format!("{:014}", 12_345_678_000_000 + n),
            uhid: String::new(),
            name: NAMES[idx].to_owned(),
            gender: if n.is_multiple_of(2) { "Female" } else { "Male" }.to_owned(),
            age: 18 + u32::try_from(n % 70).unwrap_or(0),
            dob: Some(date(1990, 2, 3)),
            nationality: "Indian".to_owned(),
            address: AddressInput {
                street_address: String::new(),
                street_address2: String::new(),
                district: "Pune".to_owned(),
                city: String::new(),
                state: "Maharashtra".to_owned(),
                pincode: if n.is_multiple_of(4) { None } else { Some(411_001) },
            },
        },
        vaccination: VaccinationInput {
            batch: format!("4121Z{:03}", n % 1000),
            vaccine: vaccine.to_owned(),
            manufacturer: manufacturer.to_owned(),
            date: when,
            effective_start: when.date_naive(),
            effective_until: when.date_naive() + Duration::days(90),
            dose,
            total_doses: 2,
            verifier_name: "Nurse A".to_owned(),
            facility_name: "PHC Aundh".to_owned(),
            facility_address: AddressInput {
                street_address: "1 Main Rd".to_owned(),
                street_address2: String::new(),
                district: "Pune".to_owned(),
                city: "Pune".to_owned(),
                state: "Maharashtra".to_owned(),
                pincode: Some(411_007),
            },
            icd11_code: icd.to_owned(),
            prophylaxis: proph.to_owned(),
        },
        issuance_date: when + Duration::minutes(5),
    }
}
