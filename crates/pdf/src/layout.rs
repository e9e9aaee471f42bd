//! Page layout into a display list: text lines, rectangles, rules and QR codes.
//!
//! Coordinates are PDF points with the origin at the top-left corner of the page and
//! `y` growing downwards (as krilla uses them). [`Flow`] places blocks one under the
//! other and starts a new page when a block does not fit.

use crate::fonts::FontSet;
use crate::qr::QrMatrix;
use crate::text::{measure, wrap};

/// Width of an A4 page in points.
pub const A4_WIDTH: f32 = 595.276;
/// Height of an A4 page in points.
pub const A4_HEIGHT: f32 = 841.89;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// White.
    pub const WHITE: Rgb = Rgb(255, 255, 255);
}

/// The colours shared by Tika's documents.
pub mod theme {
    use super::Rgb;

    /// Titles, labels and rules.
    pub const ACCENT: Rgb = Rgb(16, 63, 125);
    /// Background of a label column.
    pub const LABEL_FILL: Rgb = Rgb(236, 241, 248);
    /// Background of a table header.
    pub const HEADER_FILL: Rgb = Rgb(218, 228, 242);
    /// Secondary text: captions, footers.
    pub const GREY: Rgb = Rgb(85, 85, 85);
}

/// Horizontal alignment of text inside its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// Size, weight and colour of text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Font size in points.
    pub size: f32,
    /// Whether to use the bold fonts.
    pub bold: bool,
    /// Text colour.
    pub color: Rgb,
}

impl TextStyle {
    /// Regular black text of the given size.
    pub fn regular(size: f32) -> Self {
        Self { size, bold: false, color: Rgb::BLACK }
    }

    /// Bold black text of the given size.
    pub fn bold(size: f32) -> Self {
        Self { size, bold: true, color: Rgb::BLACK }
    }

    /// The same style in another colour.
    pub fn with_color(self, color: Rgb) -> Self {
        Self { color, ..self }
    }
}

/// One drawing operation on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A single line of (possibly mixed-script) text with its baseline starting at `(x, y)`.
    Text {
        /// Left edge of the text.
        x: f32,
        /// Baseline.
        y: f32,
        /// The text, drawn without wrapping.
        text: String,
        /// Size, weight and colour.
        style: TextStyle,
    },
    /// A rectangle, filled and/or stroked.
    Rect {
        /// Left edge.
        x: f32,
        /// Top edge.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill colour, if filled.
        fill: Option<Rgb>,
        /// Stroke colour and line width, if stroked.
        stroke: Option<(Rgb, f32)>,
    },
    /// A straight line.
    Line {
        /// Start x.
        x1: f32,
        /// Start y.
        y1: f32,
        /// End x.
        x2: f32,
        /// End y.
        y2: f32,
        /// Colour.
        color: Rgb,
        /// Line width.
        width: f32,
    },
    /// A QR code drawn as vector squares, including its 4-module quiet zone.
    Qr {
        /// Left edge of the quiet zone.
        x: f32,
        /// Top edge of the quiet zone.
        y: f32,
        /// Side length including the quiet zone.
        size: f32,
        /// The modules.
        matrix: QrMatrix,
    },
}

/// The drawing operations of one page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Operations in painting order.
    pub ops: Vec<Op>,
}

/// Baseline of a line whose box starts at `top`, for text of `size` points.
pub fn baseline(fonts: &FontSet, top: f32, size: f32) -> f32 {
    top + fonts.ascent() * size
}

/// Lays out wrapped text in a box of `width` starting at `(x, top)`; returns the ops and the height used.
pub fn text_block(
    fonts: &FontSet,
    x: f32,
    top: f32,
    width: f32,
    text: &str,
    style: TextStyle,
    align: Align,
) -> (Vec<Op>, f32) {
    let lines = wrap(fonts, text, style.bold, style.size, width);
    lines_block(fonts, x, top, width, &lines, style, align)
}

/// Lays out already wrapped `lines` in a box of `width` starting at `(x, top)`; returns the
/// ops and the height used (one line height per line, empty lines included).
pub fn lines_block(
    fonts: &FontSet,
    x: f32,
    top: f32,
    width: f32,
    lines: &[String],
    style: TextStyle,
    align: Align,
) -> (Vec<Op>, f32) {
    let lh = fonts.line_height(style.size);
    let mut ops = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let dx = match align {
            Align::Left => 0.0,
            Align::Center => (width - measure(fonts, line, style.bold, style.size)) / 2.0,
            Align::Right => width - measure(fonts, line, style.bold, style.size),
        };
        let y = baseline(fonts, top + i as f32 * lh, style.size);
        ops.push(Op::Text { x: x + dx.max(0.0), y, text: line.clone(), style });
    }
    (ops, lines.len() as f32 * lh)
}

/// Lays out `left` flush left and `right` flush right in a box of `width` at `(x, top)`;
/// returns the ops and the height used.
///
/// `right` keeps its natural width (up to half the box) and `left` wraps in what is left,
/// less a gap of one em, so the two never overlap.
pub fn left_right_line(
    fonts: &FontSet,
    x: f32,
    top: f32,
    width: f32,
    left: &str,
    right: &str,
    style: TextStyle,
) -> (Vec<Op>, f32) {
    // A hair of slack so that rounding never wraps the measured text.
    let right_width = (measure(fonts, right, style.bold, style.size) + 0.5).min(width / 2.0);
    let left_width = width - right_width - style.size;
    let (mut ops, h1) = text_block(fonts, x, top, left_width, left, style, Align::Left);
    let (block, h2) =
        text_block(fonts, x + width - right_width, top, right_width, right, style, Align::Right);
    ops.extend(block);
    (ops, h1.max(h2))
}

/// One cell of a table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The text, wrapped to the column width.
    pub text: String,
    /// Size, weight and colour.
    pub style: TextStyle,
    /// Horizontal alignment.
    pub align: Align,
    /// Background colour, if any.
    pub fill: Option<Rgb>,
}

impl Cell {
    /// A left-aligned cell without background.
    pub fn new(text: impl Into<String>, style: TextStyle) -> Self {
        Self { text: text.into(), style, align: Align::Left, fill: None }
    }

    /// The same cell with another alignment.
    pub fn align(self, align: Align) -> Self {
        Self { align, ..self }
    }

    /// The same cell with a background colour.
    pub fn fill(self, fill: Rgb) -> Self {
        Self { fill: Some(fill), ..self }
    }
}

/// Borders and padding of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableStyle {
    /// Space between a cell's border and its text, in points.
    pub padding: f32,
    /// Border colour.
    pub border: Rgb,
    /// Border width in points (0 for no border).
    pub border_width: f32,
}

impl Default for TableStyle {
    fn default() -> Self {
        Self { padding: 4.0, border: Rgb(170, 170, 170), border_width: 0.5 }
    }
}

/// Wraps every cell of a row to its column (the column width less the padding on both sides).
///
/// Extra cells beyond `widths` are ignored.
pub fn wrap_cells(
    fonts: &FontSet,
    widths: &[f32],
    cells: &[Cell],
    style: &TableStyle,
) -> Vec<Vec<String>> {
    cells
        .iter()
        .zip(widths)
        .map(|(cell, w)| {
            let inner = (w - 2.0 * style.padding).max(1.0);
            wrap(fonts, &cell.text, cell.style.bold, cell.style.size, inner)
        })
        .collect()
}

/// Height of a row whose cells hold `lines`: the tallest cell plus the padding.
pub fn row_height(
    fonts: &FontSet,
    cells: &[Cell],
    lines: &[Vec<String>],
    style: &TableStyle,
) -> f32 {
    cells
        .iter()
        .zip(lines)
        .map(|(cell, l)| l.len() as f32 * fonts.line_height(cell.style.size))
        .fold(0.0_f32, f32::max)
        + 2.0 * style.padding
}

/// Lays out one table row at `(x, top)` with the given column widths; returns the ops and the row height.
///
/// Cells are wrapped to their column and centred vertically; the row is as tall as its
/// tallest cell. Extra cells beyond `widths` are ignored.
pub fn table_row(
    fonts: &FontSet,
    x: f32,
    top: f32,
    widths: &[f32],
    cells: &[Cell],
    style: &TableStyle,
) -> (Vec<Op>, f32) {
    let lines = wrap_cells(fonts, widths, cells, style);
    row_from_lines(fonts, x, top, widths, cells, &lines, style)
}

/// Lays out a table row whose cells are already wrapped into `lines` (see [`wrap_cells`]).
pub fn row_from_lines(
    fonts: &FontSet,
    x: f32,
    top: f32,
    widths: &[f32],
    cells: &[Cell],
    lines: &[Vec<String>],
    style: &TableStyle,
) -> (Vec<Op>, f32) {
    let pad = style.padding;
    let height = row_height(fonts, cells, lines, style);
    let stroke = (style.border_width > 0.0).then_some((style.border, style.border_width));
    let mut ops = Vec::new();
    let mut cx = x;
    for ((cell, w), cell_lines) in cells.iter().zip(widths).zip(lines) {
        if cell.fill.is_some() || stroke.is_some() {
            ops.push(Op::Rect { x: cx, y: top, w: *w, h: height, fill: cell.fill, stroke });
        }
        let inner = (w - 2.0 * pad).max(1.0);
        let (block, h) = lines_block(fonts, 0.0, 0.0, inner, cell_lines, cell.style, cell.align);
        let dy = top + pad + (height - 2.0 * pad - h) / 2.0;
        for op in block {
            if let Op::Text { x, y, text, style } = op {
                ops.push(Op::Text { x: x + cx + pad, y: y + dy, text, style });
            }
        }
        cx += w;
    }
    (ops, height)
}

/// Places blocks top to bottom over as many pages as needed.
pub struct Flow<'f> {
    fonts: &'f FontSet,
    pages: Vec<Page>,
    current: Page,
    /// Top of the next block.
    pub y: f32,
    /// Left edge of the content area.
    pub left: f32,
    /// Width of the content area.
    pub width: f32,
    top: f32,
    bottom: f32,
}

impl<'f> Flow<'f> {
    /// A flow whose content area spans `left..left + width` and `top..bottom` on every page.
    pub fn new(fonts: &'f FontSet, left: f32, width: f32, top: f32, bottom: f32) -> Self {
        Self {
            fonts,
            pages: Vec::new(),
            current: Page::default(),
            y: top,
            left,
            width,
            top,
            bottom,
        }
    }

    /// The fonts used for measuring.
    pub fn fonts(&self) -> &'f FontSet {
        self.fonts
    }

    /// Index of the current page, starting at 0.
    pub fn page_index(&self) -> usize {
        self.pages.len()
    }

    /// Space left on the current page below `y`.
    pub fn room(&self) -> f32 {
        self.bottom - self.y
    }

    /// Height of the content area of a whole page.
    pub fn page_height(&self) -> f32 {
        self.bottom - self.top
    }

    /// Ends the current page; the next block goes to the top of a new one.
    pub fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.current));
        self.y = self.top;
    }

    /// Starts a new page if a block of `height` does not fit below `y`; returns whether it did.
    ///
    /// A block taller than a whole page is placed at the top of a fresh page and overflows.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y + height <= self.bottom || self.y <= self.top {
            return false;
        }
        self.new_page();
        true
    }

    /// Adds ops to the current page without moving `y`.
    pub fn push(&mut self, ops: impl IntoIterator<Item = Op>) {
        self.current.ops.extend(ops);
    }

    /// Moves down by `height` points.
    pub fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// Adds a wrapped paragraph over the full width, breaking pages between lines.
    pub fn paragraph(&mut self, text: &str, style: TextStyle, align: Align) {
        let lh = self.fonts.line_height(style.size);
        for line in wrap(self.fonts, text, style.bold, style.size, self.width) {
            self.ensure(lh);
            let line = [line];
            let (ops, h) =
                lines_block(self.fonts, self.left, self.y, self.width, &line, style, align);
            self.push(ops);
            self.y += h;
        }
    }

    /// Adds a horizontal rule over the full width.
    pub fn rule(&mut self, color: Rgb, width: f32) {
        let (x1, x2, y) = (self.left, self.left + self.width, self.y);
        self.push([Op::Line { x1, y1: y, x2, y2: y, color, width }]);
    }

    /// Adds a table row at `x` (which may differ from `left`), breaking the page first if
    /// it does not fit; returns whether a new page was started.
    pub fn row(&mut self, x: f32, widths: &[f32], cells: &[Cell], style: &TableStyle) -> bool {
        self.table_row(x, widths, None, cells, style)
    }

    /// Adds a table row at `x`; returns whether a new page was started.
    ///
    /// A row that does not fit below `y` goes to a new page, which starts with `header` (a
    /// row repeated at the top of every page of the table) if given. A row taller than a
    /// whole page is split between lines over as many pages as it needs.
    pub fn table_row(
        &mut self,
        x: f32,
        widths: &[f32],
        header: Option<&[Cell]>,
        cells: &[Cell],
        style: &TableStyle,
    ) -> bool {
        let fonts = self.fonts;
        let header_lines = header.map(|h| (h, wrap_cells(fonts, widths, h, style)));
        let header_height =
            header_lines.as_ref().map_or(0.0, |(h, l)| row_height(fonts, h, l, style));
        let mut rest = wrap_cells(fonts, widths, cells, style);
        let mut broke = false;
        // y just below the header of a fresh page: nothing is gained by breaking there.
        let mut fresh_y = None;
        loop {
            let height = row_height(fonts, cells, &rest, style);
            let at_fresh_top = fresh_y.is_some_and(|y| self.y <= y) || self.y <= self.top;
            // How many lines of each cell fit in what is left of this page.
            let room = self.room() - 2.0 * style.padding;
            let fitting: Vec<usize> = cells
                .iter()
                .zip(&rest)
                .map(|(cell, lines)| {
                    let n = (room / fonts.line_height(cell.style.size)).floor();
                    if n >= 1.0 { (n as usize).min(lines.len()) } else { 0 }
                })
                .collect();
            let nothing_fits = fitting.iter().all(|n| *n == 0);
            if self.y + height <= self.bottom || (at_fresh_top && nothing_fits) {
                // It fits, or the page is too short for even one line: draw it whole.
                let (ops, h) = row_from_lines(fonts, x, self.y, widths, cells, &rest, style);
                self.push(ops);
                self.y += h;
                return broke;
            }
            if height > self.page_height() - header_height || at_fresh_top {
                // Too tall for any page: fill this one with as many lines as fit.
                let head: Vec<Vec<String>> = rest
                    .iter_mut()
                    .zip(&fitting)
                    .map(|(lines, n)| lines.drain(..*n).collect())
                    .collect();
                if !nothing_fits {
                    let (ops, h) = row_from_lines(fonts, x, self.y, widths, cells, &head, style);
                    self.push(ops);
                    self.y += h;
                }
                if rest.iter().all(Vec::is_empty) {
                    return broke;
                }
            }
            self.new_page();
            broke = true;
            if let Some((h, l)) = &header_lines {
                let (ops, height) = row_from_lines(fonts, x, self.y, widths, h, l, style);
                self.push(ops);
                self.y += height;
            }
            fresh_y = Some(self.y);
        }
    }

    /// Height the start of a table needs on one page: its header and its first row, or a
    /// third of a page of that row (a taller row is split over pages anyway).
    pub fn table_start_height(
        &self,
        widths: &[f32],
        header: &[Cell],
        first: Option<&[Cell]>,
        style: &TableStyle,
    ) -> f32 {
        let fonts = self.fonts;
        let height = |cells: &[Cell]| {
            row_height(fonts, cells, &wrap_cells(fonts, widths, cells, style), style)
        };
        height(header) + first.map_or(0.0, |row| height(row).min(self.page_height() / 3.0))
    }

    /// Adds a table at `x`: `header`, then `rows`, with the header repeated at the top of
    /// every page the table continues on. The header is kept with the start of the first
    /// row (see [`Flow::table_start_height`]).
    pub fn table(
        &mut self,
        x: f32,
        widths: &[f32],
        header: &[Cell],
        rows: impl IntoIterator<Item = Vec<Cell>>,
        style: &TableStyle,
    ) {
        let mut rows = rows.into_iter().peekable();
        self.ensure(self.table_start_height(widths, header, rows.peek().map(Vec::as_slice), style));
        self.table_row(x, widths, None, header, style);
        for cells in rows {
            self.table_row(x, widths, Some(header), &cells, style);
        }
    }

    /// Ends the flow and returns its pages (at least one).
    pub fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.current);
        self.pages
    }
}

/// Styles of a two-column label/value table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelValueStyle {
    /// Style of the label column.
    pub label: TextStyle,
    /// Style of the value column.
    pub value: TextStyle,
    /// Background of the label column.
    pub label_fill: Rgb,
    /// Borders and padding.
    pub table: TableStyle,
}

/// Lays out a two-column label/value table at `(x, top)`; returns the ops and its height.
pub fn label_value_table(
    fonts: &FontSet,
    x: f32,
    top: f32,
    widths: [f32; 2],
    rows: &[(String, String)],
    style: &LabelValueStyle,
) -> (Vec<Op>, f32) {
    let mut ops = Vec::new();
    let mut y = top;
    for (l, v) in rows {
        let cells = [
            Cell::new(l.clone(), style.label).fill(style.label_fill),
            Cell::new(v.clone(), style.value),
        ];
        let (row, h) = table_row(fonts, x, y, &widths, &cells, &style.table);
        ops.extend(row);
        y += h;
    }
    (ops, y - top)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static FontSet {
        FontSet::get().unwrap()
    }

    #[test]
    fn text_block_wraps_and_aligns() {
        let (ops, h) = text_block(
            fonts(),
            10.0,
            20.0,
            60.0,
            "Vaccination Appointment Slip",
            TextStyle::regular(10.0),
            Align::Right,
        );
        assert!(ops.len() >= 2);
        assert!((h - ops.len() as f32 * fonts().line_height(10.0)).abs() < 0.01);
        for op in &ops {
            let Op::Text { x, text, .. } = op else { panic!("{op:?}") };
            let w = measure(fonts(), text, false, 10.0);
            assert!((x + w - 70.0).abs() < 0.01, "right edge {}", x + w);
        }
    }

    #[test]
    fn table_row_height_is_tallest_cell() {
        let style = TableStyle::default();
        let cells = [
            Cell::new("one", TextStyle::regular(10.0)),
            Cell::new("सुश्री प्रियंका द्विवेदी क्षत्रिय", TextStyle::regular(10.0)),
        ];
        let (ops, h) = table_row(fonts(), 0.0, 0.0, &[100.0, 60.0], &cells, &style);
        let lh = fonts().line_height(10.0);
        assert!(h > 2.0 * lh + 2.0 * style.padding - 0.01, "{h}");
        let rects = ops.iter().filter(|o| matches!(o, Op::Rect { .. })).count();
        assert_eq!(rects, 2);
    }

    #[test]
    fn flow_breaks_pages() {
        let mut flow = Flow::new(fonts(), 40.0, 100.0, 40.0, 100.0);
        for _ in 0..10 {
            flow.paragraph("line", TextStyle::regular(10.0), Align::Left);
        }
        let pages = flow.finish();
        assert!(pages.len() >= 3, "{}", pages.len());
        assert!(pages.iter().all(|p| !p.ops.is_empty()));
    }

    fn row_texts(ops: &[Op]) -> Vec<&str> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn flow_table_row_repeats_the_header_on_new_pages() {
        let style = TableStyle::default();
        let header = [Cell::new("Head", TextStyle::bold(10.0))];
        let mut flow = Flow::new(fonts(), 40.0, 200.0, 40.0, 200.0);
        flow.table_row(40.0, &[200.0], None, &header, &style);
        let mut broke = 0;
        for i in 0..20 {
            let cells = [Cell::new(format!("row {i}"), TextStyle::regular(10.0))];
            broke += usize::from(flow.table_row(40.0, &[200.0], Some(&header), &cells, &style));
        }
        let pages = flow.finish();
        assert_eq!(pages.len(), broke + 1);
        assert!(pages.len() >= 3);
        let mut rows = Vec::new();
        for page in &pages {
            let texts = row_texts(&page.ops);
            assert_eq!(texts[0], "Head");
            rows.extend(texts[1..].iter().map(|t| t.to_string()));
            for op in &page.ops {
                if let Op::Rect { y, h, .. } = op {
                    assert!(y + h <= 200.0 + 0.01, "row below the bottom: {op:?}");
                }
            }
        }
        assert_eq!(rows, (0..20).map(|i| format!("row {i}")).collect::<Vec<_>>());
    }

    #[test]
    fn flow_table_row_splits_a_row_taller_than_a_page() {
        let style = TableStyle::default();
        let text: String = (0..40).map(|i| format!("word{i} ")).collect();
        let cells = [
            Cell::new(text.clone(), TextStyle::regular(10.0)),
            Cell::new("side", TextStyle::bold(10.0)),
        ];
        let widths = [60.0, 60.0];
        let expected = wrap(fonts(), &text, false, 10.0, 60.0 - 2.0 * style.padding);
        let mut flow = Flow::new(fonts(), 0.0, 120.0, 0.0, 150.0);
        flow.space(100.0);
        assert!(flow.table_row(0.0, &widths, None, &cells, &style));
        let pages = flow.finish();
        assert!(pages.len() >= 3, "{}", pages.len());
        // The first page is used from y = 100 on, not left empty.
        assert!(!pages[0].ops.is_empty());
        let mut lines = Vec::new();
        for page in &pages {
            for op in &page.ops {
                match op {
                    Op::Rect { y, h, .. } => assert!(y + h <= 150.0 + 0.01, "{op:?}"),
                    Op::Text { text, .. } if text != "side" => lines.push(text.clone()),
                    _ => {}
                }
            }
        }
        assert_eq!(lines, expected);
        let sides = pages.iter().flat_map(|p| row_texts(&p.ops)).filter(|t| *t == "side").count();
        assert_eq!(sides, 1);
    }

    #[test]
    fn flow_table_row_draws_what_cannot_be_split() {
        // A page too short for even one line must still terminate and keep the text.
        let style = TableStyle::default();
        let cells = [Cell::new("one two three", TextStyle::regular(10.0))];
        let mut flow = Flow::new(fonts(), 0.0, 30.0, 0.0, 5.0);
        flow.table_row(0.0, &[30.0], None, &cells, &style);
        let pages = flow.finish();
        assert_eq!(pages.len(), 1);
        assert_eq!(row_texts(&pages[0].ops).concat(), "onetwothree");
    }
}
