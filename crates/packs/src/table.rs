//! A thin layer over the `csv` crate: columns looked up by header name, fields parsed with errors
//! that name the file, row and column.

use std::fmt::Display;
use std::io::Read;
use std::str::FromStr;

use crate::error::PackLoadError;

/// A column resolved from the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    index: usize,
    name: &'static str,
}

/// A CSV file being read row by row, reusing one record buffer.
pub(crate) struct Table<R> {
    file: &'static str,
    reader: csv::Reader<R>,
    headers: csv::StringRecord,
    record: csv::StringRecord,
}

impl<'a> Table<&'a [u8]> {
    /// A table over text held in memory.
    pub(crate) fn from_text(file: &'static str, text: &'a str) -> Result<Self, PackLoadError> {
        Table::new(file, text.as_bytes())
    }
}

impl<R: Read> Table<R> {
    /// A table over any reader; reads the header row.
    pub(crate) fn new(file: &'static str, input: R) -> Result<Self, PackLoadError> {
        // Fields are trimmed as they are read: cheaper than the reader's own trimming, which copies each record.
        let mut reader = csv::ReaderBuilder::new().from_reader(input);
        let headers =
            reader.headers().map_err(|source| PackLoadError::Csv { file, source })?.clone();
        Ok(Self { file, reader, headers, record: csv::StringRecord::new() })
    }

    /// A column that must be present.
    pub(crate) fn col(&self, name: &'static str) -> Result<Col, PackLoadError> {
        self.optional_col(name)
            .ok_or(PackLoadError::MissingColumn { file: self.file, column: name })
    }

    /// A column that may be absent.
    pub(crate) fn optional_col(&self, name: &'static str) -> Option<Col> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .map(|index| Col { index, name })
    }

    /// The next data row, or `None` at the end of the file.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row<'_>>, PackLoadError> {
        let file = self.file;
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|source| PackLoadError::Csv { file, source })?;
        if !more {
            return Ok(None);
        }
        let row = self.record.position().map_or(0, csv::Position::line);
        Ok(Some(Row { file, row, record: &self.record }))
    }
}

/// One data row.
pub(crate) struct Row<'a> {
    file: &'static str,
    row: u64,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    /// An error about one field of this row.
    pub(crate) fn error(&self, col: Col, message: impl Into<String>) -> PackLoadError {
        PackLoadError::Field {
            file: self.file,
            row: self.row,
            field: col.name,
            message: message.into(),
        }
    }

    /// The field's text, trimmed; empty when the row is short.
    pub(crate) fn text(&self, col: Col) -> &str {
        self.record.get(col.index).unwrap_or("").trim()
    }

    /// A field that must not be empty.
    pub(crate) fn required_text(&self, col: Col) -> Result<&str, PackLoadError> {
        let s = self.text(col);
        if s.is_empty() { Err(self.error(col, "missing value")) } else { Ok(s) }
    }

    /// A required field parsed with `FromStr`.
    pub(crate) fn parse<T>(&self, col: Col) -> Result<T, PackLoadError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let s = self.required_text(col)?;
        s.parse().map_err(|e| self.error(col, format!("{e} (value {s:?})")))
    }

    /// An optional field parsed with `FromStr`; empty means `None`.
    pub(crate) fn parse_opt<T>(&self, col: Col) -> Result<Option<T>, PackLoadError>
    where
        T: FromStr,
        T::Err: Display,
    {
        if self.text(col).is_empty() { Ok(None) } else { self.parse(col).map(Some) }
    }

    /// A required positive integer id.
    pub(crate) fn id(&self, col: Col) -> Result<i64, PackLoadError> {
        let n: i64 = self.parse(col)?;
        if n > 0 {
            Ok(n)
        } else {
            Err(self.error(col, format!("must be a positive integer (value {n})")))
        }
    }

    /// An optional coordinate within `-limit..=limit`.
    pub(crate) fn coordinate_opt(
        &self,
        col: Col,
        limit: f64,
    ) -> Result<Option<f64>, PackLoadError> {
        match self.parse_opt::<f64>(col)? {
            Some(v) if !(v.is_finite() && (-limit..=limit).contains(&v)) => {
                Err(self.error(col, format!("out of range -{limit}..={limit} (value {v})")))
            }
            v => Ok(v),
        }
    }

    /// A required coordinate within `-limit..=limit`.
    pub(crate) fn coordinate(&self, col: Col, limit: f64) -> Result<f64, PackLoadError> {
        self.coordinate_opt(col, limit)?.ok_or_else(|| self.error(col, "missing value"))
    }
}
