//! The demo vaccination site: one facility with a session today, staff who can log in to the
//! site app, batches issued to it, and people booked into the session (a few for their second
//! dose), so the vaccinator app has a real list to work with.
//!
//! Idempotent: if the demo vaccinator exists, nothing is added again.

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tika_domain::beneficiary::verhoeff_digit;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, SessionId, StaffId,
    VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::SecurityCode;
use tika_domain::staff::{StaffRole, Username};
use tika_domain::vaccine::DoseNumber;
use tika_server::keys::Keys;
use tika_storage::{
    Batch, BookingMember, DynStore, NewBeneficiaryRecord, NewBooking, NewSession, NewStaff,
    Session, StorageError, Vaccination,
};

/// The demo logins (printed at start-up; test mode only ever).
pub(crate) const VACCINATOR: (&str, &str) = ("demo.vaccinator", "tika-demo-vaccinator");
/// The demo facility admin.
pub(crate) const ADMIN: (&str, &str) = ("demo.admin", "tika-demo-admin");

/// What was set up.
pub(crate) struct DemoSite {
    /// The facility.
    pub(crate) center: CenterId,
    /// Today's session there.
    pub(crate) session: SessionId,
    /// People booked.
    pub(crate) booked: usize,
}

const SITE_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x7a1c_0d1e_5173_4000_8000_0000_0000_0500);

const FIRST: &[&str] = &[
    "Asha",
    "Ravi",
    "Sunita",
    "Arjun",
    "Meena",
    "Imran",
    "Lakshmi",
    "Vikram",
    "Fatima",
    "Suresh",
    "Kavita",
    "Joseph",
    "Pooja",
    "Harpreet",
    "Anil",
    "Geeta",
    "रमेश",
    "सीता",
    "मोहन",
    "राधा",
];
const LAST: &[&str] = &[
    "Devi",
    "Kumar",
    "Sharma",
    "Patel",
    "Singh",
    "Khan",
    "Reddy",
    "Nair",
    "Das",
    "Yadav",
    "Iyer",
    "Gupta",
    "कुमारी",
    "प्रसाद",
    "वर्मा",
];

fn aadhaar(rng: &mut StdRng) -> String {
    let body: String = (0..11)
        .map(|i| if i == 0 { rng.random_range(2..=9) } else { rng.random_range(0..=9) })
        .map(|d: u8| char::from(b'0' + d))
        .collect();
    let check = verhoeff_digit(&body).unwrap_or(0);
    format!("{body}{check}")
}

/// Picks today's adult two-dose session with the most first-dose seats and fills it.
pub(crate) async fn load(
    store: &DynStore,
    pack: &tika_domain::country::CountryPack,
    keys: &Keys,
    today: NaiveDate,
    now_ms: i64,
    bookings: usize,
) -> anyhow::Result<Option<DemoSite>> {
    let vaccinator = Username::parse(VACCINATOR.0)?;
    match store.find_staff_by_username(&vaccinator).await {
        Ok(existing) => {
            // Already set up on an earlier start: report the site it was set up at.
            let center = existing.center_id;
            let today_sessions = store.list_center_sessions(center, today).await?;
            let Some(session) =
                today_sessions.iter().max_by_key(|s| s.booked_dose1 + s.booked_dose2)
            else {
                return Ok(None);
            };
            let booked = store.session_roster(session.id).await?.len();
            return Ok(Some(DemoSite { center, session: session.id, booked }));
        }
        Err(StorageError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let sessions: Vec<Session> = store
        .list_sessions(today, today)
        .await?
        .into_iter()
        .filter(|s| {
            s.ages.min == 18
                && s.ages.max.is_none()
                && matches!(s.vaccine.as_str(), "COVISHIELD" | "COVAXIN")
        })
        .collect();
    let Some(largest) =
        sessions.iter().max_by_key(|s| (s.capacity_dose1, std::cmp::Reverse(s.center_id))).cloned()
    else {
        return Ok(None);
    };
    let session = if largest.available(DoseNumber::FIRST) as usize >= bookings {
        largest
    } else {
        // Demo sessions hold at most 300; a bigger demo (`--demo-site-bookings 500`) gets a
        // session of its own at the same facility.
        let id = SessionId::from_uuid(uuid::Uuid::new_v5(
            &SITE_NAMESPACE,
            format!("site:{}:{today}", largest.center_id.0).as_bytes(),
        ));
        let seats = u32::try_from(bookings).unwrap_or(u32::MAX).saturating_add(100);
        store
            .insert_sessions(&[NewSession {
                id,
                center_id: largest.center_id,
                date: today,
                vaccine: largest.vaccine.clone(),
                ages: largest.ages,
                fee: largest.fee.clone(),
                capacity_dose1: seats,
                capacity_dose2: seats / 4,
                slots: largest.slots.clone(),
                updated_at_ms: now_ms,
            }])
            .await?;
        store.find_session(id).await?
    };
    let center = session.center_id;
    for (username, password, name, role, mobile) in [
        (VACCINATOR.0, VACCINATOR.1, "Anita Verma (ANM)", StaffRole::Vaccinator, "9000000900"),
        (ADMIN.0, ADMIN.1, "Dr. Prakash Rao", StaffRole::FacilityAdmin, "9000000901"),
    ] {
        store
            .create_staff(&NewStaff {
                id: StaffId::new(),
                center_id: center,
                username: Username::parse(username)?,
                name: name.to_owned(),
                mobile: Some(Mobile::parse(mobile)?),
                role,
                password_hash: tika_server::services::staff::hash_password(password)?,
                created_at_ms: now_ms,
            })
            .await?;
    }
    let expiry = today + Duration::days(180);
    for (prefix, code) in [("CS", "COVISHIELD"), ("CX", "COVAXIN")] {
        for n in 0..2 {
            store
                .issue_batch(&Batch {
                    center_id: center,
                    batch: format!("{prefix}{:02}{}", today.month(), 4121 + n * 7),
                    vaccine: tika_domain::vaccine::VaccineCode::parse(code)?,
                    expiry: expiry + Duration::days(30 * n as i64),
                    doses_per_vial: if code == "COVAXIN" { 20 } else { 10 },
                    issued_at_ms: now_ms,
                })
                .await?;
        }
    }

    let mut rng = StdRng::seed_from_u64(center.0 as u64);
    let second_dose_seats = session.available(DoseNumber::SECOND) as usize;
    let mut booked = 0;
    let mut account = AccountId::new();
    for i in 0..bookings {
        if i % 4 == 0 {
            let mobile = Mobile::parse(&format!("90000{:05}", 10 + i / 4))?;
            account = store.upsert_account(&mobile, now_ms).await?.0.id;
        }
        let id_number = aadhaar(&mut rng);
        let person = NewBeneficiaryRecord {
            id: BeneficiaryId::new(),
            reference_id: BeneficiaryRef::from_random(rng.random()),
            account_id: account,
            name: format!(
                "{} {}",
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())]
            ),
            birth_year: today.year() - rng.random_range(19..=80),
            gender_id: rng.random_range(1..=2),
            photo_id_type: 1,
            photo_id_hash: keys.hash_photo_id(1, &id_number),
            photo_id_last4: id_number[id_number.len() - 4..].to_owned(),
            comorbidity: false,
            created_at_ms: now_ms,
        };
        let person = store.create_beneficiary(&person, 4).await?;
        // Every eighth person comes for their second dose, given 90 days ago.
        let second = i % 8 == 7 && second_dose_seats > i / 8;
        let dose = if second {
            store
                .record_vaccination(&Vaccination {
                    id: VaccinationId::new(),
                    beneficiary_id: person.id,
                    dose: DoseNumber::FIRST,
                    vaccine: session.vaccine.clone(),
                    date: today - Duration::days(90),
                    center_id: Some(center),
                })
                .await?;
            // The first of them also gave travel details: their certificate comes in both the
            // domestic and the international form.
            if i == 7 {
                let dob = chrono::NaiveDate::from_ymd_opt(person.birth_year, 3, 15);
                store.set_travel_details(person.id, dob, Some("Z1234567"), "demo", now_ms).await?;
            }
            DoseNumber::SECOND
        } else {
            DoseNumber::FIRST
        };
        let slot = session.slots[i % session.slots.len().max(1)].clone();
        let res = store
            .book(&NewBooking {
                booking_id: AppointmentId::new(),
                account_id: account,
                session_id: session.id,
                dose,
                slot,
                policy_version: pack.policy_on(today).version.clone(),
                members: vec![BookingMember {
                    beneficiary_id: person.id,
                    security_code: SecurityCode::from_random(rng.random()),
                }],
                now_ms,
            })
            .await;
        match res {
            Ok(()) => booked += 1,
            Err(StorageError::Conflict(_)) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(DemoSite { center, session: session.id, booked }))
}
