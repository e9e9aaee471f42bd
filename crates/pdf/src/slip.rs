//! The appointment slip: what a citizen prints or shows at the vaccination centre.

use crate::PdfError;
use crate::fonts::FontSet;
use crate::layout::{
    A4_HEIGHT, A4_WIDTH, Align, Cell, Flow, Op, Page, Rgb, TableStyle, TextStyle, table_row,
    text_block,
};
use crate::qr::QrMatrix;
use crate::render::{DocInfo, to_pdf};

/// One person booked on the appointment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlipPerson {
    /// Full name, in Devanagari, Latin or both.
    pub name: String,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender as it should be printed.
    pub gender: String,
    /// Beneficiary reference ID.
    pub reference_id: String,
    /// Masked photo ID used at registration, e.g. `Aadhaar Card ********9999`.
    pub photo_id: String,
    /// The 4-digit security code the vaccinator asks for.
    pub security_code: String,
}

/// Everything printed on an appointment slip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppointmentSlip {
    /// Appointment ID, also encoded in the QR code.
    pub appointment_id: String,
    /// Name of the vaccination centre.
    pub center_name: String,
    /// Street address of the centre.
    pub center_address: String,
    /// Block of the centre.
    pub block_name: String,
    /// District of the centre.
    pub district_name: String,
    /// State of the centre.
    pub state_name: String,
    /// PIN code of the centre.
    pub pincode: String,
    /// Date of the appointment, `DD-MM-YYYY`.
    pub date: String,
    /// Time slot, e.g. `09:00AM-11:00AM`.
    pub slot: String,
    /// Vaccine name.
    pub vaccine: String,
    /// Dose number.
    pub dose: u8,
    /// Fee, `Free` or e.g. `₹ 780`.
    pub fee: String,
    /// People booked on this appointment.
    pub people: Vec<SlipPerson>,
    /// When the slip was generated, e.g. `22-11-2026 10:15 IST`.
    pub generated_at: String,
}

/// English instruction printed in the footer.
pub const INSTRUCTION_EN: &str =
    "Carry the photo ID used at registration. Tell the vaccinator your 4-digit security code.";
/// Hindi instruction printed in the footer.
pub const INSTRUCTION_HI: &str =
    "पंजीकरण में उपयोग किया गया फ़ोटो पहचान पत्र साथ लाएँ। टीकाकर्मी को अपना 4-अंकों का सुरक्षा कोड बताएँ।";

const MARGIN: f32 = 40.0;
const ACCENT: Rgb = Rgb(16, 63, 125);
const LABEL_FILL: Rgb = Rgb(236, 241, 248);
const HEADER_FILL: Rgb = Rgb(218, 228, 242);
const GREY: Rgb = Rgb(85, 85, 85);
const QR_SIZE: f32 = 118.0;

fn centre_text(slip: &AppointmentSlip) -> String {
    let mut address: Vec<&str> =
        [&slip.center_address, &slip.block_name, &slip.district_name, &slip.state_name]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
    address.dedup();
    let mut text = slip.center_name.trim().to_owned();
    let mut line = address.join(", ");
    if !slip.pincode.trim().is_empty() {
        if !line.is_empty() {
            line.push_str(" - ");
        }
        line.push_str(slip.pincode.trim());
    }
    if !line.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    text
}

/// Height and ops of the footer (instructions, generation time, page number) at `top`.
fn footer(
    fonts: &FontSet,
    top: f32,
    slip: &AppointmentSlip,
    page: usize,
    pages: usize,
) -> (Vec<Op>, f32) {
    let (left, width) = (MARGIN, A4_WIDTH - 2.0 * MARGIN);
    let mut ops =
        vec![Op::Line { x1: left, y1: top, x2: left + width, y2: top, color: ACCENT, width: 0.8 }];
    let mut y = top + 6.0;
    for text in [INSTRUCTION_EN, INSTRUCTION_HI] {
        let (block, h) = text_block(fonts, left, y, width, text, TextStyle::bold(9.5), Align::Left);
        ops.extend(block);
        y += h + 1.0;
    }
    y += 3.0;
    let small = TextStyle::regular(7.5).with_color(GREY);
    let half = width / 2.0;
    let generated = format!("जारी / Generated: {}", slip.generated_at);
    let (block, h1) = text_block(fonts, left, y, half, &generated, small, Align::Left);
    ops.extend(block);
    let numbering = format!("पृष्ठ / Page {page} / {pages}");
    let (block, h2) = text_block(fonts, left + half, y, half, &numbering, small, Align::Right);
    ops.extend(block);
    y += h1.max(h2);
    (ops, y - top)
}

/// Renders the bilingual appointment slip as a one- or multi-page A4 PDF.
pub fn render_appointment_slip(slip: &AppointmentSlip) -> Result<Vec<u8>, PdfError> {
    let pages = layout_appointment_slip(slip)?;
    let info = DocInfo {
        title: format!("Vaccination Appointment Slip {}", slip.appointment_id),
        language: "en-IN".to_owned(),
    };
    to_pdf(&pages, A4_WIDTH, A4_HEIGHT, &info)
}

/// Lays out the appointment slip into A4 pages without writing the PDF.
pub fn layout_appointment_slip(slip: &AppointmentSlip) -> Result<Vec<Page>, PdfError> {
    let fonts = FontSet::get()?;
    let (left, width) = (MARGIN, A4_WIDTH - 2.0 * MARGIN);

    let (_, footer_height) = footer(fonts, 0.0, slip, 1, 1);
    let footer_top = A4_HEIGHT - MARGIN + 8.0 - footer_height;
    let mut flow = Flow::new(fonts, left, width, MARGIN, footer_top - 10.0);

    // Title.
    flow.paragraph(
        "टीकाकरण अपॉइंटमेंट पर्ची / Vaccination Appointment Slip",
        TextStyle::bold(17.0).with_color(ACCENT),
        Align::Left,
    );
    flow.space(4.0);
    flow.rule(ACCENT, 1.5);
    flow.space(12.0);

    // Appointment details on the left, QR code on the right.
    let top = flow.y;
    let table_width = width - QR_SIZE - 16.0;
    let widths = [150.0, table_width - 150.0];
    let label = TextStyle::bold(9.0).with_color(ACCENT);
    let value = TextStyle::regular(10.0);
    let rows = [
        ("अपॉइंटमेंट आईडी / Appointment ID", slip.appointment_id.clone(), TextStyle::bold(10.0)),
        ("केंद्र / Centre", centre_text(slip), value),
        ("तारीख / Date", slip.date.clone(), TextStyle::bold(10.0)),
        ("समय / Time slot", slip.slot.clone(), TextStyle::bold(10.0)),
        ("टीका / Vaccine", slip.vaccine.clone(), value),
        ("खुराक / Dose", slip.dose.to_string(), value),
        ("शुल्क / Fee", slip.fee.clone(), value),
    ];
    let table_style = TableStyle::default();
    let mut y = top;
    for (l, v, style) in rows {
        let cells = [Cell::new(l, label).fill(LABEL_FILL), Cell::new(v, style)];
        let (ops, h) = table_row(fonts, left, y, &widths, &cells, &table_style);
        flow.push(ops);
        y += h;
    }
    let table_bottom = y;

    let qr_x = left + width - QR_SIZE;
    let matrix = QrMatrix::encode(slip.appointment_id.as_bytes())?;
    flow.push([
        Op::Rect {
            x: qr_x,
            y: top,
            w: QR_SIZE,
            h: QR_SIZE,
            fill: None,
            stroke: Some((Rgb(170, 170, 170), 0.5)),
        },
        Op::Qr { x: qr_x, y: top, size: QR_SIZE, matrix },
    ]);
    let mut qy = top + QR_SIZE + 3.0;
    for (text, style) in [
        (slip.appointment_id.as_str(), TextStyle::bold(8.0)),
        ("केंद्र पर स्कैन करें / Scan at the centre", TextStyle::regular(7.0).with_color(GREY)),
    ] {
        let (ops, h) =
            text_block(fonts, qr_x - 8.0, qy, QR_SIZE + 16.0, text, style, Align::Center);
        flow.push(ops);
        qy += h;
    }
    flow.y = table_bottom.max(qy) + 18.0;

    // People.
    let heading = format!("लाभार्थी / Beneficiaries ({})", slip.people.len());
    let heading_style = TextStyle::bold(12.0).with_color(ACCENT);
    let widths = [18.0, 132.0, 52.0, 50.0, 95.0, 96.0, width - 443.0];
    let head = TextStyle::bold(8.0).with_color(ACCENT);
    let header: Vec<Cell> = [
        "#",
        "नाम / Name",
        "जन्म वर्ष / Year of birth",
        "लिंग / Gender",
        "संदर्भ आईडी / Reference ID",
        "फ़ोटो पहचान पत्र / Photo ID",
        "सुरक्षा कोड / Security code",
    ]
    .into_iter()
    .map(|t| Cell::new(t, head).fill(HEADER_FILL))
    .collect();
    let person_cells = |i: usize, p: &SlipPerson| -> Vec<Cell> {
        let text = TextStyle::regular(9.5);
        vec![
            Cell::new((i + 1).to_string(), text).align(Align::Center),
            Cell::new(p.name.clone(), TextStyle::bold(10.0)),
            Cell::new(p.birth_year.to_string(), text),
            Cell::new(p.gender.clone(), text),
            Cell::new(p.reference_id.clone(), text),
            Cell::new(p.photo_id.clone(), TextStyle::regular(8.5)),
            Cell::new(p.security_code.clone(), TextStyle::bold(20.0)).align(Align::Center),
        ]
    };
    let (_, heading_h) = text_block(fonts, 0.0, 0.0, width, &heading, heading_style, Align::Left);
    let (_, header_h) = table_row(fonts, left, 0.0, &widths, &header, &table_style);
    let first_h = slip
        .people
        .first()
        .map_or(0.0, |p| table_row(fonts, left, 0.0, &widths, &person_cells(0, p), &table_style).1);
    flow.ensure(heading_h + 4.0 + header_h + first_h);
    flow.paragraph(&heading, heading_style, Align::Left);
    flow.space(4.0);
    if slip.people.is_empty() {
        flow.paragraph("कोई लाभार्थी नहीं / No beneficiaries", TextStyle::regular(10.0), Align::Left);
    } else {
        flow.row(left, &widths, &header, &table_style);
        for (i, person) in slip.people.iter().enumerate() {
            let cells = person_cells(i, person);
            let (_, h) = table_row(fonts, left, 0.0, &widths, &cells, &table_style);
            if flow.ensure(h + header_h) {
                flow.row(left, &widths, &header, &table_style);
            }
            flow.row(left, &widths, &cells, &table_style);
        }
    }

    let mut pages = flow.finish();
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.ops.extend(footer(fonts, footer_top, slip, i + 1, count).0);
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_text_joins_non_empty_parts() {
        let slip = AppointmentSlip {
            center_name: "PHC Sarnath".to_owned(),
            center_address: "Main Road".to_owned(),
            block_name: "Sarnath".to_owned(),
            district_name: "Varanasi".to_owned(),
            state_name: "Uttar Pradesh".to_owned(),
            pincode: "221007".to_owned(),
            ..AppointmentSlip::default()
        };
        assert_eq!(
            centre_text(&slip),
            "PHC Sarnath\nMain Road, Sarnath, Varanasi, Uttar Pradesh - 221007"
        );
        let bare = AppointmentSlip { center_name: "X".to_owned(), ..AppointmentSlip::default() };
        assert_eq!(centre_text(&bare), "X");
    }

    #[test]
    fn renders_a_pdf_even_with_empty_fields() {
        let pdf = render_appointment_slip(&AppointmentSlip::default()).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }

    #[test]
    fn many_people_spill_onto_more_pages() {
        let person = SlipPerson {
            name: "सुश्री प्रियंका द्विवेदी क्षत्रिय".to_owned(),
            birth_year: 1990,
            gender: "Female".to_owned(),
            reference_id: "12345678901234".to_owned(),
            photo_id: "Aadhaar Card ********9999".to_owned(),
            security_code: "4821".to_owned(),
        };
        let slip = AppointmentSlip {
            appointment_id: "APT-1".to_owned(),
            people: vec![person; 30],
            ..AppointmentSlip::default()
        };
        let pages = layout_appointment_slip(&slip).unwrap();
        assert!(pages.len() >= 2, "{}", pages.len());
        // Every page has the footer with its page number.
        for (i, page) in pages.iter().enumerate() {
            let label = format!("पृष्ठ / Page {} / {}", i + 1, pages.len());
            assert!(
                page.ops.iter().any(|op| matches!(op, Op::Text { text, .. } if *text == label))
            );
        }
        // No text runs into the footer area.
        let footer_top = pages[0].ops.iter().rev().find_map(|op| match op {
            Op::Line { y1, .. } => Some(*y1),
            _ => None,
        });
        assert!(footer_top.is_some());
        let pdf = render_appointment_slip(&slip).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
