//! End-to-end checks of the call list PDF with poppler-utils (`pdftotext`, `pdfinfo`,
//! `pdffonts`): names in both scripts, full mobile numbers, the CALL tags on exactly the rows
//! to phone, the repeated table header and page numbers.
//!
//! These tests need poppler-utils; without it they fail and say how to install it.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{PdfFile, Word};
use tika_pdf::{CallListDoc, CallListLine, render_call_list};

const HINDI_NAMES: [&str; 4] =
    ["सुश्री प्रियंका द्विवेदी क्षत्रिय", "पार्थ सारथी मिश्र", "श्रीमती कौशल्या देवी", "कृष्ण कुमार"];
const LATIN_NAMES: [&str; 3] =
    ["Rajesh Kumar Venkataraman Subramanian", "Anjali Sharma", "Mohammed Irfan Qureshi"];
const SLOTS: [&str; 3] = ["09:00AM-11:00AM", "11:00AM-01:00PM", "01:00PM-03:00PM"];

fn reference_id(i: usize) -> String {
    format!("{}", 73_914_825_066_000_u64 + i as u64)
}

fn mobile(i: usize) -> String {
    format!("+91 98{:03} {:05}", i % 1000, 10_000 + i)
}

/// Every fifth person's message failed, every seventh was never sent: those need a call.
fn needs_call(i: usize) -> bool {
    i % 5 == 2 || i % 7 == 3
}

/// Row `i`, numbered so that sorting by slot then name leaves the numbering alone: the slot
/// grows with `i`, and within a slot the names are `NNN name`.
fn line(i: usize, rows: usize) -> CallListLine {
    let base = if i.is_multiple_of(2) {
        HINDI_NAMES[i / 2 % HINDI_NAMES.len()]
    } else {
        LATIN_NAMES[i / 2 % LATIN_NAMES.len()]
    };
    let message = if i % 5 == 2 {
        "Booking confirmed — failed".to_owned()
    } else if i % 7 == 3 {
        "not sent".to_owned()
    } else if i.is_multiple_of(3) {
        "Reminder — sent 18:30".to_owned()
    } else {
        format!("Booking confirmed — delivered 14:{:02}", i % 60)
    };
    CallListLine {
        slot: SLOTS[i * SLOTS.len() / rows.max(1)].to_owned(),
        name: format!("{i:03} {base}"),
        reference_id: reference_id(i),
        mobile: mobile(i),
        dose: 1 + (i % 2) as u8,
        message,
        needs_call: needs_call(i),
        arrived: i.is_multiple_of(4).then(|| format!("09:{:02}", i % 60)),
        vaccinated: i.is_multiple_of(8),
    }
}

fn doc(rows: usize) -> CallListDoc {
    let mut lines: Vec<CallListLine> = (0..rows).map(|i| line(i, rows)).collect();
    // The caller's order does not matter: the list is sorted by slot, then name.
    lines.reverse();
    CallListDoc {
        facility: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
        address: "Ashok Marg, near Dhamek Stupa, Sarnath, Varanasi - 221007".to_owned(),
        date: "22-11-2026".to_owned(),
        vaccine: "COVISHIELD".to_owned(),
        generated_at: "22-11-2026 08:05 IST".to_owned(),
        rows: lines,
    }
}

fn centre(w: &Word) -> f32 {
    (w.y_min + w.y_max) / 2.0
}

#[test]
fn a_long_list_has_every_name_and_mobile_in_order_with_the_header_on_every_page() {
    let rows = 300;
    let pdf = render_call_list(&doc(rows)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let file = PdfFile::new(&pdf);
    let pages = file.pages();
    assert!(pages >= 5, "{rows} rows on {pages} pages");
    let texts = file.page_texts();
    assert_eq!(texts.len(), pages);
    let all = texts.concat();
    // `pdftotext -layout` turns runs of spaces into one or several, depending on the layout.
    let words = all.split_whitespace().collect::<Vec<_>>().join(" ");

    let to_call = (0..rows).filter(|i| needs_call(*i)).count();
    let arrived = (0..rows).filter(|i| i.is_multiple_of(4)).count();
    let vaccinated = (0..rows).filter(|i| i.is_multiple_of(8)).count();
    let summary = format!(
        "Booked / बुक: {rows} · To call / कॉल करें: {to_call} · Arrived / पहुँचे: {arrived} · \
         Vaccinated / टीका लगा: {vaccinated}"
    );
    for expected in [
        "Call list / कॉल सूची",
        "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath",
        "Ashok Marg, near Dhamek Stupa",
        "22-11-2026",
        "COVISHIELD",
        "22-11-2026 08:05 IST",
        summary.as_str(),
        "कॉल किया? / टिप्पणी",
        "Booking confirmed — delivered 14:01",
        "CALL · Booking confirmed — failed",
        "CALL · not sent",
        "Yes / हाँ",
    ] {
        assert!(words.contains(expected), "{expected:?} not found in:\n{}", texts[0]);
    }
    // Hindi names come out whole, conjuncts, reph and vowel signs included.
    for name in HINDI_NAMES {
        assert!(all.contains(name), "{name:?} not found");
    }
    // Every person is there, once, in slot-then-name order, with the full mobile number on
    // the line of their reference ID.
    let mut at = 0;
    for i in 0..rows {
        let id = reference_id(i);
        assert_eq!(all.matches(&id).count(), 1, "{id}");
        let found = all[at..].find(&id).unwrap_or_else(|| panic!("{id} out of order"));
        at += found;
        let line = all[at..].lines().next().unwrap();
        assert!(line.contains(&mobile(i)), "{} not on the line of {id}: {line}", mobile(i));
    }
    for (n, text) in texts.iter().enumerate() {
        assert_eq!(text.matches("Ref ID").count(), 1, "table header on page {}:\n{text}", n + 1);
        assert_eq!(text.matches("संदर्भ आईडी").count(), 1, "Hindi header on page {}", n + 1);
        let numbering = format!("Page {} of {pages}", n + 1);
        assert!(text.contains(&numbering), "{numbering:?} not on page {}", n + 1);
    }
}

#[test]
fn call_tags_are_on_exactly_the_rows_that_need_a_call() {
    let rows = 300;
    let file = PdfFile::new(&render_call_list(&doc(rows)).unwrap());
    let mut tagged = Vec::new();
    for words in file.words() {
        let ids: Vec<&Word> = words.iter().filter(|w| w.text.starts_with("7391")).collect();
        // Below the table header (page 1 says what CALL means above the table).
        let header = words.iter().find(|w| w.text == "Ref").unwrap();
        let in_table = |w: &&Word| w.y_min > header.y_max;
        for call in words.iter().filter(in_table).filter(|w| w.text == "CALL") {
            // The reference ID printed on the same row, level with the tag.
            let id = ids
                .iter()
                .min_by(|a, b| {
                    (centre(a) - centre(call)).abs().total_cmp(&(centre(b) - centre(call)).abs())
                })
                .unwrap();
            assert!((centre(id) - centre(call)).abs() < 3.0, "{call:?} is not level with {id:?}");
            tagged.push(id.text.clone());
        }
    }
    let expected: Vec<String> = (0..rows).filter(|i| needs_call(*i)).map(reference_id).collect();
    assert!(!expected.is_empty() && expected.len() < rows);
    assert_eq!(tagged, expected);
}

#[test]
fn an_empty_list_is_one_page_saying_no_one_is_booked() {
    let file = PdfFile::new(&render_call_list(&doc(0)).unwrap());
    assert_eq!(file.pages(), 1);
    let text = file.page_texts().concat();
    for expected in
        ["Call list / कॉल सूची", "No one is booked / कोई बुकिंग नहीं", "Booked / बुक: 0", "Page 1 of 1"]
    {
        assert!(text.contains(expected), "{expected:?} not found in:\n{text}");
    }
    assert!(!text.contains("Ref ID"), "an empty table was drawn:\n{text}");
}

#[test]
fn fonts_are_embedded_subsets() {
    PdfFile::new(&render_call_list(&doc(12)).unwrap()).assert_fonts_embedded();
}
