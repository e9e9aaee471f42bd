//! The vaccination certificate: what a citizen carries and a border officer reads, modelled
//! on India's CoWIN certificate.
//!
//! One A4 portrait page: the bilingual title and the kind of certificate (provisional, final,
//! precaution dose), the issuing authority and the certificate ID, then the beneficiary's
//! and the vaccination's details as label/value tables, with a large QR code holding the
//! signed credential right of the vaccination details, captioned "Scan to verify" and the
//! verification URL. The footer says that the certificate can be verified offline and when
//! it was generated. Every label is printed in English and Hindi; values are printed as
//! given, wrapped to their column, and only the last 4 characters of the photo ID number.
//!
//! The QR code is built elsewhere (a compressed, signed credential in one byte-mode
//! segment, see [`QrMatrix::encode_byte_mode`] and [`QrMatrix::from_modules`]) and drawn
//! here as vector squares, with its quiet zone, at least [`MIN_QR_SIZE`] wide.

use crate::PdfError;
use crate::fonts::FontSet;
use crate::layout::theme::{ACCENT, GREY, HEADER_FILL, LABEL_FILL};
use crate::layout::{
    A4_HEIGHT, A4_WIDTH, Align, Cell, Flow, Op, Page, TableStyle, TextStyle, left_right_line,
    lines_block, row_height, text_block, wrap_cells,
};
use crate::qr::QrMatrix;
use crate::render::{DocInfo, to_pdf};
use crate::text::{measure, wrap};

/// Which certificate a dose earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CertificateKind {
    /// After a dose of a multi-dose series that is not complete yet.
    #[default]
    Provisional,
    /// The primary series is complete.
    Final,
    /// A precaution (booster) dose, given after the series was complete.
    Precaution,
}

impl CertificateKind {
    /// The kind of certificate for dose number `dose` of a series of `total_doses`.
    pub fn for_dose(dose: u32, total_doses: u32) -> Self {
        match dose.cmp(&total_doses) {
            std::cmp::Ordering::Less => CertificateKind::Provisional,
            std::cmp::Ordering::Equal => CertificateKind::Final,
            std::cmp::Ordering::Greater => CertificateKind::Precaution,
        }
    }

    /// The bilingual subtitle printed under the title.
    pub fn subtitle(self) -> &'static str {
        match self {
            CertificateKind::Provisional => "Provisional Certificate / अनंतिम प्रमाणपत्र",
            CertificateKind::Final => "Final Certificate / अंतिम प्रमाणपत्र",
            CertificateKind::Precaution => "Precaution Dose Certificate / एहतियाती खुराक प्रमाणपत्र",
        }
    }
}

/// Everything printed on a vaccination certificate.
///
/// Empty strings are printed as empty values, except for [`CertificateDoc::uhid`] and
/// [`CertificateDoc::passport`], whose rows are left out when there is nothing to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDoc {
    /// Which certificate this is; see [`CertificateKind::for_dose`].
    pub kind: CertificateKind,
    /// The certificate ID, also inside the signed QR payload.
    pub certificate_id: String,
    /// The issuing authority, e.g. `Ministry of Health & Family Welfare, Government of India`.
    pub issuer_line: String,
    /// The beneficiary's full name, in Devanagari, Latin or both.
    pub name: String,
    /// The age in years (`34`), or the date of birth (`03-02-1990`) when
    /// [`CertificateDoc::dob_present`] is set.
    pub age_or_dob: String,
    /// Whether [`CertificateDoc::age_or_dob`] is a date of birth rather than an age.
    pub dob_present: bool,
    /// Gender as it should be printed, e.g. `Female`.
    pub gender: String,
    /// The kind of photo ID verified at vaccination, e.g. `Aadhaar Card`.
    pub id_type: String,
    /// The ID's number. Only its last 4 characters are printed, see [`mask_id_number`], so
    /// either the full or an already masked number may be given.
    pub id_number: String,
    /// Unique Health ID (ABHA), or empty if the beneficiary has none.
    pub uhid: String,
    /// Beneficiary reference ID.
    pub reference_id: String,
    /// Passport number, printed in full, for certificates used to travel abroad.
    pub passport: Option<String>,
    /// Vaccine name, e.g. `COVISHIELD`.
    pub vaccine: String,
    /// Vaccine type (prophylaxis), e.g. `COVID-19 vaccine, non-replicating viral vector`.
    pub prophylaxis: String,
    /// Manufacturer, e.g. `Serum Institute of India Pvt. Ltd.`.
    pub manufacturer: String,
    /// Dose number, from 1.
    pub dose: u32,
    /// Doses in the primary series; a dose above it is a precaution dose.
    pub total_doses: u32,
    /// Date the dose was given, `DD-MM-YYYY`.
    pub dose_date: String,
    /// Batch (lot) number of the vial.
    pub batch: String,
    /// Name of the vaccinator.
    pub vaccinator: String,
    /// Name of the vaccination centre.
    pub facility: String,
    /// Street address of the centre.
    pub facility_address: String,
    /// District of the centre.
    pub district: String,
    /// State of the centre.
    pub state: String,
    /// Where the certificate can also be verified online, printed under the QR code.
    pub verify_url: String,
    /// When the certificate was generated, e.g. `24-11-2026 10:15 IST`.
    pub generated_at: String,
    /// The QR code holding the signed credential.
    pub qr: QrMatrix,
}

/// The English title.
pub const TITLE_EN: &str = "Certificate for COVID-19 Vaccination";
/// The Hindi title.
pub const TITLE_HI: &str = "कोविड-19 टीकाकरण का प्रमाणपत्र";
/// Caption under the QR code.
pub const SCAN_CAPTION: &str = "Scan to verify / सत्यापित करने के लिए स्कैन करें";
/// English footer note on offline verification.
pub const OFFLINE_NOTE_EN: &str = "This certificate can be verified offline: the QR code holds its details, \
     digitally signed by the issuer, and a verifier app checks them without internet.";
/// Hindi footer note on offline verification.
pub const OFFLINE_NOTE_HI: &str = "इस प्रमाणपत्र का सत्यापन ऑफ़लाइन किया जा सकता है: क्यूआर कोड में इसका विवरण \
     जारीकर्ता के डिजिटल हस्ताक्षर के साथ है, जिसे सत्यापन ऐप बिना इंटरनेट के जाँचता है।";

/// The smallest side of the QR code with its quiet zone: 5.5 cm.
pub const MIN_QR_SIZE: f32 = 5.5 / 2.54 * 72.0;

const MARGIN: f32 = 40.0;
/// Bottom of the footer's last line: the footer reaches a little into the bottom margin.
const FOOTER_BOTTOM: f32 = A4_HEIGHT - MARGIN + 8.0;
/// Side of the QR code including its quiet zone (7.5 cm): a ~1 KB credential needs version
/// 26, 121 + 8 modules, 1.64 pt (3.4 px at 150 dpi, 0.58 mm) each.
const QR_SIZE: f32 = 7.5 / 2.54 * 72.0;
const _: () = assert!(QR_SIZE >= MIN_QR_SIZE, "the QR code must be at least 5.5 cm wide");
/// Width of the label column of the beneficiary table.
const LABEL_WIDTH: f32 = 215.0;
/// Width of the label column of the vaccination table, left of the QR code.
const NARROW_LABEL_WIDTH: f32 = 112.0;
/// Space between the QR code and the table left of it.
const QR_GAP: f32 = 14.0;
/// Space between a section heading and its table.
const HEADING_GAP: f32 = 3.0;
/// Space between sections.
const SECTION_GAP: f32 = 10.0;
/// Space between a table cell's border and its text.
const CELL_PADDING: f32 = 3.5;

/// Masks an ID number so that only its last 4 characters show: `123412341234` becomes
/// `XXXXXXXX1234`. Spaces and dashes are dropped first; a number of 4 characters or fewer
/// is printed as `XXXX` followed by it, so that it never reads as a whole number.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let keep = chars.len().min(4);
    let hidden = (chars.len() - keep).max(4);
    let mut masked = "X".repeat(hidden);
    masked.extend(&chars[chars.len() - keep..]);
    masked
}

/// The text of the "ID Verified" row: the ID type and the masked number.
pub fn id_verified_text(doc: &CertificateDoc) -> String {
    let kind = doc.id_type.trim();
    if doc.id_number.trim().is_empty() {
        return kind.to_owned();
    }
    let masked = mask_id_number(&doc.id_number);
    if kind.is_empty() { masked } else { format!("{kind} {masked}") }
}

/// The text of the "Dose Number" row: `1 of 2`, or `3 (Precaution dose)` after the series.
pub fn dose_text(doc: &CertificateDoc) -> String {
    if doc.kind == CertificateKind::Precaution || doc.dose > doc.total_doses {
        format!("{} (Precaution dose / एहतियाती खुराक)", doc.dose)
    } else {
        format!("{} of {}", doc.dose, doc.total_doses)
    }
}

/// The text of the "Vaccination at" row: the centre on one line, its address, district and
/// state (non-empty parts, without repeats) on the next.
pub fn facility_text(doc: &CertificateDoc) -> String {
    let mut address: Vec<&str> = [&doc.facility_address, &doc.district, &doc.state]
        .into_iter()
        .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == ','))
        .filter(|s| !s.is_empty())
        .collect();
    address.dedup();
    let mut text = doc.facility.trim().to_owned();
    let line = address.join(", ");
    if !line.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    text
}

/// One row of a details table.
struct Row {
    /// English label.
    en: &'static str,
    /// Hindi label.
    hi: &'static str,
    /// The value, wrapped to its column.
    value: String,
    /// Whether the value is printed in bold.
    bold: bool,
}

fn row(en: &'static str, hi: &'static str, value: String, bold: bool) -> Row {
    Row { en, hi, value, bold }
}

/// The rows of the "Beneficiary Details" table.
fn beneficiary_rows(doc: &CertificateDoc) -> Vec<Row> {
    let (age_en, age_hi) = if doc.dob_present {
        ("Date of Birth", "जन्म तिथि")
    } else {
        ("Age", "आयु")
    };
    let mut rows = vec![
        row("Beneficiary Name", "लाभार्थी का नाम", doc.name.clone(), true),
        row(age_en, age_hi, doc.age_or_dob.clone(), false),
        row("Gender", "लिंग", doc.gender.clone(), false),
        row("ID Verified", "सत्यापित पहचान पत्र", id_verified_text(doc), false),
    ];
    if !doc.uhid.trim().is_empty() {
        rows.push(row("Unique Health ID", "विशिष्ट स्वास्थ्य आईडी", doc.uhid.clone(), false));
    }
    rows.push(row(
        "Beneficiary Reference ID",
        "लाभार्थी संदर्भ आईडी",
        doc.reference_id.clone(),
        false,
    ));
    if let Some(passport) = doc.passport.as_deref().filter(|p| !p.trim().is_empty()) {
        rows.push(row("Passport Number", "पासपोर्ट संख्या", passport.to_owned(), false));
    }
    rows
}

/// The rows of the "Vaccination Details" table.
fn vaccination_rows(doc: &CertificateDoc) -> Vec<Row> {
    vec![
        row("Vaccine Name", "टीके का नाम", doc.vaccine.clone(), true),
        row("Vaccine Type", "टीके का प्रकार", doc.prophylaxis.clone(), false),
        row("Manufacturer", "निर्माता", doc.manufacturer.clone(), false),
        row("Dose Number", "खुराक संख्या", dose_text(doc), true),
        row("Date of Dose", "खुराक की तारीख", doc.dose_date.clone(), true),
        row("Batch Number", "बैच संख्या", doc.batch.clone(), false),
        row("Vaccinated by", "टीकाकर्ता", doc.vaccinator.clone(), false),
        row("Vaccination at", "टीकाकरण केंद्र", facility_text(doc), false),
    ]
}

/// The footer (a rule, the offline-verification note, the generation time and the page
/// number when there is more than one page) at `top`, and its height.
fn footer(
    fonts: &FontSet,
    top: f32,
    doc: &CertificateDoc,
    page: usize,
    pages: usize,
) -> (Vec<Op>, f32) {
    let (left, width) = (MARGIN, A4_WIDTH - 2.0 * MARGIN);
    let mut ops =
        vec![Op::Line { x1: left, y1: top, x2: left + width, y2: top, color: ACCENT, width: 0.8 }];
    let mut y = top + 5.0;
    let note = TextStyle::regular(7.5);
    for text in [OFFLINE_NOTE_EN, OFFLINE_NOTE_HI] {
        let (block, h) = text_block(fonts, left, y, width, text, note, Align::Left);
        ops.extend(block);
        y += h;
    }
    y += 2.0;
    let small = TextStyle::regular(7.5).with_color(GREY);
    let generated = format!("Generated / जारी: {}", doc.generated_at);
    let numbering =
        if pages > 1 { format!("Page / पृष्ठ {page} / {pages}") } else { String::new() };
    let (block, h) = left_right_line(fonts, left, y, width, &generated, &numbering, small);
    ops.extend(block);
    y += h;
    (ops, y - top)
}

/// The QR code, its frame and its caption (what to do, and the verification URL) in a
/// column of `QR_SIZE` at `(x, top)`; returns the ops and the height.
fn qr_block(fonts: &FontSet, x: f32, top: f32, doc: &CertificateDoc) -> (Vec<Op>, f32) {
    let table = TableStyle::default();
    let mut ops = vec![
        Op::Qr { x, y: top, size: QR_SIZE, matrix: doc.qr.clone() },
        Op::Rect {
            x,
            y: top,
            w: QR_SIZE,
            h: QR_SIZE,
            fill: None,
            stroke: Some((table.border, table.border_width)),
        },
    ];
    let mut y = top + QR_SIZE + 4.0;
    for (text, style) in [
        (SCAN_CAPTION, TextStyle::bold(8.5).with_color(ACCENT)),
        (doc.verify_url.as_str(), TextStyle::regular(7.5).with_color(GREY)),
    ] {
        let (block, h) = text_block(fonts, x, y, QR_SIZE, text, style, Align::Center);
        ops.extend(block);
        y += h;
    }
    (ops, y - top)
}

/// The label and value cells of `rows` for a table whose label column is `label_width`
/// wide: `English / हिन्दी` on one line if it fits, else English over Hindi.
fn cells(fonts: &FontSet, rows: &[Row], label_width: f32, table: &TableStyle) -> Vec<[Cell; 2]> {
    let label = TextStyle::bold(9.0).with_color(ACCENT);
    let inner = label_width - 2.0 * table.padding;
    rows.iter()
        .map(|r| {
            let one_line = format!("{} / {}", r.en, r.hi);
            let text = if measure(fonts, &one_line, true, label.size) <= inner {
                one_line
            } else {
                format!("{}\n{}", r.en, r.hi)
            };
            let value = if r.bold { TextStyle::bold(10.5) } else { TextStyle::regular(10.0) };
            [Cell::new(text, label).fill(LABEL_FILL), Cell::new(r.value.clone(), value)]
        })
        .collect()
}

/// Adds a section heading over the content width; keeps it with `keep` points below it.
fn heading(flow: &mut Flow<'_>, text: &str, keep: f32) {
    let fonts = flow.fonts();
    let style = TextStyle::bold(12.0).with_color(ACCENT);
    let lines = wrap(fonts, text, true, style.size, flow.width);
    let h = lines.len() as f32 * fonts.line_height(style.size);
    flow.ensure(h + HEADING_GAP + keep.min(flow.page_height() / 2.0));
    let (ops, h) = lines_block(fonts, flow.left, flow.y, flow.width, &lines, style, Align::Left);
    flow.push(ops);
    flow.space(h + HEADING_GAP);
}

fn first_row_height(
    fonts: &FontSet,
    widths: &[f32],
    cells: &[[Cell; 2]],
    table: &TableStyle,
) -> f32 {
    cells.first().map_or(0.0, |c| row_height(fonts, c, &wrap_cells(fonts, widths, c, table), table))
}

/// Renders the bilingual vaccination certificate as a PDF: one A4 page, or more only when
/// the values are too long for one.
pub fn render_certificate(doc: &CertificateDoc) -> Result<Vec<u8>, PdfError> {
    let pages = layout_certificate(doc)?;
    let info = DocInfo {
        title: format!("{TITLE_EN} {}", doc.certificate_id),
        language: "en-IN".to_owned(),
    };
    to_pdf(&pages, A4_WIDTH, A4_HEIGHT, &info)
}

/// Lays out the certificate into A4 pages without writing the PDF.
///
/// The QR code sits right of the vaccination details, on the page where they start; rows
/// that start below it use the full width. Values too long for one page (hundreds of
/// characters) continue on a second page.
pub fn layout_certificate(doc: &CertificateDoc) -> Result<Vec<Page>, PdfError> {
    let fonts = FontSet::get()?;
    let (left, width) = (MARGIN, A4_WIDTH - 2.0 * MARGIN);

    let (_, footer_height) = footer(fonts, 0.0, doc, 1, 1);
    let footer_top = FOOTER_BOTTOM - footer_height;
    let bottom = footer_top - 8.0;
    let mut flow = Flow::new(fonts, left, width, MARGIN, bottom);

    // Title, kind and issuer.
    flow.paragraph(TITLE_EN, TextStyle::bold(18.0).with_color(ACCENT), Align::Left);
    flow.paragraph(TITLE_HI, TextStyle::bold(15.0).with_color(ACCENT), Align::Left);
    flow.space(4.0);
    let band = TableStyle { padding: 5.0, border_width: 0.0, ..TableStyle::default() };
    let subtitle = Cell::new(doc.kind.subtitle(), TextStyle::bold(12.0)).fill(HEADER_FILL);
    flow.table_row(left, &[width], None, &[subtitle], &band);
    flow.space(5.0);
    flow.paragraph(
        &format!("Issued by / जारीकर्ता: {}", doc.issuer_line.trim()),
        TextStyle::regular(9.0).with_color(GREY),
        Align::Left,
    );
    flow.space(4.0);
    flow.rule(ACCENT, 1.5);
    flow.space(8.0);

    // Certificate ID, in a row of its own.
    let id_row = [
        Cell::new("Certificate ID / प्रमाणपत्र आईडी", TextStyle::bold(9.0).with_color(ACCENT))
            .fill(HEADER_FILL),
        Cell::new(doc.certificate_id.clone(), TextStyle::bold(11.0)),
    ];
    let table = TableStyle { padding: CELL_PADDING, ..TableStyle::default() };
    flow.table_row(left, &[LABEL_WIDTH, width - LABEL_WIDTH], None, &id_row, &table);
    flow.space(SECTION_GAP);

    // Beneficiary details over the full width.
    let widths = [LABEL_WIDTH, width - LABEL_WIDTH];
    let rows = cells(fonts, &beneficiary_rows(doc), LABEL_WIDTH, &table);
    heading(
        &mut flow,
        "Beneficiary Details / लाभार्थी विवरण",
        first_row_height(fonts, &widths, &rows, &table),
    );
    for row in &rows {
        flow.table_row(left, &widths, None, row, &table);
    }
    flow.space(SECTION_GAP);

    // Vaccination details, with the QR code right of them.
    let table_width = width - QR_SIZE - QR_GAP;
    let widths = [NARROW_LABEL_WIDTH, table_width - NARROW_LABEL_WIDTH];
    let rows = cells(fonts, &vaccination_rows(doc), NARROW_LABEL_WIDTH, &table);
    let (_, qr_height) = qr_block(fonts, 0.0, 0.0, doc);
    heading(&mut flow, "Vaccination Details / टीकाकरण विवरण", qr_height);
    let (page, top) = (flow.page_index(), flow.y);
    let (ops, _) = qr_block(fonts, left + width - QR_SIZE, top, doc);
    flow.push(ops);
    // Rows that start below the QR code (or on a later page) take the full width.
    let wide = [NARROW_LABEL_WIDTH, width - NARROW_LABEL_WIDTH];
    for row in &rows {
        let beside_qr = flow.page_index() == page && flow.y < top + qr_height + QR_GAP;
        flow.table_row(left, if beside_qr { &widths } else { &wide }, None, row, &table);
    }
    if flow.page_index() == page {
        flow.y = flow.y.max(top + qr_height);
    }

    let mut pages = flow.finish();
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.ops.extend(footer(fonts, footer_top, doc, i + 1, count).0);
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> CertificateDoc {
        CertificateDoc {
            kind: CertificateKind::Provisional,
            certificate_id: "IN-UP-2026-000123456".to_owned(),
            issuer_line: "Ministry of Health & Family Welfare, Government of India".to_owned(),
            name: "सुश्री प्रियंका द्विवेदी / Priyanka Dwivedi".to_owned(),
            age_or_dob: "34".to_owned(),
            dob_present: false,
            gender: "Female".to_owned(),
            id_type: "Aadhaar Card".to_owned(),
            id_number: "1234 5678 1234".to_owned(),
            uhid: "91-1234-5678-9012".to_owned(),
            reference_id: "73914825066183".to_owned(),
            passport: Some("Z1234567".to_owned()),
            vaccine: "COVISHIELD".to_owned(),
            prophylaxis: "COVID-19 vaccine, non-replicating viral vector".to_owned(),
            manufacturer: "Serum Institute of India Pvt. Ltd.".to_owned(),
            dose: 1,
            total_doses: 2,
            dose_date: "24-11-2026".to_owned(),
            batch: "4121Z025".to_owned(),
            vaccinator: "Sunita Devi".to_owned(),
            facility: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
            facility_address: "Ashok Marg, near Dhamek Stupa".to_owned(),
            district: "Varanasi".to_owned(),
            state: "Uttar Pradesh".to_owned(),
            verify_url: "https://verify.tika.example.in".to_owned(),
            generated_at: "24-11-2026 10:15 IST".to_owned(),
            qr: QrMatrix::encode_byte_mode(&[0x5A; 1000]).unwrap(),
        }
    }

    #[test]
    fn kind_follows_the_dose() {
        assert_eq!(CertificateKind::for_dose(1, 2), CertificateKind::Provisional);
        assert_eq!(CertificateKind::for_dose(2, 2), CertificateKind::Final);
        assert_eq!(CertificateKind::for_dose(1, 1), CertificateKind::Final);
        assert_eq!(CertificateKind::for_dose(3, 2), CertificateKind::Precaution);
    }

    #[test]
    fn id_numbers_show_only_the_last_four() {
        assert_eq!(mask_id_number("1234 5678 1234"), "XXXXXXXX1234");
        assert_eq!(mask_id_number("XXXXXXXX1234"), "XXXXXXXX1234");
        assert_eq!(mask_id_number("ABCDE1234F"), "XXXXXX234F");
        assert_eq!(mask_id_number("1234"), "XXXX1234");
        assert_eq!(mask_id_number("12"), "XXXX12");
        assert_eq!(mask_id_number("प्रियंका"), "XXXXयंका");
        let mut d = doc();
        assert_eq!(id_verified_text(&d), "Aadhaar Card XXXXXXXX1234");
        d.id_number = " ".to_owned();
        assert_eq!(id_verified_text(&d), "Aadhaar Card");
    }

    #[test]
    fn dose_and_facility_texts() {
        let mut d = doc();
        assert_eq!(dose_text(&d), "1 of 2");
        assert_eq!(
            facility_text(&d),
            "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath\nAshok Marg, near Dhamek Stupa, Varanasi, Uttar Pradesh"
        );
        d.dose = 3;
        d.kind = CertificateKind::Precaution;
        assert!(dose_text(&d).starts_with("3 (Precaution dose"));
        d.facility_address = "Varanasi, ".to_owned();
        assert_eq!(facility_text(&d).lines().nth(1), Some("Varanasi, Uttar Pradesh"));
    }

    #[test]
    fn optional_rows_are_left_out() {
        let mut d = doc();
        let labels = |d: &CertificateDoc| -> Vec<&'static str> {
            beneficiary_rows(d).into_iter().map(|r| r.en).collect()
        };
        assert_eq!(labels(&d).len(), 7);
        d.uhid = String::new();
        d.passport = Some(" ".to_owned());
        d.dob_present = true;
        let l = labels(&d);
        assert_eq!(l.len(), 5);
        assert!(l.contains(&"Date of Birth"));
    }

    /// A box `(left, top, right, bottom)`.
    type Bounds = (f32, f32, f32, f32);

    fn bounds(fonts: &FontSet, op: &Op) -> Option<Bounds> {
        match op {
            Op::Text { x, y, text, style } => {
                let w = crate::text::measure(fonts, text, style.bold, style.size);
                let top = y - fonts.ascent() * style.size;
                Some((*x, top, x + w, y + fonts.descent() * style.size))
            }
            Op::Qr { x, y, size, .. } => Some((*x, *y, x + size, y + size)),
            _ => None,
        }
    }

    /// Text and the QR code stay inside the margins and never overlap one another.
    fn assert_clean_layout(pages: &[Page]) {
        let fonts = FontSet::get().unwrap();
        let eps = 0.01;
        for (n, page) in pages.iter().enumerate() {
            let boxes: Vec<(usize, Bounds)> = page
                .ops
                .iter()
                .enumerate()
                .filter_map(|(i, op)| bounds(fonts, op).map(|b| (i, b)))
                .collect();
            for &(i, (l, t, r, b)) in &boxes {
                let op = &page.ops[i];
                assert!(l >= MARGIN - eps && r <= A4_WIDTH - MARGIN + eps, "page {n}: {op:?}");
                assert!(t >= MARGIN - eps && b <= FOOTER_BOTTOM + eps, "page {n}: {op:?}");
            }
            for (k, &(i, a)) in boxes.iter().enumerate() {
                for &(j, b) in &boxes[k + 1..] {
                    let overlap =
                        a.0 < b.2 - eps && b.0 < a.2 - eps && a.1 < b.3 - eps && b.1 < a.3 - eps;
                    assert!(!overlap, "page {n}: {:?} overlaps {:?}", page.ops[i], page.ops[j]);
                }
            }
        }
    }

    fn qr_ops(pages: &[Page]) -> Vec<(usize, f32)> {
        pages
            .iter()
            .enumerate()
            .flat_map(|(n, p)| {
                p.ops.iter().filter_map(move |op| match op {
                    Op::Qr { size, .. } => Some((n, *size)),
                    _ => None,
                })
            })
            .collect()
    }

    #[test]
    fn sample_is_one_clean_page_with_a_large_qr_code() {
        for kind in
            [CertificateKind::Provisional, CertificateKind::Final, CertificateKind::Precaution]
        {
            let pages = layout_certificate(&CertificateDoc { kind, ..doc() }).unwrap();
            assert_eq!(pages.len(), 1);
            assert_clean_layout(&pages);
            assert_eq!(qr_ops(&pages), [(0, QR_SIZE)]);
        }
    }

    #[test]
    fn long_values_wrap_on_one_page() {
        let mut d = doc();
        d.name = "Venkataraman Subramanian Ramaswamy Iyer Balasubrahmanyam Chakravarti Rajagopal"
            .to_owned();
        d.facility = "सामुदायिक स्वास्थ्य केंद्र एवं जिला टीकाकरण कार्यालय ".repeat(2);
        d.facility_address =
            "Plot 17, Behind the Old Railway Goods Shed, Near the Water Tank".to_owned();
        d.certificate_id = "X".repeat(60);
        d.verify_url = format!("https://verify.tika.example.in/{}", "a".repeat(60));
        let pages = layout_certificate(&d).unwrap();
        assert_eq!(pages.len(), 1);
        assert_clean_layout(&pages);
    }

    #[test]
    fn absurdly_long_values_spill_onto_a_second_page_cleanly() {
        let mut d = doc();
        d.name = "प्रियंका द्विवेदी क्षत्रिय Priyanka Dwivedi Kshatriya ".repeat(30);
        let pages = layout_certificate(&d).unwrap();
        assert!(pages.len() >= 2, "{}", pages.len());
        assert_clean_layout(&pages);
        // The QR code is drawn once, whole.
        assert_eq!(qr_ops(&pages).len(), 1);
    }
}
