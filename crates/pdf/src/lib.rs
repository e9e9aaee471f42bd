//! Bilingual (English + Hindi) PDF documents for Tika, with shaped Devanagari.
//!
//! Text is split into script runs ([`text::split_runs`]), each run is shaped with
//! rustybuzz in the embedded Noto font that covers it, and the glyphs are written
//! with krilla as subset CID fonts with a `ToUnicode` map, so Hindi text can be
//! searched and copied from the PDF. Layout is done first into a display list of
//! [`layout::Page`]s ([`layout::Flow`] adds wrapping, tables and page breaks), which
//! [`render::to_pdf`] turns into PDF bytes.
//!
//! Vowel signs that shaping places left of the pen with no advance (`े` over `क` in
//! `केंद्र`) are drawn as outlines, see [`render::split_detached_marks`], so that text
//! extractors such as `pdftotext` do not read the gap as a space. Shaping plans are built
//! once per font and string widths are cached per thread, so laying out a slip costs
//! about a millisecond; writing the PDF (font subsetting and compression) costs the rest.
//!
//! Documents:
//! - [`render_appointment_slip`]: the appointment slip shown after booking.
//! - [`render_certificate`]: the bilingual vaccination certificate with its signed QR code,
//!   what a border officer reads.
//! - [`render_session_list`]: the printable list of everyone on a vaccination session, with
//!   a column to sign in, for when devices fail.
//! - [`render_call_list`]: the printable call list of one session, with everyone's mobile
//!   number and what became of their last SMS, marking who to phone when messages failed.

pub mod call_list;
pub mod certificate;
pub mod error;
pub mod fonts;
pub mod layout;
pub mod qr;
pub mod render;
pub mod session_list;
pub mod slip;
pub mod text;

pub use call_list::{CallListDoc, CallListLine, layout_call_list, render_call_list};
pub use certificate::{
    CertificateDoc, CertificateKind, layout_certificate, mask_id_number, render_certificate,
};
pub use error::PdfError;
pub use qr::QrMatrix;
pub use session_list::{ListRow, SessionList, render_session_list};
pub use slip::{AppointmentSlip, SlipPerson, render_appointment_slip};
