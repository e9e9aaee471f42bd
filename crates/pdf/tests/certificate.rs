//! End-to-end checks of the vaccination certificate PDF with poppler-utils (`pdftotext`,
//! `pdfinfo`, `pdftoppm`) and a QR decoder (`rqrr`) reading the rendered page.
//!
//! The QR payload is about 1000 bytes that do not compress, like the deflated, signed
//! credential the certificate carries. These tests need poppler-utils; without it they fail
//! and say how to install it.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::Path;

use common::{PdfFile, Word};
use tika_pdf::layout::{A4_HEIGHT, A4_WIDTH};
use tika_pdf::{
    CertificateDoc, CertificateKind, PdfError, QrMatrix, layout_certificate, render_certificate,
};

/// The page margin of the certificate, in points.
const MARGIN: f32 = 40.0;
/// How far the footer reaches into the bottom margin, in points.
const FOOTER_INTO_MARGIN: f32 = 8.0;
/// Resolution the page is rendered at for the image checks.
const DPI: f32 = 150.0;
const HINDI_NAME: &str = "सुश्री प्रियंका द्विवेदी क्षत्रिय";
const ALL_KINDS: [CertificateKind; 3] =
    [CertificateKind::Provisional, CertificateKind::Final, CertificateKind::Precaution];

/// `len` bytes that look random (`SplitMix64`), like a deflated credential.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// Data codewords at error-correction level M of QR versions 1 to 40 (ISO/IEC 18004,
/// table 9).
const DATA_CODEWORDS_M: [usize; 40] = [
    16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334, 365, 415, 453, 507, 563, 627, 669,
    714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373, 1455, 1541, 1631, 1725, 1812, 1914,
    1992, 2102, 2216, 2334,
];

/// The smallest version whose level-M capacity holds `len` bytes in one byte-mode segment:
/// a 4-bit mode indicator, an 8-bit (versions 1 to 9) or 16-bit length, then the bytes.
fn min_byte_mode_version(len: usize) -> usize {
    (1..=40)
        .find(|&v| {
            let count_bits = if v <= 9 { 8 } else { 16 };
            4 + count_bits + 8 * len <= 8 * DATA_CODEWORDS_M[v - 1]
        })
        .unwrap()
}

fn sample(kind: CertificateKind, payload: &[u8]) -> CertificateDoc {
    let (dose, total_doses) = match kind {
        CertificateKind::Provisional => (1, 2),
        CertificateKind::Final => (2, 2),
        CertificateKind::Precaution => (3, 2),
    };
    CertificateDoc {
        kind,
        certificate_id: "IN-UP-2026-000123456".to_owned(),
        issuer_line: "Ministry of Health & Family Welfare, Government of India".to_owned(),
        name: HINDI_NAME.to_owned(),
        age_or_dob: "34".to_owned(),
        dob_present: false,
        gender: "Female".to_owned(),
        id_type: "Aadhaar Card".to_owned(),
        id_number: "5678 9012 1234".to_owned(),
        uhid: "91-4821-7730-5512".to_owned(),
        reference_id: "73914825066183".to_owned(),
        passport: Some("Z7654321".to_owned()),
        vaccine: "COVISHIELD".to_owned(),
        prophylaxis: "COVID-19 vaccine, non-replicating viral vector".to_owned(),
        manufacturer: "Serum Institute of India Pvt. Ltd.".to_owned(),
        dose,
        total_doses,
        dose_date: "24-11-2026".to_owned(),
        batch: "4121Z025".to_owned(),
        vaccinator: "Sunita Devi".to_owned(),
        facility: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
        facility_address: "Ashok Marg, near Dhamek Stupa".to_owned(),
        district: "Varanasi".to_owned(),
        state: "Uttar Pradesh".to_owned(),
        verify_url: "https://verify.tika.example.in".to_owned(),
        generated_at: "24-11-2026 10:15 IST".to_owned(),
        qr: QrMatrix::encode_byte_mode(payload).unwrap(),
    }
}

/// A QR code found in an image: its bytes, its version and its corners in pixels.
struct Found {
    bytes: Vec<u8>,
    version: usize,
    bounds: [(f32, f32); 4],
}

fn decode_qr_codes(png: &Path) -> Vec<Found> {
    let image = image::open(png).unwrap().to_luma8();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        image.get_pixel(x as u32, y as u32).0[0]
    });
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| {
            let mut bytes = Vec::new();
            let meta = grid.decode_to(&mut bytes).unwrap_or_else(|e| {
                panic!("a QR code was found on the page but does not decode: {e:?}")
            });
            let bounds = grid.bounds.map(|p| (p.x as f32, p.y as f32));
            Found { bytes, version: meta.version.0, bounds }
        })
        .collect()
}

/// Decodes `matrix` module by module, without drawing it.
fn decode_matrix(matrix: &QrMatrix) -> (Vec<u8>, usize) {
    let grid = rqrr::SimpleGrid::from_func(matrix.width(), |x, y| matrix.is_dark(y, x));
    let mut bytes = Vec::new();
    let meta = rqrr::Grid::new(grid).decode_to(&mut bytes).unwrap();
    (bytes, meta.version.0)
}

/// Text with runs of whitespace (line breaks of wrapped values) made single spaces.
fn normalised(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that every word lies within the margins (the footer may reach
/// [`FOOTER_INTO_MARGIN`] into the bottom one) and that none touches `keep_out`, a box
/// `(left, top, right, bottom)` in points.
fn assert_words_placed(words: &[Word], keep_out: (f32, f32, f32, f32)) {
    let eps = 0.5;
    let (l, t, r, b) = keep_out;
    for w in words {
        assert!(
            w.x_min >= MARGIN - eps
                && w.x_max <= A4_WIDTH - MARGIN + eps
                && w.y_min >= MARGIN - eps
                && w.y_max <= A4_HEIGHT - MARGIN + FOOTER_INTO_MARGIN + eps,
            "outside the margins: {w:?}"
        );
        let overlaps = w.x_min < r && l < w.x_max && w.y_min < b && t < w.y_max;
        assert!(!overlaps, "{w:?} overlaps the QR code at {keep_out:?}");
    }
}

/// Checks that the rendered page is blank (white) outside the margins.
fn assert_margins_blank(png: &Path) {
    let image = image::open(png).unwrap().to_luma8();
    let px = |pt: f32| (pt * DPI / 72.0) as u32;
    // A little slack for anti-aliasing at the edges of what is drawn.
    let (left, top) = (px(MARGIN - 1.0), px(MARGIN - 1.0));
    let right = px(A4_WIDTH - MARGIN + 1.0);
    let bottom = px(A4_HEIGHT - MARGIN + FOOTER_INTO_MARGIN + 1.0);
    let mut ink = Vec::new();
    for (x, y, p) in image.enumerate_pixels() {
        let inside = (left..right).contains(&x) && (top..bottom).contains(&y);
        if !inside && p.0[0] < 245 {
            ink.push((x, y));
        }
    }
    assert!(
        ink.is_empty(),
        "{} pixels drawn in the margins, e.g. {:?}",
        ink.len(),
        &ink[..5.min(ink.len())]
    );
}

/// The QR code found on the rendered page, with its quiet zone, in points.
fn qr_box_in_points(found: &Found, matrix: &QrMatrix) -> (f32, f32, f32, f32) {
    let to_pt = 72.0 / DPI;
    let xs = found.bounds.map(|p| p.0 * to_pt);
    let ys = found.bounds.map(|p| p.1 * to_pt);
    let (l, r) =
        (xs.iter().copied().fold(f32::MAX, f32::min), xs.iter().copied().fold(0.0, f32::max));
    let (t, b) =
        (ys.iter().copied().fold(f32::MAX, f32::min), ys.iter().copied().fold(0.0, f32::max));
    let quiet = 4.0 * (r - l) / matrix.width() as f32;
    (l - quiet, t - quiet, r + quiet, b + quiet)
}

/// Renders `doc`, checks that it is one page whose QR code decodes to `payload` and that
/// the layout is clean (text inside the margins and clear of the code, margins blank);
/// returns the file for further checks.
fn render_and_check(doc: &CertificateDoc, payload: &[u8]) -> PdfFile {
    let file = PdfFile::new(&render_certificate(doc).unwrap());
    assert_eq!(file.pages(), 1, "the certificate must be one page");
    let png = file.page_png(DPI as u32);
    let codes = decode_qr_codes(&png);
    assert_eq!(codes.len(), 1, "expected exactly one QR code on the page");
    let code = &codes[0];
    assert!(code.bytes == payload, "the QR code on the page does not decode to the payload");
    assert_eq!(code.version, doc.qr.version());
    let qr_box = qr_box_in_points(code, &doc.qr);
    // At least 5.5 cm wide with its quiet zone.
    assert!(qr_box.2 - qr_box.0 >= 5.5 / 2.54 * 72.0 - 1.0, "QR code too small: {qr_box:?}");
    let words = file.words();
    assert_eq!(words.len(), 1);
    assert_words_placed(&words[0], qr_box);
    assert_margins_blank(&png);
    file
}

#[test]
fn every_field_is_printed_in_both_languages_for_each_kind() {
    let data = payload(1000, 1);
    for kind in ALL_KINDS {
        let doc = sample(kind, &data);
        let text = PdfFile::new(&render_certificate(&doc).unwrap()).text();
        let flat = normalised(&text);
        for expected in [
            "Certificate for COVID-19 Vaccination",
            "कोविड-19 टीकाकरण का प्रमाणपत्र",
            "Issued by / जारीकर्ता: Ministry of Health & Family Welfare, Government of India",
            "Certificate ID / प्रमाणपत्र आईडी",
            "IN-UP-2026-000123456",
            "Beneficiary Details / लाभार्थी विवरण",
            "Beneficiary Name / लाभार्थी का नाम",
            HINDI_NAME,
            "Age / आयु",
            "34",
            "Gender / लिंग",
            "Female",
            "ID Verified / सत्यापित पहचान पत्र",
            "Aadhaar Card XXXXXXXX1234",
            "Unique Health ID / विशिष्ट स्वास्थ्य आईडी",
            "91-4821-7730-5512",
            "Beneficiary Reference ID / लाभार्थी संदर्भ आईडी",
            "73914825066183",
            "Passport Number / पासपोर्ट संख्या",
            "Z7654321",
            "Vaccination Details / टीकाकरण विवरण",
            "Vaccine Name",
            "टीके का नाम",
            "COVISHIELD",
            "Vaccine Type",
            "टीके का प्रकार",
            "COVID-19 vaccine, non-replicating viral vector",
            "Manufacturer / निर्माता",
            "Serum Institute of India Pvt. Ltd.",
            "Dose Number",
            "खुराक संख्या",
            "Date of Dose",
            "खुराक की तारीख",
            "24-11-2026",
            "Batch Number",
            "बैच संख्या",
            "4121Z025",
            "Vaccinated by / टीकाकर्ता",
            "Sunita Devi",
            "Vaccination at",
            "टीकाकरण केंद्र",
            "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath",
            "Ashok Marg, near Dhamek Stupa, Varanasi, Uttar Pradesh",
            "Scan to verify / सत्यापित करने के लिए स्कैन करें",
            "https://verify.tika.example.in",
            "This certificate can be verified offline",
            "इस प्रमाणपत्र का सत्यापन ऑफ़लाइन किया जा सकता है",
            "Generated / जारी: 24-11-2026 10:15 IST",
        ] {
            assert!(flat.contains(expected), "{kind:?}: {expected:?} not found in:\n{text}");
        }
        // Only the last 4 digits of the ID number are printed.
        assert!(!flat.contains("5678") && !flat.contains("9012"), "ID number leaked:\n{text}");
        // The subtitle of this kind, and no other.
        for other in ALL_KINDS {
            let found = flat.contains(other.subtitle());
            assert_eq!(
                found,
                other == kind,
                "{kind:?}: subtitle {:?} in:\n{text}",
                other.subtitle()
            );
        }
        let dose = match kind {
            CertificateKind::Provisional => "1 of 2",
            CertificateKind::Final => "2 of 2",
            CertificateKind::Precaution => "3 (Precaution dose / एहतियाती खुराक)",
        };
        assert!(flat.contains(dose), "{kind:?}: {dose:?} not found in:\n{text}");
    }
}

#[test]
fn subtitles_are_bilingual() {
    let expected = [
        (CertificateKind::Provisional, "Provisional Certificate", "अनंतिम प्रमाणपत्र"),
        (CertificateKind::Final, "Final Certificate", "अंतिम प्रमाणपत्र"),
        (CertificateKind::Precaution, "Precaution Dose Certificate", "एहतियाती खुराक प्रमाणपत्र"),
    ];
    for (kind, en, hi) in expected {
        assert_eq!(kind.subtitle(), format!("{en} / {hi}"));
    }
}

#[test]
fn the_hindi_name_comes_back_intact_word_by_word() {
    let doc = sample(CertificateKind::Final, &payload(1000, 2));
    let file = PdfFile::new(&render_certificate(&doc).unwrap());
    let words: Vec<String> = file.words()[0].iter().map(|w| w.text.clone()).collect();
    let name: Vec<&str> = HINDI_NAME.split(' ').collect();
    let found =
        words.windows(name.len()).any(|w| w.iter().map(String::as_str).eq(name.iter().copied()));
    assert!(found, "{HINDI_NAME} not found as words in {words:?}");
}

#[test]
fn the_date_of_birth_replaces_the_age_and_optional_rows_can_be_left_out() {
    let mut doc = sample(CertificateKind::Final, &payload(1000, 3));
    doc.age_or_dob = "03-02-1990".to_owned();
    doc.dob_present = true;
    doc.uhid = String::new();
    doc.passport = None;
    let text = normalised(&PdfFile::new(&render_certificate(&doc).unwrap()).text());
    assert!(text.contains("Date of Birth / जन्म तिथि 03-02-1990"), "{text}");
    for absent in ["Age / आयु", "Unique Health ID", "Passport"] {
        assert!(!text.contains(absent), "{absent:?} printed in {text}");
    }
}

#[test]
fn the_qr_code_decodes_from_the_rendered_page_and_the_layout_is_clean() {
    for (seed, kind) in ALL_KINDS.into_iter().enumerate() {
        let data = payload(1000 + 7 * seed, 10 + seed as u64);
        render_and_check(&sample(kind, &data), &data);
    }
}

#[test]
fn long_names_wrap_and_stay_on_one_clean_page() {
    let latin = "Venkataraman Subramanian Ramaswamy Iyer Balasubrahmanyam Chakravarti Rajagopalan";
    let hindi = "श्रीमती प्रियंका द्विवेदी क्षत्रिय पार्थसारथी मिश्रा";
    assert_eq!(latin.chars().count(), 80);
    assert_eq!(hindi.chars().count(), 52);
    let data = payload(1000, 4);
    let names = [latin.to_owned(), hindi.to_owned(), format!("{hindi} / {latin}")];
    for name in names {
        let mut doc = sample(CertificateKind::Provisional, &data);
        doc.name = name.clone();
        doc.vaccinator = format!("Dr. {latin}");
        doc.facility = "सामुदायिक स्वास्थ्य केंद्र एवं जिला टीकाकरण कार्यालय / \
                        Community Health Centre and District Immunisation Office"
            .to_owned();
        let file = render_and_check(&doc, &data);
        let text = normalised(&file.text());
        assert!(text.contains(&name), "{name:?} not found in {text}");
        // The Latin name is wider than its column: its words are on more than one line.
        let words = &file.words()[0];
        let first = latin.split(' ').next().unwrap();
        let last = latin.split(' ').next_back().unwrap();
        if name.contains(latin) {
            let line_of = |word: &str| words.iter().find(|w| w.text == word).unwrap().y_min;
            assert!(line_of(last) > line_of(first), "{name:?} did not wrap");
        }
    }
}

#[test]
fn absurdly_long_values_continue_on_a_second_page_and_the_code_still_scans() {
    let data = payload(1000, 5);
    let mut doc = sample(CertificateKind::Final, &data);
    doc.facility_address = "Behind the Old Railway Goods Shed, Near the Water Tank, ".repeat(40);
    let file = PdfFile::new(&render_certificate(&doc).unwrap());
    assert!(file.pages() >= 2, "{} pages", file.pages());
    let codes = decode_qr_codes(&file.page_png(DPI as u32));
    assert_eq!(codes.len(), 1);
    assert!(codes[0].bytes == data);
    for page in file.words() {
        assert_words_placed(&page, (0.0, 0.0, 0.0, 0.0));
    }
    assert!(normalised(&file.text()).contains("Page / पृष्ठ 2 /"));
}

#[test]
fn layout_is_one_page_for_the_sample() {
    let doc = sample(CertificateKind::Provisional, &payload(1000, 6));
    assert_eq!(layout_certificate(&doc).unwrap().len(), 1);
}

#[test]
fn from_modules_checks_width_and_length() {
    let qr = QrMatrix::encode_byte_mode(b"https://verify.tika.example.in").unwrap();
    let n = qr.width();
    let modules: Vec<bool> = (0..n * n).map(|i| qr.is_dark(i / n, i % n)).collect();
    let rebuilt = QrMatrix::from_modules(n, modules.clone()).unwrap();
    assert_eq!(rebuilt, qr);
    assert_eq!(decode_matrix(&rebuilt).0, b"https://verify.tika.example.in");
    // Not a QR width: too small, too large, or not 17 + 4k.
    for width in [0, 1, 20, 22, 24, 26, 176, 178, 181, 1000] {
        let err = QrMatrix::from_modules(width, vec![false; width * width]).unwrap_err();
        assert!(matches!(err, PdfError::Qr(_)), "{width}: {err:?}");
    }
    // Too few or too many modules for the width.
    for len in [0, n * n - 1, n * n + 1, (n + 4) * (n + 4)] {
        let err = QrMatrix::from_modules(n, vec![true; len]).unwrap_err();
        assert!(matches!(err, PdfError::Qr(_)), "{len}: {err:?}");
    }
    // The extreme valid widths.
    for version in [1, 40] {
        let width = 17 + 4 * version;
        let m = QrMatrix::from_modules(width, vec![false; width * width]).unwrap();
        assert_eq!((m.width(), m.version()), (width, version));
    }
}

#[test]
fn encode_byte_mode_is_one_byte_segment_in_the_smallest_version() {
    assert_eq!(min_byte_mode_version(1000), 26);
    for len in [1, 14, 15, 180, 181, 997, 998, 1000, 1059, 1060, 2331] {
        let data = payload(len, len as u64);
        let qr = QrMatrix::encode_byte_mode(&data).unwrap();
        let version = min_byte_mode_version(len);
        assert_eq!(qr.version(), version, "{len} bytes");
        assert_eq!(qr.width(), 17 + 4 * version);
        assert_eq!(decode_matrix(&qr), (data, version), "{len} bytes");
    }
    assert!(matches!(QrMatrix::encode_byte_mode(&payload(2332, 0)), Err(PdfError::Qr(_))));
    // Digits would fit a much smaller code in numeric mode (which `encode` picks); byte
    // mode keeps them as bytes, in one segment, as the verifier expects.
    let digits: Vec<u8> = (0..1000).map(|i| b'0' + (i % 10) as u8).collect();
    let byte_mode = QrMatrix::encode_byte_mode(&digits).unwrap();
    assert_eq!(byte_mode.version(), 26);
    assert!(QrMatrix::encode(&digits).unwrap().version() < 20);
    assert_eq!(decode_matrix(&byte_mode).0, digits);
}

#[test]
fn the_certificate_id_names_the_document() {
    let doc = sample(CertificateKind::Final, &payload(100, 7));
    let file = PdfFile::new(&render_certificate(&doc).unwrap());
    let info = common::poppler("pdfinfo", &[file.path()]);
    assert!(info.contains("Certificate for COVID-19 Vaccination IN-UP-2026-000123456"), "{info}");
    file.assert_fonts_embedded();
}
