//! QR codes as a module matrix (from the `qrcode` crate) for vector drawing.

use crate::PdfError;

/// Width of the quiet zone around a QR code, in modules (the standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// Modules per side of a version 1 QR code.
const MIN_WIDTH: usize = 21;
/// Modules per side of a version 40 QR code.
const MAX_WIDTH: usize = 177;

/// The dark/light modules of a QR code, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `data` with error-correction level M (15 %).
    pub fn encode(data: &[u8]) -> Result<Self, PdfError> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|e| PdfError::Qr(e.to_string()))?;
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Ok(Self { width: code.width(), dark })
    }

    /// A matrix from modules built elsewhere (for example by the crate that signs the
    /// credential), row by row: `dark[row * width + col]` is true for a dark module.
    ///
    /// `width` must be the side of a QR code of version 1 to 40 (21, 25, ..., 177 modules)
    /// and `dark` must hold `width * width` modules.
    pub fn from_modules(width: usize, dark: Vec<bool>) -> Result<Self, PdfError> {
        if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) || !(width - MIN_WIDTH).is_multiple_of(4) {
            return Err(PdfError::Qr(format!(
                "a QR code is 21 to 177 modules wide in steps of 4, not {width}"
            )));
        }
        if dark.len() != width * width {
            return Err(PdfError::Qr(format!(
                "{} modules given for a {width} x {width} QR code ({} expected)",
                dark.len(),
                width * width
            )));
        }
        Ok(Self { width, dark })
    }

    /// Encodes `data` as a single byte-mode segment with error-correction level M, in the
    /// smallest version (1 to 40) that holds it.
    ///
    /// Unlike [`QrMatrix::encode`], which may split text into numeric, alphanumeric and
    /// byte segments, this keeps binary payloads (a compressed, signed credential) in one
    /// segment, as verifier apps expect them. About 2.3 KB fit at most.
    pub fn encode_byte_mode(data: &[u8]) -> Result<Self, PdfError> {
        use qrcode::bits::Bits;
        use qrcode::{EcLevel, QrCode, Version};

        for version in 1..=40 {
            let mut bits = Bits::new(Version::Normal(version));
            if bits.push_byte_data(data).is_err() || bits.push_terminator(EcLevel::M).is_err() {
                continue;
            }
            let code =
                QrCode::with_bits(bits, EcLevel::M).map_err(|e| PdfError::Qr(e.to_string()))?;
            let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
            return Ok(Self { width: code.width(), dark });
        }
        Err(PdfError::Qr(format!(
            "{} bytes do not fit in a QR code at error-correction level M",
            data.len()
        )))
    }

    /// The QR version (1 to 40), from the width.
    pub fn version(&self) -> usize {
        (self.width - MIN_WIDTH) / 4 + 1
    }

    /// Number of modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of modules per side including the quiet zone on both sides.
    pub fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at `(row, col)` is dark (false outside the matrix).
    pub fn is_dark(&self, row: usize, col: usize) -> bool {
        row < self.width && col < self.width && self.dark[row * self.width + col]
    }

    /// Horizontal runs of dark modules as `(row, first column, length)`, for drawing with few rectangles.
    pub fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for row in 0..self.width {
            let mut col = 0;
            while col < self.width {
                if self.is_dark(row, col) {
                    let start = col;
                    while col < self.width && self.is_dark(row, col) {
                        col += 1;
                    }
                    runs.push((row, start, col - start));
                } else {
                    col += 1;
                }
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_has_finder_patterns_and_runs_cover_dark_modules() {
        let m = QrMatrix::encode(b"APT-2026-000123").unwrap();
        assert_eq!(m.width(), 21);
        assert_eq!(m.width_with_quiet_zone(), 29);
        // Top-left finder pattern: dark 7-module border with a light ring inside.
        assert!((0..7).all(|i| m.is_dark(0, i) && m.is_dark(6, i) && m.is_dark(i, 0)));
        assert!(!m.is_dark(1, 1) && m.is_dark(2, 2) && !m.is_dark(7, 7));
        let dark =
            (0..21).flat_map(|r| (0..21).map(move |c| (r, c))).filter(|&(r, c)| m.is_dark(r, c));
        let from_runs: usize = m.dark_runs().iter().map(|r| r.2).sum();
        assert_eq!(dark.count(), from_runs);
    }

    #[test]
    fn oversized_payload_is_an_error() {
        assert!(matches!(QrMatrix::encode(&[b'x'; 5000]), Err(PdfError::Qr(_))));
        // 2331 bytes is the byte-mode capacity of version 40 at level M.
        assert_eq!(QrMatrix::encode_byte_mode(&[0xA5; 2331]).unwrap().version(), 40);
        assert!(matches!(QrMatrix::encode_byte_mode(&[0xA5; 2332]), Err(PdfError::Qr(_))));
    }

    #[test]
    fn byte_mode_uses_the_smallest_version() {
        // Byte-mode capacities at level M (ISO/IEC 18004, table 7): version 1 holds 14
        // bytes, version 9 holds 180, version 10 (16-bit length) 213.
        for (len, version) in [(0, 1), (14, 1), (15, 2), (180, 9), (181, 10), (213, 10)] {
            let m = QrMatrix::encode_byte_mode(&vec![0x80; len]).unwrap();
            assert_eq!(m.version(), version, "{len} bytes");
            assert_eq!(m.width(), 17 + 4 * version);
        }
    }

    #[test]
    fn from_modules_checks_the_shape() {
        let m = QrMatrix::encode(b"x").unwrap();
        let dark: Vec<bool> = (0..21 * 21).map(|i| m.is_dark(i / 21, i % 21)).collect();
        assert_eq!(QrMatrix::from_modules(21, dark.clone()).unwrap(), m);
        assert_eq!(m.version(), 1);
        for width in [0, 17, 20, 22, 23, 24, 178, 181] {
            let r = QrMatrix::from_modules(width, vec![false; width * width]);
            assert!(matches!(r, Err(PdfError::Qr(_))), "width {width}");
        }
        assert!(matches!(QrMatrix::from_modules(21, dark[1..].to_vec()), Err(PdfError::Qr(_))));
        assert!(matches!(QrMatrix::from_modules(25, dark), Err(PdfError::Qr(_))));
        assert_eq!(QrMatrix::from_modules(177, vec![true; 177 * 177]).unwrap().version(), 40);
    }
}
