//! Assignment of listed people to sessions near them: the pure algorithm.
//!
//! People are taken in priority order (a caller-supplied rank, then older first, then people
//! with a comorbidity, then the id, so the order is total and the result deterministic).  Each
//! gets the nearest facility — great-circle distance from the centroid of their posting pincode
//! (or home pincode, by the run's basis, with a fallback to the other) — that has a session
//! they fit (age) with a free first-dose seat, the earliest such session at that facility, and
//! a slot chosen so the session's seats spread evenly over its slots.  Seats are taken as the
//! run goes, so a person of higher priority is never sent farther than a facility a person of
//! lower priority then gets.
//!
//! Facilities are found through a grid of [`CELL_DEG`] cells searched in expanding rings, with
//! a facility leaving the grid once it has no free seat left: the cost grows with the people
//! and the facilities near each of them, never with people × facilities.
//!
//! Every outcome carries its explanation as data ([`Reason`] and its numbers); pages render it
//! in the reader's language.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use chrono::{Datelike, NaiveDate};

use crate::ids::BeneficiaryId;

/// Grid cell size, in degrees of latitude and longitude.
pub const CELL_DEG: f64 = 0.1;
/// Mean Earth radius, metres.
const EARTH_M: f64 = 6_371_008.8;
/// Metres per degree of latitude.
const M_PER_DEG: f64 = EARTH_M * std::f64::consts::PI / 180.0;

/// A point on the Earth, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl Point {
    /// A point with finite, in-range coordinates; `None` otherwise.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        (lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0)
            .then_some(Self { lat, lon })
    }
}

/// Great-circle (haversine) distance in metres.
pub fn haversine_m(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_M * h.sqrt().min(1.0).asin()
}

/// Which pincode a run measures from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// Where the person works (falls back to home).
    Posting,
    /// Where the person lives (falls back to the posting).
    Home,
}

impl Basis {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Posting => "posting",
            Basis::Home => "home",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "posting" => Some(Basis::Posting),
            "home" => Some(Basis::Home),
            _ => None,
        }
    }
}

/// What a person does, as their list says (the default ranking's input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    /// Health care worker.
    Health,
    /// Frontline worker.
    Frontline,
    /// Anyone else.
    Other,
}

/// One listed person, as the algorithm sees them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Id (the last tie-break).
    pub id: BeneficiaryId,
    /// Occupation.
    pub work: Work,
    /// Year of birth (age at a session = the session's year − this, as CoWIN counts).
    pub birth_year: i32,
    /// Whether the person has a comorbidity.
    pub comorbidity: bool,
    /// Centroid of the posting pincode, when known.
    pub posting: Option<Point>,
    /// Centroid of the home pincode, when known.
    pub home: Option<Point>,
    /// Already booked for, or given, a first dose: nothing to do.
    pub already_booked: bool,
}

impl Person {
    /// Where the person is measured from under `basis`, falling back to the other pincode.
    pub fn origin(&self, basis: Basis) -> Option<Point> {
        match basis {
            Basis::Posting => self.posting.or(self.home),
            Basis::Home => self.home.or(self.posting),
        }
    }
}

/// The default priority rank (lower goes first): health workers, frontline workers, others;
/// everyone is eligible.  The console ranks by the campaign policy in force instead
/// ([`crate::policy::Policy::priority_rank`]).
pub fn default_rank(p: &Person) -> Option<u32> {
    Some(match p.work {
        Work::Health => 0,
        Work::Frontline => 1,
        Work::Other => 2,
    })
}

/// The priority rank under a campaign policy version on `date`: the best rank of the person's
/// groups open that day (see [`crate::policy::Policy::priority_rank`]); `None` when the
/// version does not admit the person yet.
pub fn policy_rank(policy: &crate::country::Policy, date: NaiveDate, p: &Person) -> Option<u32> {
    use crate::policy::{Occupation, PersonFacts};
    let facts = PersonFacts {
        birth_year: crate::beneficiary::BirthYear::from_stored(p.birth_year),
        comorbidity: p.comorbidity,
        occupation: Some(match p.work {
            Work::Health => Occupation::HealthWorker,
            Work::Frontline => Occupation::FrontlineWorker,
            Work::Other => Occupation::Other,
        }),
    };
    policy.priority_rank(&facts, date)
}

/// One session of a facility, with its free first-dose seats.
#[derive(Debug, Clone)]
pub struct SessionSeats {
    /// Date.
    pub date: NaiveDate,
    /// Youngest age admitted (the session's, the vaccine's and the policy's, whichever is higher).
    pub min_age: u8,
    /// Oldest age admitted, if bounded.
    pub max_age: Option<u8>,
    /// First-dose capacity.
    pub capacity: u32,
    /// First-dose seats already taken.
    pub booked: u32,
    /// Number of slots (at least one is assumed).
    pub slots: u32,
}

impl SessionSeats {
    fn admits(&self, birth_year: i32) -> bool {
        let age = self.date.year() - birth_year;
        age >= i32::from(self.min_age) && self.max_age.is_none_or(|m| age <= i32::from(m))
    }
}

/// A facility with coordinates and its sessions (any order; earliest first is chosen).
#[derive(Debug, Clone)]
pub struct Facility {
    /// Tie-break between facilities at the same distance (the facility id).
    pub key: i64,
    /// Where it is.
    pub at: Point,
    /// Its sessions that may be assigned.
    pub sessions: Vec<SessionSeats>,
}

/// Options of a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Which pincode people are measured from.
    pub basis: Basis,
    /// The farthest a person is sent, metres.
    pub max_distance_m: f64,
}

/// Why a person got what they got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Assigned to the nearest facility with a fitting free seat.
    Assigned,
    /// Already booked for (or given) the first dose.
    AlreadyBooked,
    /// Neither pincode has a known centroid.
    NoCentroid,
    /// No facility with a session in the run's dates within the distance.
    NothingWithin,
    /// Sessions within the distance would fit, but all were full.
    AllFull,
    /// Every session within the distance is for older people.
    AgeNotAdmitted,
    /// Assigned here, but the session filled (citizens booked) before the seat was written.
    FilledMeanwhile,
    /// The campaign policy in force puts the person in no priority group open on the run's
    /// first date (or the person is too young for it).
    NotEligible,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 8] = [
        Reason::Assigned,
        Reason::AlreadyBooked,
        Reason::NoCentroid,
        Reason::NothingWithin,
        Reason::AllFull,
        Reason::AgeNotAdmitted,
        Reason::FilledMeanwhile,
        Reason::NotEligible,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Assigned => "assigned",
            Reason::AlreadyBooked => "already_booked",
            Reason::NoCentroid => "no_centroid",
            Reason::NothingWithin => "nothing_within",
            Reason::AllFull => "all_full",
            Reason::AgeNotAdmitted => "age_not_admitted",
            Reason::FilledMeanwhile => "filled_meanwhile",
            Reason::NotEligible => "not_eligible",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What happened to one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Index of the person in the input.
    pub person: usize,
    /// Position in the priority order (0 first).
    pub order: usize,
    /// Why.
    pub reason: Reason,
    /// The facility (index in the input) and session (index in its sessions), when assigned.
    pub facility: Option<usize>,
    /// Session index within the facility, when assigned.
    pub session: Option<usize>,
    /// Slot index within the session, when assigned.
    pub slot: Option<u32>,
    /// Distance to the facility, metres (when assigned; 0 otherwise).
    pub distance_m: f64,
    /// Facilities nearer than the one chosen (or within the distance, when none was) that had
    /// no fitting free seat when the person's turn came.
    pub nearer_without_seat: u32,
}

/// A facility found in the search, ordered nearest first (ties: lower key first).
struct Candidate {
    d: f64,
    key: i64,
    idx: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the nearest on top.
        o.d.total_cmp(&self.d).then(o.key.cmp(&self.key)).then(o.idx.cmp(&self.idx))
    }
}

fn cell_of(p: Point) -> (i32, i32) {
    ((p.lat / CELL_DEG).floor() as i32, (p.lon / CELL_DEG).floor() as i32)
}

/// Facilities by grid cell; a facility leaves `open` for `spent` when its seats are gone.
struct Grid {
    open: HashMap<(i32, i32), Vec<usize>>,
    spent: HashMap<(i32, i32), Vec<usize>>,
}

/// A lower bound, metres, on the distance from `p` to any point outside the square of cells
/// within `r` rings of `p`'s cell.
fn outside_bound_m(p: Point, r: i32) -> f64 {
    let (cy, cx) = cell_of(p);
    let south = p.lat - f64::from(cy - r) * CELL_DEG;
    let north = f64::from(cy + r + 1) * CELL_DEG - p.lat;
    let west = p.lon - f64::from(cx - r) * CELL_DEG;
    let east = f64::from(cx + r + 1) * CELL_DEG - p.lon;
    // Longitude shrinks towards the poles: use the widest latitude the square reaches.
    let far_lat = (p.lat.abs() + f64::from(r + 1) * CELL_DEG).min(89.9);
    let lon_scale = far_lat.to_radians().cos();
    let lat_m = south.min(north) * M_PER_DEG;
    let lon_m = west.min(east) * M_PER_DEG * lon_scale;
    // Haversine distances are within a fraction of a percent of this flat bound at these
    // scales; shave 1% so the bound stays a bound.
    lat_m.min(lon_m) * 0.99
}

/// Assigns people to sessions.  `rank` gives each person's priority group (lower first), or
/// `None` when the person may not be vaccinated yet (outcome [`Reason::NotEligible`]).
/// Returns one outcome per person, in priority order.  `facilities` are consumed as seats are
/// taken (their `booked` counts grow), so the caller sees what is left.
pub fn assign<F>(
    people: &[Person],
    facilities: &mut [Facility],
    options: Options,
    rank: F,
) -> Vec<Outcome>
where
    F: Fn(&Person) -> Option<u32>,
{
    // Earliest session first at each facility (stable for equal dates).
    for f in facilities.iter_mut() {
        f.sessions.sort_by_key(|s| s.date);
    }
    // Not eligible sorts last (rank None → u32::MAX) and is told apart below.
    let mut order: Vec<(u32, i32, bool, BeneficiaryId, usize)> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (rank(p).unwrap_or(u32::MAX), p.birth_year, !p.comorbidity, p.id, i))
        .collect();
    order.sort_unstable();

    let mut free: Vec<u64> = facilities
        .iter()
        .map(|f| f.sessions.iter().map(|s| u64::from(s.capacity.saturating_sub(s.booked))).sum())
        .collect();
    let mut grid = Grid { open: HashMap::new(), spent: HashMap::new() };
    for (i, f) in facilities.iter().enumerate() {
        let cell = cell_of(f.at);
        if free[i] > 0 { &mut grid.open } else { &mut grid.spent }.entry(cell).or_default().push(i);
    }
    let max_rings = {
        // Rings needed so the square's inner bound exceeds the distance anywhere in India's
        // latitudes; capped so a huge distance cannot make a run scan the planet cell by cell.
        let cells = options.max_distance_m / (M_PER_DEG * CELL_DEG * 0.5);
        (cells.ceil() as i32).clamp(1, 2000) + 1
    };

    let mut out = Vec::with_capacity(people.len());
    let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
    let mut spent_seen: Vec<(f64, usize)> = Vec::new();
    for (n, &(r, _, _, _, pi)) in order.iter().enumerate() {
        let p = &people[pi];
        let base = Outcome {
            person: pi,
            order: n,
            reason: Reason::Assigned,
            facility: None,
            session: None,
            slot: None,
            distance_m: 0.0,
            nearer_without_seat: 0,
        };
        if p.already_booked {
            out.push(Outcome { reason: Reason::AlreadyBooked, ..base });
            continue;
        }
        if r == u32::MAX && rank(p).is_none() {
            out.push(Outcome { reason: Reason::NotEligible, ..base });
            continue;
        }
        let Some(origin) = p.origin(options.basis) else {
            out.push(Outcome { reason: Reason::NoCentroid, ..base });
            continue;
        };
        heap.clear();
        spent_seen.clear();
        let (cy, cx) = cell_of(origin);
        let mut without_seat = 0u32;
        let mut saw_facility = false;
        let mut saw_age_fit = false;
        let mut chosen: Option<(usize, usize, f64)> = None;
        'rings: for r in 0..=max_rings {
            // Add the facilities of ring r.
            for dy in -r..=r {
                let step = if dy == -r || dy == r { 1 } else { 2 * r.max(1) };
                let mut dx = -r;
                while dx <= r {
                    let cell = (cy + dy, cx + dx);
                    if let Some(v) = grid.open.get(&cell) {
                        for &fi in v {
                            let d = haversine_m(origin, facilities[fi].at);
                            if d <= options.max_distance_m {
                                heap.push(Candidate { d, key: facilities[fi].key, idx: fi });
                            }
                        }
                    }
                    if let Some(v) = grid.spent.get(&cell) {
                        for &fi in v {
                            let d = haversine_m(origin, facilities[fi].at);
                            if d <= options.max_distance_m {
                                spent_seen.push((d, fi));
                            }
                        }
                    }
                    dx += step;
                }
            }
            let bound = outside_bound_m(origin, r);
            // Everything nearer than `bound` has been seen: try it, nearest first.
            while let Some(c) = heap.peek() {
                if c.d > bound && r < max_rings {
                    break;
                }
                let Some(c) = heap.pop() else { break };
                saw_facility = true;
                let f = &facilities[c.idx];
                let mut fit = None;
                for (si, s) in f.sessions.iter().enumerate() {
                    if s.admits(p.birth_year) {
                        saw_age_fit = true;
                        if s.booked < s.capacity {
                            fit = Some(si);
                            break;
                        }
                    }
                }
                match fit {
                    Some(si) => {
                        chosen = Some((c.idx, si, c.d));
                        break 'rings;
                    }
                    None => without_seat += 1,
                }
            }
            if bound > options.max_distance_m {
                break;
            }
        }
        match chosen {
            Some((fi, si, d)) => {
                let nearer_spent = spent_seen.iter().filter(|(sd, _)| *sd < d).count();
                let s = &mut facilities[fi].sessions[si];
                let slots = s.slots.max(1);
                let slot = u32::try_from(
                    u64::from(s.booked) * u64::from(slots) / u64::from(s.capacity.max(1)),
                )
                .unwrap_or(0)
                .min(slots - 1);
                s.booked += 1;
                free[fi] = free[fi].saturating_sub(1);
                if free[fi] == 0 {
                    let cell = cell_of(facilities[fi].at);
                    if let Some(v) = grid.open.get_mut(&cell) {
                        v.retain(|&x| x != fi);
                    }
                    grid.spent.entry(cell).or_default().push(fi);
                }
                out.push(Outcome {
                    reason: Reason::Assigned,
                    facility: Some(fi),
                    session: Some(si),
                    slot: Some(slot),
                    distance_m: d,
                    nearer_without_seat: without_seat
                        + u32::try_from(nearer_spent).unwrap_or(u32::MAX),
                    ..base
                });
            }
            None => {
                if !spent_seen.is_empty() {
                    saw_facility = true;
                    saw_age_fit = saw_age_fit
                        || spent_seen.iter().any(|&(_, fi)| {
                            facilities[fi].sessions.iter().any(|s| s.admits(p.birth_year))
                        });
                }
                let reason = if !saw_facility {
                    Reason::NothingWithin
                } else if saw_age_fit {
                    Reason::AllFull
                } else {
                    Reason::AgeNotAdmitted
                };
                out.push(Outcome {
                    reason,
                    nearer_without_seat: without_seat
                        + u32::try_from(spent_seen.len()).unwrap_or(u32::MAX),
                    ..base
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap_or_default()
    }

    fn person(n: u128, work: Work, birth_year: i32, at: (f64, f64)) -> Person {
        Person {
            id: BeneficiaryId::from_uuid(uuid::Uuid::from_u128(n)),
            work,
            birth_year,
            comorbidity: false,
            posting: Point::new(at.0, at.1),
            home: None,
            already_booked: false,
        }
    }

    fn facility(key: i64, at: (f64, f64), seats: u32) -> Facility {
        Facility {
            key,
            at: Point { lat: at.0, lon: at.1 },
            sessions: vec![SessionSeats {
                date: day(10),
                min_age: 18,
                max_age: None,
                capacity: seats,
                booked: 0,
                slots: 4,
            }],
        }
    }

    const OPTS: Options = Options { basis: Basis::Posting, max_distance_m: 50_000.0 };

    #[test]
    fn haversine_is_about_right() {
        // Delhi to Mumbai is about 1,150 km.
        let d = haversine_m(Point { lat: 28.61, lon: 77.21 }, Point { lat: 19.08, lon: 72.88 });
        assert!((1_100_000.0..1_200_000.0).contains(&d), "{d}");
    }

    #[test]
    fn nearest_facility_with_a_seat_wins_and_priority_goes_first() {
        let people = vec![
            person(1, Work::Other, 1980, (28.60, 77.20)),
            person(2, Work::Health, 1990, (28.60, 77.20)),
        ];
        let mut fac = vec![facility(1, (28.61, 77.20), 1), facility(2, (28.70, 77.20), 5)];
        let out = assign(&people, &mut fac, OPTS, default_rank);
        // The health worker goes first and takes the nearer seat.
        assert_eq!(out[0].person, 1);
        assert_eq!(out[0].facility, Some(0));
        assert_eq!(out[1].person, 0);
        assert_eq!(out[1].facility, Some(1));
        assert_eq!(out[1].nearer_without_seat, 1);
        assert_eq!(fac[0].sessions[0].booked, 1);
    }

    #[test]
    fn reasons_for_people_left_out() {
        let mut young = person(3, Work::Other, 2015, (28.60, 77.20));
        young.comorbidity = true;
        let mut booked = person(4, Work::Other, 1970, (28.60, 77.20));
        booked.already_booked = true;
        let mut nowhere = person(5, Work::Other, 1970, (0.0, 0.0));
        nowhere.posting = None;
        let people = vec![
            person(1, Work::Other, 1960, (28.60, 77.20)),
            person(2, Work::Other, 1970, (28.60, 77.20)),
            young,
            booked,
            nowhere,
            person(6, Work::Other, 1970, (19.0, 72.8)),
        ];
        let mut fac = vec![facility(1, (28.61, 77.20), 1)];
        let out = assign(&people, &mut fac, OPTS, default_rank);
        let reason = |i: usize| out.iter().find(|o| o.person == i).map(|o| o.reason);
        assert_eq!(reason(0), Some(Reason::Assigned));
        assert_eq!(reason(1), Some(Reason::AllFull));
        assert_eq!(reason(2), Some(Reason::AgeNotAdmitted));
        assert_eq!(reason(3), Some(Reason::AlreadyBooked));
        assert_eq!(reason(4), Some(Reason::NoCentroid));
        assert_eq!(reason(5), Some(Reason::NothingWithin));
    }

    #[test]
    fn within_a_rank_older_then_comorbid_first_and_slots_spread() {
        let mut a = person(1, Work::Other, 1990, (28.6, 77.2));
        a.comorbidity = true;
        let people = vec![
            person(2, Work::Other, 1990, (28.6, 77.2)),
            a,
            person(3, Work::Other, 1950, (28.6, 77.2)),
            person(4, Work::Other, 1991, (28.6, 77.2)),
        ];
        let mut fac = vec![facility(1, (28.6, 77.2), 4)];
        let out = assign(&people, &mut fac, OPTS, default_rank);
        let order: Vec<usize> = out.iter().map(|o| o.person).collect();
        assert_eq!(order, vec![2, 1, 0, 3]);
        let slots: Vec<Option<u32>> = out.iter().map(|o| o.slot).collect();
        assert_eq!(slots, vec![Some(0), Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn earliest_session_at_the_facility_first_and_home_fallback() {
        let mut p = person(1, Work::Other, 1980, (0.0, 0.0));
        p.posting = None;
        p.home = Point::new(28.6, 77.2);
        let mut f = facility(1, (28.6, 77.2), 1);
        f.sessions.insert(
            0,
            SessionSeats {
                date: day(12),
                min_age: 18,
                max_age: None,
                capacity: 1,
                booked: 0,
                slots: 1,
            },
        );
        let mut fac = vec![f];
        let out = assign(&[p], &mut fac, OPTS, default_rank);
        assert_eq!(out[0].reason, Reason::Assigned);
        assert_eq!(fac[0].sessions[out[0].session.unwrap_or(9)].date, day(10));
    }

    #[test]
    fn the_policy_in_force_orders_people_and_leaves_out_closed_groups() {
        use crate::policy::{GroupRule, Occupation as Occ, PriorityGroup};
        let group = |code: &str, rank: u32, opens: u32, rule: GroupRule| PriorityGroup {
            code: code.to_owned(),
            name: code.to_owned(),
            name_hi: code.to_owned(),
            rank,
            opens: day(opens),
            rule,
        };
        // 60+ first, then health workers; "others" open only after the run's date.
        let policy = crate::country::Policy {
            version: "test".to_owned(),
            effective_from: day(1),
            min_age_years: 18,
            interval_overrides: Default::default(),
            groups: vec![
                group("60plus", 0, 1, GroupRule { min_age: Some(60), ..GroupRule::default() }),
                group(
                    "hcw",
                    1,
                    1,
                    GroupRule { occupations: vec![Occ::HealthWorker], ..GroupRule::default() },
                ),
                group("all", 2, 20, GroupRule::default()),
            ],
        };
        let people = vec![
            person(1, Work::Health, 1990, (28.6, 77.2)),
            person(2, Work::Other, 1950, (28.6, 77.2)),
            person(3, Work::Other, 1990, (28.6, 77.2)),
        ];
        let mut fac = vec![facility(1, (28.6, 77.2), 5)];
        let out = assign(&people, &mut fac, OPTS, |p| policy_rank(&policy, day(10), p));
        let order: Vec<(usize, Reason)> = out.iter().map(|o| (o.person, o.reason)).collect();
        // The default ranking would put the health worker first; the policy puts 60+ first.
        assert_eq!(
            order,
            vec![(1, Reason::Assigned), (0, Reason::Assigned), (2, Reason::NotEligible)]
        );
        assert_eq!(fac[0].sessions[0].booked, 2);
        // On the day "all" opens, everyone is in.
        let mut fac = vec![facility(1, (28.6, 77.2), 5)];
        let out = assign(&people, &mut fac, OPTS, |p| policy_rank(&policy, day(20), p));
        assert!(out.iter().all(|o| o.reason == Reason::Assigned));
    }

    fn arb_case() -> impl Strategy<Value = (Vec<Person>, Vec<Facility>)> {
        let people = prop::collection::vec(
            (0u8..3, 1940i32..2012, any::<bool>(), 0.0f64..0.6, 0.0f64..0.6, any::<bool>()),
            1..60,
        );
        let facs = prop::collection::vec(
            (0.0f64..0.6, 0.0f64..0.6, 0u32..4, prop::option::of(18u8..50), 1u32..3),
            1..25,
        );
        (people, facs).prop_map(|(pp, ff)| {
            let people = pp
                .into_iter()
                .enumerate()
                .map(|(i, (w, by, com, la, lo, booked))| Person {
                    id: BeneficiaryId::from_uuid(uuid::Uuid::from_u128(1000 - i as u128)),
                    work: [Work::Health, Work::Frontline, Work::Other][usize::from(w)],
                    birth_year: by,
                    comorbidity: com,
                    posting: Point::new(28.0 + la, 77.0 + lo),
                    home: None,
                    already_booked: booked && by % 7 == 0,
                })
                .collect();
            let facs = ff
                .into_iter()
                .enumerate()
                .map(|(i, (la, lo, cap, min, n))| Facility {
                    key: i as i64,
                    at: Point { lat: 28.0 + la, lon: 77.0 + lo },
                    sessions: (0..n)
                        .map(|k| SessionSeats {
                            date: day(10 + k),
                            min_age: min.unwrap_or(18),
                            max_age: None,
                            capacity: cap,
                            booked: 0,
                            slots: 2,
                        })
                        .collect(),
                })
                .collect();
            (people, facs)
        })
    }

    proptest! {
        #[test]
        fn invariants((people, facs) in arb_case()) {
            let opts = Options { basis: Basis::Posting, max_distance_m: 40_000.0 };
            let mut a = facs.clone();
            let out = assign(&people, &mut a, opts, default_rank);
            // Deterministic.
            let mut b = facs.clone();
            prop_assert_eq!(&out, &assign(&people, &mut b, opts, default_rank));
            prop_assert_eq!(out.len(), people.len());
            // Never over capacity, and the counts match the outcomes.
            for (fi, f) in a.iter().enumerate() {
                for (si, s) in f.sessions.iter().enumerate() {
                    prop_assert!(s.booked <= s.capacity);
                    let n = out.iter().filter(|o| o.facility == Some(fi) && o.session == Some(si)).count();
                    prop_assert_eq!(n as u32, s.booked);
                }
            }
            // Nearest first, and priority respected: when a person X got facility F (or
            // nothing), no one later in the order got a facility G that X fits and that is
            // nearer to X than F (or within the distance at all): G had that seat at X's turn.
            for (i, x) in out.iter().enumerate() {
                let px = &people[x.person];
                if x.reason != Reason::Assigned && x.reason != Reason::AllFull
                    && x.reason != Reason::AgeNotAdmitted && x.reason != Reason::NothingWithin {
                    continue;
                }
                let Some(ox) = px.origin(opts.basis) else { continue };
                for y in &out[i + 1..] {
                    let (Some(g), Some(gs)) = (y.facility, y.session) else { continue };
                    let dg = haversine_m(ox, a[g].at);
                    if dg > opts.max_distance_m || !a[g].sessions[gs].admits(px.birth_year) {
                        continue;
                    }
                    match x.facility {
                        Some(f) => prop_assert!(dg >= haversine_m(ox, a[f].at) - 1e-6,
                            "person {} sent to {} m while {} m had a seat", i, x.distance_m, dg),
                        None => prop_assert!(false, "person {} left out while a seat was near", i),
                    }
                }
            }
        }
    }
}
