//! QR codes as a module matrix (from the `qrcode` crate) for vector drawing.

use crate::PdfError;

/// Width of the quiet zone around a QR code, in modules (the standard asks for 4).
pub const QUIET_ZONE: usize = 4;

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
    }
}
