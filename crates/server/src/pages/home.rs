//! `/`: search sessions by pincode or by state and district, with filters.

use askama::Template;
use chrono::{Duration, NaiveDate};
use tika_domain::ids::{DistrictId, StateId};
use tika_domain::session::FeeType;
use tika_domain::vaccine::VaccineCode;

use super::context::{Ctx, Layout, PageResult, QueryFields, encode};
use super::i18n;
use crate::cache::{CenterInfo, Index, SessionInfo};
use crate::services::search::Lang;

/// Centres shown at most in one answer.
pub(crate) const MAX_CENTRES: usize = 60;

/// An `<option>`.
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

impl Opt {
    pub(crate) fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self { value, label: label.into(), selected }
    }
}

/// A centre with its sessions, ready to show.
pub(crate) struct CentreCard {
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) hours: String,
    pub(crate) fee_type: &'static str,
    pub(crate) paid: bool,
    pub(crate) sessions: Vec<SessionRow>,
}

/// One session of a centre.
pub(crate) struct SessionRow {
    pub(crate) id: String,
    pub(crate) date: String,
    pub(crate) vaccine: String,
    pub(crate) ages: String,
    pub(crate) fee: String,
    pub(crate) dose1: u32,
    pub(crate) dose2: u32,
    pub(crate) slots: Vec<String>,
    pub(crate) bookable: bool,
    /// `/book?session_id=…`, encoded for a `next=` parameter.
    pub(crate) book_next: String,
    /// Whether this is the session an appointment is in now (reschedule page).
    pub(crate) current: bool,
}

/// The centre's name in the page language.
pub(crate) fn centre_name(c: &CenterInfo, lang: Lang) -> String {
    if lang == Lang::Hi && !c.center.name_l.is_empty() {
        c.center.name_l.clone()
    } else {
        c.center.name.clone()
    }
}

/// `Age 18+`, `Age 18 to 44`.
pub(crate) fn ages_label(t: &i18n::Texts, min: u8, max: Option<u8>) -> String {
    match max {
        Some(max) => {
            i18n::fill(t.ages_range, &[("min", &min.to_string()), ("max", &max.to_string())])
        }
        None => i18n::fill(t.ages_from, &[("min", &min.to_string())]),
    }
}

/// `Free` or `₹780 per dose`.
pub(crate) fn fee_label(t: &i18n::Texts, fee: &str) -> String {
    if fee.trim().is_empty() || fee.trim() == "0" {
        t.free.to_owned()
    } else {
        i18n::fill(t.per_dose, &[("fee", fee.trim())])
    }
}

/// Builds a centre card from the index.
pub(crate) fn centre_card<'a>(
    ctx: &Ctx,
    c: &CenterInfo,
    sessions: impl Iterator<Item = &'a SessionInfo>,
) -> CentreCard {
    let t = ctx.t;
    let hhmm = |s: &str| s.get(..5).unwrap_or(s).to_owned();
    CentreCard {
        name: centre_name(c, ctx.lang),
        address: c.center.address.clone(),
        hours: i18n::fill(
            t.open_hours,
            &[("from", &hhmm(&c.center.open_time)), ("to", &hhmm(&c.center.close_time))],
        ),
        fee_type: if c.center.fee_type == FeeType::Paid { t.paid } else { t.free },
        paid: c.center.fee_type == FeeType::Paid,
        sessions: sessions
            .map(|s| {
                let (d1, d2) = (s.available_dose1(), s.available_dose2());
                SessionRow {
                    id: s.id.to_string(),
                    date: ctx.date_label(s.date),
                    vaccine: s.vaccine.to_string(),
                    ages: ages_label(t, s.ages.min, s.ages.max),
                    fee: fee_label(t, &s.fee),
                    dose1: d1,
                    dose2: d2,
                    slots: s.slots.iter().map(|x| x.as_str().to_owned()).collect(),
                    bookable: d1 + d2 > 0,
                    book_next: encode(&format!("/book?session_id={}", s.id)),
                    current: false,
                }
            })
            .collect(),
    }
}

/// The search form as the citizen filled it.
struct SearchForm {
    by: &'static str,
    pincode: String,
    date: String,
    min_date: String,
    max_date: String,
    states: Vec<Opt>,
    districts: Vec<Opt>,
    ages: Vec<Opt>,
    vaccines: Vec<Opt>,
    fees: Vec<Opt>,
    doses: Vec<Opt>,
    filters_open: bool,
}

struct Results {
    heading: String,
    centres: Vec<CentreCard>,
    truncated: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    f: SearchForm,
    error: Option<String>,
    results: Option<Results>,
}

/// What to keep of a session.
struct Filter {
    age: Option<u8>,
    vaccine: Option<VaccineCode>,
    fee: Option<FeeType>,
    dose: Option<u8>,
}

impl Filter {
    fn keeps_centre(&self, c: &CenterInfo) -> bool {
        self.fee.is_none_or(|f| c.center.fee_type == f)
    }

    fn keeps(&self, s: &SessionInfo) -> bool {
        let age_ok = match self.age {
            None => true,
            Some(12) => (12..18).contains(&s.ages.min),
            Some(n) => s.ages.min == n,
        };
        let dose_ok = match self.dose {
            Some(1) => s.available_dose1() > 0,
            Some(2) => s.available_dose2() > 0,
            _ => true,
        };
        age_ok && dose_ok && self.vaccine.as_ref().is_none_or(|v| &s.vaccine == v)
    }
}

/// Sessions of one week from `date` at the given centres, filtered.
fn search(
    ctx: &Ctx,
    index: &Index,
    centres: &[u32],
    date: NaiveDate,
    filter: &Filter,
) -> (Vec<CentreCard>, bool) {
    let to = date + Duration::days(6);
    let mut out = Vec::new();
    for &pos in centres {
        let c = index.center(pos);
        if !filter.keeps_centre(c) {
            continue;
        }
        let sessions: Vec<&SessionInfo> =
            index.sessions_of(pos, date, to).filter(|s| filter.keeps(s)).collect();
        if sessions.is_empty() {
            continue;
        }
        if out.len() == MAX_CENTRES {
            return (out, true);
        }
        out.push(centre_card(ctx, c, sessions.into_iter()));
    }
    (out, false)
}

/// `GET /`.
pub(crate) async fn home(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let state = &ctx.state;
    let t = ctx.t;
    let today = state.today();
    let index = state.cache.index();
    let last_day = index.to.max(today);

    let by = if q.get("by") == Some("district") { "district" } else { "pin" };
    let pincode = q.text("pincode");
    let state_id = q.get("state_id").and_then(|s| s.parse::<StateId>().ok());
    let district_id = q.get("district_id").and_then(|s| s.parse::<DistrictId>().ok());
    let district_id = district_id.filter(|d| {
        state.pack.district(*d).is_some_and(|d| state_id.is_none_or(|s| d.state_id == s))
    });
    let state_id =
        state_id.or_else(|| district_id.and_then(|d| state.pack.district(d)).map(|d| d.state_id));
    let mut error = None;
    let date = match q.get("date") {
        None => today,
        Some(s) => match tika_domain::date::parse_cowin_date(s) {
            Ok(d) => d.max(today),
            Err(_) => {
                error = Some(t.invalid_date.to_owned());
                today
            }
        },
    };
    let age = q.get("age").and_then(|a| a.parse::<u8>().ok()).filter(|a| [12, 18, 45].contains(a));
    let vaccine = q.get("vaccine").and_then(|v| VaccineCode::parse(v).ok());
    let fee = q.get("fee").and_then(FeeType::parse);
    let dose = q.get("dose").and_then(|d| d.parse::<u8>().ok()).filter(|d| [1, 2].contains(d));
    let filter = Filter { age, vaccine: vaccine.clone(), fee, dose };

    let state_label = |s: &tika_domain::country::State| {
        if ctx.lang == Lang::Hi && !s.name_l.is_empty() { s.name_l.clone() } else { s.name.clone() }
    };
    let current_state = state_id.map(|s| s.to_string()).unwrap_or_default();
    let current_district = district_id.map(|d| d.to_string()).unwrap_or_default();
    let age_s = age.map(|a| a.to_string()).unwrap_or_default();
    let vaccine_s = vaccine.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let fee_s = match fee {
        Some(FeeType::Free) => "free",
        Some(FeeType::Paid) => "paid",
        None => "",
    };
    let dose_s = dose.map(|d| d.to_string()).unwrap_or_default();
    let form = SearchForm {
        by,
        pincode: pincode.clone(),
        date: date.format("%Y-%m-%d").to_string(),
        min_date: today.format("%Y-%m-%d").to_string(),
        max_date: last_day.format("%Y-%m-%d").to_string(),
        states: state
            .pack
            .states
            .iter()
            .map(|s| Opt::new(s.id.to_string(), state_label(s), &current_state))
            .collect(),
        districts: state_id
            .map(|sid| {
                state
                    .pack
                    .districts_of(sid)
                    .map(|d| Opt::new(d.id.to_string(), d.name.clone(), &current_district))
                    .collect()
            })
            .unwrap_or_default(),
        ages: vec![
            Opt::new("", t.any, &age_s),
            Opt::new("18", t.age_18, &age_s),
            Opt::new("45", t.age_45, &age_s),
            Opt::new("12", t.age_12, &age_s),
        ],
        vaccines: std::iter::once(Opt::new("", t.any, &vaccine_s))
            .chain(
                state
                    .pack
                    .vaccines
                    .iter()
                    .map(|v| Opt::new(v.code.to_string(), v.name.clone(), &vaccine_s)),
            )
            .collect(),
        fees: vec![
            Opt::new("", t.any, fee_s),
            Opt::new("free", t.free, fee_s),
            Opt::new("paid", t.paid, fee_s),
        ],
        doses: vec![
            Opt::new("", t.any, &dose_s),
            Opt::new("1", t.dose_1, &dose_s),
            Opt::new("2", t.dose_2, &dose_s),
        ],
        filters_open: age.is_some() || vaccine.is_some() || fee.is_some() || dose.is_some(),
    };

    // Search only when the place is given (a state alone just fills the district list).
    let centres: Option<Vec<u32>> = if error.is_some() {
        None
    } else if by == "pin" && !pincode.is_empty() {
        match pincode.parse::<u32>() {
            Ok(p) if pincode.len() == 6 && (100_000..=999_999).contains(&p) => {
                Some(index.centers_in_pincode(p).to_vec())
            }
            _ => {
                error = Some(t.invalid_pincode.to_owned());
                None
            }
        }
    } else if by == "district" && q.get("show").is_none() {
        match district_id {
            Some(d) => Some(index.centers_in_district(d).to_vec()),
            None if q.get("state_id").is_some() || q.get("district_id").is_some() => {
                error = Some(t.need_district.to_owned());
                None
            }
            None => None,
        }
    } else {
        None
    };
    let results = centres.map(|list| {
        let (centres, truncated) = search(&ctx, &index, &list, date, &filter);
        Results {
            heading: i18n::fill(
                t.results_heading,
                &[("n", &centres.len().to_string()), ("date", &ctx.date_label(date))],
            ),
            centres,
            truncated: truncated
                .then(|| i18n::fill(t.more_centres, &[("n", &MAX_CENTRES.to_string())])),
        }
    });
    ctx.render(&HomePage { l: ctx.layout.clone(), f: form, error, results })
}
