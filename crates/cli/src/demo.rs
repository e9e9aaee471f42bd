//! Demo data at national scale: facilities at real post-office locations in every district,
//! and sessions for the next 7 days with vaccines from the catalogue.
//!
//! Deterministic (seeded) and idempotent: facilities are created once, and session ids are
//! derived from (facility, date), so running the demo again only adds the missing days.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tika_domain::country::CountryPack;
use tika_domain::ids::{CenterId, SessionId};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_packs::{SiteKind, SiteSeed};
use tika_storage::{DynStore, NewCenter, NewSession};

/// How much demo data to make.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoSize {
    /// Facilities (spread evenly over every district).
    pub(crate) facilities: usize,
    /// Days of sessions from today.
    pub(crate) days: u32,
}

const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x7a1c_0d1e_5e55_4000_8000_0000_7111_2021);

fn title(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Picks facilities round-robin over districts so every district gets its share.
pub(crate) fn pick_sites(pack: &CountryPack, sites: Vec<SiteSeed>, n: usize) -> Vec<SiteSeed> {
    let mut by_district: BTreeMap<i64, Vec<SiteSeed>> = BTreeMap::new();
    for s in sites {
        if let Some(p) = pack.pincode(s.pincode) {
            by_district.entry(p.district_id.0).or_default().push(s);
        }
    }
    let mut queues: Vec<std::vec::IntoIter<SiteSeed>> = by_district
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|s| {
                (
                    match s.kind {
                        SiteKind::HeadOffice => 0,
                        SiteKind::PostOffice => 1,
                        SiteKind::BranchOffice => 2,
                    },
                    s.pincode,
                )
            });
            v.into_iter()
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let before = out.len();
        for q in &mut queues {
            if out.len() == n {
                break;
            }
            if let Some(s) = q.next() {
                out.push(s);
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// Builds the demo centres.
pub(crate) fn centers(pack: &CountryPack, sites: &[SiteSeed], now_ms: i64) -> Vec<NewCenter> {
    let mut rng = StdRng::seed_from_u64(2021);
    sites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let pin = pack.pincode(s.pincode)?;
            let district = pack.district(pin.district_id)?;
            let state = pack.state(district.state_id)?;
            let place = title(&s.name);
            let private = rng.random_ratio(1, 5);
            let (name, name_l) = if private {
                (
                    format!("{place} Multispeciality Hospital"),
                    format!("{place} मल्टीस्पेशियलिटी अस्पताल"),
                )
            } else {
                match s.kind {
                    SiteKind::HeadOffice => {
                        (format!("District Hospital {place}"), format!("जिला अस्पताल {place}"))
                    }
                    SiteKind::PostOffice => {
                        (format!("CHC {place}"), format!("सामुदायिक स्वास्थ्य केंद्र {place}"))
                    }
                    SiteKind::BranchOffice => {
                        (format!("PHC {place}"), format!("प्राथमिक स्वास्थ्य केंद्र {place}"))
                    }
                }
            };
            let (open, close) = if rng.random_ratio(1, 3) {
                ("10:00:00", "16:00:00")
            } else {
                ("09:00:00", "17:00:00")
            };
            Some(NewCenter {
                id: CenterId(100_000 + i as i64),
                name,
                name_l,
                address: format!("{place}, {}, {} {}", district.name, state.name, s.pincode),
                block_name: if rng.random_ratio(1, 4) {
                    "Not Applicable".into()
                } else {
                    format!("{place} Block")
                },
                district_id: district.id,
                state_id: state.id,
                pincode: s.pincode,
                lat: Some(s.lat),
                lon: Some(s.lon),
                open_time: open.into(),
                close_time: close.into(),
                fee_type: if private { FeeType::Paid } else { FeeType::Free },
                created_at_ms: now_ms,
            })
        })
        .collect()
}

/// Builds the sessions of `days` days from `today` for the centres.
pub(crate) fn sessions(
    centers: &[NewCenter],
    today: NaiveDate,
    days: u32,
    now_ms: i64,
) -> Vec<NewSession> {
    let code = |c: &str| VaccineCode::parse(c).ok();
    let (covishield, covaxin, corbevax, sputnik) =
        (code("COVISHIELD"), code("COVAXIN"), code("CORBEVAX"), code("SPUTNIK V"));
    let mut out = Vec::with_capacity(centers.len() * days as usize);
    for c in centers {
        let mut rng = StdRng::seed_from_u64(c.id.0 as u64);
        let paid = c.fee_type == FeeType::Paid;
        let open = minutes(&c.open_time);
        let close = minutes(&c.close_time);
        for d in 0..days {
            let date = today + Duration::days(i64::from(d));
            if date.weekday() == Weekday::Sun && !rng.random_ratio(1, 4) {
                continue;
            }
            let (vaccine, fee) = match (paid, rng.random_range(0..10)) {
                (true, 0..=5) => (covishield.clone(), "780"),
                (true, 6..=8) => (covaxin.clone(), "1410"),
                (true, _) => (sputnik.clone(), "1145"),
                (false, 0..=5) => (covishield.clone(), "0"),
                (false, 6..=8) => (covaxin.clone(), "0"),
                (false, _) => (corbevax.clone(), "0"),
            };
            let Some(vaccine) = vaccine else { continue };
            let ages = if vaccine.as_str() == "CORBEVAX" {
                AgeLimits { min: 12, max: Some(14) }
            } else {
                match rng.random_range(0..10) {
                    0..=5 => AgeLimits { min: 18, max: None },
                    6..=7 => AgeLimits { min: 18, max: Some(44) },
                    _ => AgeLimits { min: 45, max: None },
                }
            };
            let key = format!("{}:{date}", c.id.0);
            out.push(NewSession {
                id: SessionId::from_uuid(uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes())),
                center_id: c.id,
                date,
                vaccine,
                ages,
                fee: fee.into(),
                capacity_dose1: rng.random_range(5..=20) * 10,
                capacity_dose2: rng.random_range(2..=10) * 10,
                slots: Slot::split(open, close, 4),
                updated_at_ms: now_ms,
            });
        }
    }
    out
}

fn minutes(hhmmss: &str) -> u32 {
    let mut it = hhmmss.split(':').map(|p| p.parse::<u32>().unwrap_or(0));
    it.next().unwrap_or(9) * 60 + it.next().unwrap_or(0)
}

/// Loads the demo into a store; returns (centres created, sessions created).
pub(crate) async fn load(
    store: &DynStore,
    pack: &CountryPack,
    size: DemoSize,
    today: NaiveDate,
    now_ms: i64,
) -> anyhow::Result<(u64, u64)> {
    let existing = store.count_centers().await?;
    let centers = if existing == 0 {
        let sites = pick_sites(pack, tika_packs::india_sites()?, size.facilities);
        let centers = centers(pack, &sites, now_ms);
        let mut created = 0;
        for chunk in centers.chunks(5_000) {
            created += store.insert_centers(chunk).await?;
        }
        tracing::info!(demo.centers = created, "demo facilities created");
        centers
    } else {
        store.list_centers().await?
    };
    let n_centers = if existing == 0 { centers.len() as u64 } else { 0 };
    let sessions = sessions(&centers, today, size.days, now_ms);
    let mut created = 0;
    for chunk in sessions.chunks(10_000) {
        created += store.insert_sessions(chunk).await?;
    }
    Ok((n_centers, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_covers_every_district_and_is_deterministic() {
        let pack = tika_packs::india().unwrap();
        let sites = pick_sites(&pack, tika_packs::india_sites().unwrap(), 2_000);
        assert_eq!(sites.len(), 2_000);
        let centers_a = centers(&pack, &sites, 0);
        let districts: std::collections::HashSet<i64> =
            centers_a.iter().map(|c| c.district_id.0).collect();
        assert!(districts.len() >= 700, "districts covered: {}", districts.len());
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let a = sessions(&centers_a, today, 7, 0);
        let b = sessions(&centers(&pack, &sites, 0), today, 7, 0);
        assert_eq!(
            a.iter().map(|s| s.id).collect::<Vec<_>>(),
            b.iter().map(|s| s.id).collect::<Vec<_>>()
        );
        assert!(a.len() > 2_000 * 5, "sessions: {}", a.len());
        assert!(a.iter().all(|s| s.slots.len() == 4 && s.capacity_dose1 >= 50));
        assert!(a.iter().any(|s| s.vaccine.as_str() == "CORBEVAX" && s.ages.max == Some(14)));
    }
}
