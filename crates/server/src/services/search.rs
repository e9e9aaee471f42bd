//! Slot search: CoWIN's `findBy*` and `calendarBy*` answers, built from the in-memory index.
//!
//! Bodies are serialized once and kept (plain and gzip) per query; a kept body is reused while
//! the index it was built from is current and its districts have not changed, and for at most
//! `search_max_staleness` after either changed, so a booking storm costs one rebuild per second
//! per query instead of one per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration, NaiveDate};
use parking_lot::RwLock;
use serde::Serialize;
use tika_domain::date::format_cowin_date;
use tika_domain::ids::{CenterId, DistrictId};
use tika_domain::vaccine::VaccineCode;

use crate::cache::{CenterInfo, Index, SessionInfo};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Which language the `_l` fields are filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English: `_l` fields are empty.
    En,
    /// Hindi.
    Hi,
}

impl Lang {
    /// From an `Accept-Language` header (`hi_IN`, `hi-IN,hi;q=0.9`, …).
    pub fn from_header(h: Option<&str>) -> Self {
        match h {
            Some(v) if v.trim_start().to_ascii_lowercase().starts_with("hi") => Lang::Hi,
            _ => Lang::En,
        }
    }
}

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Query {
    /// Sessions on a day at centres in a pincode.
    FindByPin(u32),
    /// Sessions on a day in a district.
    FindByDistrict(DistrictId),
    /// A week of sessions per centre in a pincode.
    CalendarByPin(u32),
    /// A week of sessions per centre in a district.
    CalendarByDistrict(DistrictId),
    /// A week of sessions of one centre.
    CalendarByCenter(CenterId),
}

/// The centre fields shared by every search answer.
#[derive(Serialize)]
pub struct CenterBase<'a> {
    center_id: i64,
    name: &'a str,
    name_l: &'a str,
    address: &'a str,
    address_l: &'a str,
    state_name: &'a str,
    state_name_l: &'a str,
    district_name: &'a str,
    district_name_l: &'a str,
    block_name: &'a str,
    block_name_l: &'a str,
    pincode: u32,
    lat: f64,
    long: f64,
    from: &'a str,
    to: &'a str,
    fee_type: &'a str,
}

impl<'a> CenterBase<'a> {
    fn new(c: &'a CenterInfo, lang: Lang) -> Self {
        let hi = lang == Lang::Hi;
        let l = |s: &'a str| if hi { s } else { "" };
        Self {
            center_id: c.center.id.0,
            name: &c.center.name,
            name_l: l(&c.center.name_l),
            address: &c.center.address,
            address_l: "",
            state_name: &c.state_name,
            state_name_l: l(&c.state_name_l),
            district_name: &c.district_name,
            district_name_l: "",
            block_name: &c.center.block_name,
            block_name_l: "",
            pincode: c.center.pincode,
            lat: round4(c.center.lat.unwrap_or(0.0)),
            long: round4(c.center.lon.unwrap_or(0.0)),
            from: &c.center.open_time,
            to: &c.center.close_time,
            fee_type: c.center.fee_type.as_str(),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The session fields of a search answer.
#[derive(Serialize)]
pub struct SessionFields<'a> {
    session_id: String,
    date: String,
    available_capacity: u32,
    available_capacity_dose1: u32,
    available_capacity_dose2: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<&'a str>,
    min_age_limit: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age_limit: Option<u8>,
    allow_all_age: bool,
    vaccine: &'a str,
    slots: Vec<&'a str>,
}

impl<'a> SessionFields<'a> {
    fn new(s: &'a SessionInfo, with_fee: bool) -> Self {
        let (d1, d2) = (s.available_dose1(), s.available_dose2());
        Self {
            session_id: s.id.to_string(),
            date: format_cowin_date(s.date),
            available_capacity: d1 + d2,
            available_capacity_dose1: d1,
            available_capacity_dose2: d2,
            fee: with_fee.then_some(s.fee.as_str()),
            min_age_limit: s.ages.min,
            max_age_limit: s.ages.max,
            allow_all_age: s.ages.max.is_none(),
            vaccine: s.vaccine.as_str(),
            slots: s.slots.iter().map(|x| x.as_str()).collect(),
        }
    }
}

#[derive(Serialize)]
struct SessionRow<'a> {
    #[serde(flatten)]
    center: CenterBase<'a>,
    #[serde(flatten)]
    session: SessionFields<'a>,
}

#[derive(Serialize)]
struct VaccineFee<'a> {
    vaccine: &'a str,
    fee: &'a str,
}

#[derive(Serialize)]
struct CalendarCenter<'a> {
    #[serde(flatten)]
    center: CenterBase<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vaccine_fees: Vec<VaccineFee<'a>>,
    sessions: Vec<SessionFields<'a>>,
}

/// A body ready to send, plain and gzip-compressed.
pub struct CachedBody {
    /// JSON.
    pub plain: Bytes,
    /// The same, gzip-compressed.
    pub gzip: Bytes,
    epoch: u64,
    generation: u64,
    built_at_ms: i64,
}

type Key = (Query, NaiveDate, Option<VaccineCode>, Lang);

/// Kept search bodies.
#[derive(Default)]
pub struct ResponseCache {
    entries: RwLock<HashMap<Key, Arc<CachedBody>>>,
}

impl ResponseCache {
    /// Drops every kept body (after a full index rebuild).
    pub fn clear(&self) {
        self.entries.write().clear();
    }
}

fn centers_for(index: &Index, q: Query) -> Vec<u32> {
    match q {
        Query::FindByPin(p) | Query::CalendarByPin(p) => index.centers_in_pincode(p).to_vec(),
        Query::FindByDistrict(d) | Query::CalendarByDistrict(d) => {
            index.centers_in_district(d).to_vec()
        }
        Query::CalendarByCenter(c) => index.center_position(c).into_iter().collect(),
    }
}

fn generation_of(index: &Index, centers: &[u32]) -> u64 {
    let mut districts: Vec<DistrictId> =
        centers.iter().map(|&c| index.center(c).center.district_id).collect();
    districts.sort();
    districts.dedup();
    districts.iter().map(|d| index.district_generation(*d)).sum()
}

fn render(
    index: &Index,
    q: Query,
    centers: &[u32],
    date: NaiveDate,
    vaccine: Option<&VaccineCode>,
    lang: Lang,
) -> ApiResult<Vec<u8>> {
    let keep = |s: &SessionInfo| vaccine.is_none_or(|v| &s.vaccine == v);
    let body = match q {
        Query::FindByPin(_) | Query::FindByDistrict(_) => {
            let mut sessions = Vec::new();
            for &c in centers {
                for s in index.sessions_of(c, date, date).filter(|s| keep(s)) {
                    sessions.push(SessionRow {
                        center: CenterBase::new(index.center(c), lang),
                        session: SessionFields::new(s, true),
                    });
                }
            }
            serde_json::to_vec(&serde_json::json!({ "sessions": sessions }))
        }
        Query::CalendarByPin(_) | Query::CalendarByDistrict(_) | Query::CalendarByCenter(_) => {
            let to = date + Duration::days(6);
            let mut out = Vec::new();
            for &c in centers {
                let sessions: Vec<&SessionInfo> =
                    index.sessions_of(c, date, to).filter(|s| keep(s)).collect();
                if sessions.is_empty() {
                    continue;
                }
                let info = index.center(c);
                let mut vaccine_fees: Vec<VaccineFee<'_>> = Vec::new();
                if info.center.fee_type == tika_domain::session::FeeType::Paid {
                    for s in &sessions {
                        if !vaccine_fees.iter().any(|f| f.vaccine == s.vaccine.as_str()) {
                            vaccine_fees
                                .push(VaccineFee { vaccine: s.vaccine.as_str(), fee: &s.fee });
                        }
                    }
                }
                out.push(CalendarCenter {
                    center: CenterBase::new(info, lang),
                    vaccine_fees,
                    sessions: sessions.into_iter().map(|s| SessionFields::new(s, false)).collect(),
                });
            }
            if let Query::CalendarByCenter(_) = q {
                // CoWIN answers one object, not a list, and `{}` when there is nothing.
                match out.pop() {
                    Some(c) => serde_json::to_vec(&serde_json::json!({ "centers": c })),
                    None => serde_json::to_vec(&serde_json::json!({ "centers": {} })),
                }
            } else {
                serde_json::to_vec(&serde_json::json!({ "centers": out }))
            }
        }
    };
    body.map_err(|e| ApiError::Internal(e.into()))
}

/// `plain` as a gzip member, compressed by this thread's one deflate state.
///
/// A fresh encoder per body allocated a compressor state of a few hundred KiB and freed it at
/// once, between the small kept bodies: glibc's heap could not reuse the holes, and priming the
/// 1.2 lakh national answers grew a server to 16 GiB (`tika bench slot-search`, BENCHMARKS.md
/// section 10).  Reusing the state also saves its setup per body.
fn gzip(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    use flate2::write::DeflateEncoder;
    use std::cell::RefCell;
    thread_local! {
        static DEFLATE: RefCell<Option<DeflateEncoder<Vec<u8>>>> = const { RefCell::new(None) };
    }
    // RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let encoder = slot
            .get_or_insert_with(|| DeflateEncoder::new(Vec::new(), flate2::Compression::fast()));
        let mut out = Vec::with_capacity(plain.len() / 6 + HEADER.len() + 8);
        out.extend_from_slice(&HEADER);
        // `reset` finishes the stream in hand and starts a fresh one into `out`.
        let _ = encoder.reset(out)?;
        encoder.write_all(plain)?;
        let mut out = encoder.reset(Vec::new())?;
        let mut crc = flate2::Crc::new();
        crc.update(plain);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE: the length modulo 2^32.
        let isize = u32::try_from(plain.len() & 0xFFFF_FFFF).unwrap_or(0);
        out.extend_from_slice(&isize.to_le_bytes());
        Ok(out)
    })
}

/// Answers a search, from a kept body when it is fresh enough.
pub fn search(
    state: &AppState,
    q: Query,
    date: NaiveDate,
    vaccine: Option<VaccineCode>,
    lang: Lang,
) -> ApiResult<Arc<CachedBody>> {
    let index = state.cache.index();
    // A calendar starting inside the window shows the days it holds; nothing outside it.
    let centers = if index.covers(date, date) { centers_for(&index, q) } else { Vec::new() };
    let generation = generation_of(&index, &centers);
    let now = state.now_ms();
    let max_stale = i64::try_from(state.config.search_max_staleness.as_millis()).unwrap_or(2_000);
    let key: Key = (q, date, vaccine.clone(), lang);
    if let Some(hit) = state.responses.entries.read().get(&key)
        && ((hit.epoch == index.epoch && hit.generation == generation)
            || now - hit.built_at_ms < max_stale)
    {
        return Ok(Arc::clone(hit));
    }
    let plain = render(&index, q, &centers, date, vaccine.as_ref(), lang)?;
    let gzip = gzip(&plain).map_err(|e| ApiError::Internal(e.into()))?;
    let body = Arc::new(CachedBody {
        plain: Bytes::from(plain),
        gzip: Bytes::from(gzip),
        epoch: index.epoch,
        generation,
        built_at_ms: now,
    });
    let mut entries = state.responses.entries.write();
    if entries.len() > 200_000 {
        entries.clear();
    }
    entries.insert(key, Arc::clone(&body));
    Ok(body)
}

/// A centre near a point.
#[derive(Serialize)]
pub struct LatLongCenter<'a> {
    center_id: i64,
    name: &'a str,
    name_l: &'a str,
    address: &'a str,
    district_name: &'a str,
    state_name: &'a str,
    block_name: &'a str,
    location: &'a str,
    pincode: String,
    lat: f64,
    long: f64,
}

/// Centres nearest to a point: up to 50 within 50 km, nearest first.
pub fn find_by_lat_long(state: &AppState, lat: f64, lon: f64, lang: Lang) -> ApiResult<Vec<u8>> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::bad_request("APPOIN0070", "Invalid latitude or longitude"));
    }
    let index = state.cache.index();
    let cos = lat.to_radians().cos();
    let mut near: Vec<(f64, &CenterInfo)> = index
        .centers
        .iter()
        .filter_map(|c| {
            let (clat, clon) = (c.center.lat?, c.center.lon?);
            let (dx, dy) = ((clon - lon) * cos * 111.32, (clat - lat) * 110.57);
            let d2 = dx * dx + dy * dy;
            (d2 <= 50.0 * 50.0).then_some((d2, c))
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.truncate(50);
    let centers: Vec<LatLongCenter<'_>> = near
        .into_iter()
        .map(|(_, c)| LatLongCenter {
            center_id: c.center.id.0,
            name: &c.center.name,
            name_l: if lang == Lang::Hi { &c.center.name_l } else { "" },
            address: &c.center.address,
            district_name: &c.district_name,
            state_name: &c.state_name,
            block_name: &c.center.block_name,
            location: &c.center.address,
            pincode: c.center.pincode.to_string(),
            lat: round4(c.center.lat.unwrap_or(0.0)),
            long: round4(c.center.lon.unwrap_or(0.0)),
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "centers": centers, "ttl": 24 }))
        .map_err(|e| ApiError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let read = flate2::read::GzDecoder::new(gz).read_to_end(&mut out);
        assert!(read.is_ok(), "not a gzip member: {read:?}");
        out
    }

    #[test]
    fn bodies_gzip_one_after_another_with_one_state() {
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        for body in [&b"{\"sessions\":[]}"[..], &big[..], b"", &big[..1_000], b"{}"] {
            let gz = gzip(body).unwrap_or_default();
            assert_eq!(gz[..3], [0x1f, 0x8b, 8]);
            assert_eq!(gunzip(&gz), body);
        }
        // Compressed, not stored.
        assert!(gzip(&big).unwrap_or_default().len() < big.len() / 4);
    }
}
