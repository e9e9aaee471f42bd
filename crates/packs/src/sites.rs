//! Seed sites: real post-office locations, used to place demo vaccination facilities.

use std::io::Read;

use crate::error::PackLoadError;
use crate::table::Table;

/// What kind of post office a site is (the file's `kind` column: `H`, `P` or `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteKind {
    /// A head post office (`H`).
    HeadOffice,
    /// A sub post office (`P`).
    PostOffice,
    /// A branch post office, usually rural (`B`).
    BranchOffice,
}

/// One seed site: a named place with a pincode and coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSeed {
    /// The pincode it serves.
    pub pincode: u32,
    /// Its name.
    pub name: String,
    /// What kind of office it is.
    pub kind: SiteKind,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Gunzips and parses a `sites.csv.gz` (`pincode,name,kind,lat,lon`).
pub fn parse_sites_gz(gz: &[u8]) -> Result<Vec<SiteSeed>, PackLoadError> {
    parse_sites("sites.csv.gz", flate2::read::MultiGzDecoder::new(gz))
}

pub(crate) fn parse_sites(
    file: &'static str,
    input: impl Read,
) -> Result<Vec<SiteSeed>, PackLoadError> {
    let mut t = Table::new(file, input)?;
    let (c_pin, c_name, c_kind) = (t.col("pincode")?, t.col("name")?, t.col("kind")?);
    let (c_lat, c_lon) = (t.col("lat")?, t.col("lon")?);
    let mut out = Vec::new();
    while let Some(row) = t.next_row()? {
        let kind = match row.text(c_kind) {
            "H" | "h" => SiteKind::HeadOffice,
            "P" | "p" => SiteKind::PostOffice,
            "B" | "b" => SiteKind::BranchOffice,
            other => return Err(row.error(c_kind, format!("expected H, P or B (value {other:?})"))),
        };
        out.push(SiteSeed {
            pincode: row.parse(c_pin)?,
            name: row.required_text(c_name)?.to_owned(),
            kind,
            lat: row.coordinate(c_lat, 90.0)?,
            lon: row.coordinate(c_lon, 180.0)?,
        });
    }
    Ok(out)
}
