//! Writing laid-out [`Page`]s into PDF bytes with krilla.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::PdfError;
use crate::fonts::FontSet;
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
                let font = fonts.font(run.family, style.bold).pdf.clone();
                surface.draw_glyphs(
                    Point::from_xy(pen, *y),
                    &run.glyphs,
                    font,
                    &run.text,
                    style.size,
                    false,
                );
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

/// Draws `matrix` as vector squares in a `size` x `size` box at `(x, y)`, quiet zone included.
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
    let mut pb = PathBuilder::new();
    for (row, col, len) in matrix.dark_runs() {
        pb.push_rect(rect(
            x + origin + col as f32 * module,
            y + origin + row as f32 * module,
            len as f32 * module,
            module,
        )?);
    }
    surface.set_fill(Some(fill(Rgb::BLACK)));
    surface.draw_path(&finish_path(pb)?);
    Ok(())
}
