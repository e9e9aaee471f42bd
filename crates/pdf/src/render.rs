//! Writing laid-out [`Page`]s into PDF bytes with krilla.

use std::ops::Range;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke};
use krilla::surface::Surface;
use krilla::text::KrillaGlyph;

use crate::PdfError;
use crate::fonts::{FontSet, LoadedFont};
use crate::layout::{Op, Page, Rgb};
use crate::qr::{QUIET_ZONE, QrMatrix};
use crate::text::shape_line;

/// Document-level information written into the PDF.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocInfo {
    /// The document title shown by PDF viewers.
    pub title: String,
    /// The main language as a BCP 47 tag, for example `en-IN`.
    pub language: String,
}

fn paint(color: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(color.0, color.1, color.2).into()
}

fn fill(color: Rgb) -> Fill {
    Fill { paint: paint(color), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Result<Rect, PdfError> {
    Rect::from_xywh(x, y, w, h).ok_or_else(|| PdfError::Geometry(format!("rect {x},{y} {w}x{h}")))
}

fn finish_path(pb: PathBuilder) -> Result<Path, PdfError> {
    pb.finish().ok_or_else(|| PdfError::Geometry("empty path".to_owned()))
}

/// Renders `pages` of `width` x `height` points into a PDF.
pub fn to_pdf(
    pages: &[Page],
    width: f32,
    height: f32,
    info: &DocInfo,
) -> Result<Vec<u8>, PdfError> {
    let fonts = FontSet::get()?;
    let mut doc = Document::new();
    let mut metadata = Metadata::new().creator("Tika".to_owned());
    if !info.title.is_empty() {
        metadata = metadata.title(info.title.clone());
    }
    if !info.language.is_empty() {
        metadata = metadata.language(info.language.clone());
    }
    doc.set_metadata(metadata);
    for page in pages {
        let settings = PageSettings::from_wh(width, height)
            .ok_or_else(|| PdfError::Geometry(format!("page size {width}x{height}")))?;
        let mut pdf_page = doc.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for op in &page.ops {
            draw(&mut surface, fonts, op)?;
        }
        surface.finish();
        pdf_page.finish();
    }
    doc.finish().map_err(|e| PdfError::Serialize(e.to_string()))
}

fn draw(surface: &mut Surface<'_>, fonts: &FontSet, op: &Op) -> Result<(), PdfError> {
    match op {
        Op::Text { x, y, text, style } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(style.color)));
            let mut pen = *x;
            for run in shape_line(fonts, text, style.bold, style.size) {
                let font = fonts.font(run.family, style.bold);
                let (glyphs, marks) = split_detached_marks(&run.glyphs, font);
                surface.draw_glyphs(
                    Point::from_xy(pen, *y),
                    &glyphs,
                    font.pdf.clone(),
                    &run.text,
                    style.size,
                    false,
                );
                for (at, mark) in marks {
                    surface.draw_glyphs(
                        Point::from_xy(pen + at * style.size, *y),
                        std::slice::from_ref(&mark),
                        font.pdf.clone(),
                        &run.text,
                        style.size,
                        true,
                    );
                }
                pen += run.width;
            }
        }
        Op::Rect { x, y, w, h, fill: f, stroke } => {
            let mut pb = PathBuilder::new();
            pb.push_rect(rect(*x, *y, *w, *h)?);
            let path = finish_path(pb)?;
            surface.set_fill(f.map(fill));
            surface.set_stroke(stroke.map(|(color, width)| Stroke {
                paint: paint(color),
                width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Line { x1, y1, x2, y2, color, width } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            let path = finish_path(pb)?;
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: paint(*color),
                width: *width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Qr { x, y, size, matrix } => draw_qr(surface, *x, *y, *size, matrix)?,
    }
    Ok(())
}

/// How far (in ems) a mark may end left of the pen before text extraction sees a word gap.
/// poppler (`pdftotext`) starts a new word at a gap of 0.1 em.
const DETACHED_MARK_GAP: f32 = 0.05;

/// Splits shaped glyphs into those written as text and marks drawn as outlines instead.
///
/// A mark that is not the first glyph of its cluster, has no advance and is drawn left of
/// the pen (the `े`/`ै`/`ें` sign over `क`, for example) ends before the next glyph starts.
/// PDF text extractors measure glyph extents from the font widths and take that as a
/// space, turning `केंद्र` into `कें द्र`. The cluster's text stays with its first glyph
/// (krilla maps it through `ToUnicode` or `ActualText`), so drawing such marks as paths
/// keeps the look and makes the text extract whole. Returns the text glyphs and, for each
/// detached mark, its pen position in ems from the start of the run.
pub fn split_detached_marks(
    glyphs: &[KrillaGlyph],
    font: &LoadedFont,
) -> (Vec<KrillaGlyph>, Vec<(f32, KrillaGlyph)>) {
    let mut text = Vec::with_capacity(glyphs.len());
    let mut marks = Vec::new();
    let mut pen = 0.0_f32;
    let mut previous: Option<&Range<usize>> = None;
    for glyph in glyphs {
        let same_cluster = previous == Some(&glyph.text_range);
        let id = u16::try_from(glyph.glyph_id.to_u32()).unwrap_or(0);
        let end = glyph.x_offset + font.advance(id);
        if same_cluster && glyph.x_advance == 0.0 && end < -DETACHED_MARK_GAP {
            marks.push((pen, glyph.clone()));
        } else {
            text.push(glyph.clone());
        }
        pen += glyph.x_advance;
        previous = Some(&glyph.text_range);
    }
    (text, marks)
}

/// How much thicker than a module the lines of a QR code's rows are: adjacent rows overlap
/// by this much, so that anti-aliasing leaves no hairline seams between them. Two
/// hundredths of a module each way is far below what scanners notice.
const QR_ROW_OVERLAP: f32 = 0.04;

/// Draws `matrix` as vector squares in a `size` x `size` box at `(x, y)`, quiet zone included.
///
/// Each horizontal run of dark modules is a line one module thick with butt caps (a
/// rectangle), and each row of modules is one path in its own coordinate system, scaled to
/// modules with the row at `y = 0`. The content stream then holds two short integer
/// points per run (`12 0 m 15 0 l`) and repeats itself from row to row, which compresses
/// fast: a version 26 code (about 3,700 runs) costs about 3 ms to write and compress,
/// against 17 ms as rectangles in page coordinates.
pub fn draw_qr(
    surface: &mut Surface<'_>,
    x: f32,
    y: f32,
    size: f32,
    matrix: &QrMatrix,
) -> Result<(), PdfError> {
    let module = size / matrix.width_with_quiet_zone() as f32;
    let origin = QUIET_ZONE as f32 * module;
    surface.set_stroke(None);
    // White background so the code scans even on a tinted area.
    let mut pb = PathBuilder::new();
    pb.push_rect(rect(x, y, size, size)?);
    surface.set_fill(Some(fill(Rgb::WHITE)));
    surface.draw_path(&finish_path(pb)?);
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: paint(Rgb::BLACK),
        width: 1.0 + QR_ROW_OVERLAP,
        line_cap: LineCap::Butt,
        ..Stroke::default()
    }));
    let runs = matrix.dark_runs();
    for row in runs.chunk_by(|a, b| a.0 == b.0) {
        let mut pb = PathBuilder::new();
        for &(_, col, len) in row {
            pb.move_to(col as f32, 0.0);
            pb.line_to((col + len) as f32, 0.0);
        }
        let path = finish_path(pb)?;
        // Module units, with y = 0 through the middle of this row.
        let row_y = y + origin + (row[0].0 as f32 + 0.5) * module;
        surface.push_transform(&Transform::from_row(module, 0.0, 0.0, module, x + origin, row_y));
        surface.draw_path(&path);
        surface.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::Family;
    use crate::text::{TextRun, shape_run};

    fn split(text: &str) -> (Vec<KrillaGlyph>, Vec<(f32, KrillaGlyph)>, Vec<KrillaGlyph>) {
        let fonts = FontSet::get().unwrap();
        let run = TextRun { family: Family::Devanagari, text: text.to_owned() };
        let shaped = shape_run(fonts, &run, false, 10.0);
        let font = fonts.font(Family::Devanagari, false);
        let (glyphs, marks) = split_detached_marks(&shaped.glyphs, font);
        (glyphs, marks, shaped.glyphs)
    }

    #[test]
    fn vowel_sign_over_ka_is_detached_and_keeps_its_place() {
        let (glyphs, marks, all) = split("केंद्र");
        assert_eq!(marks.len(), 1, "{all:?}");
        assert_eq!(glyphs.len() + marks.len(), all.len());
        // The mark is drawn where it was: after क (pen = क's advance), with its offset.
        let (pen, mark) = &marks[0];
        assert!((pen - all[0].x_advance).abs() < 1e-6);
        assert!(mark.x_offset < 0.0 && mark.x_advance == 0.0);
        // Advances are unchanged, so the text glyphs still add up to the run width.
        let sum = |g: &[KrillaGlyph]| g.iter().map(|g| g.x_advance).sum::<f32>();
        assert!((sum(&glyphs) - sum(&all)).abs() < 1e-6);
        // क keeps the whole cluster's text.
        assert_eq!(glyphs[0].text_range, 0..9);
    }

    #[test]
    fn marks_without_a_gap_stay_text() {
        for word in ["प्रियंका", "द्विवेदी", "क्षत्रिय", "टीकाकरण", "ab"]
        {
            let (glyphs, marks, all) = split(word);
            assert!(marks.is_empty(), "{word}: {marks:?}");
            assert_eq!(glyphs.len(), all.len());
        }
    }
}
