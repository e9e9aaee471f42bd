//! Lists of people (health workers of a state, frontline workers, …) uploaded by officials:
//! the columns a list has, and one row parsed into a checked value with every problem of the
//! row reported at once, by column.
//!
//! Reading the file (CSV, XLSX) is the caller's job; this module sees a header of cell texts
//! and rows of cell texts.  Whether a posting facility exists and whether a row's place is
//! inside the official's area are checked by the service, which has the store and the official.

use crate::admin::FieldError;
use crate::beneficiary::{BirthYear, PersonName, PhotoIdNumber, parse_comorbidity};
use crate::country::CountryPack;
use crate::ids::{CenterId, DistrictId, StateId};
use crate::mobile::{Mobile, MobileError};

/// A column a list may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `name`.
    Name,
    /// `birth_year`.
    BirthYear,
    /// `gender`.
    Gender,
    /// `mobile`.
    Mobile,
    /// `id_type`.
    IdType,
    /// `id_number`.
    IdNumber,
    /// `occupation`.
    Occupation,
    /// `employer`.
    Employer,
    /// `employee_id`.
    EmployeeId,
    /// `posting_facility_id`.
    PostingFacility,
    /// `posting_pincode`.
    PostingPincode,
    /// `home_pincode`.
    HomePincode,
    /// `comorbidity`.
    Comorbidity,
}

/// Every column, in the order of the sample file.
pub const COLUMNS: [Column; 13] = [
    Column::Name,
    Column::BirthYear,
    Column::Gender,
    Column::Mobile,
    Column::IdType,
    Column::IdNumber,
    Column::Occupation,
    Column::Employer,
    Column::EmployeeId,
    Column::PostingFacility,
    Column::PostingPincode,
    Column::HomePincode,
    Column::Comorbidity,
];

impl Column {
    /// The column's name (also the field name in error reports).
    pub fn name(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::BirthYear => "birth_year",
            Column::Gender => "gender",
            Column::Mobile => "mobile",
            Column::IdType => "id_type",
            Column::IdNumber => "id_number",
            Column::Occupation => "occupation",
            Column::Employer => "employer",
            Column::EmployeeId => "employee_id",
            Column::PostingFacility => "posting_facility_id",
            Column::PostingPincode => "posting_pincode",
            Column::HomePincode => "home_pincode",
            Column::Comorbidity => "comorbidity",
        }
    }

    /// Other headers accepted for the column (compared after [`normalize_header`]).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["full_name", "beneficiary_name", "person_name"],
            Column::BirthYear => &["year_of_birth", "yob", "birthyear"],
            Column::Gender => &["sex", "gender_id"],
            Column::Mobile => &["mobile_number", "mobile_no", "phone", "phone_number"],
            Column::IdType => &["photo_id_type", "id_proof", "id_proof_type"],
            Column::IdNumber => &["photo_id_number", "id_no", "photo_id_no", "id_proof_number"],
            Column::Occupation => &["category", "beneficiary_category"],
            Column::Employer => &["organisation", "organization", "employer_name", "department"],
            Column::EmployeeId => &["emp_id", "staff_id", "employee_code", "employee_no"],
            Column::PostingFacility => {
                &["facility_id", "posting_facility", "center_id", "centre_id"]
            }
            Column::PostingPincode => &["posting_pin", "work_pincode", "office_pincode"],
            Column::HomePincode => &["pincode", "home_pin", "residence_pincode", "pin_code"],
            Column::Comorbidity => &["comorbidity_ind", "comorbid"],
        }
    }

    /// Whether a file without the column is refused (the pincodes: at least one of the two).
    pub fn required(self) -> bool {
        matches!(
            self,
            Column::Name
                | Column::BirthYear
                | Column::Gender
                | Column::Mobile
                | Column::IdType
                | Column::IdNumber
                | Column::Occupation
        )
    }
}

/// A header cell as compared: lower case, trimmed, runs of spaces, dashes and dots as one `_`.
pub fn normalize_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Which cell of a row holds which column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    positions: Vec<Option<usize>>,
    /// Header cells that name no column (ignored, reported to the official).
    pub unknown: Vec<String>,
}

/// Why a file's header is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Required columns are missing.
    #[error("The file has no column {}", .0.join(", "))]
    Missing(Vec<String>),
    /// Two header cells name the same column.
    #[error("The column {0} appears twice")]
    Duplicate(String),
    /// The file has no header row.
    #[error("The file is empty: the first row must name the columns")]
    Empty,
}

impl Header {
    /// Maps header cells to columns (names and aliases, case-insensitively).
    pub fn parse<S: AsRef<str>>(cells: &[S]) -> Result<Self, HeaderError> {
        if cells.iter().all(|c| c.as_ref().trim().is_empty()) {
            return Err(HeaderError::Empty);
        }
        let mut positions = vec![None; COLUMNS.len()];
        let mut unknown = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let h = normalize_header(cell.as_ref());
            if h.is_empty() {
                continue;
            }
            let found =
                COLUMNS.iter().position(|c| c.name() == h || c.aliases().contains(&h.as_str()));
            match found {
                Some(k) if positions[k].is_some() => {
                    return Err(HeaderError::Duplicate(COLUMNS[k].name().to_owned()));
                }
                Some(k) => positions[k] = Some(i),
                None => unknown.push(cell.as_ref().trim().to_owned()),
            }
        }
        let mut missing: Vec<String> = COLUMNS
            .iter()
            .enumerate()
            .filter(|(k, c)| c.required() && positions[*k].is_none())
            .map(|(_, c)| c.name().to_owned())
            .collect();
        let has = |c: Column| COLUMNS.iter().position(|x| *x == c).and_then(|k| positions[k]);
        if has(Column::PostingPincode).is_none() && has(Column::HomePincode).is_none() {
            missing.push("posting_pincode or home_pincode".to_owned());
        }
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        Ok(Self { positions, unknown })
    }

    /// The cell of `column` in `row` (empty when the column or the cell is absent).
    pub fn cell<'r, S: AsRef<str>>(&self, row: &'r [S], column: Column) -> &'r str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|k| self.positions[k])
            .and_then(|i| row.get(i))
            .map_or("", |s| s.as_ref().trim())
    }
}

/// What a listed person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Occupation {
    /// Health care worker.
    HealthWorker,
    /// Frontline worker.
    FrontlineWorker,
    /// Anyone else.
    Other,
}

impl Occupation {
    /// `health_worker`, `frontline_worker`, `other` (also `HCW`, `FLW`, spaces or dashes).
    pub fn parse(s: &str) -> Option<Self> {
        match normalize_header(s).as_str() {
            "health_worker" | "healthcare_worker" | "health_care_worker" | "hcw" => {
                Some(Occupation::HealthWorker)
            }
            "frontline_worker" | "front_line_worker" | "flw" => Some(Occupation::FrontlineWorker),
            "other" | "others" => Some(Occupation::Other),
            _ => None,
        }
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Occupation::HealthWorker => "health_worker",
            Occupation::FrontlineWorker => "frontline_worker",
            Occupation::Other => "other",
        }
    }
}

/// One row of a list, checked.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// Name.
    pub name: PersonName,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Gender id of the pack.
    pub gender_id: i64,
    /// Mobile.
    pub mobile: Mobile,
    /// Photo id type id of the pack.
    pub photo_id_type: i64,
    /// Photo id number (hash it, keep the last 4, drop it).
    pub photo_id: PhotoIdNumber,
    /// Occupation.
    pub occupation: Occupation,
    /// Employer (may be empty).
    pub employer: String,
    /// Employee id (may be empty).
    pub employee_id: String,
    /// Posting facility (existence checked by the caller).
    pub posting_center: Option<CenterId>,
    /// Posting pincode.
    pub posting_pincode: Option<u32>,
    /// Home pincode.
    pub home_pincode: Option<u32>,
    /// Comorbidity.
    pub comorbidity: bool,
    /// State of the posting pincode, else of home.
    pub state: StateId,
    /// District of the posting pincode, else of home.
    pub district: DistrictId,
}

fn err(column: Column, message: impl Into<String>) -> FieldError {
    FieldError { field: column.name(), message: message.into() }
}

/// Longest employer or employee id kept.
const MAX_TEXT: usize = 200;

/// Matches a gender by the pack's id, name (English or Hindi) or first letter.
fn parse_gender(pack: &CountryPack, s: &str) -> Option<i64> {
    if let Ok(id) = s.parse::<i64>() {
        return pack.gender(id).map(|g| g.id);
    }
    let lower = s.to_lowercase();
    pack.genders
        .iter()
        .find(|g| {
            g.name.to_lowercase() == lower
                || g.name_l == s
                || (lower.chars().count() == 1 && g.name.to_lowercase().starts_with(&lower))
                || (g.name.to_lowercase().trim_end_matches('s') == lower)
        })
        .map(|g| g.id)
}

/// Matches a photo id type by the pack's id or name (`Aadhaar` finds `Aadhaar Card`).
fn parse_id_type(pack: &CountryPack, s: &str) -> Option<i64> {
    if let Ok(id) = s.parse::<i64>() {
        return pack.id_type(id).map(|t| t.id);
    }
    let want = normalize_header(s);
    if want.len() < 3 {
        return None;
    }
    pack.id_types
        .iter()
        .find(|t| {
            let name = normalize_header(&t.name);
            name == want || name.starts_with(&format!("{want}_")) || t.name_l == s
        })
        .map(|t| t.id)
}

/// A pincode and its place, or the problem.
fn parse_pincode(
    pack: &CountryPack,
    column: Column,
    s: &str,
) -> Result<Option<(u32, StateId, DistrictId)>, FieldError> {
    if s.is_empty() {
        return Ok(None);
    }
    // Spreadsheets sometimes store pincodes as numbers: `110001.0`.
    let s = s.strip_suffix(".0").unwrap_or(s);
    let pin: u32 = match s.parse() {
        Ok(p) if (100_000..=999_999).contains(&p) => p,
        _ => return Err(err(column, "Pincode must have 6 digits")),
    };
    let info = pack.pincode(pin).ok_or_else(|| err(column, "Unknown pincode"))?;
    let district = pack
        .district(info.district_id)
        .ok_or_else(|| err(column, "The pincode's district is unknown"))?;
    Ok(Some((pin, district.state_id, district.id)))
}

/// Parses one data row; every problem of the row is returned, by column, in column order.
pub fn parse_row<S: AsRef<str>>(
    pack: &CountryPack,
    header: &Header,
    row: &[S],
    current_year: i32,
) -> Result<ListRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let cell = |c: Column| header.cell(row, c);

    let name = PersonName::parse(cell(Column::Name)).map_err(|e| err(Column::Name, e.to_string()));
    let birth_year = {
        let s = cell(Column::BirthYear);
        BirthYear::parse(s.strip_suffix(".0").unwrap_or(s), current_year)
            .map_err(|e| err(Column::BirthYear, e.to_string()))
    };
    let gender = match cell(Column::Gender) {
        "" => Err(err(Column::Gender, "Gender is required")),
        s => parse_gender(pack, s).ok_or_else(|| err(Column::Gender, "Unknown gender")),
    };
    let mobile =
        Mobile::parse(cell(Column::Mobile).strip_suffix(".0").unwrap_or(cell(Column::Mobile)))
            .map_err(|e| match e {
                MobileError::Missing => err(Column::Mobile, "Mobile is required"),
                MobileError::Invalid => {
                    err(Column::Mobile, "Mobile must be a 10-digit mobile number")
                }
            });
    let id_type = match cell(Column::IdType) {
        "" => Err(err(Column::IdType, "Photo ID type is required")),
        s => parse_id_type(pack, s).ok_or_else(|| err(Column::IdType, "Unknown photo ID type")),
    };
    let photo_id = match (&id_type, cell(Column::IdNumber)) {
        (_, "") => Err(Some(err(Column::IdNumber, "Photo ID number is required"))),
        (Ok(t), s) => match pack.id_type(*t) {
            Some(def) => PhotoIdNumber::parse(def, s.strip_suffix(".0").unwrap_or(s))
                .map_err(|e| Some(err(Column::IdNumber, e.to_string()))),
            None => Err(None),
        },
        // The number cannot be checked without its type; the type's error says why.
        (Err(_), _) => Err(None),
    };
    let occupation = match cell(Column::Occupation) {
        "" => Err(err(Column::Occupation, "Occupation is required")),
        s => Occupation::parse(s).ok_or_else(|| {
            err(Column::Occupation, "Occupation must be health_worker, frontline_worker or other")
        }),
    };
    let employer = cell(Column::Employer);
    let employer = if employer.chars().count() > MAX_TEXT {
        Err(err(Column::Employer, "Employer may have at most 200 characters"))
    } else {
        Ok(employer.to_owned())
    };
    let employee_id = cell(Column::EmployeeId);
    let employee_id = if employee_id.chars().count() > MAX_TEXT {
        Err(err(Column::EmployeeId, "Employee ID may have at most 200 characters"))
    } else {
        Ok(employee_id.to_owned())
    };
    let posting_center = match cell(Column::PostingFacility) {
        "" => Ok(None),
        s => s
            .strip_suffix(".0")
            .unwrap_or(s)
            .parse::<CenterId>()
            .map(Some)
            .map_err(|_| err(Column::PostingFacility, "Facility ID must be a number")),
    };
    let posting = parse_pincode(pack, Column::PostingPincode, cell(Column::PostingPincode));
    let home = parse_pincode(pack, Column::HomePincode, cell(Column::HomePincode));
    let comorbidity = {
        let s = cell(Column::Comorbidity);
        let yes_no = match s.to_lowercase().as_str() {
            "yes" | "true" | "1" => "Y",
            "no" | "false" | "0" => "N",
            _ => s,
        };
        parse_comorbidity(Some(yes_no))
            .map_err(|_| err(Column::Comorbidity, "Comorbidity must be yes or no"))
    };

    let mut take = |r: Result<(), FieldError>| {
        if let Err(e) = r {
            errors.push(e);
        }
    };
    take(name.as_ref().map(|_| ()).map_err(Clone::clone));
    take(birth_year.as_ref().map(|_| ()).map_err(Clone::clone));
    take(gender.as_ref().map(|_| ()).map_err(Clone::clone));
    take(mobile.as_ref().map(|_| ()).map_err(Clone::clone));
    take(id_type.as_ref().map(|_| ()).map_err(Clone::clone));
    if let Err(Some(e)) = &photo_id {
        take(Err(e.clone()));
    }
    take(occupation.as_ref().map(|_| ()).map_err(Clone::clone));
    take(employer.as_ref().map(|_| ()).map_err(Clone::clone));
    take(employee_id.as_ref().map(|_| ()).map_err(Clone::clone));
    take(posting_center.as_ref().map(|_| ()).map_err(Clone::clone));
    take(posting.as_ref().map(|_| ()).map_err(Clone::clone));
    take(home.as_ref().map(|_| ()).map_err(Clone::clone));
    if matches!((&posting, &home), (Ok(None), Ok(None))) {
        take(Err(err(Column::HomePincode, "A posting pincode or a home pincode is required")));
    }
    take(comorbidity.as_ref().map(|_| ()).map_err(Clone::clone));

    match (
        name,
        birth_year,
        gender,
        mobile,
        id_type,
        photo_id,
        occupation,
        employer,
        employee_id,
        posting_center,
        posting,
        home,
        comorbidity,
    ) {
        (
            Ok(name),
            Ok(birth_year),
            Ok(gender_id),
            Ok(mobile),
            Ok(photo_id_type),
            Ok(photo_id),
            Ok(occupation),
            Ok(employer),
            Ok(employee_id),
            Ok(posting_center),
            Ok(posting),
            Ok(home),
            Ok(comorbidity),
        ) if errors.is_empty() => {
            let Some((_, state, district)) = posting.or(home) else {
                return Err(errors);
            };
            Ok(ListRow {
                name,
                birth_year,
                gender_id,
                mobile,
                photo_id_type,
                photo_id,
                occupation,
                employer,
                employee_id,
                posting_center,
                posting_pincode: posting.map(|p| p.0),
                home_pincode: home.map(|p| p.0),
                comorbidity,
                state,
                district,
            })
        }
        _ => Err(errors),
    }
}

/// Hides all but the last 4 characters of a value (ID numbers, mobiles) for error reports.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{keep}", "*".repeat(chars.len() - 4))
}

/// The hint of a bad value shown in an error report: masked for mobiles and ID numbers,
/// at most 40 characters of the rest.
pub fn value_hint(column: &str, value: &str) -> String {
    let value = value.trim();
    if column == Column::Mobile.name() || column == Column::IdNumber.name() {
        return mask(value);
    }
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests;
