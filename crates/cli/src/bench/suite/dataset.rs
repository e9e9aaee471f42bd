//! The national dataset every scenario runs on: facilities at real post-office locations in
//! every district with sessions for 7 days (the demo loader, `demo::load`), and a registered
//! population of millions, one to four people per mobile, loaded in bulk
//! (`Store::insert_population`).
//!
//! Deterministic from the seed: the same ids, mobiles, photo ids and reference ids every time,
//! so a database filled once can be reused (`--database-url`) and its people found again.
//! Mobiles are `91xxxxxxxx` numbers and photo ids Aadhaar numbers in ranges no other benchmark
//! draws from.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use futures::StreamExt;
use tika_domain::ids::{AccountId, BeneficiaryId, BeneficiaryRef};
use tika_domain::mobile::Mobile;
use tika_server::AppState;
use tika_storage::{Account, NewBeneficiaryRecord, Session};

use crate::bench::{aadhaar, thousands};
use crate::demo;

/// How big.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// Facilities.
    pub(crate) facilities: usize,
    /// Registered beneficiaries.
    pub(crate) people: u64,
    /// Seed of the population's ids.
    pub(crate) seed: u64,
}

/// One registered person the scenarios act for (the first of their account).
#[derive(Debug, Clone)]
pub(crate) struct Citizen {
    /// Their account.
    pub(crate) account: AccountId,
    /// The person.
    pub(crate) beneficiary: BeneficiaryId,
    /// Their reference id.
    pub(crate) reference: BeneficiaryRef,
}

/// What the scenarios need to know about the dataset.
pub(crate) struct Dataset {
    /// The first accounts' first people, in order (at most `keep` of them).
    pub(crate) citizens: Vec<Citizen>,
    /// Active sessions of the coming 7 days.
    pub(crate) sessions: Vec<Session>,
    /// Search keys weighted by popularity: (pincode, weight) of pincodes with sessions.
    pub(crate) pincodes: Vec<(u32, u32)>,
    /// Districts with sessions.
    pub(crate) districts: Vec<i64>,
    /// Each facility's pincode.
    pub(crate) center_pins: HashMap<i64, u32>,
}

/// A 64-bit mix (splitmix64), for deterministic choices.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The mobile of population account `n`.
fn population_mobile(n: u64) -> anyhow::Result<Mobile> {
    Mobile::parse(&format!("{}", 9_100_000_000 + n % 800_000_000))
        .map_err(|e| anyhow::anyhow!("population mobile: {e}"))
}

fn account_id(seed: u64, n: u64) -> AccountId {
    AccountId::from_uuid(uuid::Uuid::from_u128(
        (0x5449_4B41_u128 << 96) | (u128::from(seed & 0xFFFF_FFFF) << 64) | u128::from(n),
    ))
}

fn beneficiary_id(seed: u64, p: u64) -> BeneficiaryId {
    BeneficiaryId::from_uuid(uuid::Uuid::from_u128(
        (0x4245_4E45_u128 << 96) | (u128::from(seed & 0xFFFF_FFFF) << 64) | u128::from(p),
    ))
}

/// The reference id of population person `p`: `9…`, apart from random ones mostly.
fn reference(p: u64) -> BeneficiaryRef {
    BeneficiaryRef::from_random(80_000_000_000_000 + p)
}

/// People on account `n`: one to four.
fn family_size(seed: u64, n: u64) -> u64 {
    1 + mix(seed ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D)) % 4
}

/// Accounts `from..` with their people, starting at person number `first_person`, until
/// `accounts` accounts are made.
fn accounts(
    state: &AppState,
    spec: Spec,
    from: u64,
    accounts: u64,
    first_person: u64,
    year: i32,
    now_ms: i64,
) -> anyhow::Result<Vec<(Account, Vec<NewBeneficiaryRecord>)>> {
    let mut out = Vec::with_capacity(accounts as usize);
    let mut p = first_person;
    for n in from..from + accounts {
        let id = account_id(spec.seed, n);
        let account = Account { id, mobile: population_mobile(n)?, language: "en".into() };
        let mut people = Vec::new();
        for _ in 0..family_size(spec.seed, n) {
            if p >= spec.people {
                break;
            }
            let photo = aadhaar(50_000_000_000 + p);
            let r = mix(spec.seed ^ p);
            people.push(NewBeneficiaryRecord {
                id: beneficiary_id(spec.seed, p),
                reference_id: reference(p),
                account_id: id,
                name: "Bench Citizen".into(),
                birth_year: year - 18 - (r % 67) as i32,
                gender_id: 1 + ((r >> 8) % 3) as i64,
                photo_id_type: 1,
                photo_id_hash: state.keys.hash_photo_id(1, &photo),
                photo_id_last4: photo[photo.len() - 4..].to_owned(),
                comorbidity: (r >> 16).is_multiple_of(9),
                created_at_ms: now_ms,
            });
            p += 1;
        }
        if people.is_empty() {
            break;
        }
        out.push((account, people));
    }
    Ok(out)
}

/// Accounts per `insert_population` call.
const ACCOUNTS_PER_CALL: u64 = 4_000;

/// Fills the database at `url` (what is there already is kept) and describes it.  `keep` is how
/// many citizens the scenarios need.
pub(crate) async fn fill(
    state: &AppState,
    url: &str,
    spec: Spec,
    keep: usize,
) -> anyhow::Result<Dataset> {
    let store = &state.store;
    let today = state.today();
    let now_ms = state.now_ms();
    let year = chrono::Datelike::year(&today);

    let started = Instant::now();
    let size = demo::DemoSize { facilities: spec.facilities, days: 7 };
    let (centers, sessions) = demo::load(store, &state.pack, size, today, now_ms).await?;
    eprintln!(
        "bench: {} facilities, {} sessions for 7 days ({:.1} s)",
        thousands(centers),
        thousands(sessions),
        started.elapsed().as_secs_f64()
    );

    // The population, unless a previous run loaded it.
    let started = Instant::now();
    let loaded = store.find_account_by_mobile(&population_mobile(0)?).await.is_ok();
    let mut plan: Vec<(u64, u64)> = Vec::new();
    {
        // (first account, first person) of each call, so calls can be built concurrently.
        let (mut n, mut p) = (0u64, 0u64);
        while p < spec.people {
            plan.push((n, p));
            for k in n..n + ACCOUNTS_PER_CALL {
                p += family_size(spec.seed, k);
            }
            n += ACCOUNTS_PER_CALL;
        }
    }
    if loaded {
        eprintln!("bench: reusing the population already in the database");
    } else {
        let done: Vec<anyhow::Result<u64>> = futures::stream::iter(plan.iter().copied())
            .map(|(n, p)| async move {
                let batch = accounts(state, spec, n, ACCOUNTS_PER_CALL, p, year, now_ms)?;
                Ok(store.insert_population(&batch, now_ms).await?)
            })
            .buffer_unordered(2)
            .collect()
            .await;
        let people: u64 = done.into_iter().sum::<anyhow::Result<u64>>()?;
        eprintln!(
            "bench: {} people registered in bulk ({:.1} s)",
            thousands(people),
            started.elapsed().as_secs_f64()
        );
    }

    // PostgreSQL plans from statistics, which a bulk load outruns (autovacuum may be minutes
    // behind, or off): analyze, as `tika import` does after its first chunk.
    if url.starts_with("postgres") {
        use sqlx::Connection as _;
        let started = Instant::now();
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        let _ = conn.close().await;
        eprintln!("bench: ANALYZE ({:.1} s)", started.elapsed().as_secs_f64());
    }

    // People who already booked or were vaccinated (by an earlier run on this database) are
    // passed over: a storm client or a probe must be free to book.
    let busy: HashSet<String> = {
        use sqlx::Connection as _;
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT beneficiary_id FROM appointments UNION SELECT beneficiary_id FROM vaccinations",
        )
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        ids.into_iter().collect()
    };
    let mut citizens = Vec::with_capacity(keep);
    let mut p = 0u64;
    for n in 0.. {
        if citizens.len() >= keep || p >= spec.people {
            break;
        }
        let beneficiary = beneficiary_id(spec.seed, p);
        if !busy.contains(&beneficiary.to_string()) {
            citizens.push(Citizen {
                account: account_id(spec.seed, n),
                beneficiary,
                reference: reference(p),
            });
        }
        p += family_size(spec.seed, n);
    }

    let sessions = store.list_sessions(today, today + chrono::Duration::days(6)).await?;
    let centers: HashMap<i64, (u32, i64)> = store
        .list_centers()
        .await?
        .into_iter()
        .map(|c| (c.id.0, (c.pincode, c.district_id.0)))
        .collect();
    let mut pins: HashMap<u32, u32> = HashMap::new();
    let mut districts: Vec<i64> = Vec::new();
    for s in &sessions {
        if let Some((pin, district)) = centers.get(&s.center_id.0) {
            pins.entry(*pin).or_insert(0);
            districts.push(*district);
        }
    }
    districts.sort_unstable();
    districts.dedup();
    // Popularity: how many post offices the pincode has, a stand-in for its population.
    for site in tika_packs::india_sites()? {
        if let Some(w) = pins.get_mut(&site.pincode) {
            *w += 1;
        }
    }
    let mut pincodes: Vec<(u32, u32)> = pins.into_iter().map(|(p, w)| (p, w.max(1))).collect();
    pincodes.sort_unstable();
    let center_pins = centers.iter().map(|(id, (pin, _))| (*id, *pin)).collect();
    Ok(Dataset { citizens, sessions, pincodes, districts, center_pins })
}

/// Picks from weighted items with a number in `0..total`.
pub(crate) struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    /// From the weights.
    pub(crate) fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let mut total = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        Self { cumulative }
    }

    /// The item a random `r` lands on.
    pub(crate) fn pick(&self, r: u64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = r % total;
        self.cumulative.partition_point(|&c| c <= x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_picks_follow_the_weights() {
        let w = Weighted::new([1, 0, 3]);
        assert_eq!((0..4).map(|r| w.pick(r)).collect::<Vec<_>>(), vec![0, 2, 2, 2]);
        let mut counts = [0u32; 3];
        for r in 0..4_000u64 {
            counts[w.pick(mix(r))] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((2_700..3_300).contains(&counts[2]), "{counts:?}");
        assert_eq!(Weighted::new([]).pick(7), 0);
    }

    #[test]
    fn population_ids_are_stable_and_apart() {
        assert_eq!(account_id(1, 5), account_id(1, 5));
        assert_ne!(account_id(1, 5), account_id(2, 5));
        assert_ne!(beneficiary_id(1, 5).as_uuid(), account_id(1, 5).as_uuid());
        assert!((1..=4).contains(&family_size(3, 10)));
        let sizes: u64 = (0..10_000).map(|n| family_size(7, n)).sum();
        // Two and a half people per mobile on average.
        assert!((24_000..26_000).contains(&sizes), "{sizes}");
        assert_eq!(
            population_mobile(0).map(|m| m.as_str().to_owned()).ok().as_deref(),
            Some("9100000000")
        );
    }
}
