//! The call list: everyone booked on one vaccination session with their full mobile number
//! and what became of the last SMS sent to them, printed by a district official or the site
//! staff when messages failed, to phone the people who were not told.
//!
//! Laid out like the [session list](crate::session_list) (A4 landscape, the table header
//! repeated on every page, a footer naming the session and numbering the pages), with the
//! rows sorted by slot then name. Rows whose message was not delivered are tinted and their
//! message starts with a bold [`CALL`] tag; the last column is left blank to write on.

use crate::PdfError;
use crate::fonts::FontSet;
use crate::layout::theme::{ACCENT, GREY, HEADER_FILL, LABEL_FILL};
use crate::layout::{
    Align, Cell, Flow, LabelValueStyle, Op, Page, Rgb, TableStyle, TextStyle, label_value_table,
    left_right_line,
};
use crate::render::{DocInfo, to_pdf};
use crate::session_list::{FOOTER_BOTTOM, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, STRIPE, content_width};

/// One person on the call list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallListLine {
    /// Time slot, e.g. `09:00AM-11:00AM`.
    pub slot: String,
    /// Full name, in Devanagari, Latin or both.
    pub name: String,
    /// Beneficiary reference ID (14 digits).
    pub reference_id: String,
    /// The full mobile number, e.g. `+91 98765 43210`: the point of the list is to call it.
    pub mobile: String,
    /// Dose number.
    pub dose: u8,
    /// The latest message's kind and status, e.g. `Booking confirmed — delivered 14:02`,
    /// `Reminder — failed` or `not sent`.
    pub message: String,
    /// Whether the person was not told (the message failed, expired or was never sent) and
    /// must be phoned; such rows are marked with [`CALL`].
    pub needs_call: bool,
    /// When the person arrived at the site, e.g. `09:42`, if they have.
    pub arrived: Option<String>,
    /// Whether the person has been vaccinated on this session.
    pub vaccinated: bool,
}

/// Everything printed on a call list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallListDoc {
    /// Name of the vaccination site.
    pub facility: String,
    /// Address of the site.
    pub address: String,
    /// Date of the session, `DD-MM-YYYY`.
    pub date: String,
    /// Vaccine name.
    pub vaccine: String,
    /// When the list was generated, e.g. `22-11-2026 08:05 IST`.
    pub generated_at: String,
    /// The people, in any order: they are printed sorted by slot, then name.
    pub rows: Vec<CallListLine>,
}

/// The bilingual title.
pub const TITLE: &str = "Call list / कॉल सूची";
/// Printed instead of the table when nobody is on the list.
pub const EMPTY: &str = "No one is booked / कोई बुकिंग नहीं";
/// The tag that starts the message of every row to phone.
pub const CALL: &str = "CALL";
/// Printed in the vaccinated column for someone vaccinated (the embedded Noto fonts have
/// no check mark glyph).
pub const VACCINATED: &str = "Yes / हाँ";
/// What the list is for, printed under the session details.
pub const HOW_TO: &str = "Phone everyone marked CALL: their SMS was not delivered. / \
                          CALL वाले सभी लोगों को फ़ोन करें: उनका SMS नहीं पहुँचा।";

/// Text colour of the [`CALL`] tag and its message.
const CALL_COLOR: Rgb = Rgb(170, 20, 20);
/// Text colour of [`VACCINATED`].
const DONE_COLOR: Rgb = Rgb(20, 110, 50);
/// Background of a row to phone.
const CALL_FILL: Rgb = Rgb(253, 236, 230);
/// Column widths; the notes column takes what is left of the content width.
const COLUMNS: [f32; 9] = [24.0, 80.0, 136.0, 76.0, 78.0, 30.0, 160.0, 42.0, 56.0];
/// Table padding: rows are as short as can still be written in, to keep the list to few pages.
const ROW_PADDING: f32 = 3.0;

fn column_widths() -> [f32; 10] {
    let mut widths = [0.0; 10];
    widths[..9].copy_from_slice(&COLUMNS);
    widths[9] = content_width() - COLUMNS.iter().sum::<f32>();
    widths
}

fn header_cells() -> Vec<Cell> {
    let style = TextStyle::bold(8.0).with_color(ACCENT);
    [
        ("#", Align::Center),
        ("Slot\nसमय", Align::Left),
        ("Name\nनाम", Align::Left),
        ("Ref ID\nसंदर्भ आईडी", Align::Left),
        ("Mobile\nमोबाइल", Align::Left),
        ("Dose\nखुराक", Align::Center),
        ("Message\nसंदेश", Align::Left),
        ("Arrived\nपहुँचे", Align::Center),
        ("Vaccinated\nटीका लगा", Align::Center),
        ("Called? / Notes\nकॉल किया? / टिप्पणी", Align::Left),
    ]
    .into_iter()
    .map(|(t, align)| Cell::new(t, style).fill(HEADER_FILL).align(align))
    .collect()
}

/// The message cell's text: the message, after the [`CALL`] tag on a row to phone.
fn message_text(row: &CallListLine) -> String {
    let message = match row.message.trim() {
        "" => "not sent",
        m => m,
    };
    if row.needs_call { format!("{CALL} · {message}") } else { message.to_owned() }
}

fn row_cells(i: usize, row: &CallListLine) -> Vec<Cell> {
    let text = TextStyle::regular(8.5);
    let bold = TextStyle::bold(9.0);
    let text_bold = TextStyle::bold(8.5);
    let message = if row.needs_call {
        TextStyle::bold(8.0).with_color(CALL_COLOR)
    } else {
        TextStyle::regular(8.0).with_color(GREY)
    };
    let cells = vec![
        Cell::new((i + 1).to_string(), text).align(Align::Center),
        Cell::new(row.slot.clone(), text),
        Cell::new(row.name.clone(), bold),
        Cell::new(row.reference_id.clone(), text),
        Cell::new(row.mobile.clone(), if row.needs_call { text_bold } else { text }),
        Cell::new(row.dose.to_string(), text).align(Align::Center),
        Cell::new(message_text(row), message),
        Cell::new(row.arrived.clone().unwrap_or_default(), text).align(Align::Center),
        Cell::new(if row.vaccinated { VACCINATED } else { "" }, bold.with_color(DONE_COLOR))
            .align(Align::Center),
        Cell::new("", text),
    ];
    let fill = if row.needs_call {
        Some(CALL_FILL)
    } else if i % 2 == 1 {
        Some(STRIPE)
    } else {
        None
    };
    match fill {
        Some(fill) => cells.into_iter().map(|c| c.fill(fill)).collect(),
        None => cells,
    }
}

/// Minutes after midnight at which a slot such as `09:00AM-11:00AM`, `2:30 PM - 4 PM` or
/// `14:00-16:00` starts, if it starts with a time.
fn slot_start(slot: &str) -> Option<u32> {
    let start = slot.trim().split(['-', '–', '—']).next()?.trim().to_ascii_uppercase();
    let (clock, pm) = match (start.strip_suffix("AM"), start.strip_suffix("PM")) {
        (Some(clock), _) => (clock.trim(), Some(false)),
        (_, Some(clock)) => (clock.trim(), Some(true)),
        _ => (start.as_str(), None),
    };
    let (hours, minutes) = clock.split_once([':', '.']).unwrap_or((clock, "0"));
    let (hours, minutes): (u32, u32) = (hours.trim().parse().ok()?, minutes.trim().parse().ok()?);
    let hours = match pm {
        Some(pm) if (1..=12).contains(&hours) => hours % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hours,
    };
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// The rows in print order: by slot start time (slots that do not start with a time after
/// those that do, by text), then by name, then by reference ID.
fn sorted_rows(doc: &CallListDoc) -> Vec<&CallListLine> {
    let mut rows: Vec<&CallListLine> = doc.rows.iter().collect();
    rows.sort_by_cached_key(|row| {
        (
            slot_start(&row.slot).unwrap_or(u32::MAX),
            row.slot.trim().to_owned(),
            row.name.trim().to_lowercase(),
            row.reference_id.clone(),
        )
    });
    rows
}

/// The summary counts: booked, to call, arrived, vaccinated.
fn counts(doc: &CallListDoc) -> [usize; 4] {
    let count = |f: fn(&CallListLine) -> bool| doc.rows.iter().filter(|r| f(r)).count();
    [
        doc.rows.len(),
        count(|r| r.needs_call),
        count(|r| r.arrived.as_deref().is_some_and(|a| !a.trim().is_empty())),
        count(|r| r.vaccinated),
    ]
}

fn summary_text(doc: &CallListDoc) -> String {
    let [booked, to_call, arrived, vaccinated] = counts(doc);
    format!(
        "Booked / बुक: {booked}  ·  To call / कॉल करें: {to_call}  ·  \
         Arrived / पहुँचे: {arrived}  ·  Vaccinated / टीका लगा: {vaccinated}"
    )
}

fn facility_text(doc: &CallListDoc) -> String {
    [doc.facility.trim(), doc.address.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The footer (a rule, then what the list is and the page number) at `top`, and its height.
fn footer(
    fonts: &FontSet,
    top: f32,
    doc: &CallListDoc,
    page: usize,
    pages: usize,
) -> (Vec<Op>, f32) {
    let (left, width) = (MARGIN, content_width());
    let mut ops =
        vec![Op::Line { x1: left, y1: top, x2: left + width, y2: top, color: ACCENT, width: 0.8 }];
    let what = [
        "Call list / कॉल सूची",
        doc.facility.trim(),
        doc.date.trim(),
        doc.vaccine.trim(),
        &format!("Generated / जारी {}", doc.generated_at.trim()),
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

/// Renders the bilingual call list as an A4 landscape PDF of one or more pages.
pub fn render_call_list(doc: &CallListDoc) -> Result<Vec<u8>, PdfError> {
    let pages = layout_call_list(doc)?;
    let info = DocInfo {
        title: format!("Call list {} {}", doc.facility.trim(), doc.date.trim()),
        language: "en-IN".to_owned(),
    };
    to_pdf(&pages, PAGE_WIDTH, PAGE_HEIGHT, &info)
}

/// Lays out the call list into A4 landscape pages without writing the PDF.
pub fn layout_call_list(doc: &CallListDoc) -> Result<Vec<Page>, PdfError> {
    let fonts = FontSet::get()?;
    let (left, width) = (MARGIN, content_width());

    // The footer's height depends on the page count only through the digits of the page
    // numbers; lay it out with the widest count there can be.
    let (_, footer_height) = footer(fonts, 0.0, doc, 1, 1 + doc.rows.len());
    let footer_top = FOOTER_BOTTOM - footer_height;
    let mut flow = Flow::new(fonts, left, width, MARGIN, footer_top - 8.0);

    flow.paragraph(TITLE, TextStyle::bold(17.0).with_color(ACCENT), Align::Left);
    flow.space(3.0);
    flow.rule(ACCENT, 1.5);
    flow.space(8.0);

    // The session details on the left, when the list was made and what it is for on the right.
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
        ("Facility / केंद्र".to_owned(), facility_text(doc)),
        ("Date / तारीख".to_owned(), doc.date.clone()),
        ("Vaccine / टीका".to_owned(), doc.vaccine.clone()),
    ];
    let right_rows = [
        ("Generated / जारी".to_owned(), doc.generated_at.clone()),
        ("What to do / क्या करें".to_owned(), HOW_TO.to_owned()),
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

    flow.paragraph(&summary_text(doc), TextStyle::bold(10.0), Align::Left);
    flow.space(6.0);

    if doc.rows.is_empty() {
        flow.space(6.0);
        flow.paragraph(EMPTY, TextStyle::bold(12.0), Align::Left);
    } else {
        let widths = column_widths();
        let style = TableStyle { padding: ROW_PADDING, ..TableStyle::default() };
        let rows = sorted_rows(doc).into_iter().enumerate().map(|(i, row)| row_cells(i, row));
        flow.table(left, &widths, &header_cells(), rows, &style);
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
    use crate::fonts::Family;
    use crate::text::measure;

    fn fonts() -> &'static FontSet {
        FontSet::get().unwrap()
    }

    fn line(i: usize) -> CallListLine {
        CallListLine {
            slot: "09:00AM-11:00AM".to_owned(),
            name: "सुश्री प्रियंका द्विवेदी क्षत्रिय".to_owned(),
            reference_id: format!("{:014}", 73_914_825_066_000_u64 + i as u64),
            mobile: format!("+91 98765 {:05}", 43_000 + i),
            dose: 1,
            message: "Booking confirmed — delivered 14:02".to_owned(),
            needs_call: false,
            arrived: None,
            vaccinated: false,
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
    fn the_separators_are_in_the_latin_font() {
        for c in ['·', '—', '#', '?'] {
            assert!(fonts().covers(Family::Latin, c), "{c:?}");
        }
    }

    #[test]
    fn typical_values_fit_their_columns_on_one_line() {
        let widths = column_widths();
        assert!(widths[9] >= 85.0, "notes column is {} pt", widths[9]);
        let inner = |col: usize| widths[col] - 2.0 * ROW_PADDING;
        let plain = row_cells(298, &line(0));
        let call = row_cells(299, &CallListLine { needs_call: true, ..line(0) });
        let header = header_cells();
        let mut too_wide = Vec::new();
        for (cells, col, text) in [
            (&plain, 0, "300"),
            (&plain, 1, "09:00AM-11:00AM"),
            (&plain, 1, "01:00PM-03:00PM"),
            (&plain, 2, "Mohammed Irfan Qureshi"),
            (&plain, 3, "73914825066183"),
            (&plain, 4, "+91 98765 43210"),
            (&call, 4, "+91 98765 43210"),
            (&plain, 5, "2"),
            (&plain, 6, "Booking rescheduled — delivered 14:02"),
            (&plain, 6, "Session changed — sent 14:02"),
            (&call, 6, "CALL · Booking confirmed — failed"),
            (&call, 6, "CALL · Booking rescheduled — expired"),
            (&call, 6, "CALL · not sent"),
            (&plain, 7, "14:02"),
            (&plain, 8, VACCINATED),
            (&header, 8, "Vaccinated"),
            (&header, 9, "Called? / Notes"),
            (&header, 9, "कॉल किया? / टिप्पणी"),
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
    fn slots_sort_by_start_time() {
        assert_eq!(slot_start("09:00AM-11:00AM"), Some(9 * 60));
        assert_eq!(slot_start("12:00PM-01:00PM"), Some(12 * 60));
        assert_eq!(slot_start("12:30AM-01:00AM"), Some(30));
        assert_eq!(slot_start("01:00PM-03:00PM"), Some(13 * 60));
        assert_eq!(slot_start(" 2:30 pm – 4 pm"), Some(14 * 60 + 30));
        assert_eq!(slot_start("14:00-16:00"), Some(14 * 60));
        assert_eq!(slot_start("3 PM"), Some(15 * 60));
        assert_eq!(slot_start("Walk-in"), None);
        assert_eq!(slot_start("13:00PM"), None);
        assert_eq!(slot_start(""), None);

        let at = |slot: &str, name: &str| CallListLine {
            slot: slot.to_owned(),
            name: name.to_owned(),
            ..CallListLine::default()
        };
        let doc = CallListDoc {
            rows: vec![
                at("01:00PM-03:00PM", "Anjali Sharma"),
                at("Walk-in", "अज्ञात"),
                at("09:00AM-11:00AM", "कृष्ण कुमार"),
                at("11:00AM-01:00PM", "Zoya Khan"),
                at("09:00AM-11:00AM", "anil Verma"),
                at("09:00AM-11:00AM", "Bina Das"),
            ],
            ..CallListDoc::default()
        };
        let order: Vec<&str> = sorted_rows(&doc).iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            order,
            ["anil Verma", "Bina Das", "कृष्ण कुमार", "Zoya Khan", "Anjali Sharma", "अज्ञात"]
        );
    }

    #[test]
    fn the_summary_counts_the_rows() {
        let rows = vec![
            CallListLine { needs_call: true, ..line(0) },
            CallListLine { arrived: Some("09:12".to_owned()), vaccinated: true, ..line(1) },
            CallListLine { arrived: Some("09:40".to_owned()), ..line(2) },
            CallListLine { needs_call: true, arrived: Some(" ".to_owned()), ..line(3) },
            line(4),
        ];
        let doc = CallListDoc { rows, ..CallListDoc::default() };
        assert_eq!(counts(&doc), [5, 2, 2, 1]);
        assert_eq!(
            summary_text(&doc),
            "Booked / बुक: 5  ·  To call / कॉल करें: 2  ·  Arrived / पहुँचे: 2  ·  \
             Vaccinated / टीका लगा: 1"
        );
    }

    #[test]
    fn only_rows_to_phone_are_tagged_and_tinted() {
        let call =
            row_cells(0, &CallListLine { needs_call: true, message: String::new(), ..line(0) });
        assert_eq!(call[6].text, "CALL · not sent");
        assert!(call[6].style.bold);
        assert!(call.iter().all(|c| c.fill == Some(CALL_FILL)));
        let told = row_cells(1, &line(1));
        assert_eq!(told[6].text, "Booking confirmed — delivered 14:02");
        assert!(told.iter().all(|c| c.fill == Some(STRIPE)));
        assert!(row_cells(2, &line(2)).iter().all(|c| c.fill.is_none()));
    }

    #[test]
    fn header_and_footer_are_on_every_page_and_rows_in_order() {
        let doc = CallListDoc { rows: (0..300).map(line).collect(), ..CallListDoc::default() };
        let pages = layout_call_list(&doc).unwrap();
        assert!(pages.len() >= 5, "{}", pages.len());
        let mut ids = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let texts = texts(page);
            assert_eq!(texts.iter().filter(|t| **t == "Ref ID").count(), 1, "page {i}");
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
        let expected: Vec<String> = (0..300).map(|i| line(i).reference_id).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn an_empty_list_is_one_page_saying_so() {
        let pages = layout_call_list(&CallListDoc::default()).unwrap();
        assert_eq!(pages.len(), 1);
        let texts = texts(&pages[0]);
        assert!(texts.contains(&EMPTY), "{texts:?}");
        assert!(!texts.contains(&"Ref ID"));
    }
}
