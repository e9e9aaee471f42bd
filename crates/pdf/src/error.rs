//! The error type of this crate.

/// Everything that can go wrong while building a PDF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// An embedded font could not be parsed (the named file is broken).
    #[error("embedded font {0} could not be loaded")]
    Font(&'static str),
    /// The QR code payload could not be encoded (for example, it is too long).
    #[error("QR code could not be built: {0}")]
    Qr(String),
    /// A page size, rectangle or path was not finite or had a negative size.
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// krilla failed to write the PDF.
    #[error("PDF could not be written: {0}")]
    Serialize(String),
}
