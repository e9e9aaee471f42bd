//! QR payloads: the signed credential, zipped, in one byte-mode QR segment.
//!
//! As CoWIN does it (spec §1.6): a ZIP with one DEFLATE entry
//! `certificate.json` holding the compact signed JSON, put as a *single
//! byte-mode* segment in a QR code at error correction level M, smallest
//! version that fits. The encoder is `fast_qr`: it puts the whole input in
//! one segment of one mode (byte mode for a ZIP, which is never all digits or
//! all alphanumerics) and chooses the mask about seven times faster than the
//! `qrcode` crate (2 ms against 14 ms for a 1 KB payload), which matters
//! because every certificate PDF draws one. PNG and SVG rendering are a few
//! lines over the module matrix, so they are written here.

use std::io::{Cursor, Read as _, Write as _};

/// The ZIP entry name.
pub const ENTRY_NAME: &str = "certificate.json";

/// Largest `certificate.json` accepted when decoding (a QR holds < 3 KB of
/// ZIP; this bounds a decompression bomb).
pub const MAX_JSON_BYTES: u64 = 64 * 1024;

/// Why a QR payload could not be produced or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// Writing the ZIP failed.
    #[error("zip: {0}")]
    Zip(String),
    /// The payload does not fit in a version-40 QR code at level M.
    #[error("the payload ({0} bytes) does not fit in a QR code")]
    TooLong(usize),
    /// QR encoding failed.
    #[error("QR encoding failed: {0}")]
    Encode(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// The payload is neither a ZIP (raw or UTF-8-mangled) nor JSON.
    #[error("the QR code does not hold a certificate")]
    NotACertificate,
    /// The ZIP has no `certificate.json`, or it is not UTF-8 or too large.
    #[error("the QR code's archive is invalid: {0}")]
    BadArchive(String),
}

/// Zips the compact credential JSON as `certificate.json` (DEFLATE).
///
/// # Errors
/// [`QrError::Zip`] (not expected: the archive is written in memory).
pub fn zip_credential(json: &str) -> Result<Vec<u8>, QrError> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    w.start_file(ENTRY_NAME, opts).map_err(|e| QrError::Zip(e.to_string()))?;
    w.write_all(json.as_bytes()).map_err(|e| QrError::Zip(e.to_string()))?;
    let out = w.finish().map_err(|e| QrError::Zip(e.to_string()))?;
    Ok(out.into_inner())
}

/// A QR code's modules (without the quiet zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    width: usize,
    dark: Vec<bool>,
}

impl QrCode {
    /// Modules per side.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether each module is dark, row by row.
    #[must_use]
    pub fn dark(&self) -> &[bool] {
        &self.dark
    }
}

/// Bytes a version-`v` QR code holds in byte mode at level M (ISO/IEC 18004 table 7).
const BYTE_CAPACITY_M: [usize; 40] = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
];

/// A QR code holding `data` as one byte-mode segment at level M, in the
/// smallest version that fits.
///
/// # Errors
/// [`QrError::TooLong`] if even version 40 is too small.
pub fn qr_code(data: &[u8]) -> Result<QrCode, QrError> {
    if data.len() > BYTE_CAPACITY_M[39] {
        return Err(QrError::TooLong(data.len()));
    }
    let code = fast_qr::QRBuilder::new(data.to_vec())
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|e| QrError::Encode(format!("{e:?}")))?;
    let dark = code.data[..code.size * code.size].iter().map(|m| m.value()).collect();
    Ok(QrCode { width: code.size, dark })
}

/// The QR version number (1–40).
#[must_use]
pub fn qr_version(code: &QrCode) -> i16 {
    i16::try_from((code.width().saturating_sub(17)) / 4).unwrap_or(0)
}

const QUIET_ZONE: u32 = 4;

/// Renders a PNG, `scale` pixels per module, with a 4-module quiet zone.
///
/// # Errors
/// [`QrError::Png`] if encoding fails.
pub fn qr_png(code: &QrCode, scale: u32) -> Result<Vec<u8>, QrError> {
    use image::ImageEncoder as _;
    let scale = scale.max(1);
    let width = u32::try_from(code.width()).map_err(|e| QrError::Png(e.to_string()))?;
    let colors = code.dark();
    let side = (width + 2 * QUIET_ZONE) * scale;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= QUIET_ZONE
            && my >= QUIET_ZONE
            && mx < QUIET_ZONE + width
            && my < QUIET_ZONE + width
            && colors[((my - QUIET_ZONE) * width + (mx - QUIET_ZONE)) as usize];
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), side, side, image::ExtendedColorType::L8)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out)
}

/// Renders an SVG (one path, one unit per module, 4-module quiet zone).
#[must_use]
pub fn qr_svg(code: &QrCode) -> String {
    let width = code.width();
    let side = width + 2 * QUIET_ZONE as usize;
    let mut d = String::with_capacity(width * width * 4);
    for (i, c) in code.dark().iter().enumerate() {
        if *c {
            let x = i % width + QUIET_ZONE as usize;
            let y = i / width + QUIET_ZONE as usize;
            d.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" \
         fill=\"#fff\"/><path d=\"{d}\" fill=\"#000\"/></svg>"
    )
}

/// Recovers the credential JSON from a scanned payload: a raw ZIP, a ZIP
/// whose bytes were turned into code points and UTF-8-encoded (zbar,
/// node-qrcode), or bare JSON.
///
/// # Errors
/// [`QrError::NotACertificate`] or [`QrError::BadArchive`].
pub fn decode_payload(bytes: &[u8]) -> Result<String, QrError> {
    let text = std::str::from_utf8(bytes).ok();
    if bytes.starts_with(b"PK") {
        let raw = unzip(bytes);
        // A mangled ZIP also starts with "PK" and is valid UTF-8.
        return match (raw, text.and_then(unmangle)) {
            (Ok(json), _) => Ok(json),
            (Err(_), Some(unmangled)) => unzip(&unmangled),
            (Err(e), None) => Err(e),
        };
    }
    let Some(text) = text else {
        return Err(QrError::NotACertificate);
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{') {
        return Ok(trimmed.to_owned());
    }
    Err(QrError::NotACertificate)
}

/// Each code point back to one byte, if all are below 256.
fn unmangle(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

fn unzip(bytes: &[u8]) -> Result<String, QrError> {
    let bad = |e: &dyn std::fmt::Display| QrError::BadArchive(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let entry = archive.by_name(ENTRY_NAME).map_err(|e| bad(&e))?;
    let mut buf = Vec::new();
    entry.take(MAX_JSON_BYTES + 1).read_to_end(&mut buf).map_err(|e| bad(&e))?;
    if buf.len() as u64 > MAX_JSON_BYTES {
        return Err(QrError::BadArchive("certificate.json is too large".to_owned()));
    }
    String::from_utf8(buf).map_err(|e| bad(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_roundtrip_and_mangling() {
        let json = r#"{"name":"सीता देवी"}"#;
        let z = zip_credential(json).unwrap();
        assert_eq!(decode_payload(&z).unwrap(), json);
        let mangled: String = z.iter().map(|&b| char::from(b)).collect();
        assert_eq!(decode_payload(mangled.as_bytes()).unwrap(), json);
        assert_eq!(decode_payload(json.as_bytes()).unwrap(), json);
        assert_eq!(decode_payload(b"hello"), Err(QrError::NotACertificate));
    }

    #[test]
    fn single_segment_level_m() {
        // 500 bytes in byte mode at level M need version 17, 1000 need 26: the smallest
        // version whose byte-mode capacity at M holds them, so one byte segment at M.
        for (len, version) in [(500, 17), (1000, 26), (14, 1), (15, 2)] {
            let code = qr_code(&vec![0xAB; len]).unwrap();
            assert_eq!(qr_version(&code), version, "{len} bytes");
            let smallest = BYTE_CAPACITY_M.iter().position(|&c| c >= len).unwrap() + 1;
            assert_eq!(usize::try_from(qr_version(&code)).unwrap(), smallest);
        }
        let code = qr_code(&[0xAB; 500]).unwrap();
        assert!(qr_svg(&code).starts_with("<svg"));
        assert!(qr_png(&code, 2).unwrap().starts_with(b"\x89PNG"));
        assert!(matches!(qr_code(&[0; 3000]), Err(QrError::TooLong(3000))));
    }
}
