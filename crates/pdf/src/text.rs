//! Mixed-script text: splitting into font runs, shaping, measuring and word wrapping.
//!
//! Each character is drawn by the first embedded family whose character map covers it:
//! Devanagari characters prefer Noto Sans Devanagari, everything else prefers Noto Sans.
//! Neutral characters (spaces, digits, ASCII punctuation, joiners) stay in the run they
//! are in when that font covers them, so `"केंद्र / Centre"` becomes two runs, not four.

use std::cell::RefCell;
use std::collections::HashMap;

use krilla::text::{GlyphId, KrillaGlyph};

use crate::fonts::{Family, FontSet};

/// A maximal piece of text drawn with one font family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRun {
    /// The family that draws this run.
    pub family: Family,
    /// The text of the run.
    pub text: String,
}

/// A run shaped at a given size, ready for `krilla::surface::Surface::draw_glyphs`.
#[derive(Debug, Clone)]
pub struct ShapedRun {
    /// The family that draws this run.
    pub family: Family,
    /// The text of the run (glyph text ranges index into it).
    pub text: String,
    /// The glyphs, with advances and offsets normalised to ems.
    pub glyphs: Vec<KrillaGlyph>,
    /// The advance width of the whole run, in points.
    pub width: f32,
}

/// Whether `c` is in one of the Devanagari Unicode blocks.
pub fn is_devanagari(c: char) -> bool {
    matches!(c as u32, 0x0900..=0x097F | 0xA8E0..=0xA8FF | 0x1CD0..=0x1CFF)
}

/// Whether `c` has no script of its own and should join the run around it.
fn is_neutral(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_digit()
        || c.is_ascii_punctuation()
        || matches!(c as u32, 0x200B..=0x200D | 0x2010..=0x2027 | 0x00A0..=0x00BF)
}

/// Whether `c` is a combining mark that must stay with the character before it.
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F)
}

fn preferred(c: char) -> Family {
    if is_devanagari(c) { Family::Devanagari } else { Family::Latin }
}

fn covered(fonts: &FontSet, want: Family, c: char) -> Family {
    if fonts.covers(want, c) || !fonts.covers(want.other(), c) { want } else { want.other() }
}

/// Splits `text` into runs of one font family each, choosing per character by font coverage.
pub fn split_runs(fonts: &FontSet, text: &str) -> Vec<TextRun> {
    let chars: Vec<char> = text.chars().collect();
    // The family of the next character that has a script of its own, for leading neutrals.
    let mut next_strong: Vec<Option<Family>> = vec![None; chars.len()];
    let mut upcoming = None;
    for (i, &c) in chars.iter().enumerate().rev() {
        next_strong[i] = upcoming;
        if !is_neutral(c) && !is_combining(c) {
            upcoming = Some(covered(fonts, preferred(c), c));
        }
    }
    let mut runs: Vec<TextRun> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let current = runs.last().map(|r| r.family);
        let family = if is_combining(c) {
            current.unwrap_or(Family::Latin)
        } else if is_neutral(c) {
            let want = current.or(next_strong[i]).unwrap_or(Family::Latin);
            covered(fonts, want, c)
        } else {
            covered(fonts, preferred(c), c)
        };
        match runs.last_mut() {
            Some(run) if run.family == family => run.text.push(c),
            _ => runs.push(TextRun { family, text: c.to_string() }),
        }
    }
    runs
}

/// Shapes one run at `size` points in the given weight.
pub fn shape_run(fonts: &FontSet, run: &TextRun, bold: bool, size: f32) -> ShapedRun {
    let font = fonts.font(run.family, bold);
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(&run.text);
    // Direction and script must match the cached plan (digits and punctuation alone would
    // otherwise be guessed as script "Common").
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    buffer.set_script(run.family.script());
    let output = rustybuzz::shape_with_plan(&font.face, &font.plan, buffer);
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let upem = font.units_per_em;
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut advance = 0_i64;
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        let end = infos[i + 1..]
            .iter()
            .find(|next| next.cluster != info.cluster)
            .map_or(run.text.len(), |next| next.cluster as usize);
        advance += i64::from(pos.x_advance);
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(info.glyph_id),
            pos.x_advance as f32 / upem,
            pos.x_offset as f32 / upem,
            pos.y_offset as f32 / upem,
            pos.y_advance as f32 / upem,
            start..end,
            None,
        ));
    }
    ShapedRun {
        family: run.family,
        text: run.text.clone(),
        glyphs,
        width: advance as f32 / upem * size,
    }
}

/// Splits and shapes a whole line of text.
pub fn shape_line(fonts: &FontSet, text: &str, bold: bool, size: f32) -> Vec<ShapedRun> {
    split_runs(fonts, text).iter().map(|run| shape_run(fonts, run, bold, size)).collect()
}

/// Most strings whose widths [`measure`] remembers per thread before it starts over.
const WIDTH_CACHE_LIMIT: usize = 4096;

thread_local! {
    /// Widths in ems of recently measured strings, regular and bold. Layout measures the same
    /// labels and words many times (wrapping, alignment, table rows), and shaping dominates
    /// the cost of laying out a page.
    static WIDTHS: RefCell<[HashMap<String, f32>; 2]> = RefCell::default();
}

/// The advance width of `text` on one line, in points.
pub fn measure(fonts: &FontSet, text: &str, bold: bool, size: f32) -> f32 {
    let cached = WIDTHS.with_borrow(|maps| maps[usize::from(bold)].get(text).copied());
    let em = cached.unwrap_or_else(|| {
        let em: f32 = shape_line(fonts, text, bold, 1.0).iter().map(|r| r.width).sum();
        WIDTHS.with_borrow_mut(|maps| {
            let map = &mut maps[usize::from(bold)];
            if map.len() >= WIDTH_CACHE_LIMIT {
                map.clear();
            }
            map.insert(text.to_owned(), em);
        });
        em
    });
    em * size
}

/// Whether a line may not break before `c` (a Devanagari vowel sign, nukta, virama or mark).
fn is_dependent(c: char) -> bool {
    is_combining(c)
        || matches!(c as u32,
            0x0900..=0x0903 | 0x093A..=0x093C | 0x093E..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
            | 0xA8E0..=0xA8F1 | 0xA8FF | 0x200C..=0x200D)
}

/// Splits a word into pieces that can be broken between: grapheme-like clusters where a
/// consonant joined by a virama (conjunct) stays with the consonant that follows it.
fn clusters(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in word.char_indices() {
        let glued = is_dependent(c) || matches!(prev, Some('\u{094D}' | '\u{200C}' | '\u{200D}'));
        if i > 0 && !glued {
            out.push(&word[start..i]);
            start = i;
        }
        prev = Some(c);
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

/// How [`Wrapper::paragraph`] measures a candidate line.
#[derive(Clone, Copy)]
enum Measuring {
    /// Adds up separately measured words and spaces (linear in the text length).
    Sum,
    /// Shapes every candidate line in full (quadratic, but exact).
    Exact,
}

/// The settings of one [`wrap`] call.
struct Wrapper<'f> {
    fonts: &'f FontSet,
    bold: bool,
    size: f32,
    max_width: f32,
    space: f32,
}

impl Wrapper<'_> {
    fn width(&self, s: &str) -> f32 {
        measure(self.fonts, s, self.bold, self.size)
    }

    /// Greedy line breaking of one paragraph (no `\n`) into `lines`.
    fn paragraph(&self, paragraph: &str, how: Measuring, lines: &mut Vec<String>) {
        let max_width = self.max_width;
        let mut line = String::new();
        let mut line_width = 0.0_f32;
        let mut pushed_any = false;
        for word in paragraph.split_whitespace() {
            let word_width = self.width(word);
            if line.is_empty() && word_width <= max_width {
                line.push_str(word);
                line_width = word_width;
                continue;
            }
            if !line.is_empty() {
                let joined = match how {
                    Measuring::Sum => line_width + self.space + word_width,
                    Measuring::Exact => self.width(&format!("{line} {word}")),
                };
                if joined <= max_width {
                    line.push(' ');
                    line.push_str(word);
                    line_width = joined;
                    continue;
                }
                lines.push(std::mem::take(&mut line));
                pushed_any = true;
                if word_width <= max_width {
                    line.push_str(word);
                    line_width = word_width;
                    continue;
                }
            }
            // The word alone is wider than a line: break it between clusters, measuring exactly.
            for cluster in clusters(word) {
                let candidate = format!("{line}{cluster}");
                let candidate_width = self.width(&candidate);
                if line.is_empty() || candidate_width <= max_width {
                    line = candidate;
                    line_width = candidate_width;
                } else {
                    lines.push(std::mem::replace(&mut line, cluster.to_owned()));
                    pushed_any = true;
                    line_width = self.width(cluster);
                }
            }
        }
        if !line.is_empty() || !pushed_any {
            lines.push(line);
        }
    }
}

/// Breaks `text` into lines no wider than `max_width` points.
///
/// Lines break at whitespace; `\n` forces a break. A word wider than a whole line is
/// broken between clusters (never inside a Devanagari syllable). Every returned line
/// fits, except a single cluster that is wider than `max_width` on its own.
///
/// Each paragraph is first wrapped by adding up word widths (fast); if shaping a finished
/// line as a whole shows that it does not fit after all, that paragraph is wrapped again
/// by shaping every candidate line.
pub fn wrap(fonts: &FontSet, text: &str, bold: bool, size: f32, max_width: f32) -> Vec<String> {
    let wrapper = Wrapper { fonts, bold, size, max_width, space: measure(fonts, " ", bold, size) };
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let start = lines.len();
        wrapper.paragraph(paragraph, Measuring::Sum, &mut lines);
        let fits = lines[start..]
            .iter()
            .all(|line| wrapper.width(line) <= max_width || clusters(line).len() <= 1);
        if !fits {
            lines.truncate(start);
            wrapper.paragraph(paragraph, Measuring::Exact, &mut lines);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static FontSet {
        FontSet::get().unwrap()
    }

    fn runs(text: &str) -> Vec<(Family, String)> {
        split_runs(fonts(), text).into_iter().map(|r| (r.family, r.text)).collect()
    }

    #[test]
    fn bilingual_label_is_two_runs() {
        assert_eq!(
            runs("केंद्र / Centre"),
            vec![(Family::Devanagari, "केंद्र / ".to_owned()), (Family::Latin, "Centre".to_owned())]
        );
    }

    #[test]
    fn leading_neutrals_join_the_following_script() {
        assert_eq!(
            runs("4-अंकों का code"),
            vec![(Family::Devanagari, "4-अंकों का ".to_owned()), (Family::Latin, "code".to_owned())]
        );
        assert_eq!(runs("12345"), vec![(Family::Latin, "12345".to_owned())]);
        assert!(runs("").is_empty());
    }

    #[test]
    fn rupee_sign_and_digits_use_noto_sans() {
        assert_eq!(runs("₹ 780"), vec![(Family::Latin, "₹ 780".to_owned())]);
        // After Hindi text the rupee sign still comes from a font that has it.
        let r = runs("शुल्क ₹ 780");
        let rupee_run = r.iter().find(|(_, t)| t.contains('₹')).unwrap();
        assert!(fonts().covers(rupee_run.0, '₹'));
    }

    #[test]
    fn devanagari_marks_stay_in_their_run() {
        let r = runs("Ms प्रियंका द्विवेदी");
        assert_eq!(
            r,
            vec![
                (Family::Latin, "Ms ".to_owned()),
                (Family::Devanagari, "प्रियंका द्विवेदी".to_owned())
            ]
        );
        // Danda is Devanagari.
        assert_eq!(runs("लाएँ।").len(), 1);
    }

    #[test]
    fn shaping_forms_conjuncts_and_reorders_i_matra() {
        let run =
            TextRun { family: Family::Devanagari, text: "क्षत्रिय".to_owned() };
        let shaped = shape_run(fonts(), &run, false, 10.0);
        // 8 code points become fewer glyphs: क्ष and त्र are ligatures.
        assert!(shaped.glyphs.len() < run.text.chars().count(), "{:?}", shaped.glyphs);
        assert!(shaped.width > 0.0);
        // Every glyph maps to a non-empty, in-bounds range of the run text.
        for g in &shaped.glyphs {
            assert!(g.text_range.start < g.text_range.end && g.text_range.end <= run.text.len());
        }
        // Text ranges are monotonic (clusters in logical order).
        assert!(shaped.glyphs.windows(2).all(|w| w[0].text_range.start <= w[1].text_range.start));
    }

    #[test]
    fn measure_scales_with_size_and_bold_is_wider() {
        let f = fonts();
        let a = measure(f, "Vaccination टीकाकरण", false, 10.0);
        let b = measure(f, "Vaccination टीकाकरण", false, 20.0);
        assert!((b - 2.0 * a).abs() < 0.01, "{a} {b}");
        assert!(measure(f, "Vaccination", true, 10.0) > measure(f, "Vaccination", false, 10.0));
        assert_eq!(measure(f, "", false, 10.0), 0.0);
    }

    #[test]
    fn wrap_keeps_words_and_fits_width() {
        let f = fonts();
        let text = "सुश्री प्रियंका द्विवेदी क्षत्रिय / Ms Priyanka Dwivedi Kshatriya of Varanasi";
        let max = 90.0;
        let lines = wrap(f, text, false, 10.0, max);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(measure(f, line, false, 10.0) <= max, "{line:?} too wide");
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(lines.join(" ").split_whitespace().collect::<Vec<_>>(), words);
    }

    #[test]
    fn wrap_short_text_and_newlines() {
        let f = fonts();
        assert_eq!(wrap(f, "Free", false, 10.0, 100.0), vec!["Free"]);
        assert_eq!(wrap(f, "a\nb", false, 10.0, 100.0), vec!["a", "b"]);
        assert_eq!(wrap(f, "", false, 10.0, 100.0), vec![""]);
    }

    #[test]
    fn wrap_breaks_overlong_words_between_clusters() {
        let f = fonts();
        let word = "स्वास्थ्यकल्याणमंत्रालयप्रमाणपत्रक्षत्रियद्विवेदी";
        let lines = wrap(f, word, false, 10.0, 40.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert_eq!(lines.concat(), word);
        for line in &lines {
            let first = line.chars().next().unwrap();
            assert!(!is_dependent(first), "line {line:?} starts with a dependent sign");
            assert!(
                !lines.iter().any(|l| l.ends_with('\u{094D}')),
                "virama at line end: {lines:?}"
            );
            assert!(measure(f, line, false, 10.0) <= 40.0);
        }
        let latin = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let lines = wrap(f, latin, false, 10.0, 50.0);
        assert_eq!(lines.concat(), latin);
        assert!(lines.iter().all(|l| measure(f, l, false, 10.0) <= 50.0));
    }

    #[test]
    fn clusters_keep_conjuncts_together() {
        assert_eq!(clusters("क्षत्रिय"), vec!["क्ष", "त्रि", "य"]);
        assert_eq!(clusters("प्रियंका"), vec!["प्रि", "यं", "का"]);
        assert_eq!(clusters("ab"), vec!["a", "b"]);
    }

    #[test]
    fn split_runs_handles_joiners_digits_and_punctuation() {
        // ZWJ/ZWNJ stay inside the Devanagari run (they select half forms).
        assert_eq!(runs("क्\u{200D}ष"), vec![(Family::Devanagari, "क्\u{200D}ष".to_owned())]);
        // Devanagari digits and danda are Devanagari; ASCII digits follow their neighbours.
        assert_eq!(runs("१२३।"), vec![(Family::Devanagari, "१२३।".to_owned())]);
        assert_eq!(
            runs("PHC (प्राथमिक) 2"),
            vec![
                (Family::Latin, "PHC (".to_owned()),
                (Family::Devanagari, "प्राथमिक) 2".to_owned())
            ]
        );
        // Script changes inside a word still split.
        assert_eq!(
            runs("ABCकखग"),
            vec![(Family::Latin, "ABC".to_owned()), (Family::Devanagari, "कखग".to_owned())]
        );
        // The runs always add up to the input.
        for text in ["Ms प्रियंका द्विवेदी, 4-अंकों का code ₹ 780।", " ", "  x  ", "₹"]
        {
            let joined: String = runs(text).into_iter().map(|(_, t)| t).collect();
            assert_eq!(joined, text);
        }
    }

    #[test]
    fn split_runs_falls_back_to_a_font_that_has_the_character() {
        // Characters neither font has stay in the preferred family (and draw as .notdef).
        let r = runs("தமிழ்");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, Family::Latin);
        // Whatever family is picked covers the character if either font does.
        for c in ['A', 'क', '₹', '।', '–', '“', '·', '0'] {
            let family = runs(&c.to_string())[0].0;
            assert!(fonts().covers(family, c), "{c:?} drawn with {family:?}");
        }
    }

    #[test]
    fn shaping_a_run_of_only_digits_uses_the_cached_plan() {
        // Digits alone would be guessed as script "Common"; the run still shapes with its plan.
        let run = TextRun { family: Family::Devanagari, text: "2026".to_owned() };
        let shaped = shape_run(fonts(), &run, false, 10.0);
        assert_eq!(shaped.glyphs.len(), 4);
        assert!(shaped.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0));
    }

    #[test]
    fn fast_wrap_matches_exact_wrap() {
        let f = fonts();
        let texts = [
            "सुश्री प्रियंका द्विवेदी क्षत्रिय / Ms Priyanka Dwivedi Kshatriya of Varanasi",
            "Plot 17, Sector 4, Behind the Old Railway Goods Shed, Near the Water Tank",
            "पंजीकरण में उपयोग किया गया फ़ोटो पहचान पत्र साथ लाएँ। टीकाकर्मी को अपना 4-अंकों का सुरक्षा कोड बताएँ।",
            "AVAVAV To. Ty, W. Wa. ‘quoted’ – LT TY",
        ];
        for bold in [false, true] {
            for text in texts {
                for max in [40.0, 73.5, 120.0, 200.0, 333.0] {
                    let w = Wrapper {
                        fonts: f,
                        bold,
                        size: 9.5,
                        max_width: max,
                        space: measure(f, " ", bold, 9.5),
                    };
                    let mut exact = Vec::new();
                    w.paragraph(text, Measuring::Exact, &mut exact);
                    assert_eq!(wrap(f, text, bold, 9.5, max), exact, "{text:?} at {max}");
                }
            }
        }
    }

    #[test]
    fn wrap_collapses_whitespace_and_keeps_blank_lines() {
        let f = fonts();
        assert_eq!(wrap(f, "  a \t b  ", false, 10.0, 100.0), vec!["a b"]);
        assert_eq!(wrap(f, "a\n\nb", false, 10.0, 100.0), vec!["a", "", "b"]);
        assert_eq!(wrap(f, "a\r\nb", false, 10.0, 100.0), vec!["a", "b"]);
        // A cluster wider than the line is returned alone rather than looping or panicking.
        assert_eq!(wrap(f, "क्षत्रि", false, 40.0, 5.0), vec!["क्ष", "त्रि"]);
        assert_eq!(wrap(f, "W", false, 10.0, 0.0), vec!["W"]);
    }

    #[test]
    fn measure_is_cached_per_weight() {
        let f = fonts();
        let regular = measure(f, "टीकाकरण Vaccination", false, 10.0);
        let bold = measure(f, "टीकाकरण Vaccination", true, 10.0);
        assert!(bold > regular);
        assert_eq!(measure(f, "टीकाकरण Vaccination", false, 10.0), regular);
        let shaped: f32 =
            shape_line(f, "टीकाकरण Vaccination", true, 10.0).iter().map(|r| r.width).sum();
        assert!((shaped - bold).abs() < 1e-3);
    }
}
