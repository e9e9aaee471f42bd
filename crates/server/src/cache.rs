//! The slot-search cache: every centre and the sessions of the coming weeks, in memory.
//!
//! Static facts (names, places, capacities) live in an immutable [`Index`] swapped whole when it
//! is rebuilt; seats taken are atomics inside it, updated in place.  A background task reads the
//! sessions changed since its last look every second (with an overlap, so late commits are not
//! missed) and rebuilds the whole index when new sessions appear or the date rolls over.  This
//! process also writes through after each of its own bookings.  Staleness is therefore about a
//! second, bounded by `search_max_staleness` for cached response bodies.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use chrono::{Duration, NaiveDate};
use tika_domain::country::CountryPack;
use tika_domain::ids::{CenterId, DistrictId, SessionId};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::{Center, DynStore, Session, StorageResult};

/// Days before today kept in memory.
pub const WINDOW_PAST_DAYS: i64 = 1;
/// Days after today kept in memory.
pub const WINDOW_FUTURE_DAYS: i64 = 35;
/// Overlap when reading changes, so a transaction that committed late is still seen.
const CHANGE_OVERLAP_MS: i64 = 3_000;

/// A centre with the names the API shows.
#[derive(Debug, Clone)]
pub struct CenterInfo {
    /// The stored centre.
    pub center: Center,
    /// State name.
    pub state_name: String,
    /// State name in Hindi.
    pub state_name_l: String,
    /// District name.
    pub district_name: String,
}

/// A session with live seat counters.
#[derive(Debug)]
pub struct SessionInfo {
    /// Id.
    pub id: SessionId,
    /// Position of its centre in [`Index::centers`].
    pub center_idx: u32,
    /// Date.
    pub date: NaiveDate,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Age limits.
    pub ages: AgeLimits,
    /// Fee string.
    pub fee: String,
    /// Seats for dose 1.
    pub capacity_dose1: u32,
    /// Seats for dose 2.
    pub capacity_dose2: u32,
    /// Slots.
    pub slots: Vec<Slot>,
    booked_dose1: AtomicU32,
    booked_dose2: AtomicU32,
    active: AtomicBool,
}

impl SessionInfo {
    /// Seats left for dose 1.
    pub fn available_dose1(&self) -> u32 {
        self.capacity_dose1.saturating_sub(self.booked_dose1.load(Ordering::Relaxed))
    }

    /// Seats left for dose 2.
    pub fn available_dose2(&self) -> u32 {
        self.capacity_dose2.saturating_sub(self.booked_dose2.load(Ordering::Relaxed))
    }

    /// Seats left for a dose.
    pub fn available(&self, dose: DoseNumber) -> u32 {
        if dose == DoseNumber::FIRST { self.available_dose1() } else { self.available_dose2() }
    }

    /// Whether the session is still on.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }
}

/// One immutable snapshot of places and sessions.
#[derive(Debug, Default)]
pub struct Index {
    /// Centres.
    pub centers: Vec<CenterInfo>,
    center_pos: HashMap<CenterId, u32>,
    /// Sessions.
    pub sessions: Vec<SessionInfo>,
    session_pos: HashMap<SessionId, u32>,
    by_pincode: HashMap<u32, Vec<u32>>,
    by_district: HashMap<DistrictId, Vec<u32>>,
    /// Per centre, its sessions' positions sorted by date.
    sessions_of_center: Vec<Vec<u32>>,
    /// Per district, a counter bumped whenever one of its sessions changes.
    district_generation: HashMap<DistrictId, AtomicU64>,
    /// Dates covered.
    pub from: NaiveDate,
    /// Dates covered.
    pub to: NaiveDate,
}

impl Index {
    fn build(
        pack: &CountryPack,
        centers: Vec<Center>,
        sessions: Vec<Session>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Self {
        let mut idx = Index { from, to, ..Index::default() };
        for c in centers {
            let pos = u32::try_from(idx.centers.len()).unwrap_or(u32::MAX);
            let district = pack.district(c.district_id);
            let state = pack.state(c.state_id);
            idx.center_pos.insert(c.id, pos);
            idx.by_pincode.entry(c.pincode).or_default().push(pos);
            idx.by_district.entry(c.district_id).or_default().push(pos);
            idx.district_generation.entry(c.district_id).or_insert_with(|| AtomicU64::new(0));
            idx.centers.push(CenterInfo {
                state_name: state.map(|s| s.name.clone()).unwrap_or_default(),
                state_name_l: state.map(|s| s.name_l.clone()).unwrap_or_default(),
                district_name: district.map(|d| d.name.clone()).unwrap_or_default(),
                center: c,
            });
        }
        idx.sessions_of_center = vec![Vec::new(); idx.centers.len()];
        for s in sessions {
            let Some(&center_idx) = idx.center_pos.get(&s.center_id) else { continue };
            let pos = u32::try_from(idx.sessions.len()).unwrap_or(u32::MAX);
            idx.session_pos.insert(s.id, pos);
            idx.sessions_of_center[center_idx as usize].push(pos);
            idx.sessions.push(SessionInfo {
                id: s.id,
                center_idx,
                date: s.date,
                vaccine: s.vaccine,
                ages: s.ages,
                fee: s.fee,
                capacity_dose1: s.capacity_dose1,
                capacity_dose2: s.capacity_dose2,
                slots: s.slots,
                booked_dose1: AtomicU32::new(s.booked_dose1),
                booked_dose2: AtomicU32::new(s.booked_dose2),
                active: AtomicBool::new(s.active),
            });
        }
        let sessions = &idx.sessions;
        for list in &mut idx.sessions_of_center {
            list.sort_by_key(|&p| (sessions[p as usize].date, sessions[p as usize].id));
        }
        idx
    }

    /// Centres in a pincode.
    pub fn centers_in_pincode(&self, pincode: u32) -> &[u32] {
        self.by_pincode.get(&pincode).map_or(&[], Vec::as_slice)
    }

    /// Centres in a district.
    pub fn centers_in_district(&self, district: DistrictId) -> &[u32] {
        self.by_district.get(&district).map_or(&[], Vec::as_slice)
    }

    /// A centre's position.
    pub fn center_position(&self, id: CenterId) -> Option<u32> {
        self.center_pos.get(&id).copied()
    }

    /// A session by id.
    pub fn session(&self, id: SessionId) -> Option<&SessionInfo> {
        self.session_pos.get(&id).map(|&p| &self.sessions[p as usize])
    }

    /// A centre by position.
    pub fn center(&self, pos: u32) -> &CenterInfo {
        &self.centers[pos as usize]
    }

    /// A centre's active sessions with dates in `[from, to]`, by date.
    pub fn sessions_of(
        &self,
        center_pos: u32,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &SessionInfo> {
        self.sessions_of_center[center_pos as usize]
            .iter()
            .map(|&p| &self.sessions[p as usize])
            .filter(move |s| s.date >= from && s.date <= to && s.is_active())
    }

    /// The change counter of a district (0 if unknown).
    pub fn district_generation(&self, district: DistrictId) -> u64 {
        self.district_generation.get(&district).map_or(0, |g| g.load(Ordering::Relaxed))
    }

    /// Whether a date lies in the window held in memory.
    pub fn covers(&self, from: NaiveDate, to: NaiveDate) -> bool {
        from >= self.from && to <= self.to
    }

    /// Applies a stored session's counters; `false` if the session is unknown (needs a rebuild).
    fn apply(&self, s: &Session) -> bool {
        let Some(info) = self.session(s.id) else { return false };
        let changed_1 = info.booked_dose1.swap(s.booked_dose1, Ordering::Relaxed) != s.booked_dose1;
        let changed_2 = info.booked_dose2.swap(s.booked_dose2, Ordering::Relaxed) != s.booked_dose2;
        let changed_active = info.active.swap(s.active, Ordering::Relaxed) != s.active;
        let changed = changed_1 || changed_2 || changed_active;
        if changed {
            let district = self.centers[info.center_idx as usize].center.district_id;
            if let Some(g) = self.district_generation.get(&district) {
                g.fetch_add(1, Ordering::Relaxed);
            }
        }
        true
    }
}

/// The cache: the current index plus the bookkeeping to keep it fresh.
pub struct SessionCache {
    index: ArcSwap<Index>,
    store: DynStore,
    pack: Arc<CountryPack>,
    /// When changes were last read (ms).
    last_delta_ms: AtomicI64,
    /// When the index was last refreshed, fully or by delta (ms).
    last_refresh_ms: AtomicI64,
    needs_rebuild: AtomicBool,
}

impl SessionCache {
    /// Loads the index for the window around `today`.
    pub async fn load(
        store: DynStore,
        pack: Arc<CountryPack>,
        today: NaiveDate,
        now_ms: i64,
    ) -> StorageResult<Self> {
        let cache = Self {
            index: ArcSwap::from_pointee(Index::default()),
            store,
            pack,
            last_delta_ms: AtomicI64::new(now_ms),
            last_refresh_ms: AtomicI64::new(now_ms),
            needs_rebuild: AtomicBool::new(false),
        };
        cache.rebuild(today, now_ms).await?;
        Ok(cache)
    }

    /// The current index.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Rebuilds the whole index from the database.
    pub async fn rebuild(&self, today: NaiveDate, now_ms: i64) -> StorageResult<()> {
        let from = today - Duration::days(WINDOW_PAST_DAYS);
        let to = today + Duration::days(WINDOW_FUTURE_DAYS);
        let started = std::time::Instant::now();
        let centers = self.store.list_centers().await?;
        let sessions = self.store.list_sessions(from, to).await?;
        let (n_centers, n_sessions) = (centers.len(), sessions.len());
        let index = Index::build(&self.pack, centers, sessions, from, to);
        self.index.store(Arc::new(index));
        self.last_delta_ms.store(now_ms, Ordering::Relaxed);
        self.last_refresh_ms.store(now_ms, Ordering::Relaxed);
        self.needs_rebuild.store(false, Ordering::Relaxed);
        tracing::info!(
            cache.centers = n_centers,
            cache.sessions = n_sessions,
            duration_ms = started.elapsed().as_millis() as u64,
            "search cache rebuilt"
        );
        Ok(())
    }

    /// Reads what changed since the last look and applies it; rebuilds if needed.
    pub async fn refresh(&self, today: NaiveDate, now_ms: i64) -> StorageResult<()> {
        let index = self.index();
        let expected_from = today - Duration::days(WINDOW_PAST_DAYS);
        if index.from != expected_from || self.needs_rebuild.load(Ordering::Relaxed) {
            return self.rebuild(today, now_ms).await;
        }
        let since = self.last_delta_ms.load(Ordering::Relaxed) - CHANGE_OVERLAP_MS;
        let changed = self.store.sessions_changed_since(since, index.from, index.to).await?;
        let mut unknown = false;
        for s in &changed {
            unknown |= !index.apply(s);
        }
        self.last_delta_ms.store(now_ms, Ordering::Relaxed);
        self.last_refresh_ms.store(now_ms, Ordering::Relaxed);
        if unknown {
            self.rebuild(today, now_ms).await?;
        }
        Ok(())
    }

    /// Writes through a session this process just changed.
    pub fn apply(&self, session: &Session) {
        if !self.index().apply(session) {
            self.needs_rebuild.store(true, Ordering::Relaxed);
        }
    }

    /// Asks for a rebuild at the next refresh (new sessions were added).
    pub fn invalidate(&self) {
        self.needs_rebuild.store(true, Ordering::Relaxed);
    }

    /// Milliseconds since the last refresh.
    pub fn age_ms(&self, now_ms: i64) -> i64 {
        now_ms - self.last_refresh_ms.load(Ordering::Relaxed)
    }
}

/// Fee type shown for a centre.
pub fn fee_type_of(c: &CenterInfo) -> FeeType {
    c.center.fee_type
}
