//! Helpers shared by the PDF tests: running poppler-utils on a rendered PDF.
//!
//! Each test file uses some of them.
#![allow(dead_code, reason = "each test crate uses a different part")]

use std::path::PathBuf;
use std::process::Command;

/// Runs a poppler-utils tool and returns its standard output; fails the test if the tool
/// is missing or exits with an error.
pub(crate) fn poppler(tool: &str, args: &[&str]) -> String {
    let output = match Command::new(tool).args(args).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` was not found: install poppler-utils \
             (`apt-get update && apt-get install -y poppler-utils`) to run the PDF tests"
        ),
        Err(e) => panic!("could not run `{tool}`: {e}"),
    };
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A word on a page, as `pdftotext -bbox` finds it: its text and box in points, with the
/// origin at the top-left corner of the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) x_min: f32,
    pub(crate) y_min: f32,
    pub(crate) x_max: f32,
    pub(crate) y_max: f32,
}

/// The value of attribute `name` in an XML start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Undoes the XML escapes `pdftotext -bbox` writes.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A PDF written to a temporary directory, for the command-line tools.
pub(crate) struct PdfFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl PdfFile {
    pub(crate) fn new(pdf: &[u8]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("document.pdf");
        std::fs::write(&path, pdf).unwrap();
        Self { dir, path }
    }

    pub(crate) fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// The text of the whole document, in reading order.
    pub(crate) fn text(&self) -> String {
        poppler("pdftotext", &["-enc", "UTF-8", self.path(), "-"])
    }

    /// The text of every page, in page order, as `pdftotext -layout` lays it out.
    pub(crate) fn page_texts(&self) -> Vec<String> {
        let text = poppler("pdftotext", &["-layout", "-enc", "UTF-8", self.path(), "-"]);
        let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
        // pdftotext ends every page with a form feed, the last one too.
        if pages.last().is_some_and(|p| p.trim().is_empty()) {
            pages.pop();
        }
        pages
    }

    /// The words of every page with their boxes, from `pdftotext -bbox`, in page order.
    pub(crate) fn words(&self) -> Vec<Vec<Word>> {
        let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8", self.path(), "-"]);
        let mut pages = Vec::new();
        for page in html.split("<page ").skip(1) {
            let mut words = Vec::new();
            for chunk in page.split("<word ").skip(1) {
                let (tag, rest) = chunk.split_once('>').unwrap();
                let text = rest.split_once("</word>").unwrap().0;
                let number = |name: &str| -> f32 {
                    attribute(&format!(" {tag}"), name).unwrap().parse().unwrap()
                };
                words.push(Word {
                    text: unescape(text),
                    x_min: number("xMin"),
                    y_min: number("yMin"),
                    x_max: number("xMax"),
                    y_max: number("yMax"),
                });
            }
            pages.push(words);
        }
        pages
    }

    /// The page count, from `pdfinfo`.
    pub(crate) fn pages(&self) -> usize {
        let info = poppler("pdfinfo", &[self.path()]);
        let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
        line["Pages:".len()..].trim().parse().unwrap()
    }

    /// Renders page 1 at `dpi` and returns the PNG's path.
    pub(crate) fn page_png(&self, dpi: u32) -> PathBuf {
        let prefix = self.dir.path().join("page");
        let dpi = dpi.to_string();
        let prefix_str = prefix.to_str().unwrap();
        poppler(
            "pdftoppm",
            &["-r", &dpi, "-png", "-f", "1", "-l", "1", "-singlefile", self.path(), prefix_str],
        );
        prefix.with_extension("png")
    }

    /// Checks with `pdffonts` that the four Noto fonts are embedded as tagged subsets with a
    /// `ToUnicode` map, and that no font is left to the viewer.
    pub(crate) fn assert_fonts_embedded(&self) {
        let listing = poppler("pdffonts", &[self.path()]);
        for family in [
            "NotoSans-Regular",
            "NotoSans-Bold",
            "NotoSansDevanagari-Regular",
            "NotoSansDevanagari-Bold",
        ] {
            let row = listing
                .lines()
                .find(|l| {
                    l.split_whitespace()
                        .next()
                        .is_some_and(|name| name.ends_with(&format!("+{family}")))
                })
                .unwrap_or_else(|| panic!("no subset of {family} in\n{listing}"));
            let fields: Vec<&str> = row.split_whitespace().collect();
            let tag = fields[0].split('+').next().unwrap();
            assert!(tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()), "{row}");
            // name, type..., encoding, emb, sub, uni, object id, generation.
            let n = fields.len();
            assert_eq!(
                &fields[n - 5..n - 2],
                ["yes", "yes", "yes"],
                "not embedded subset with ToUnicode: {row}"
            );
        }
        for row in listing.lines().skip(2) {
            assert_eq!(row.split_whitespace().rev().nth(4), Some("yes"), "not embedded: {row}");
        }
    }
}
