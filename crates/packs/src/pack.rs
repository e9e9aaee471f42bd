//! Parsing a pack's `pack.toml` and CSV files into the domain's `CountryPack`, then validating it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use regex::Regex;
use serde::Deserialize;
use tika_domain::country::{
    CountryPack, District, GenderDef, IdTypeDef, Language, PackError, PincodeInfo, Policy, State,
};
use tika_domain::ids::{DistrictId, StateId};
use tika_domain::policy::{Comorbidity, GroupForm, check_group_rows};
use tika_domain::vaccine::{VaccineCode, VaccineDef};

use crate::error::PackLoadError;
use crate::table::Table;

/// The text of each file of a country pack.
#[derive(Debug, Clone, Copy)]
pub struct PackSources<'a> {
    /// `pack.toml`: identity, languages, id types, genders and policies.
    pub pack_toml: &'a str,
    /// `states.csv`: `state_id,name,name_hi`.
    pub states_csv: &'a str,
    /// `districts.csv`: `district_id,state_id,name`.
    pub districts_csv: &'a str,
    /// `pincodes.csv`: `pincode,district_id,lat,lon` (coordinates may be empty).
    pub pincodes_csv: &'a str,
    /// `vaccines.csv`: `code,name,manufacturer,platform,doses_in_series,...` (extra columns ignored).
    pub vaccines_csv: &'a str,
}

/// The top level of `pack.toml`; keys the model does not use (currency, mobile pattern) are ignored.
#[derive(Deserialize)]
struct PackToml {
    code: String,
    name: String,
    default_language: String,
    mobile_country_prefix: String,
    max_beneficiaries_per_mobile: u32,
    timezone_offset_minutes: i32,
    #[serde(default)]
    languages: Vec<LanguageToml>,
    #[serde(default)]
    id_types: Vec<IdTypeToml>,
    #[serde(default)]
    genders: Vec<GenderToml>,
    #[serde(default)]
    policies: Vec<PolicyToml>,
}

#[derive(Deserialize)]
struct LanguageToml {
    code: String,
    name: String,
}

/// Unknown keys are refused here: a misspelt `checksum` must not silently switch a check off.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdTypeToml {
    id: i64,
    name: String,
    #[serde(default, alias = "name_l")]
    name_hi: String,
    pattern: String,
    numeric: Option<bool>,
    checksum: Option<String>,
}

#[derive(Deserialize)]
struct GenderToml {
    id: i64,
    name: String,
    #[serde(default, alias = "name_l")]
    name_hi: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    version: String,
    effective_from: String,
    min_age_years: u8,
    #[serde(default)]
    interval_overrides: BTreeMap<String, [u32; 2]>,
    #[serde(default)]
    groups: Vec<GroupToml>,
}

/// A priority group of a policy version (see `tika_domain::policy`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupToml {
    code: String,
    name: String,
    #[serde(default)]
    name_hi: String,
    rank: u32,
    opens: String,
    #[serde(default)]
    occupations: Vec<String>,
    min_age: Option<u32>,
    max_age: Option<u32>,
    age_on: Option<String>,
    #[serde(default)]
    comorbidity: bool,
}

/// Parses every file of a pack, then checks the whole for consistency.
///
/// Errors name the file, and for CSV files the row (header = row 1) and column. Consistency
/// problems (dangling references, duplicates, empty lists) are all collected into one
/// [`PackLoadError::Invalid`].
pub fn parse_pack(src: &PackSources<'_>) -> Result<CountryPack, PackLoadError> {
    let toml: PackToml = toml::from_str(src.pack_toml)?;
    let mut problems = Vec::new();

    let id_types = toml
        .id_types
        .into_iter()
        .enumerate()
        .map(|(i, t)| id_type(i, t))
        .collect::<Result<Vec<_>, _>>()?;
    let genders = toml
        .genders
        .into_iter()
        .map(|g| GenderDef { id: g.id, name: g.name, name_l: g.name_hi })
        .collect::<Vec<_>>();
    let languages = toml
        .languages
        .into_iter()
        .map(|l| Language { code: l.code, name: l.name })
        .collect::<Vec<_>>();
    let mut policies = toml
        .policies
        .into_iter()
        .enumerate()
        .map(|(i, p)| policy(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    policies.sort_by_key(|p| p.effective_from);

    let mut states = parse_states(src.states_csv)?;
    states.sort_by_key(|s| s.id);
    let mut districts = parse_districts(src.districts_csv)?;
    districts.sort_by_key(|d| d.id);
    let pincodes = parse_pincodes(src.pincodes_csv, &mut problems)?;
    let vaccines = parse_vaccines(src.vaccines_csv)?;

    let pack = CountryPack {
        code: toml.code,
        name: toml.name,
        default_language: toml.default_language,
        languages,
        mobile_country_prefix: toml.mobile_country_prefix,
        max_beneficiaries_per_mobile: toml.max_beneficiaries_per_mobile,
        timezone_offset_minutes: toml.timezone_offset_minutes,
        states,
        districts,
        pincodes,
        id_types,
        genders,
        vaccines,
        policies,
    };

    if let Err(found) = pack.validate() {
        problems.extend(found);
    }
    check_further(&pack, &mut problems);
    if problems.is_empty() { Ok(pack) } else { Err(PackLoadError::Invalid(problems)) }
}

fn config(path: impl Into<String>, message: impl Into<String>) -> PackLoadError {
    PackLoadError::Config { path: path.into(), message: message.into() }
}

fn id_type(index: usize, t: IdTypeToml) -> Result<IdTypeDef, PackLoadError> {
    let at = |field: &str| format!("id_types[{index}] (id {}).{field}", t.id);
    let anchored_start = t.pattern.starts_with('^') || t.pattern.starts_with(r"\A");
    let anchored_end =
        (t.pattern.ends_with('$') && !t.pattern.ends_with(r"\$")) || t.pattern.ends_with(r"\z");
    if !(anchored_start && anchored_end) {
        return Err(config(
            at("pattern"),
            format!("{:?} must be anchored with ^ and $", t.pattern),
        ));
    }
    let pattern = Regex::new(&t.pattern).map_err(|e| config(at("pattern"), e.to_string()))?;
    let numeric = t.numeric.unwrap_or_else(|| digits_only(&t.pattern));
    let verhoeff = match t.checksum.as_deref() {
        None => false,
        Some(c) if c.eq_ignore_ascii_case("verhoeff") => true,
        Some(other) => {
            return Err(config(
                at("checksum"),
                format!("unknown checksum {other:?} (known: \"verhoeff\")"),
            ));
        }
    };
    if verhoeff && !numeric {
        return Err(config(at("checksum"), "the Verhoeff checksum needs a numeric id type"));
    }
    Ok(IdTypeDef { id: t.id, name: t.name, name_l: t.name_hi, pattern, numeric, verhoeff })
}

/// Whether an anchored pattern is nothing but digit classes (`[0-9]`, `\d`) with quantifiers,
/// e.g. `^[0-9]{12}$`. Conservative: anything more complex counts as not numeric.
pub(crate) fn digits_only(pattern: &str) -> bool {
    let Some(body) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) else {
        return false;
    };
    let mut rest = body;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        rest = match rest.strip_prefix("[0-9]").or_else(|| rest.strip_prefix(r"\d")) {
            Some(r) => r,
            None => return false,
        };
        if let Some(r) = rest.strip_prefix('{') {
            let Some(end) = r.find('}') else { return false };
            if !r[..end].bytes().all(|b| b.is_ascii_digit() || b == b',') {
                return false;
            }
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix(['+', '*', '?']) {
            rest = r;
        }
    }
    true
}

fn policy(index: usize, p: PolicyToml) -> Result<Policy, PackLoadError> {
    let at = |field: &str| format!("policies[{index}] ({}).{field}", p.version);
    let effective_from = NaiveDate::parse_from_str(&p.effective_from, "%Y-%m-%d").map_err(|e| {
        config(
            at("effective_from"),
            format!("{e} (value {:?}, expected YYYY-MM-DD)", p.effective_from),
        )
    })?;
    let mut interval_overrides = HashMap::with_capacity(p.interval_overrides.len());
    for (code, [min, max]) in &p.interval_overrides {
        let path = || at(&format!("interval_overrides.{code:?}"));
        let parsed = VaccineCode::parse(code).map_err(|e| config(path(), e.to_string()))?;
        if min > max {
            return Err(config(path(), format!("minimum {min} exceeds maximum {max}")));
        }
        interval_overrides.insert(parsed, (*min, *max));
    }
    let mut rows = Vec::with_capacity(p.groups.len());
    for (g_index, g) in p.groups.iter().enumerate() {
        let date = |what: &str, text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
                config(
                    at(&format!("groups[{g_index}].{what}")),
                    format!("{e} (value {text:?}, expected YYYY-MM-DD)"),
                )
            })
        };
        rows.push(GroupForm {
            code: g.code.clone(),
            name: g.name.clone(),
            name_hi: g.name_hi.clone(),
            rank: Some(g.rank),
            opens: Some(date("opens", &g.opens)?),
            occupations: g.occupations.clone(),
            min_age: g.min_age,
            max_age: g.max_age,
            age_on: g.age_on.as_deref().map(|t| date("age_on", t)).transpose()?,
            comorbidity: g.comorbidity,
        });
    }
    let groups = check_group_rows(&rows).map_err(|errors| {
        let text: Vec<String> = errors.into_iter().map(|e| e.message).collect();
        config(at("groups"), text.join("; "))
    })?;
    Ok(Policy {
        version: p.version,
        effective_from,
        min_age_years: p.min_age_years,
        interval_overrides,
        groups,
    })
}

/// Parses `comorbidities.csv` (`code,name,name_hi`): the conditions surveyors record.  Codes
/// are lower-case letters, digits and `_`, unique.
pub fn parse_comorbidities(text: &str) -> Result<Vec<Comorbidity>, PackLoadError> {
    let mut t = Table::from_text("comorbidities.csv", text)?;
    let (c_code, c_name, c_hi) = (t.col("code")?, t.col("name")?, t.col("name_hi")?);
    let mut out: Vec<Comorbidity> = Vec::new();
    while let Some(row) = t.next_row()? {
        let code = row.required_text(c_code)?;
        if !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(row.error(c_code, format!("{code:?}: lower-case letters, digits, _")));
        }
        if out.iter().any(|c| c.code == code) {
            return Err(row.error(c_code, format!("{code:?} is listed twice")));
        }
        out.push(Comorbidity {
            code: code.to_owned(),
            name: row.required_text(c_name)?.to_owned(),
            name_hi: row.required_text(c_hi)?.to_owned(),
        });
    }
    Ok(out)
}

fn parse_states(text: &str) -> Result<Vec<State>, PackLoadError> {
    let mut t = Table::from_text("states.csv", text)?;
    let (c_id, c_name, c_name_l) = (t.col("state_id")?, t.col("name")?, t.optional_col("name_hi"));
    let mut out = Vec::new();
    while let Some(row) = t.next_row()? {
        out.push(State {
            id: StateId(row.id(c_id)?),
            name: row.required_text(c_name)?.to_owned(),
            name_l: c_name_l.map(|c| row.text(c).to_owned()).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn parse_districts(text: &str) -> Result<Vec<District>, PackLoadError> {
    let mut t = Table::from_text("districts.csv", text)?;
    let (c_id, c_state, c_name) = (t.col("district_id")?, t.col("state_id")?, t.col("name")?);
    let mut out = Vec::new();
    while let Some(row) = t.next_row()? {
        out.push(District {
            id: DistrictId(row.id(c_id)?),
            state_id: StateId(row.id(c_state)?),
            name: row.required_text(c_name)?.to_owned(),
        });
    }
    Ok(out)
}

/// Parses pincodes; a pincode listed twice is recorded as a problem (the later row wins).
fn parse_pincodes(
    text: &str,
    problems: &mut Vec<PackError>,
) -> Result<HashMap<u32, PincodeInfo>, PackLoadError> {
    let mut t = Table::from_text("pincodes.csv", text)?;
    let (c_pin, c_district, c_lat, c_lon) =
        (t.col("pincode")?, t.col("district_id")?, t.col("lat")?, t.col("lon")?);
    // One line per pincode; about 30 bytes a line.
    let mut out = HashMap::with_capacity(text.len() / 28);
    while let Some(row) = t.next_row()? {
        let info = PincodeInfo {
            pincode: row.parse(c_pin)?,
            district_id: DistrictId(row.id(c_district)?),
            lat: row.coordinate_opt(c_lat, 90.0)?,
            lon: row.coordinate_opt(c_lon, 180.0)?,
        };
        if out.insert(info.pincode, info).is_some() {
            problems.push(PackError::Duplicate { kind: "pincode", id: info.pincode.to_string() });
        }
    }
    Ok(out)
}

fn parse_vaccines(text: &str) -> Result<Vec<VaccineDef>, PackLoadError> {
    let mut t = Table::from_text("vaccines.csv", text)?;
    let c_code = t.col("code")?;
    let c_name = t.col("name")?;
    let c_manufacturer = t.col("manufacturer")?;
    let c_doses = t.col("doses_in_series")?;
    let c_min = t.col("min_interval_days")?;
    let c_max = t.col("max_interval_days")?;
    let c_age = t.col("min_age_years")?;
    let c_vial = t.optional_col("doses_per_vial");
    let mut out = Vec::new();
    while let Some(row) = t.next_row()? {
        let code_text = row.required_text(c_code)?;
        let code = VaccineCode::parse(code_text)
            .map_err(|e| row.error(c_code, format!("{e} (value {code_text:?})")))?;
        let doses_in_series: u8 = row.parse(c_doses)?;
        if doses_in_series == 0 {
            return Err(row.error(c_doses, "must be at least 1"));
        }
        let min_interval_days = row.parse_opt(c_min)?;
        let max_interval_days = row.parse_opt(c_max)?;
        if let (Some(min), Some(max)) = (min_interval_days, max_interval_days)
            && min > max
        {
            return Err(row.error(c_max, format!("{max} is less than min_interval_days {min}")));
        }
        out.push(VaccineDef {
            code,
            name: row.required_text(c_name)?.to_owned(),
            manufacturer: row.text(c_manufacturer).to_owned(),
            doses_in_series,
            min_interval_days,
            max_interval_days,
            min_age_years: row.parse(c_age)?,
            doses_per_vial: c_vial.map(|c| row.parse_opt(c)).transpose()?.flatten(),
        });
    }
    Ok(out)
}

/// Consistency checks `CountryPack::validate` leaves out: duplicates in the small lists,
/// the default language, and policy overrides naming unknown vaccines.
fn check_further(pack: &CountryPack, problems: &mut Vec<PackError>) {
    fn duplicates<'a>(
        kind: &'static str,
        ids: impl Iterator<Item = String> + 'a,
        problems: &mut Vec<PackError>,
    ) {
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id.clone()) {
                problems.push(PackError::Duplicate { kind, id });
            }
        }
    }
    duplicates("language", pack.languages.iter().map(|l| l.code.clone()), problems);
    duplicates("id type", pack.id_types.iter().map(|t| t.id.to_string()), problems);
    duplicates("gender", pack.genders.iter().map(|g| g.id.to_string()), problems);
    duplicates("vaccine", pack.vaccines.iter().map(|v| v.code.to_string()), problems);
    duplicates("policy", pack.policies.iter().map(|p| p.version.clone()), problems);
    duplicates(
        "policy effective_from",
        pack.policies.iter().map(|p| p.effective_from.to_string()),
        problems,
    );
    if !pack.languages.is_empty() && !pack.has_language(&pack.default_language) {
        problems.push(PackError::Dangling {
            kind: "pack",
            id: pack.code.clone(),
            target: "language",
            target_id: pack.default_language.clone(),
        });
    }
    for p in &pack.policies {
        for code in p.interval_overrides.keys() {
            if pack.vaccine(code).is_none() {
                problems.push(PackError::Dangling {
                    kind: "policy",
                    id: p.version.clone(),
                    target: "vaccine",
                    target_id: code.to_string(),
                });
            }
        }
    }
}
