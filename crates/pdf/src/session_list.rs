//! The session list: everyone on one vaccination session, printed by the vaccinator as the
//! last fallback when devices fail, with a column to sign against each person.
//!
//! A4 landscape, so that the signature column is wide enough to sign in. The table header
//! repeats on every page, and every page's footer names the session, so loose pages can be
//! put back together.

use crate::PdfError;
use crate::fonts::FontSet;
use crate::layout::theme::{ACCENT, GREY, HEADER_FILL, LABEL_FILL};
use crate::layout::{
    A4_HEIGHT, A4_WIDTH, Align, Cell, Flow, LabelValueStyle, Op, Page, Rgb, TableStyle, TextStyle,
    label_value_table, left_right_line,
};
use crate::render::{DocInfo, to_pdf};

/// One person on the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListRow {
    /// Time slot, e.g. `09:00AM-11:00AM`.
    pub slot: String,
    /// Beneficiary reference ID (14 digits), or `—` for a walk-in not yet synced.
    pub reference_id: String,
    /// Full name, in Devanagari, Latin or both.
    pub name: String,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender as it should be printed, e.g. `Female`.
    pub gender: String,
    /// Type and last digits of the photo ID, e.g. `Aadhaar ••1234`.
    pub id_type_last4: String,
    /// Dose number.
    pub dose: u8,
    /// `Booked`, `Vaccinated`, `Cancelled` or `Walk-in`.
    pub status: String,
}

/// Everything printed on a session list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionList {
    /// Name of the vaccination centre.
    pub center_name: String,
    /// Address of the centre.
    pub center_address: String,
    /// Date of the session, `DD-MM-YYYY`.
    pub date: String,
    /// Vaccine name.
    pub vaccine: String,
    /// Session ID.
    pub session_id: String,
    /// When the list was generated, e.g. `22-11-2026 09:14 IST`.
    pub generated_at: String,
    /// The people, in the order they are printed.
    pub rows: Vec<ListRow>,
    /// Counts printed above the table, e.g. `("Booked / बुक", 40)`.
    pub tally: [(String, u32); 5],
}

/// The bilingual title.
pub const TITLE: &str = "Session list / सत्र सूची";
/// Printed instead of the table when nobody is on the list.
pub const EMPTY: &str = "No one is booked / कोई बुकिंग नहीं";

pub(crate) const PAGE_WIDTH: f32 = A4_HEIGHT;
pub(crate) const PAGE_HEIGHT: f32 = A4_WIDTH;
pub(crate) const MARGIN: f32 = 32.0;
/// Bottom of the footer's line: the footer reaches a little into the bottom margin.
pub(crate) const FOOTER_BOTTOM: f32 = PAGE_HEIGHT - MARGIN + 8.0;
/// Background of every other row, to follow a row across the page.
pub(crate) const STRIPE: Rgb = Rgb(246, 248, 251);
/// Column widths; the signature column takes what is left of the content width.
const COLUMNS: [f32; 9] = [28.0, 84.0, 82.0, 190.0, 44.0, 50.0, 88.0, 34.0, 62.0];
/// Table padding: rows are tall enough to sign in.
const ROW_PADDING: f32 = 5.0;

pub(crate) fn content_width() -> f32 {
    PAGE_WIDTH - 2.0 * MARGIN
}

fn column_widths() -> [f32; 10] {
    let mut widths = [0.0; 10];
    widths[..9].copy_from_slice(&COLUMNS);
    widths[9] = content_width() - COLUMNS.iter().sum::<f32>();
    widths
}

fn header_cells() -> Vec<Cell> {
    let style = TextStyle::bold(8.0).with_color(ACCENT);
    [
        "#",
        "Slot\nसमय",
        "Ref ID\nसंदर्भ आईडी",
        "Name\nनाम",
        "Birth year\nजन्म वर्ष",
        "Gender\nलिंग",
        "Photo ID\nफ़ोटो पहचान पत्र",
        "Dose\nखुराक",
        "Status\nस्थिति",
        "Signature / हस्ताक्षर",
    ]
    .into_iter()
    .map(|t| Cell::new(t, style).fill(HEADER_FILL))
    .collect()
}

fn row_cells(i: usize, row: &ListRow) -> Vec<Cell> {
    let cancelled = row.status.trim().eq_ignore_ascii_case("cancelled");
    let color = if cancelled { GREY } else { Rgb::BLACK };
    let text = TextStyle::regular(8.5).with_color(color);
    let bold = TextStyle::bold(9.0).with_color(color);
    let cells = vec![
        Cell::new((i + 1).to_string(), text).align(Align::Center),
        Cell::new(row.slot.clone(), text),
        Cell::new(row.reference_id.clone(), text),
        Cell::new(row.name.clone(), bold),
        Cell::new(row.birth_year.to_string(), text).align(Align::Center),
        Cell::new(row.gender.clone(), text),
        Cell::new(row.id_type_last4.clone(), text),
        Cell::new(row.dose.to_string(), text).align(Align::Center),
        Cell::new(row.status.clone(), if cancelled { text } else { bold }),
        Cell::new("", text),
    ];
    if i % 2 == 1 { cells.into_iter().map(|c| c.fill(STRIPE)).collect() } else { cells }
}

fn centre_text(list: &SessionList) -> String {
    [list.center_name.trim(), list.center_address.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn tally_text(list: &SessionList) -> String {
    let total = format!("Total / कुल: {}", list.rows.len());
    let counts = list.tally.iter().filter(|(label, _)| !label.trim().is_empty());
    std::iter::once(total)
        .chain(counts.map(|(label, n)| format!("{}: {n}", label.trim())))
        .collect::<Vec<_>>()
        .join("  ·  ")
}

/// The footer (a rule, then what the list is and the page number) at `top`, and its height.
fn footer(
    fonts: &FontSet,
    top: f32,
    list: &SessionList,
    page: usize,
    pages: usize,
) -> (Vec<Op>, f32) {
    let (left, width) = (MARGIN, content_width());
    let mut ops =
        vec![Op::Line { x1: left, y1: top, x2: left + width, y2: top, color: ACCENT, width: 0.8 }];
    let what = [
        list.center_name.trim(),
        list.date.trim(),
        list.vaccine.trim(),
        &format!("Session / सत्र {}", list.session_id.trim()),
        &format!("Generated / जारी {}", list.generated_at.trim()),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("  ·  ");
    let numbering = format!("Page {page} of {pages} / पृष्ठ {page} / {pages}");
    let small = TextStyle::regular(7.5).with_color(GREY);
    let (block, h) = left_right_line(fonts, left, top + 5.0, width, &what, &numbering, small);
    ops.extend(block);
    (ops, h + 5.0)
}

/// Renders the bilingual session list as an A4 landscape PDF of one or more pages.
pub fn render_session_list(list: &SessionList) -> Result<Vec<u8>, PdfError> {
    let pages = layout_session_list(list)?;
    let info = DocInfo {
        title: format!("Session list {} {}", list.session_id, list.date),
        language: "en-IN".to_owned(),
    };
    to_pdf(&pages, PAGE_WIDTH, PAGE_HEIGHT, &info)
}

/// Lays out the session list into A4 landscape pages without writing the PDF.
pub fn layout_session_list(list: &SessionList) -> Result<Vec<Page>, PdfError> {
    let fonts = FontSet::get()?;
    let (left, width) = (MARGIN, content_width());

    // The footer's height depends on the page count only through the digits of the page
    // numbers; lay it out with the widest count there can be.
    let (_, footer_height) = footer(fonts, 0.0, list, 1, 1 + list.rows.len());
    let footer_top = FOOTER_BOTTOM - footer_height;
    let mut flow = Flow::new(fonts, left, width, MARGIN, footer_top - 8.0);

    flow.paragraph(TITLE, TextStyle::bold(17.0).with_color(ACCENT), Align::Left);
    flow.space(3.0);
    flow.rule(ACCENT, 1.5);
    flow.space(8.0);

    // The session details: centre, date and vaccine on the left, the IDs on the right.
    let details = LabelValueStyle {
        label: TextStyle::bold(8.5).with_color(ACCENT),
        value: TextStyle::regular(9.5),
        label_fill: LABEL_FILL,
        table: TableStyle { padding: 3.5, ..TableStyle::default() },
    };
    let gap = 16.0;
    let left_width = (width - gap) * 0.55;
    let right_width = width - gap - left_width;
    let left_rows = [
        ("Centre / केंद्र".to_owned(), centre_text(list)),
        ("Date / तारीख".to_owned(), list.date.clone()),
        ("Vaccine / टीका".to_owned(), list.vaccine.clone()),
    ];
    let right_rows = [
        ("Session ID / सत्र आईडी".to_owned(), list.session_id.clone()),
        ("Generated / जारी".to_owned(), list.generated_at.clone()),
    ];
    let top = flow.y;
    let (ops, h1) =
        label_value_table(fonts, left, top, [104.0, left_width - 104.0], &left_rows, &details);
    flow.push(ops);
    let right_x = left + left_width + gap;
    let widths = [118.0, right_width - 118.0];
    let (ops, h2) = label_value_table(fonts, right_x, top, widths, &right_rows, &details);
    flow.push(ops);
    flow.space(h1.max(h2) + 8.0);

    // The tally, one line.
    flow.paragraph(&tally_text(list), TextStyle::bold(10.0), Align::Left);
    flow.space(6.0);

    if list.rows.is_empty() {
        flow.space(6.0);
        flow.paragraph(EMPTY, TextStyle::bold(12.0), Align::Left);
    } else {
        let widths = column_widths();
        let style = TableStyle { padding: ROW_PADDING, ..TableStyle::default() };
        let rows = list.rows.iter().enumerate().map(|(i, row)| row_cells(i, row));
        flow.table(left, &widths, &header_cells(), rows, &style);
    }

    let mut pages = flow.finish();
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.ops.extend(footer(fonts, footer_top, list, i + 1, count).0);
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::measure;

    fn fonts() -> &'static FontSet {
        FontSet::get().unwrap()
    }

    fn row(i: usize) -> ListRow {
        ListRow {
            slot: "09:00AM-11:00AM".to_owned(),
            reference_id: format!("{:014}", 73_914_825_066_000_u64 + i as u64),
            name: "सुश्री प्रियंका द्विवेदी क्षत्रिय".to_owned(),
            birth_year: 1992,
            gender: "Female".to_owned(),
            id_type_last4: "Aadhaar ••1234".to_owned(),
            dose: 2,
            status: "Vaccinated".to_owned(),
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
    fn typical_values_fit_their_columns_on_one_line() {
        let widths = column_widths();
        assert!(widths[9] >= 110.0, "signature column is {} pt", widths[9]);
        let inner = |col: usize| widths[col] - 2.0 * ROW_PADDING;
        let cells = row_cells(499, &row(0));
        let mut too_wide = Vec::new();
        for (col, text) in [
            (0, "500"),
            (1, "09:00AM-11:00AM"),
            (2, "73914825066183"),
            (4, "1992"),
            (5, "Female"),
            (6, "Aadhaar ••1234"),
            (6, "Passport ••1234"),
            (7, "2"),
            (8, "Vaccinated"),
            (8, "Cancelled"),
        ] {
            let style = cells[col].style;
            let w = measure(fonts(), text, style.bold, style.size);
            if w > inner(col) {
                too_wide.push(format!("{text:?} is {w} pt in column {col} of {} pt", inner(col)));
            }
        }
        assert!(too_wide.is_empty(), "{too_wide:#?}");
    }

    #[test]
    fn header_and_footer_are_on_every_page_and_rows_in_order() {
        let list = SessionList { rows: (0..60).map(row).collect(), ..SessionList::default() };
        let pages = layout_session_list(&list).unwrap();
        assert!(pages.len() >= 3, "{}", pages.len());
        let mut ids = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let texts = texts(page);
            assert!(texts.contains(&"Ref ID"), "page {i} has no table header");
            let label =
                format!("Page {} of {} / पृष्ठ {} / {}", i + 1, pages.len(), i + 1, pages.len());
            assert!(texts.contains(&label.as_str()), "{label} missing");
            ids.extend(texts.iter().filter(|t| t.starts_with("7391")).map(|t| t.to_string()));
            for op in &page.ops {
                if let Op::Rect { y, h, .. } = op {
                    assert!(y + h <= FOOTER_BOTTOM, "page {i}: {op:?}");
                }
            }
        }
        let expected: Vec<String> = (0..60).map(|i| row(i).reference_id).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn empty_tally_labels_are_left_out() {
        let mut list = SessionList { rows: vec![row(0), row(1)], ..SessionList::default() };
        list.tally[0] = ("Booked / बुक".to_owned(), 1);
        list.tally[1] = ("Vaccinated / टीका लगा".to_owned(), 1);
        assert_eq!(
            tally_text(&list),
            "Total / कुल: 2  ·  Booked / बुक: 1  ·  Vaccinated / टीका लगा: 1"
        );
    }

    #[test]
    fn an_empty_list_is_one_page_saying_so() {
        let pages = layout_session_list(&SessionList::default()).unwrap();
        assert_eq!(pages.len(), 1);
        let texts = texts(&pages[0]);
        assert!(texts.contains(&EMPTY), "{texts:?}");
        assert!(!texts.contains(&"Ref ID"));
    }
}
