//! Follow-up: the "raise an issue" queue (corrections and sync conflicts) for officials, session lists per facility and day, and the auditable lucky draw.
//!
//! The issue queue reads two existing queues through one area-filtered list: citizens'
//! correction requests (placed at the facility of the person's latest dose, else of their
//! latest appointment) and the sync review items of site devices (placed at their facility).
//! Deciding reuses [`crate::Store::decide_correction`] and [`crate::Store::resolve_review`];
//! only a rejection is written here, because it must also tell the citizen
//! (`correction.rejected`) in the same transaction.
//!
//! A lucky draw commits to its entry list (stored, hash published) when it is created, and
//! takes its public seed once; the winners follow from both by [`tika_domain::draw`].

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::admin::Area;
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, DrawId, ReviewId, StateId};

use crate::{Change, CorrectionRequest, ReviewAction, ReviewItem, StorageResult};

/// Which queue an issue comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// A citizen's correction request.
    Correction,
    /// A site record the sync rules sent to review (a sync conflict).
    Review,
}

impl IssueKind {
    /// The API spelling (`correction`, `review`).
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Correction => "correction",
            IssueKind::Review => "review",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "correction" => Some(IssueKind::Correction),
            "review" => Some(IssueKind::Review),
            _ => None,
        }
    }
}

/// Which issues to list.
#[derive(Debug, Clone)]
pub struct IssueFilter {
    /// Only issues placed inside this area (national: every issue, placed or not).
    pub area: Area,
    /// Only one queue.
    pub kind: Option<IssueKind>,
    /// Only open (`Some(true)`: pending corrections, open reviews) or decided ones.
    pub open: Option<bool>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// One line of the issue queue (no personal data beyond the reference id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRow {
    /// Which queue.
    pub kind: IssueKind,
    /// The correction request's or review item's id.
    pub id: uuid::Uuid,
    /// Filed (ms).
    pub created_at_ms: i64,
    /// The queue's own status (`pending|approved|rejected`, `open|accepted|discarded`).
    pub status: String,
    /// What it is about: the field to correct, or the sync rule's code.
    pub what: String,
    /// Where it is placed.
    pub center_id: Option<CenterId>,
    /// That facility's name.
    pub center_name: Option<String>,
    /// The person's reference id (corrections).
    pub reference_id: Option<String>,
}

/// A lucky draw to create: the entry list is read in the same transaction.
#[derive(Debug, Clone)]
pub struct NewDraw {
    /// Id.
    pub id: DrawId,
    /// The district's state.
    pub state: StateId,
    /// The district whose vaccinated people take part.
    pub district: DistrictId,
    /// First day of the period (doses given on or after).
    pub from: NaiveDate,
    /// Last day of the period (doses given on or before).
    pub to: NaiveDate,
    /// How many winners.
    pub winners: u32,
    /// Who creates it (`admin:<id>`).
    pub actor: String,
    /// Now (ms).
    pub now_ms: i64,
}

/// A draw's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawStatus {
    /// The entry list is fixed and published; no seed yet.
    Committed,
    /// The seed was entered and the winners chosen.
    Drawn,
}

impl DrawStatus {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DrawStatus::Committed => "committed",
            DrawStatus::Drawn => "drawn",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "committed" => Some(DrawStatus::Committed),
            "drawn" => Some(DrawStatus::Drawn),
            _ => None,
        }
    }
}

/// A lucky draw as stored (without its entry list: [`FollowUpStore::draw_entries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    /// Id.
    pub id: DrawId,
    /// State.
    pub state_id: StateId,
    /// District.
    pub district_id: DistrictId,
    /// Period start.
    pub from: NaiveDate,
    /// Period end.
    pub to: NaiveDate,
    /// Winners asked for.
    pub winners_count: u32,
    /// Entries in the list.
    pub entries_count: u32,
    /// Lowercase hex SHA-256 of the entry list text.
    pub entries_sha256: String,
    /// The public seed, once entered.
    pub seed: Option<String>,
    /// Where the seed was published.
    pub seed_source: Option<String>,
    /// The winners' reference ids in the order drawn (empty until drawn).
    pub winners: Vec<String>,
    /// State.
    pub status: DrawStatus,
    /// Who created it.
    pub created_by: String,
    /// When (ms).
    pub created_at_ms: i64,
    /// Who entered the seed.
    pub drawn_by: Option<String>,
    /// When (ms).
    pub drawn_at_ms: Option<i64>,
}

/// Which draws to list.
#[derive(Debug, Clone)]
pub struct DrawFilter {
    /// Only draws of districts inside this area.
    pub area: Area,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// What entering a seed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The seed was stored and the winners chosen now.
    Drawn(Draw),
    /// The draw already had its seed: nothing changed.
    AlreadyDrawn(Draw),
}

/// The storage of this module; part of [`crate::Store`].
#[async_trait]
pub trait FollowUpStore: Send + Sync {
    /// The issue queue of an area: correction requests and sync review items together,
    /// oldest first.
    async fn list_issues(&self, filter: &IssueFilter) -> StorageResult<Vec<IssueRow>>;
    /// The facility a person's correction belongs to: that of their latest (non-voided) dose,
    /// else of their latest appointment; `None` if they have neither.
    async fn correction_center(&self, person: BeneficiaryId) -> StorageResult<Option<CenterId>>;
    /// Rejects a pending correction request, in one transaction with its audit entry and a
    /// `correction.rejected` event (`{correction_id, beneficiary_id}`) that tells the citizen.
    /// `Conflict(CorrectionClosed)` if it is not pending; `NotFound` if unknown.
    async fn reject_correction(
        &self,
        id: uuid::Uuid,
        note: &str,
        audit: &Change,
    ) -> StorageResult<CorrectionRequest>;

    /// Resolves an open sync conflict as [`crate::Store::resolve_review`] does, in one
    /// transaction with the official's audit entry (so a decision is never left unaudited).
    #[allow(clippy::too_many_arguments)]
    async fn resolve_review_audited(
        &self,
        id: ReviewId,
        action: ReviewAction,
        note: &str,
        resolved_by: &str,
        now_ms: i64,
        pack: std::sync::Arc<tika_domain::country::CountryPack>,
        audit: &Change,
    ) -> StorageResult<ReviewItem>;

    /// Creates a draw: reads the entry list (the distinct reference ids of people with a
    /// non-voided dose at a facility of the district dated in the period), stores it with its
    /// hash, and writes the audit entry (subject `draw:<id>`), in one transaction.
    async fn create_draw(&self, new: &NewDraw, audit: &Change) -> StorageResult<Draw>;
    /// One draw.
    async fn find_draw(&self, id: DrawId) -> StorageResult<Draw>;
    /// A draw's entry list text, exactly as hashed.
    async fn draw_entries(&self, id: DrawId) -> StorageResult<String>;
    /// Draws of an area, newest first.
    async fn list_draws(&self, filter: &DrawFilter) -> StorageResult<Vec<Draw>>;
    /// Enters a draw's seed (once) and chooses the winners, in one transaction with the audit
    /// entry; a draw that already has its seed is left as it is.
    async fn seed_draw(
        &self,
        id: DrawId,
        seed: &str,
        source: &str,
        audit: &Change,
    ) -> StorageResult<SeedOutcome>;
}
