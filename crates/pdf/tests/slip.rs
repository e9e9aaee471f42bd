//! End-to-end checks of the appointment slip PDF with poppler-utils (`pdftotext`, `pdffonts`,
//! `pdftoppm`) and a QR decoder (`rqrr`).
//!
//! These tests need poppler-utils; without it they fail and say how to install it.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::Path;
use std::time::Instant;

use common::PdfFile;
use tika_pdf::layout::{Op, Page, TextStyle};
use tika_pdf::render::{DocInfo, to_pdf};
use tika_pdf::{AppointmentSlip, SlipPerson, render_appointment_slip};

const APPOINTMENT_ID: &str = "0f8e4a52-6a3c-4d4e-9a51-3b7f2f7f1c2a";

fn person(name: &str, code: &str) -> SlipPerson {
    SlipPerson {
        name: name.to_owned(),
        birth_year: 1992,
        gender: "Female".to_owned(),
        reference_id: "73914825066183".to_owned(),
        photo_id: "Aadhaar Card ********9999".to_owned(),
        security_code: code.to_owned(),
    }
}

fn sample() -> AppointmentSlip {
    AppointmentSlip {
        appointment_id: APPOINTMENT_ID.to_owned(),
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
        people: vec![person("सुश्री प्रियंका द्विवेदी क्षत्रिय", "4821"), person("Rajesh Kumar", "0937")],
        generated_at: "22-11-2026 10:15 IST".to_owned(),
    }
}

fn decode_qr_codes(png: &Path) -> Vec<String> {
    let image = image::open(png).unwrap().to_luma8();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        image.get_pixel(x as u32, y as u32).0[0]
    });
    prepared.detect_grids().into_iter().map(|grid| grid.decode().unwrap().1).collect()
}

#[test]
fn slip_is_a_pdf() {
    let pdf = render_appointment_slip(&sample()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8]);
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(PdfFile::new(&pdf).pages(), 1);
}

#[test]
fn text_extracts_in_english_and_hindi() {
    let file = PdfFile::new(&render_appointment_slip(&sample()).unwrap());
    let text = file.text();
    for expected in [
        "Vaccination Appointment Slip",
        "टीकाकरण",
        "टीकाकरण अपॉइंटमेंट पर्ची",
        "प्रियंका द्विवेदी",
        "सुश्री प्रियंका द्विवेदी क्षत्रिय",
        // The vowel sign over क is drawn left of the pen; it must not split the word.
        "केंद्र",
        "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath",
        "पंजीकरण में उपयोग किया गया फ़ोटो पहचान पत्र साथ लाएँ।",
        "4821",
        "0937",
        APPOINTMENT_ID,
        "₹ 780",
        "Rajesh Kumar",
        "24-11-2026",
        "09:00AM-11:00AM",
        "Page 1 / 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not found in the text:\n{text}");
    }
}

#[test]
fn hindi_words_extract_intact() {
    // Conjuncts, reph, reordered ि, and vowel signs positioned over a consonant's stem.
    let words = [
        "केंद्र",
        "स्कैन",
        "कैसे",
        "केले",
        "फ़ोटो",
        "टीकाकर्मी",
        "प्रियंका",
        "द्विवेदी",
        "क्षत्रिय",
        "अर्थ",
        "पार्थ",
        "पर्ची",
        "लाभार्थी",
        "सुरक्षा",
        "अंकों",
        "लाएँ",
        "पृष्ठ",
        "संदर्भ",
        "स्वास्थ्य",
        "ज़िला",
        "कृष्ण",
        "हृदय",
        "श्रीमती",
        "ट्रक",
        "क्लिनिक",
        "कौशल्या",
        "श्रृंखला",
        "कोविशील्ड",
        "कोवैक्सिन",
    ];
    let mut ops = Vec::new();
    for (i, word) in words.iter().enumerate() {
        for (j, style) in [TextStyle::regular(10.0), TextStyle::bold(10.0)].into_iter().enumerate()
        {
            let (x, y) = (40.0 + 250.0 * j as f32, 40.0 + 16.0 * i as f32);
            ops.push(Op::Text { x, y, text: (*word).to_owned(), style });
        }
    }
    let pdf = to_pdf(&[Page { ops }], 595.0, 842.0, &DocInfo::default()).unwrap();
    let text = PdfFile::new(&pdf).text();
    let got: Vec<&str> = text.split_whitespace().collect();
    let want: Vec<&str> = words.iter().flat_map(|w| [*w, *w]).collect();
    assert_eq!(got, want);
}

#[test]
fn fonts_are_embedded_subsets() {
    PdfFile::new(&render_appointment_slip(&sample()).unwrap()).assert_fonts_embedded();
}

#[test]
fn qr_code_decodes_to_the_appointment_id() {
    let file = PdfFile::new(&render_appointment_slip(&sample()).unwrap());
    let codes = decode_qr_codes(&file.page_png(150));
    assert_eq!(codes, [APPOINTMENT_ID]);
}

#[test]
fn four_people_with_very_long_names_and_address() {
    let long_hindi = "श्रीमती ".to_owned() + &"प्रियंका द्विवेदी क्षत्रिय पार्थसारथी ".repeat(4);
    let long_latin = "Venkataraman Subramanian Ramaswamy Iyer Balasubrahmanyam ".repeat(3);
    let unbroken = "Chakravartirajagopalachariswaminathanvenkatakrishnan".repeat(3);
    let mut slip = sample();
    slip.center_name = "सामुदायिक स्वास्थ्य केंद्र एवं जिला टीकाकरण कार्यालय ".repeat(3)
        + "/ Community Health Centre and District Immunisation Office";
    slip.center_address =
        "Plot 17, Sector 4, Behind the Old Railway Goods Shed, Near the Water Tank, ".repeat(6);
    slip.people = vec![
        person(&long_hindi, "1111"),
        person(&format!("{long_latin}/ {long_hindi}"), "2222"),
        person(&unbroken, "3333"),
        person("अ", "4444"),
    ];
    let pdf = render_appointment_slip(&slip).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let file = PdfFile::new(&pdf);
    let text = file.text();
    for code in ["1111", "2222", "3333", "4444", APPOINTMENT_ID, "₹ 780"] {
        assert!(text.contains(code), "{code} not found in:\n{text}");
    }
    let codes = decode_qr_codes(&file.page_png(150));
    assert_eq!(codes, [APPOINTMENT_ID]);
}

#[test]
fn a_name_taller_than_a_page_is_split_over_pages() {
    let mut slip = sample();
    let huge = "प्रियंका द्विवेदी क्षत्रिय Priyanka Dwivedi Kshatriya ".repeat(80);
    slip.people =
        vec![person("First Person", "1111"), person(&huge, "2222"), person("Last", "3333")];
    let file = PdfFile::new(&render_appointment_slip(&slip).unwrap());
    assert!(file.pages() >= 2, "{} pages", file.pages());
    let text = file.text();
    for code in ["1111", "2222", "3333", "Page 2 / "] {
        assert!(text.contains(code), "{code} not found");
    }
}

#[test]
fn reports_render_time() {
    let slip = sample();
    render_appointment_slip(&slip).unwrap(); // fonts are parsed on first use
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        render_appointment_slip(&slip).unwrap();
    }
    let each = start.elapsed() / runs;
    println!("render_appointment_slip: {each:?} per PDF over {runs} runs (2 people)");
}
