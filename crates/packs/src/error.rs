//! Why a country pack could not be loaded: every error names the file, and where it can, the row and field.

use std::fmt;

use tika_domain::country::PackError;

/// Why a country pack (or its site list) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PackLoadError {
    /// `pack.toml` is not valid TOML or does not have the expected shape.
    #[error("pack.toml: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value in `pack.toml` parsed as TOML but is not acceptable.
    #[error("pack.toml: {path}: {message}")]
    Config {
        /// Where the value is, e.g. `id_types[0] (id 1).pattern`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A CSV file could not be read at all (bad quoting, ragged rows, broken gzip, bad UTF-8).
    #[error("{file}: {source}")]
    Csv {
        /// The file.
        file: &'static str,
        /// The reader's error, with its position.
        #[source]
        source: csv::Error,
    },
    /// A CSV file lacks a required column.
    #[error("{file}: missing column {column:?} in the header")]
    MissingColumn {
        /// The file.
        file: &'static str,
        /// The missing column.
        column: &'static str,
    },
    /// One field of one CSV row is invalid.
    #[error("{file} row {row}: {field}: {message}")]
    Field {
        /// The file.
        file: &'static str,
        /// The row as a spreadsheet numbers it: the header is row 1 (equal to the line number).
        row: u64,
        /// The column.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Everything parsed, but the data is inconsistent; lists every problem found.
    #[error("the pack is inconsistent: {}", Problems(.0))]
    Invalid(Vec<PackError>),
}

/// How many problems `Invalid`'s message spells out before summarising the rest.
const SHOWN_PROBLEMS: usize = 10;

/// Formats a problem list as `a; b; c; and N more`.
struct Problems<'a>(&'a [PackError]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().take(SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        if self.0.len() > SHOWN_PROBLEMS {
            write!(f, "; and {} more", self.0.len() - SHOWN_PROBLEMS)?;
        }
        Ok(())
    }
}
