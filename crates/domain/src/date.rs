//! CoWIN's dates: `DD-MM-YYYY` out, and leniently in (`8-6-2021`, `8-6-21`).

use chrono::{Datelike, NaiveDate};

/// Why a string is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid date, expected DD-MM-YYYY")]
pub struct DateError;

/// Parses `DD-MM-YYYY` leniently: one-digit day and month, two-digit years (20xx), `/` or `.`
/// as separators, and ISO `YYYY-MM-DD` too.
pub fn parse_cowin_date(s: &str) -> Result<NaiveDate, DateError> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return Err(DateError) };
    let num = |p: &str| -> Result<i32, DateError> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|x| x.is_ascii_digit()) {
            return Err(DateError);
        }
        p.parse::<i32>().map_err(|_| DateError)
    };
    let (y, m, d) =
        if a.len() == 4 { (num(a)?, num(b)?, num(c)?) } else { (num(c)?, num(b)?, num(a)?) };
    let year = match (if a.len() == 4 { a.len() } else { c.len() }, y) {
        (2, y) => 2000 + y,
        (4, y) => y,
        _ => return Err(DateError),
    };
    let month = u32::try_from(m).map_err(|_| DateError)?;
    let day = u32::try_from(d).map_err(|_| DateError)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError)
}

/// Formats a date the CoWIN way: `31-05-2021`.
pub fn format_cowin_date(d: NaiveDate) -> String {
    format!("{:02}-{:02}-{:04}", d.day(), d.month(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Option<(i32, u32, u32)>) {
        let got = parse_cowin_date(input).ok();
        let want = expected.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(got, want, "{input}");
    }

    #[test]
    fn parses_the_forms_real_clients_send() {
        check("31-05-2021", Some((2021, 5, 31)));
        check("8-6-2021", Some((2021, 6, 8)));
        check("8-6-21", Some((2021, 6, 8)));
        check("08/06/2021", Some((2021, 6, 8)));
        check("2021-06-08", Some((2021, 6, 8)));
        check("31-02-2021", None);
        check("tomorrow", None);
        check("1-2", None);
        check("", None);
        check("+1-2-2021", None);
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(days in 0i64..40_000) {
            let d = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assert_eq!(parse_cowin_date(&format_cowin_date(d)), Ok(d));
        }
    }
}
