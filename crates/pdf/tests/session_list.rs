//! End-to-end checks of the session list PDF with poppler-utils (`pdftotext`, `pdfinfo`,
//! `pdffonts`): text in both scripts, the repeated table header, page numbers and fonts.
//!
//! These tests need poppler-utils; without it they fail and say how to install it.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::PdfFile;
use tika_pdf::{ListRow, SessionList, render_session_list};

const HINDI_NAMES: [&str; 4] =
    ["सुश्री प्रियंका द्विवेदी क्षत्रिय", "पार्थ सारथी मिश्र", "श्रीमती कौशल्या देवी", "कृष्ण कुमार"];
const LATIN_NAMES: [&str; 3] =
    ["Rajesh Kumar Venkataraman Subramanian", "Anjali Sharma", "Mohammed Irfan Qureshi"];
const STATUSES: [&str; 4] = ["Booked", "Vaccinated", "Cancelled", "Walk-in"];

fn reference_id(i: usize) -> String {
    format!("{}", 73_914_825_066_000_u64 + i as u64)
}

fn row(i: usize) -> ListRow {
    let name = if i.is_multiple_of(2) {
        HINDI_NAMES[i / 2 % HINDI_NAMES.len()].to_owned()
    } else {
        LATIN_NAMES[i / 2 % LATIN_NAMES.len()].to_owned()
    };
    ListRow {
        slot: ["09:00AM-11:00AM", "11:00AM-01:00PM", "01:00PM-03:00PM"][i * 3 / 120 % 3].to_owned(),
        reference_id: reference_id(i),
        name,
        birth_year: 1950 + (i % 60) as i32,
        gender: ["Female", "Male", "Other"][i % 3].to_owned(),
        id_type_last4: format!("Aadhaar ••{:04}", 1000 + i),
        dose: 1 + (i % 3) as u8,
        status: STATUSES[i % 4].to_owned(),
    }
}

fn list(rows: usize) -> SessionList {
    SessionList {
        center_name: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
        center_address: "Ashok Marg, near Dhamek Stupa, Sarnath, Varanasi - 221007".to_owned(),
        date: "22-11-2026".to_owned(),
        vaccine: "COVISHIELD".to_owned(),
        session_id: "3f6b2d1e-8c4a-4b7e-9f21-6a5d0c9e7b13".to_owned(),
        generated_at: "22-11-2026 09:14 IST".to_owned(),
        rows: (0..rows).map(row).collect(),
        tally: [
            ("Booked / बुक".to_owned(), 30),
            ("Vaccinated / टीका लगा".to_owned(), 30),
            ("Cancelled / रद्द".to_owned(), 30),
            ("Walk-in / बिना बुकिंग".to_owned(), 30),
            ("Left / बाकी".to_owned(), 30),
        ],
    }
}

#[test]
fn a_long_list_extracts_in_both_scripts_with_the_header_on_every_page() {
    let list = list(120);
    let pdf = render_session_list(&list).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let file = PdfFile::new(&pdf);
    let pages = file.pages();
    assert!(pages >= 3, "120 rows on {pages} pages");
    let texts = file.page_texts();
    assert_eq!(texts.len(), pages);
    let all = texts.concat();

    for expected in [
        "Session list / सत्र सूची",
        "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath",
        "22-11-2026",
        "COVISHIELD",
        "3f6b2d1e-8c4a-4b7e-9f21-6a5d0c9e7b13",
        "22-11-2026 09:14 IST",
        "Vaccinated / टीका लगा: 30",
        "हस्ताक्षर",
        "Aadhaar ••1119",
    ] {
        assert!(all.contains(expected), "{expected:?} not found in:\n{all}");
    }
    // Hindi names come out whole, conjuncts, reph and vowel signs included.
    for name in HINDI_NAMES {
        assert!(all.contains(name), "{name:?} not found");
    }
    // Every person is there, once, in order.
    let mut at = 0;
    for i in 0..120 {
        let id = reference_id(i);
        assert_eq!(all.matches(&id).count(), 1, "{id}");
        let found = all[at..].find(&id).unwrap_or_else(|| panic!("{id} out of order"));
        at += found;
    }
    for (n, text) in texts.iter().enumerate() {
        assert_eq!(text.matches("Ref ID").count(), 1, "table header on page {}:\n{text}", n + 1);
        let numbering = format!("Page {} of {pages}", n + 1);
        assert!(text.contains(&numbering), "{numbering:?} not on page {}", n + 1);
    }
    assert!(texts[0].contains(&format!("Page 1 of {pages}")));
}

#[test]
fn an_empty_list_is_one_page_saying_no_one_is_booked() {
    let mut list = list(0);
    for (_, n) in &mut list.tally {
        *n = 0;
    }
    let file = PdfFile::new(&render_session_list(&list).unwrap());
    assert_eq!(file.pages(), 1);
    let text = file.page_texts().concat();
    for expected in ["Session list / सत्र सूची", "No one is booked / कोई बुकिंग नहीं", "Page 1 of 1"]
    {
        assert!(text.contains(expected), "{expected:?} not found in:\n{text}");
    }
    assert!(!text.contains("Ref ID"), "an empty table was drawn:\n{text}");
}

#[test]
fn fonts_are_embedded_subsets() {
    PdfFile::new(&render_session_list(&list(12)).unwrap()).assert_fonts_embedded();
}

#[test]
fn a_walk_in_without_a_reference_id_prints_a_dash() {
    let mut list = list(3);
    list.rows[1].reference_id = "—".to_owned();
    list.rows[1].status = "Walk-in".to_owned();
    list.rows[1].name = "अज्ञात नाम".to_owned();
    let text = PdfFile::new(&render_session_list(&list).unwrap()).page_texts().concat();
    let line = text.lines().find(|l| l.contains("अज्ञात नाम")).unwrap();
    assert!(line.contains('—') && line.contains("Walk-in"), "{line}");
}
