//! The demo officials (`tika serve --demo`): a national official, the district official of the
//! demo vaccination site's district, and the official of another district, so the console's
//! permissions can be tried (and are, by `e2e/console.mjs`).
//!
//! The demo cold chain of the demo district is loaded here too (`coldchain.rs`).
//!
//! Idempotent: officials that exist already are left as they are.  The passwords are fixed
//! and printed at start-up; they exist only in demo databases.

mod coldchain;

use tika_domain::admin::Area;
use tika_domain::country::CountryPack;
use tika_domain::ids::{CenterId, DistrictId};
use tika_domain::staff::Username;
use tika_storage::{DynStore, StorageError};

/// The national official (username, password).
pub(crate) const NATIONAL: (&str, &str) = ("admin", "tika-demo-national1");
/// The official of the demo site's district.
pub(crate) const DISTRICT: (&str, &str) = ("delhi.admin", "tika-demo-delhi1");
/// The official of another district.
pub(crate) const OTHER: (&str, &str) = ("mumbai.admin", "tika-demo-mumbai1");

/// New Delhi: the demo district when there is no demo site.
const NEW_DELHI: i64 = 156;
/// Mumbai Suburban: the other district (Mumbai when the demo site is there).
const MUMBAI_SUBURBAN: i64 = 395;
const MUMBAI: i64 = 394;

/// Who was set up: the two districts' names.
pub(crate) struct DemoOfficials {
    /// The demo site's district.
    pub(crate) district: String,
    /// The other district.
    pub(crate) other: String,
}

fn district_area(pack: &CountryPack, id: i64) -> anyhow::Result<(Area, String)> {
    let d = pack
        .district(DistrictId(id))
        .ok_or_else(|| anyhow::anyhow!("district {id} is not in the country pack"))?;
    Ok((Area::District { state: d.state_id, district: d.id }, d.name.clone()))
}

/// Creates the demo officials for the district of `site` (the demo facility).
pub(crate) async fn load(
    store: &DynStore,
    pack: &CountryPack,
    site: Option<CenterId>,
    now_ms: i64,
) -> anyhow::Result<DemoOfficials> {
    let home = match site {
        Some(c) => store.find_center(c).await?.district_id.0,
        None => NEW_DELHI,
    };
    let other = if home == MUMBAI_SUBURBAN { MUMBAI } else { MUMBAI_SUBURBAN };
    let (home_area, home_name) = district_area(pack, home)?;
    let (other_area, other_name) = district_area(pack, other)?;
    for ((username, password), name, area) in [
        (NATIONAL, "National Console Officer", Area::National),
        (DISTRICT, "District Immunisation Officer", home_area),
        (OTHER, "Other District Officer", other_area),
    ] {
        match store.find_admin_by_username(&Username::parse(username)?).await {
            Ok(_) => continue,
            Err(StorageError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        crate::admin::create(store, username, name, None, area, password, now_ms).await?;
    }
    let today = chrono::DateTime::from_timestamp_millis(
        now_ms + i64::from(pack.timezone_offset_minutes) * 60_000,
    )
    .map(|t| t.date_naive())
    .unwrap_or_default();
    let started = std::time::Instant::now();
    match coldchain::load(store, pack, DistrictId(home), site, today, now_ms).await {
        Ok(n) => tracing::info!(
            demo.cold_chain_points = n,
            duration_ms = started.elapsed().as_millis() as u64,
            "demo cold chain loaded"
        ),
        // The rest of the demo works without it.
        Err(e) => tracing::warn!(error = %e, "demo cold chain not loaded"),
    }
    Ok(DemoOfficials { district: home_name, other: other_name })
}
