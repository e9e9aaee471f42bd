//! Bulk lists of people: uploads (CSV/XLSX) checked row by row, imported idempotently on the
//! row's ID, with progress and an error report.
//!
//! The same core serves the console (the upload runs as a background task and the page polls
//! its job) and `tika import people` (the CLI shows a progress bar):
//!
//! 1. [`read_sheet`] reads the file (CSV, UTF-8, `,` or `;`, a BOM tolerated; or the first sheet
//!    of an XLSX workbook), maps the header row (names and aliases, any case) and refuses the
//!    whole file only for what makes it unreadable: not CSV/XLSX, over [`MAX_FILE_BYTES`] or
//!    [`MAX_ROWS`], or a required column missing (`ADM0020`–`ADM0025`).
//! 2. [`execute`] parses each row ([`tika_domain::people::parse_row`]: every field error of
//!    the row at once), checks the posting facility exists and the row's place (the district
//!    of its pincode) lies inside the official's area, and stores [`CHUNK_ROWS`] rows per
//!    transaction through the writer, recording the job's progress after each chunk.  A row
//!    keyed like an earlier one is refused; a stored row is found by its key (photo id type and
//!    keyed hash), so a re-run of the same file leaves every row `unchanged`.  A storage
//!    failure keeps the committed chunks and marks the job failed; re-running completes it.
//! 3. The job ends with its counts, the error report (CSV `row,field,value_hint,message`, rows
//!    numbered as a spreadsheet shows them, the header being row 1, mobiles and ID numbers
//!    masked) and one audit entry (counts, file name, SHA-256; no personal data).

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use chrono::Datelike;
use serde_json::json;
use sha2::{Digest, Sha256};
use tika_domain::admin::{Area, Capability};
use tika_domain::country::CountryPack;
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef, CenterId, ImportId};
use tika_domain::people::{Header, ListRow, parse_row, value_hint};
use tika_storage::{
    Change, DynStore, ImportCounts, ImportJob, ImportStatus, ListedPerson, ListedPersonRecord,
    NewBeneficiaryRecord, NewImportJob, Occupation, StorageError, StorageResult, UpsertOutcome,
};

use super::{AdminPrincipal, actor, area_place, require};
use crate::error::{ApiError, ApiResult};
use crate::keys::Keys;
use crate::state::AppState;

/// The largest file accepted (100 MB: about 800,000 rows of a typical list).
pub const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;
/// The most data rows one file may have.
pub const MAX_ROWS: usize = 1_000_000;
/// Rows stored per transaction: a chunk holds the writer for about half a second; 4.69 lakh
/// rows commit 47 times (5,000-row chunks were ~20 % slower, BENCHMARKS.md §8).
pub const CHUNK_ROWS: usize = 10_000;
/// Uploads listed on the console.
pub const JOB_PAGE: u32 = 50;

/// A file read into its header and data rows (cells as text), each with its spreadsheet row
/// number.
pub struct Sheet {
    /// The header's columns.
    pub header: Header,
    /// Data rows: (row number as a spreadsheet shows it, cells).
    pub rows: Vec<(u64, csv::StringRecord)>,
}

fn file_error(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

/// Whether the bytes are an XLSX workbook (a ZIP) or text, judged by name and content.
fn is_xlsx(file_name: &str, bytes: &[u8]) -> ApiResult<bool> {
    let lower = file_name.to_ascii_lowercase();
    let zip = bytes.starts_with(b"PK\x03\x04");
    if lower.ends_with(".xls") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(file_error(
            "ADM0020",
            "Old Excel files (.xls) are not read: save the sheet as .xlsx or .csv",
        ));
    }
    if lower.ends_with(".xlsx") || zip {
        return Ok(true);
    }
    if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.is_empty() {
        return Ok(false);
    }
    Err(file_error("ADM0020", "Upload a CSV or XLSX file"))
}

/// Reads an uploaded file; refuses it whole only when it cannot be read as a list.
pub fn read_sheet(file_name: &str, bytes: Vec<u8>) -> ApiResult<Sheet> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error(
            "ADM0023",
            format!("The file is larger than {} MB", MAX_FILE_BYTES / (1024 * 1024)),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("ADM0025", "The file is empty"));
    }
    let (header, rows) =
        if is_xlsx(file_name, &bytes)? { read_xlsx(bytes)? } else { read_csv(bytes)? };
    let header = Header::parse(header.iter().collect::<Vec<_>>().as_slice())
        .map_err(|e| file_error("ADM0022", e.to_string()))?;
    if rows.is_empty() {
        return Err(file_error("ADM0025", "The file has a header but no rows"));
    }
    if rows.len() > MAX_ROWS {
        return Err(file_error("ADM0024", format!("The file has more than {MAX_ROWS} rows")));
    }
    Ok(Sheet { header, rows })
}

/// A table read from a file: its first row, and the data rows with their spreadsheet row
/// numbers (the header is row 1; blank rows are skipped).
pub type Rows = (csv::StringRecord, Vec<(u64, csv::StringRecord)>);

/// Reads any other uploaded table (report targets) the way lists are read: CSV (UTF-8, `,` or
/// `;`, a BOM tolerated) or the first sheet of an XLSX workbook, cells as text.  Refuses only
/// what cannot be read (`ADM0020`, `ADM0021`, `ADM0025`); the caller checks size, header and rows.
pub fn read_table(file_name: &str, bytes: Vec<u8>) -> ApiResult<Rows> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("ADM0025", "The file is empty"));
    }
    if is_xlsx(file_name, &bytes)? { read_xlsx(bytes) } else { read_csv(bytes) }
}

fn read_csv(bytes: Vec<u8>) -> ApiResult<Rows> {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(Cursor::new(bytes));
    let unreadable = |e: csv::Error| {
        let line = e.position().map_or(0, csv::Position::line);
        file_error("ADM0021", format!("The file is not readable as UTF-8 CSV (line {line})"))
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(r) => r.map_err(unreadable)?,
        None => return Err(file_error("ADM0025", "The file is empty")),
    };
    let mut rows = Vec::new();
    for (i, r) in records.enumerate() {
        let r = r.map_err(unreadable)?;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = r.position().map_or(i as u64 + 2, csv::Position::line);
        rows.push((line, r));
        if rows.len() > MAX_ROWS {
            break;
        }
    }
    Ok((header, rows))
}

fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Mobiles, pincodes and Aadhaar numbers typed as numbers: whole, never `9.87e9`.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt.to_string(),
    }
}

fn read_xlsx(bytes: Vec<u8>) -> ApiResult<Rows> {
    use calamine::Reader;
    let unreadable = || file_error("ADM0021", "The file is not a readable XLSX workbook");
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|_| unreadable())?,
        None => return Err(file_error("ADM0025", "The workbook has no sheet")),
    };
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
    let mut it = range.rows();
    let header = match it.next() {
        Some(cells) => csv::StringRecord::from(cells.iter().map(cell_text).collect::<Vec<_>>()),
        None => return Err(file_error("ADM0025", "The file is empty")),
    };
    let mut rows = Vec::new();
    for (i, cells) in it.enumerate() {
        let texts: Vec<String> = cells.iter().map(cell_text).collect();
        if texts.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((first_row + 1 + i as u64, csv::StringRecord::from(texts)));
        if rows.len() > MAX_ROWS {
            break;
        }
    }
    Ok((header, rows))
}

/// Hex SHA-256 of a file.
pub fn file_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One line of an error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub row: u64,
    /// The column (or `row`).
    pub field: String,
    /// A hint of the bad value (masked for mobiles and ID numbers).
    pub value_hint: String,
    /// What is wrong.
    pub message: String,
}

/// The error report as CSV (`row,field,value_hint,message`).
pub fn report_csv(errors: &[RowError]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["row", "field", "value_hint", "message"]);
    for e in errors {
        let row = e.row.to_string();
        let _ = w.write_record([row.as_str(), &e.field, &e.value_hint, &e.message]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// What an import needs, whoever runs it (the console's task or the CLI).
#[derive(Clone)]
pub struct ImportRun {
    /// The store.
    pub store: DynStore,
    /// The country pack (pincodes, id types, genders).
    pub pack: Arc<CountryPack>,
    /// Keys (the photo id hash).
    pub keys: Keys,
    /// Beneficiaries per mobile at most.
    pub max_per_mobile: u32,
    /// The year birth years are checked against.
    pub current_year: i32,
    /// Rows must lie inside this area.
    pub area: Area,
    /// The job the rows are tagged with.
    pub job: ImportId,
    /// Check only: nothing is stored.
    pub dry_run: bool,
}

/// How an import ended.
#[derive(Debug, Clone)]
pub struct ImportResult {
    /// Counts (in a dry run, `inserted` holds the rows that would be stored).
    pub counts: ImportCounts,
    /// Row errors, in row order.
    pub errors: Vec<RowError>,
    /// Why it stopped early (a storage failure), if it did.
    pub failure: Option<String>,
}

fn in_area(area: &Area, row: &ListRow) -> bool {
    match area {
        Area::National => true,
        Area::State { state } => *state == row.state,
        Area::District { district, .. }
        | Area::Block { district, .. }
        | Area::Facility { district, .. } => *district == row.district,
    }
}

fn record_of(keys: &Keys, row: ListRow, now_ms: i64) -> ListedPersonRecord {
    let hash = keys.hash_photo_id(row.photo_id_type, row.photo_id.normalized());
    let occupation = Occupation::parse(row.occupation.as_str()).unwrap_or(Occupation::Other);
    ListedPersonRecord {
        list_key: format!("{}:{hash}", row.photo_id_type),
        mobile: row.mobile,
        beneficiary: NewBeneficiaryRecord {
            id: BeneficiaryId::new(),
            reference_id: BeneficiaryRef::from_random(rand::random()),
            // The store finds or creates the account by mobile.
            account_id: tika_domain::ids::AccountId::new(),
            name: row.name.as_str().to_owned(),
            birth_year: row.birth_year.get(),
            gender_id: row.gender_id,
            photo_id_type: row.photo_id_type,
            photo_id_hash: hash,
            photo_id_last4: row.photo_id.last4(),
            comorbidity: row.comorbidity,
            created_at_ms: now_ms,
        },
        occupation,
        employer: row.employer,
        employee_id: row.employee_id,
        posting_center: row.posting_center,
        posting_pincode: row.posting_pincode,
        home_pincode: row.home_pincode,
        state: row.state,
        district: row.district,
    }
}

/// One chunk of rows parsed and checked: the records to store (with their row numbers) and
/// what the chunk adds to the counts and the error report.
struct ParsedChunk {
    records: Vec<ListedPersonRecord>,
    record_rows: Vec<u64>,
    processed: u64,
    failed: u64,
    errors: Vec<RowError>,
}

/// What is carried across chunks while parsing: keys seen (a duplicate ID refers to its first
/// row) and facilities already looked up.
#[derive(Default)]
struct ParseMemory {
    first_row_of_key: HashMap<String, u64>,
    facilities: HashMap<CenterId, bool>,
}

/// Parses and checks one chunk.  `Err` is a database failure (a facility lookup).
async fn parse_chunk(
    run: &ImportRun,
    header: &Header,
    chunk: &[(u64, csv::StringRecord)],
    memory: &mut ParseMemory,
    now: i64,
) -> Result<ParsedChunk, String> {
    let mut out = ParsedChunk {
        records: Vec::with_capacity(chunk.len()),
        record_rows: Vec::with_capacity(chunk.len()),
        processed: 0,
        failed: 0,
        errors: Vec::new(),
    };
    for (row_no, rec) in chunk {
        out.processed += 1;
        let cells: Vec<&str> = rec.iter().collect();
        let fail = |errors: &mut Vec<RowError>, field: &str, hint: String, message: String| {
            errors.push(RowError {
                row: *row_no,
                field: field.to_owned(),
                value_hint: hint,
                message,
            });
        };
        let parsed = match parse_row(&run.pack, header, &cells, run.current_year) {
            Ok(p) => p,
            Err(field_errors) => {
                for e in field_errors {
                    let column =
                        tika_domain::people::COLUMNS.iter().find(|c| c.name() == e.field).copied();
                    let value = column.map_or("", |c| header.cell(&cells, c));
                    fail(&mut out.errors, e.field, value_hint(e.field, value), e.message);
                }
                out.failed += 1;
                continue;
            }
        };
        let mut bad = false;
        if !in_area(&run.area, &parsed) {
            let district = run
                .pack
                .district(parsed.district)
                .map_or_else(|| parsed.district.0.to_string(), |d| d.name.clone());
            let field =
                if parsed.posting_pincode.is_some() { "posting_pincode" } else { "home_pincode" };
            let pin = parsed.posting_pincode.or(parsed.home_pincode).unwrap_or_default();
            fail(
                &mut out.errors,
                field,
                pin.to_string(),
                format!("The pincode is in {district}, outside your area"),
            );
            bad = true;
        }
        if let Some(center) = parsed.posting_center {
            let exists = match memory.facilities.get(&center) {
                Some(e) => *e,
                None => {
                    let e = match run.store.find_facility(center).await {
                        Ok(_) => true,
                        Err(StorageError::NotFound) => false,
                        Err(e) => return Err(format!("The database failed: {e}")),
                    };
                    memory.facilities.insert(center, e);
                    e
                }
            };
            if !exists {
                fail(
                    &mut out.errors,
                    "posting_facility_id",
                    center.0.to_string(),
                    "No facility has this ID".into(),
                );
                bad = true;
            }
        }
        if bad {
            out.failed += 1;
            continue;
        }
        let record = record_of(&run.keys, parsed, now);
        if let Some(first) = memory.first_row_of_key.get(&record.list_key) {
            let hint =
                value_hint("id_number", header.cell(&cells, tika_domain::people::Column::IdNumber));
            fail(&mut out.errors, "id_number", hint, format!("The same ID is on row {first}"));
            out.failed += 1;
            continue;
        }
        memory.first_row_of_key.insert(record.list_key.clone(), *row_no);
        out.record_rows.push(*row_no);
        out.records.push(record);
    }
    Ok(out)
}

/// A chunk being stored (by a task of its own) while the next one is parsed.
struct InFlight {
    store: tokio::task::JoinHandle<StorageResult<UpsertOutcome>>,
    chunk: ParsedChunk,
}

/// Waits for a chunk's store and adds the chunk to the counts and the report; `Err` is the
/// failure that ends the import (the chunk's rows were looked at but not counted).
async fn land(
    run: &ImportRun,
    flight: InFlight,
    counts: &mut ImportCounts,
    errors: &mut Vec<RowError>,
) -> Result<(), String> {
    let InFlight { store, chunk } = flight;
    let stored = match store.await {
        Ok(r) => r.map_err(|e| format!("The database failed: {e}")),
        Err(e) => Err(format!("The import task failed: {e}")),
    };
    counts.failed += chunk.failed;
    counts.processed += chunk.processed;
    errors.extend(chunk.errors);
    match stored {
        Ok(out) => {
            counts.inserted += out.inserted;
            counts.updated += out.updated;
            counts.unchanged += out.unchanged;
            for (i, reason) in out.refused {
                counts.failed += 1;
                let row = chunk.record_rows.get(i).copied().unwrap_or_default();
                errors.push(RowError {
                    row,
                    field: "mobile".into(),
                    value_hint: String::new(),
                    message: reason,
                });
            }
            if let Err(e) = run.store.update_import_progress(run.job, counts).await {
                tracing::warn!(error = %e, job = %run.job, "import progress not recorded");
            }
            Ok(())
        }
        Err(failure) => {
            // The rows of this chunk were not stored: they were looked at, not counted.
            counts.processed -= chunk.record_rows.len() as u64;
            Err(failure)
        }
    }
}

/// Parses, checks and stores the rows of `sheet`, chunk by chunk, calling `progress` after
/// each chunk (and recording it on the job unless a dry run).
///
/// Parsing a chunk (CPU) overlaps storing the previous one (the writer): on two cores the
/// next chunk is ready when the writer is.  A chunk counts once its transaction committed.
pub async fn run_import(
    run: &ImportRun,
    sheet: Sheet,
    now_ms: impl Fn() -> i64,
    mut progress: impl FnMut(&ImportCounts),
) -> ImportResult {
    let Sheet { header, rows } = sheet;
    let mut counts = ImportCounts::default();
    let mut errors: Vec<RowError> = header
        .unknown
        .iter()
        .map(|c| RowError {
            row: 1,
            field: c.clone(),
            value_hint: String::new(),
            message: "Unknown column, ignored".into(),
        })
        .collect();
    let mut memory = ParseMemory::default();
    let mut failure = None;
    let mut in_flight: Option<InFlight> = None;

    for chunk in rows.chunks(CHUNK_ROWS) {
        let now = now_ms();
        let parsed = parse_chunk(run, &header, chunk, &mut memory, now).await;
        if let Some(flight) = in_flight.take() {
            if let Err(f) = land(run, flight, &mut counts, &mut errors).await {
                failure = Some(f);
                break;
            }
            progress(&counts);
        }
        let mut parsed = match parsed {
            Ok(p) => p,
            Err(f) => {
                failure = Some(f);
                break;
            }
        };
        if run.dry_run || parsed.records.is_empty() {
            counts.inserted += parsed.records.len() as u64;
            counts.processed += parsed.processed;
            counts.failed += parsed.failed;
            errors.append(&mut parsed.errors);
            progress(&counts);
            continue;
        }
        let records = std::mem::take(&mut parsed.records);
        let (store, job, cap) = (Arc::clone(&run.store), run.job, run.max_per_mobile);
        in_flight = Some(InFlight {
            store: tokio::spawn(async move {
                store.upsert_listed_people_capped(Some(job), records, cap, now).await
            }),
            chunk: parsed,
        });
    }
    // The last chunk (or the one in flight when parsing failed) still lands.
    if let Some(flight) = in_flight.take() {
        match land(run, flight, &mut counts, &mut errors).await {
            Ok(()) => progress(&counts),
            Err(f) => {
                failure.get_or_insert(f);
            }
        }
    }
    errors.sort_by_key(|e| e.row);
    ImportResult { counts, errors, failure }
}

/// Who started an import and from which file.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// `admin:<id>` or `cli`.
    pub actor: String,
    /// The file name.
    pub file_name: String,
    /// SHA-256 of the file (hex).
    pub file_sha256: String,
    /// Data rows.
    pub total_rows: u64,
}

/// Records a new job for `run` (status running).
pub async fn create_job(run: &ImportRun, spec: &JobSpec, now_ms: i64) -> ApiResult<()> {
    let (state, district) = match &run.area {
        Area::National => (None, None),
        Area::State { state } => (Some(*state), None),
        Area::District { state, district }
        | Area::Block { state, district, .. }
        | Area::Facility { state, district, .. } => (Some(*state), Some(*district)),
    };
    run.store
        .create_import_job(&NewImportJob {
            id: run.job,
            kind: "people".into(),
            file_name: spec.file_name.clone(),
            file_sha256: spec.file_sha256.clone(),
            created_by: spec.actor.clone(),
            state,
            district,
            total_rows: spec.total_rows,
            created_at_ms: now_ms,
        })
        .await?;
    Ok(())
}

/// Runs an import and ends its job: counts, error report, status and the audit entry.
pub async fn execute(
    run: &ImportRun,
    sheet: Sheet,
    spec: &JobSpec,
    now_ms: impl Fn() -> i64,
    progress: impl FnMut(&ImportCounts),
) -> ImportResult {
    let result = run_import(run, sheet, &now_ms, progress).await;
    if run.dry_run {
        return result;
    }
    let c = result.counts;
    let status = if result.failure.is_some() { ImportStatus::Failed } else { ImportStatus::Done };
    let message = result.failure.clone().unwrap_or_else(|| {
        format!(
            "{} rows: {} new, {} updated, {} unchanged, {} failed",
            c.processed, c.inserted, c.updated, c.unchanged, c.failed
        )
    });
    let at = now_ms();
    let change = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: at,
        actor: spec.actor.clone(),
        action: "people.import".into(),
        subject: format!("import:{}", run.job),
        place: area_place(&run.area),
        before: None,
        after: Some(
            json!({
                "file_name": spec.file_name, "file_sha256": spec.file_sha256,
                "status": status.as_str(), "rows": spec.total_rows, "processed": c.processed,
                "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged,
                "failed": c.failed,
            })
            .to_string(),
        ),
    };
    if let Err(e) = run
        .store
        .finish_import_job(
            run.job,
            status,
            &c,
            report_csv(&result.errors),
            message,
            at,
            Some(change),
        )
        .await
    {
        tracing::error!(error = %e, job = %run.job, "import job could not be finished");
    }
    tracing::info!(
        job = %run.job, processed = c.processed, inserted = c.inserted, updated = c.updated,
        unchanged = c.unchanged, failed = c.failed, status = status.as_str(), "import finished"
    );
    result
}

// --- the console's entry points --------------------------------------------------------------

fn run_for(state: &AppState, area: Area, job: ImportId) -> ImportRun {
    ImportRun {
        store: Arc::clone(&state.store),
        pack: Arc::clone(&state.pack),
        keys: state.keys.clone(),
        max_per_mobile: state.max_beneficiaries(),
        current_year: state.today().year(),
        area,
        job,
        dry_run: false,
    }
}

/// Starts an upload of a list of people: the file is read and its header checked now (a file
/// that cannot be read is refused at once), the rows are imported by a background task.
pub async fn start_import(
    state: &AppState,
    who: &AdminPrincipal,
    file_name: &str,
    bytes: Vec<u8>,
) -> ApiResult<ImportJob> {
    require(who, Capability::ImportPeople)?;
    let file_name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let sha = file_sha256(&bytes);
    let sheet = tokio::task::spawn_blocking({
        let name = file_name.clone();
        move || read_sheet(&name, bytes)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("file reading panicked: {e}")))??;
    let job = ImportId::new();
    let run = run_for(state, who.area.clone(), job);
    let spec = JobSpec {
        actor: actor(who),
        file_name,
        file_sha256: sha,
        total_rows: sheet.rows.len() as u64,
    };
    create_job(&run, &spec, state.now_ms()).await?;
    tracing::info!(admin = %who.admin, job = %job, rows = spec.total_rows, "import started");
    let task_state = state.clone();
    tokio::spawn(async move {
        let clock = task_state.clone();
        execute(&run, sheet, &spec, move || clock.now_ms(), |_| {}).await;
    });
    Ok(state.store.find_import_job(job).await?)
}

fn job_visible(who: &AdminPrincipal, job: &ImportJob) -> bool {
    match &who.area {
        Area::National => true,
        Area::State { state } => job.state == Some(*state),
        Area::District { district, .. } => job.district == Some(*district),
        Area::Block { .. } | Area::Facility { .. } => false,
    }
}

/// One upload inside the official's area (else `NotFound`).
pub async fn import_job(
    state: &AppState,
    who: &AdminPrincipal,
    id: ImportId,
) -> ApiResult<ImportJob> {
    require(who, Capability::ImportPeople)?;
    match state.store.find_import_job(id).await {
        Ok(job) if job_visible(who, &job) => Ok(job),
        Ok(_) | Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// An upload's error report (CSV).
pub async fn import_errors(
    state: &AppState,
    who: &AdminPrincipal,
    id: ImportId,
) -> ApiResult<String> {
    import_job(state, who, id).await?;
    Ok(state.store.import_error_report(id).await?)
}

/// The uploads of the official's area, newest first.
pub async fn list_imports(state: &AppState, who: &AdminPrincipal) -> ApiResult<Vec<ImportJob>> {
    require(who, Capability::ImportPeople)?;
    Ok(state.store.list_import_jobs(&who.area, JOB_PAGE).await?)
}

/// How many people are listed in the official's area, and the latest of them.
pub async fn listed_people(
    state: &AppState,
    who: &AdminPrincipal,
    limit: u32,
) -> ApiResult<(u64, Vec<ListedPerson>)> {
    require(who, Capability::ImportPeople)?;
    let n = state.store.count_listed_people(&who.area).await?;
    let people = state.store.list_listed_people(&who.area, limit.min(200)).await?;
    Ok((n, people))
}

/// The sample file offered to officials: the header and two example rows.
pub fn sample_csv() -> String {
    let header: Vec<&str> = tika_domain::people::COLUMNS.iter().map(|c| c.name()).collect();
    format!(
        "{}\n{}\n{}\n",
        header.join(","),
        "Asha Rao,1988,Female,9876543210,Aadhaar,234567890124,health_worker,AIIMS Delhi,E-1042,,110029,,no",
        "प्रिया शर्मा,1992,F,9876543211,PAN,ABCDE1234F,FLW,Delhi Police,DP-77,,,110001,yes"
    )
}
