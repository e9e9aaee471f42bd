//! The appointment slip: what a citizen prints or shows at the vaccination centre.

use crate::PdfError;
use crate::fonts::FontSet;
use crate::layout::theme::{ACCENT, GREY, HEADER_FILL, LABEL_FILL};
use crate::layout::{
    A4_HEIGHT, A4_WIDTH, Align, Cell, Flow, Op, Page, TableStyle, TextStyle, left_right_line,
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
/// Bottom of the footer's last line: the footer reaches a little into the bottom margin.
const FOOTER_BOTTOM: f32 = A4_HEIGHT - MARGIN + 8.0;
/// Side of the QR code including its quiet zone, right of the appointment details: a UUID
/// needs 29 + 8 modules, 3.7 pt (7.6 px at 150 dpi) each. Its caption is as wide.
const QR_SIZE: f32 = 136.0;

fn centre_text(slip: &AppointmentSlip) -> String {
    let mut address: Vec<&str> =
        [&slip.center_address, &slip.block_name, &slip.district_name, &slip.state_name]
            .into_iter()
            .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == ','))
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
    let generated = format!("जारी / Generated: {}", slip.generated_at);
    let numbering = format!("पृष्ठ / Page {page} / {pages}");
    let (block, h) = left_right_line(fonts, left, y, width, &generated, &numbering, small);
    ops.extend(block);
    y += h;
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
    let footer_top = FOOTER_BOTTOM - footer_height;
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
    let first_page = flow.page_index();
    let top = flow.y;
    let table_width = width - QR_SIZE - 16.0;
    let widths = [156.0, table_width - 156.0];
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

    // The QR code and its caption go on the first page, next to the top of the table.
    let qr_x = left + width - QR_SIZE;
    let matrix = QrMatrix::encode(slip.appointment_id.as_bytes())?;
    flow.push([
        Op::Qr { x: qr_x, y: top, size: QR_SIZE, matrix },
        Op::Rect {
            x: qr_x,
            y: top,
            w: QR_SIZE,
            h: QR_SIZE,
            fill: None,
            stroke: Some((table_style.border, table_style.border_width)),
        },
    ]);
    let mut qy = top + QR_SIZE + 3.0;
    for (text, style) in [
        (slip.appointment_id.as_str(), TextStyle::bold(7.0)),
        ("केंद्र पर स्कैन करें / Scan at the centre", TextStyle::regular(7.0).with_color(GREY)),
    ] {
        let (ops, h) = text_block(fonts, qr_x, qy, QR_SIZE, text, style, Align::Center);
        flow.push(ops);
        qy += h;
    }

    for (l, v, style) in rows {
        let cells = [Cell::new(l, label).fill(LABEL_FILL), Cell::new(v, style)];
        flow.table_row(left, &widths, None, &cells, &table_style);
    }
    if flow.page_index() == first_page {
        flow.y = flow.y.max(qy);
    }
    flow.space(18.0);

    // People.
    let heading = format!("लाभार्थी / Beneficiaries ({})", slip.people.len());
    let heading_style = TextStyle::bold(12.0).with_color(ACCENT);
    let widths = [22.0, 124.0, 60.0, 52.0, 88.0, 104.0, width - 450.0];
    let head = TextStyle::bold(8.0).with_color(ACCENT);
    let header: Vec<Cell> = [
        "#",
        "नाम\nName",
        "जन्म वर्ष\nYear of birth",
        "लिंग\nGender",
        "संदर्भ आईडी\nReference ID",
        "फ़ोटो पहचान पत्र\nPhoto ID",
        "सुरक्षा कोड\nSecurity code",
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
    // Keep the heading, the table header and the first row together.
    let (_, heading_h) = text_block(fonts, 0.0, 0.0, width, &heading, heading_style, Align::Left);
    let first = slip.people.first().map(|p| person_cells(0, p));
    let table_start = flow.table_start_height(&widths, &header, first.as_deref(), &table_style);
    flow.ensure(heading_h + 4.0 + table_start);
    flow.paragraph(&heading, heading_style, Align::Left);
    flow.space(4.0);
    if slip.people.is_empty() {
        flow.paragraph("कोई लाभार्थी नहीं / No beneficiaries", TextStyle::regular(10.0), Align::Left);
    } else {
        let rows = slip.people.iter().enumerate().map(|(i, p)| person_cells(i, p));
        flow.table(left, &widths, &header, rows, &table_style);
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

    fn person(name: &str, code: &str) -> SlipPerson {
        SlipPerson {
            name: name.to_owned(),
            birth_year: 1990,
            gender: "Female".to_owned(),
            reference_id: "12345678901234".to_owned(),
            photo_id: "Aadhaar Card ********9999".to_owned(),
            security_code: code.to_owned(),
        }
    }

    fn slip(people: Vec<SlipPerson>) -> AppointmentSlip {
        AppointmentSlip {
            appointment_id: "0f8e4a52-6a3c-4d4e-9a51-3b7f2f7f1c2a".to_owned(),
            center_name: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
            center_address: "Ashok Marg, near Dhamek Stupa".to_owned(),
            block_name: "Chiraigaon".to_owned(),
            district_name: "Varanasi".to_owned(),
            state_name: "Uttar Pradesh".to_owned(),
            pincode: "221007".to_owned(),
            date: "24-11-2026".to_owned(),
            slot: "09:00AM-11:00AM".to_owned(),
            vaccine: "COVISHIELD".to_owned(),
            dose: 1,
            fee: "₹ 780".to_owned(),
            people,
            generated_at: "22-11-2026 10:15 IST".to_owned(),
        }
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

    /// Checks every page: text and QR codes stay inside the margins, body text stays above
    /// the footer rule, and no two of them overlap.
    fn assert_clean_layout(pages: &[Page]) {
        let fonts = FontSet::get().unwrap();
        let eps = 0.01;
        for (n, page) in pages.iter().enumerate() {
            let footer_rule = page
                .ops
                .iter()
                .rposition(|op| matches!(op, Op::Line { color: ACCENT, width: 0.8, .. }))
                .expect("footer rule");
            let Op::Line { y1: footer_top, .. } = page.ops[footer_rule] else { unreachable!() };
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
                if i < footer_rule {
                    assert!(b <= footer_top, "page {n}: {op:?} reaches the footer at {footer_top}");
                }
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

    fn texts(page: &Page) -> Vec<&str> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sample_slip_is_one_clean_page() {
        let slip = slip(vec![
            person("सुश्री प्रियंका द्विवेदी क्षत्रिय", "4821"),
            person("पार्थ सारथी मिश्र / Parth Sarathi Mishra", "7260"),
            person("Rajesh Kumar Venkataraman Subramanian", "0937"),
            person("Others", "1234"),
        ]);
        let pages = layout_appointment_slip(&slip).unwrap();
        assert_eq!(pages.len(), 1);
        assert_clean_layout(&pages);
        let texts = texts(&pages[0]);
        for code in ["4821", "7260", "0937", "1234"] {
            assert!(texts.contains(&code), "{code} missing in {texts:?}");
        }
        // The appointment ID fits on one line in the table and under the QR code.
        assert_eq!(texts.iter().filter(|t| **t == slip.appointment_id).count(), 2);
        assert_eq!(pages[0].ops.iter().filter(|op| matches!(op, Op::Qr { .. })).count(), 1);
    }

    #[test]
    fn many_people_spill_onto_more_pages_with_the_header_repeated() {
        let people = (0..30)
            .map(|i| person("सुश्री प्रियंका द्विवेदी क्षत्रिय", &format!("{:04}", 1000 + i)))
            .collect();
        let pages = layout_appointment_slip(&slip(people)).unwrap();
        assert!(pages.len() >= 2, "{}", pages.len());
        assert_clean_layout(&pages);
        for (i, page) in pages.iter().enumerate() {
            let texts = texts(page);
            // Every page has the footer with its page number, and the table header.
            let label = format!("पृष्ठ / Page {} / {}", i + 1, pages.len());
            assert!(texts.contains(&label.as_str()), "{label} missing");
            assert!(texts.contains(&"Security code"), "page {i} has no table header");
        }
        // Every person is on exactly one page, in order.
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        let codes: Vec<String> = (0..30).map(|i| format!("{:04}", 1000 + i)).collect();
        let found: Vec<&str> =
            all.iter().copied().filter(|t| codes.iter().any(|c| c == t)).collect();
        assert_eq!(found, codes);
    }

    #[test]
    fn long_names_and_address_wrap_and_stay_clean() {
        let long_hindi = "श्रीमती ".to_owned() + &"प्रियंका द्विवेदी क्षत्रिय पार्थसारथी ".repeat(4);
        let unbroken = "Chakravartirajagopalachariswaminathanvenkatakrishnan".repeat(3);
        let mut slip = slip(vec![
            person(&long_hindi, "1111"),
            person(&format!("{} / {long_hindi}", "Venkataraman Subramanian ".repeat(6)), "2222"),
            person(&unbroken, "3333"),
            person("अ", "4444"),
        ]);
        slip.center_address =
            "Plot 17, Behind the Old Railway Goods Shed, Near the Water Tank, ".repeat(8);
        let pages = layout_appointment_slip(&slip).unwrap();
        assert_clean_layout(&pages);
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        for code in ["1111", "2222", "3333", "4444"] {
            assert!(all.contains(&code), "{code} missing");
        }
        assert!(!centre_text(&slip).contains(",,"));
    }

    #[test]
    fn a_name_taller_than_a_page_is_split_between_lines() {
        let huge = "प्रियंका द्विवेदी क्षत्रिय Priyanka Dwivedi Kshatriya ".repeat(80);
        let slip =
            slip(vec![person("First", "1111"), person(&huge, "2222"), person("Last", "3333")]);
        let pages = layout_appointment_slip(&slip).unwrap();
        assert!(pages.len() >= 3, "{}", pages.len());
        assert_clean_layout(&pages);
        // All of the name is there, each line once.
        let fonts = FontSet::get().unwrap();
        let name_style = TextStyle::bold(10.0);
        let lines = crate::text::wrap(fonts, &huge, true, 10.0, 124.0 - 8.0);
        let drawn: Vec<&str> = pages
            .iter()
            .flat_map(|p| &p.ops)
            .filter_map(|op| match op {
                // Left-aligned in the name column (after the 22 pt "#" column and padding).
                Op::Text { x, text, style, .. }
                    if *style == name_style && (x - (MARGIN + 22.0 + 4.0)).abs() < 0.01 =>
                {
                    Some(text.as_str())
                }
                _ => None,
            })
            .filter(|t| !["First", "Last"].contains(t))
            .collect();
        assert_eq!(drawn, lines);
    }

    #[test]
    fn an_address_longer_than_a_page_continues_on_the_next_page() {
        let mut slip = slip(vec![person("A", "1111")]);
        slip.center_address = "सामुदायिक स्वास्थ्य केंद्र, Behind the Old Railway Goods Shed, ".repeat(60);
        let pages = layout_appointment_slip(&slip).unwrap();
        assert!(pages.len() >= 2, "{}", pages.len());
        assert_clean_layout(&pages);
        // The QR code stays on the first page; the fee row and the people follow the address.
        assert!(pages[0].ops.iter().any(|op| matches!(op, Op::Qr { .. })));
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        let fee = all.iter().position(|t| *t == "₹ 780").unwrap();
        let code = all.iter().position(|t| *t == "1111").unwrap();
        assert!(fee < code);
    }

    #[test]
    fn an_overlong_appointment_id_is_an_error_not_a_panic() {
        let mut slip = slip(vec![person("A", "1111")]);
        slip.appointment_id = "x".repeat(4000);
        assert!(matches!(render_appointment_slip(&slip), Err(PdfError::Qr(_))));
    }
}
