//! Writes a sample vaccination certificate to the path given as the first argument, then
//! times rendering 500 certificates on one thread and on every core.
//!
//! `cargo run -p tika_pdf --release --example cert_bench -- /tmp/cert.pdf`

use std::time::{Duration, Instant};

use tika_pdf::{CertificateDoc, CertificateKind, QrMatrix, render_certificate};

/// About 1000 bytes that do not compress, like a deflated, signed credential.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            // SplitMix64.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

fn sample(seed: u64) -> Result<CertificateDoc, tika_pdf::PdfError> {
    Ok(CertificateDoc {
        kind: CertificateKind::Provisional,
        certificate_id: format!("IN-UP-2026-{:09}", 123_456 + seed),
        issuer_line: "Ministry of Health & Family Welfare, Government of India".to_owned(),
        name: "सुश्री प्रियंका द्विवेदी / Priyanka Dwivedi".to_owned(),
        age_or_dob: "34".to_owned(),
        dob_present: false,
        gender: "Female".to_owned(),
        id_type: "Aadhaar Card".to_owned(),
        id_number: "XXXXXXXX1234".to_owned(),
        uhid: "91-4821-7730-5512".to_owned(),
        reference_id: "73914825066183".to_owned(),
        passport: Some("Z1234567".to_owned()),
        vaccine: "COVISHIELD".to_owned(),
        prophylaxis: "COVID-19 vaccine, non-replicating viral vector".to_owned(),
        manufacturer: "Serum Institute of India Pvt. Ltd.".to_owned(),
        dose: 1,
        total_doses: 2,
        dose_date: "24-11-2026".to_owned(),
        batch: "4121Z025".to_owned(),
        vaccinator: "सुनीता देवी / Sunita Devi".to_owned(),
        facility: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
        facility_address: "Ashok Marg, near Dhamek Stupa".to_owned(),
        district: "Varanasi".to_owned(),
        state: "Uttar Pradesh".to_owned(),
        verify_url: "https://verify.tika.example.in".to_owned(),
        generated_at: "24-11-2026 10:15 IST".to_owned(),
        qr: QrMatrix::encode_byte_mode(&payload(1000, seed))?,
    })
}

/// CPU time (user + system) of the whole process so far, from `/proc/self/stat` (Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports USER_HZ ticks, 100 per second on every Linux platform.
    Some(Duration::from_millis(ticks * 10))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: cert_bench OUTPUT.pdf".into());
    };
    let doc = sample(0)?;
    let start = Instant::now();
    let pdf = render_certificate(&doc)?;
    let first = start.elapsed();
    std::fs::write(&path, &pdf)?;
    println!("wrote {path} ({} bytes); first render {first:?} (font parsing included)", pdf.len());

    let runs: u32 = 500;
    let docs: Vec<CertificateDoc> = (0..u64::from(runs)).map(sample).collect::<Result<_, _>>()?;

    let (start, cpu) = (Instant::now(), cpu_time());
    for doc in &docs {
        render_certificate(doc)?;
    }
    let each = start.elapsed() / runs;
    let cpu_each = cpu.zip(cpu_time()).map(|(a, b)| (b - a) / runs);
    println!("1 thread: {each:?} wall, {cpu_each:?} CPU per certificate over {runs}");

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let (start, cpu) = (Instant::now(), cpu_time());
    std::thread::scope(|s| -> Result<(), tika_pdf::PdfError> {
        let handles: Vec<_> = docs
            .chunks(docs.len().div_ceil(threads))
            .map(|chunk| {
                s.spawn(move || chunk.iter().try_for_each(|d| render_certificate(d).map(drop)))
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| tika_pdf::PdfError::Serialize("thread panicked".to_owned()))??;
        }
        Ok(())
    })?;
    let elapsed = start.elapsed();
    let cpu_each = cpu.zip(cpu_time()).map(|(a, b)| (b - a) / runs);
    println!(
        "{threads} threads: {:.0} certificates/s ({:?} wall, {cpu_each:?} CPU per certificate)",
        f64::from(runs) / elapsed.as_secs_f64(),
        elapsed / runs
    );

    let start = Instant::now();
    for seed in 0..100 {
        QrMatrix::encode_byte_mode(&payload(1000, seed))?;
    }
    println!("encode_byte_mode (1000 bytes): {:?} per code", start.elapsed() / 100);
    Ok(())
}
