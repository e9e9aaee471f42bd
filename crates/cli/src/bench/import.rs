//! `tika bench import`: a list of people (4.69 lakh rows by default) imported through the
//! console's code path, then imported again (the idempotent re-run).
//!
//! Target (issue 6): 469,000 rows in under 30 s on 2 cores.
//!
//! The file is generated in memory as CSV, as a state's health-worker list would look: real
//! pincodes of the India pack (posting pincode for most, home pincode for some), Verhoeff-valid
//! Aadhaar numbers (some PAN cards), Hindi and Latin names, two people per mobile for a tenth
//! of the rows, and `--bad-percent` bad rows (bad birth year, mobile, Aadhaar check digit or
//! unknown pincode).  The timed part is exactly what the console's upload runs: reading the
//! file ([`read_sheet`]) and [`execute`] (parse and check every row, store 5,000 rows per
//! transaction through the group-commit writer, record progress, finish the job with its
//! report and audit entry).  Generating the file is not timed.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use chrono::Datelike;
use clap::Args;
use tika_domain::admin::Area;
use tika_domain::ids::ImportId;
use tika_server::keys::Keys;
use tika_server::services::admin::bulk::{ImportRun, JobSpec, create_job, execute, read_sheet};
use tika_storage::{DynStore, ImportCounts};

use super::{
    CommonArgs, Database, aadhaar, describe_run, open_store, print_header, print_row, runtime,
    thousands,
};

/// The target, seconds for the default row count.
const TARGET_SECS: f64 = 30.0;

/// Flags of `tika bench import`.
#[derive(Debug, Args, Clone)]
pub(crate) struct ImportArgs {
    /// Rows in the generated file.
    #[arg(long, default_value_t = 469_000)]
    pub(crate) rows: u64,
    /// Percentage of bad rows.
    #[arg(long, default_value_t = 5)]
    pub(crate) bad_percent: u64,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

const LATIN: [&str; 12] = [
    "Asha Rao",
    "Ravi Kumar",
    "Meena Iyer",
    "Suresh Patil",
    "Anita Das",
    "Farhan Sheikh",
    "Kavya Nair",
    "Gurpreet Singh",
    "Joseph Dsouza",
    "Lakshmi Menon",
    "Imran Khan",
    "Neha Joshi",
];
const HINDI: [&str; 6] =
    ["प्रिया शर्मा", "राहुल वर्मा", "सुनीता देवी", "अमित यादव", "पूजा गुप्ता", "विकास सिंह"];

/// The generated CSV.
fn generate(pack: &tika_domain::country::CountryPack, rows: u64, bad_percent: u64) -> Vec<u8> {
    let mut pins: Vec<u32> = pack.pincodes.keys().copied().collect();
    pins.sort_unstable();
    let mut out = String::with_capacity(rows as usize * 120);
    out.push_str(
        "name,birth_year,gender,mobile,id_type,id_number,occupation,employer,employee_id,\
         posting_facility_id,posting_pincode,home_pincode,comorbidity\n",
    );
    let bad_every = if bad_percent == 0 { u64::MAX } else { 100 / bad_percent.min(100) };
    for n in 0..rows {
        // A cheap deterministic scramble so neighbours differ.
        let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
        let name = if h % 3 == 0 {
            HINDI[(h as usize / 3) % HINDI.len()]
        } else {
            LATIN[(h as usize) % LATIN.len()]
        };
        let year = 1960 + h % 45;
        let gender = ["Male", "Female", "F", "M"][(h % 4) as usize];
        // A tenth of the people share a mobile with the row before.
        let m = if n % 10 == 9 { n - 1 } else { n };
        let mobile = 7_000_000_000 + m;
        let (id_type, id) = if h % 20 == 0 {
            let letters: String =
                (0..5).map(|i| char::from(b'A' + ((n >> (i * 4)) % 26) as u8)).collect();
            ("PAN", format!("{letters}{:04}{}", n % 10_000, char::from(b'A' + (n % 26) as u8)))
        } else {
            ("Aadhaar", aadhaar(n))
        };
        let occupation = ["HCW", "health_worker", "FLW", "frontline_worker"][(h % 4) as usize];
        let pin = pins[(h as usize) % pins.len()];
        let (posting, home) = if h % 5 == 0 {
            (String::new(), pin.to_string())
        } else {
            (pin.to_string(), String::new())
        };
        let mut year_s = year.to_string();
        let mut mobile_s = mobile.to_string();
        let mut id_s = id;
        let mut posting_s = posting;
        if n % bad_every == bad_every / 2 {
            match (n / bad_every) % 4 {
                0 => year_s = "19x0".into(),
                1 => mobile_s = "12345".into(),
                2 if id_type == "Aadhaar" => {
                    // Break the Verhoeff check digit.
                    let last = id_s.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
                    id_s.push(char::from(b'0' + ((last + 1) % 10) as u8));
                }
                _ => posting_s = "999999".into(),
            }
        }
        let _ = writeln!(
            out,
            "{name},{year_s},{gender},{mobile_s},{id_type},{id_s},{occupation},District Hospital {},E-{n},,{posting_s},{home},{}",
            h % 700,
            if h % 7 == 0 { "yes" } else { "no" }
        );
    }
    out.into_bytes()
}

struct Pass {
    read_secs: f64,
    import_secs: f64,
    counts: ImportCounts,
    failure: Option<String>,
}

async fn pass(
    store: &DynStore,
    pack: &Arc<tika_domain::country::CountryPack>,
    keys: &Keys,
    bytes: Vec<u8>,
) -> anyhow::Result<Pass> {
    let started = Instant::now();
    let sha = tika_server::services::admin::bulk::file_sha256(&bytes);
    let sheet = read_sheet("bench.csv", bytes).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let read_secs = started.elapsed().as_secs_f64();
    let run = ImportRun {
        store: Arc::clone(store),
        pack: Arc::clone(pack),
        keys: keys.clone(),
        max_per_mobile: pack.max_beneficiaries_per_mobile,
        current_year: chrono::Utc::now().year(),
        area: Area::National,
        job: ImportId::new(),
        dry_run: false,
    };
    let spec = JobSpec {
        actor: "cli".into(),
        file_name: "bench.csv".into(),
        file_sha256: sha,
        total_rows: sheet.rows.len() as u64,
    };
    let now = || chrono::Utc::now().timestamp_millis();
    create_job(&run, &spec, now()).await.map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let result = execute(&run, sheet, &spec, now, |_| {}).await;
    Ok(Pass {
        read_secs,
        import_secs: started.elapsed().as_secs_f64() - read_secs,
        counts: result.counts,
        failure: result.failure,
    })
}

pub(crate) fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let rt = runtime("tika-server", args.common.server_threads)?;
    let db = rt.block_on(Database::prepare(&args.common))?;
    let backend = db.backend;
    eprintln!("bench: import: {} rows={}", describe_run(backend, &args.common), args.rows);
    let pack = Arc::new(tika_packs::india()?);
    let keys = Keys::derive(b"tika bench import master secret of 32+ bytes");
    let generated = Instant::now();
    let bytes = generate(&pack, args.rows, args.bad_percent);
    eprintln!(
        "bench: generated {} rows ({:.1} MB) in {:.1} s",
        thousands(args.rows),
        bytes.len() as f64 / 1e6,
        generated.elapsed().as_secs_f64()
    );
    let outcome = rt.block_on(async {
        let sql = open_store(&db.url, args.common.read_connections).await?;
        let store: DynStore = sql;
        let first = pass(&store, &pack, &keys, bytes.clone()).await?;
        let second = pass(&store, &pack, &keys, bytes).await?;
        anyhow::Ok((first, second))
    });
    let cleanup = rt.block_on(db.cleanup());
    let (first, second) = outcome?;
    cleanup?;

    print_header(&[
        "backend",
        "pass",
        "rows",
        "read s",
        "import s",
        "total s",
        "rows/s",
        "new",
        "updated",
        "unchanged",
        "failed",
        "target",
    ]);
    for (name, p) in [("first", &first), ("re-run", &second)] {
        let total = p.read_secs + p.import_secs;
        let c = p.counts;
        let scaled_target = TARGET_SECS * args.rows as f64 / 469_000.0;
        print_row(&[
            backend.to_owned(),
            name.to_owned(),
            thousands(c.processed),
            format!("{:.1}", p.read_secs),
            format!("{:.1}", p.import_secs),
            format!("{total:.1}"),
            thousands((c.processed as f64 / total.max(0.001)) as u64),
            thousands(c.inserted),
            thousands(c.updated),
            thousands(c.unchanged),
            thousands(c.failed),
            if total < scaled_target {
                "met".into()
            } else {
                format!("MISSED (< {scaled_target:.0} s)")
            },
        ]);
        if let Some(why) = &p.failure {
            eprintln!("bench: the {name} pass stopped: {why}");
        }
    }
    Ok(())
}
