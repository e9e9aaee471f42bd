//! Bilingual (English + Hindi) PDF documents for Tika, with shaped Devanagari.
//!
//! Text is split into script runs ([`text::split_runs`]), each run is shaped with
//! rustybuzz in the embedded Noto font that covers it, and the glyphs are written
//! with krilla as subset CID fonts with a `ToUnicode` map, so Hindi text can be
//! searched and copied from the PDF. Layout is done first into a display list of
//! [`layout::Page`]s ([`layout::Flow`] adds wrapping, tables and page breaks), which
//! [`render::to_pdf`] turns into PDF bytes.
//!
//! Documents:
//! - [`render_appointment_slip`]: the appointment slip shown after booking.

pub mod error;
pub mod fonts;
pub mod layout;
pub mod qr;
pub mod render;
pub mod slip;
pub mod text;

pub use error::PdfError;
pub use slip::{AppointmentSlip, SlipPerson, render_appointment_slip};
