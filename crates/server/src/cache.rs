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
use tika_domain::session::{AgeLimits, Slot};
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
    /// Seats claimed by this process's bookings still in flight, per dose (see [`SeatClaim`]).
    claimed_dose1: AtomicU32,
    claimed_dose2: AtomicU32,
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

    fn claimed(&self, dose: DoseNumber) -> &AtomicU32 {
        if dose == DoseNumber::FIRST { &self.claimed_dose1 } else { &self.claimed_dose2 }
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
    /// Which build this is: every rebuild gets a new number, so anything derived from an older
    /// index (a kept response body) can tell it is from another snapshot.
    pub epoch: u64,
}

/// Numbers the index builds of this process.
static BUILDS: AtomicU64 = AtomicU64::new(0);

impl Index {
    fn build(
        pack: &CountryPack,
        centers: Vec<Center>,
        sessions: Vec<Session>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Self {
        let epoch = BUILDS.fetch_add(1, Ordering::Relaxed) + 1;
        let mut idx = Index { from, to, epoch, ..Index::default() };
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
                claimed_dose1: AtomicU32::new(0),
                claimed_dose2: AtomicU32::new(0),
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

/// What the cache says about letting a booking go to the database now.
#[derive(Debug)]
pub enum Admission {
    /// Go on; the claim holds the seats in memory until it is dropped.
    Go(SeatClaim),
    /// The committed seat counts show the session full (or cancelled).
    Full,
    /// Bookings already in flight in this process could take every seat left: wait for one
    /// of them to finish, then ask again.
    Wait,
    /// The session is not in memory: only the database can tell.
    Unknown,
}

/// Seats a booking in flight may take, held in memory so that a booking storm sends only as
/// many bookings to the database at once as there are seats left.  Dropping it gives the seats
/// back and wakes the bookings waiting for them; drop it only after the booking's outcome has
/// been written through to the cache.
#[derive(Debug)]
pub struct SeatClaim {
    index: Arc<Index>,
    pos: u32,
    dose: DoseNumber,
    seats: u32,
    released: Arc<tokio::sync::Notify>,
}

impl Drop for SeatClaim {
    fn drop(&mut self) {
        let s = &self.index.sessions[self.pos as usize];
        let left = s.claimed(self.dose).fetch_sub(self.seats, Ordering::AcqRel) - self.seats;
        // Waiters only need waking when their answer may have changed: nothing is in flight any
        // more (each can now be told "full" or go on), or seats are free that no booking in
        // flight claims (this booking failed).  A booking that took its seats leaves both
        // unchanged, so a storm of 150 successes wakes the waiting thousands once, not 150 times.
        if left == 0 || s.available(self.dose) > left {
            self.released.notify_waiters();
        }
    }
}

/// The cache: the current index plus the bookkeeping to keep it fresh.
pub struct SessionCache {
    /// Woken whenever a [`SeatClaim`] is given back.
    released: Arc<tokio::sync::Notify>,
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
            released: Arc::new(tokio::sync::Notify::new()),
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

    /// Decides whether a booking of `seats` seats for `dose` may go to the database now (see
    /// [`Admission`]).  Only the committed counts refuse; seats claimed by bookings in flight
    /// only make the caller wait, since those bookings may still fail.
    pub fn admit(&self, id: SessionId, dose: DoseNumber, seats: u32) -> Admission {
        let index = self.index();
        let Some(&pos) = index.session_pos.get(&id) else { return Admission::Unknown };
        let s = &index.sessions[pos as usize];
        let available = s.available(dose);
        if !s.is_active() || available < seats {
            return Admission::Full;
        }
        let claimed = s.claimed(dose);
        let mut current = claimed.load(Ordering::Acquire);
        loop {
            if current.saturating_add(seats) > available {
                return Admission::Wait;
            }
            match claimed.compare_exchange_weak(
                current,
                current + seats,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        Admission::Go(SeatClaim {
            index: Arc::clone(&index),
            pos,
            dose,
            seats,
            released: Arc::clone(&self.released),
        })
    }

    /// Notified whenever a [`SeatClaim`] is given back (register before calling
    /// [`SessionCache::admit`], so a release in between is not missed).
    pub fn claim_released(&self) -> &tokio::sync::Notify {
        &self.released
    }

    /// Milliseconds since the last refresh.
    pub fn age_ms(&self, now_ms: i64) -> i64 {
        now_ms - self.last_refresh_ms.load(Ordering::Relaxed)
    }
}
