//! The embedded Noto fonts (SIL OFL 1.1, see `assets/fonts/README.md`) and their metrics.

use std::sync::OnceLock;

use crate::PdfError;

/// Noto Sans Regular (Latin, digits, `₹`).
pub const NOTO_SANS_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold.
pub const NOTO_SANS_BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf");
/// Noto Sans Devanagari Regular (Hindi).
pub const NOTO_SANS_DEVANAGARI_REGULAR: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansDevanagari-Regular.ttf");
/// Noto Sans Devanagari Bold.
pub const NOTO_SANS_DEVANAGARI_BOLD: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansDevanagari-Bold.ttf");

/// Which embedded font family draws a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Noto Sans: Latin script, digits, punctuation and symbols such as `₹`.
    Latin,
    /// Noto Sans Devanagari: Hindi and other Devanagari text.
    Devanagari,
}

impl Family {
    /// The script a run of this family is shaped as.
    pub fn script(self) -> rustybuzz::Script {
        match self {
            Family::Latin => rustybuzz::script::LATIN,
            Family::Devanagari => rustybuzz::script::DEVANAGARI,
        }
    }

    /// The other family, used as the fallback when a font lacks a character.
    pub fn other(self) -> Family {
        match self {
            Family::Latin => Family::Devanagari,
            Family::Devanagari => Family::Latin,
        }
    }
}

/// One embedded font, ready both for shaping (rustybuzz) and for writing into a PDF (krilla).
pub struct LoadedFont {
    /// The font as krilla embeds it.
    pub pdf: krilla::text::Font,
    /// The same font parsed for shaping and measuring.
    pub face: rustybuzz::Face<'static>,
    /// The rustybuzz shaping plan for left-to-right text in the family's script, built once
    /// because building a plan costs far more than shaping a short line.
    pub plan: rustybuzz::ShapePlan,
    /// Font units per em, as `f32`.
    pub units_per_em: f32,
}

impl LoadedFont {
    fn load(name: &'static str, data: &'static [u8], family: Family) -> Result<Self, PdfError> {
        let face = rustybuzz::Face::from_slice(data, 0).ok_or(PdfError::Font(name))?;
        let pdf = krilla::text::Font::new(data.into(), 0).ok_or(PdfError::Font(name))?;
        let units_per_em = face.units_per_em() as f32;
        if units_per_em <= 0.0 {
            return Err(PdfError::Font(name));
        }
        let plan = rustybuzz::ShapePlan::new(
            &face,
            rustybuzz::Direction::LeftToRight,
            Some(family.script()),
            None,
            &[],
        );
        Ok(Self { pdf, face, plan, units_per_em })
    }

    /// The advance width of glyph `id` in the font's horizontal metrics, in ems.
    pub fn advance(&self, id: u16) -> f32 {
        self.face.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(id)).map_or(0.0, f32::from)
            / self.units_per_em
    }

    /// Whether this font's character map has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some_and(|g| g.0 != 0)
    }
}

/// The four embedded fonts, parsed once per process.
pub struct FontSet {
    latin: LoadedFont,
    latin_bold: LoadedFont,
    deva: LoadedFont,
    deva_bold: LoadedFont,
    ascent: f32,
    descent: f32,
}

static FONTS: OnceLock<Result<FontSet, PdfError>> = OnceLock::new();

impl FontSet {
    /// The shared font set, parsed on first use.
    pub fn get() -> Result<&'static FontSet, PdfError> {
        FONTS.get_or_init(FontSet::load).as_ref().map_err(Clone::clone)
    }

    fn load() -> Result<FontSet, PdfError> {
        use Family::{Devanagari, Latin};
        let latin = LoadedFont::load("NotoSans-Regular.ttf", NOTO_SANS_REGULAR, Latin)?;
        let latin_bold = LoadedFont::load("NotoSans-Bold.ttf", NOTO_SANS_BOLD, Latin)?;
        let deva = LoadedFont::load(
            "NotoSansDevanagari-Regular.ttf",
            NOTO_SANS_DEVANAGARI_REGULAR,
            Devanagari,
        )?;
        let deva_bold =
            LoadedFont::load("NotoSansDevanagari-Bold.ttf", NOTO_SANS_DEVANAGARI_BOLD, Devanagari)?;
        let (mut ascent, mut descent) = (0.0_f32, 0.0_f32);
        for f in [&latin, &latin_bold, &deva, &deva_bold] {
            ascent = ascent.max(f32::from(f.face.ascender()) / f.units_per_em);
            descent = descent.max(-f32::from(f.face.descender()) / f.units_per_em);
        }
        Ok(FontSet { latin, latin_bold, deva, deva_bold, ascent, descent })
    }

    /// The font of `family` in the given weight.
    pub fn font(&self, family: Family, bold: bool) -> &LoadedFont {
        match (family, bold) {
            (Family::Latin, false) => &self.latin,
            (Family::Latin, true) => &self.latin_bold,
            (Family::Devanagari, false) => &self.deva,
            (Family::Devanagari, true) => &self.deva_bold,
        }
    }

    /// Whether `family` (regular weight) has a glyph for `c`.
    pub fn covers(&self, family: Family, c: char) -> bool {
        self.font(family, false).covers(c)
    }

    /// The largest ascender of the four fonts, in ems.
    pub fn ascent(&self) -> f32 {
        self.ascent
    }

    /// The largest descender depth of the four fonts, in ems (positive).
    pub fn descent(&self) -> f32 {
        self.descent
    }

    /// Height of one line of text at `size` points: ascender plus descender of the tallest fonts.
    pub fn line_height(&self, size: f32) -> f32 {
        (self.ascent + self.descent) * size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_load_and_cover_their_scripts() {
        let fonts = FontSet::get().unwrap();
        assert!(fonts.covers(Family::Latin, 'A'));
        assert!(fonts.covers(Family::Devanagari, 'क'));
        assert!(!fonts.covers(Family::Latin, 'क'));
        assert!(fonts.covers(Family::Latin, '₹'), "Noto Sans should have the rupee sign");
        assert!(fonts.ascent() > 0.5 && fonts.descent() > 0.1);
        println!("ascent {} descent {}", fonts.ascent(), fonts.descent());
    }
}
