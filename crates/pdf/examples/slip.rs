//! Writes a sample appointment slip (Hindi, mixed and English names) to the path given
//! as the first argument, then times repeated renders.
//!
//! `cargo run -p tika_pdf --release --example slip -- /tmp/slip.pdf`

use std::time::Instant;

use tika_pdf::{AppointmentSlip, SlipPerson, render_appointment_slip};

fn sample() -> AppointmentSlip {
    AppointmentSlip {
        appointment_id: "0f8e4a52-6a3c-4d4e-9a51-3b7f2f7f1c2a".to_owned(),
        center_name: "प्राथमिक स्वास्थ्य केंद्र सारनाथ / PHC Sarnath".to_owned(),
        center_address: "Ashok Marg, near Dhamek Stupa, Sarnath".to_owned(),
        block_name: "Chiraigaon".to_owned(),
        district_name: "Varanasi".to_owned(),
        state_name: "Uttar Pradesh".to_owned(),
        pincode: "221007".to_owned(),
        date: "24-11-2026".to_owned(),
        slot: "09:00AM-11:00AM".to_owned(),
        vaccine: "COVISHIELD".to_owned(),
        dose: 1,
        fee: "₹ 780".to_owned(),
        people: vec![
            SlipPerson {
                name: "सुश्री प्रियंका द्विवेदी क्षत्रिय".to_owned(),
                birth_year: 1992,
                gender: "Female".to_owned(),
                reference_id: "73914825066183".to_owned(),
                photo_id: "Aadhaar Card ********9999".to_owned(),
                security_code: "4821".to_owned(),
            },
            SlipPerson {
                name: "पार्थ सारथी मिश्र / Parth Sarathi Mishra".to_owned(),
                birth_year: 2001,
                gender: "Male".to_owned(),
                reference_id: "73914825066185".to_owned(),
                photo_id: "Driving License ********1234".to_owned(),
                security_code: "7260".to_owned(),
            },
            SlipPerson {
                name: "Rajesh Kumar Venkataraman Subramanian".to_owned(),
                birth_year: 1958,
                gender: "Male".to_owned(),
                reference_id: "73914825066184".to_owned(),
                photo_id: "PAN Card ******234F".to_owned(),
                security_code: "0937".to_owned(),
            },
        ],
        generated_at: "22-11-2026 10:15 IST".to_owned(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: slip OUTPUT.pdf".into());
    };
    let slip = sample();
    let start = Instant::now();
    let pdf = render_appointment_slip(&slip)?;
    let first = start.elapsed();
    std::fs::write(&path, &pdf)?;

    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        render_appointment_slip(&slip)?;
    }
    let each = start.elapsed() / runs;
    println!(
        "wrote {path} ({} bytes); first render {first:?} (font parsing included), then {each:?} per PDF over {runs} runs",
        pdf.len()
    );
    Ok(())
}
