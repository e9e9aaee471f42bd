//! The lucky draw's rules: the canonical entry list, its SHA-256, and the deterministic
//! choice of winners from the list and a public random seed.
//!
//! The draw is auditable because it *commits* before it *chooses*: the entry list (the card
//! numbers — beneficiary reference ids — of everyone vaccinated in the district and period)
//! is stored and its hash published first; the seed (a lottery result, a drand round) is only
//! known later; the winners are a pure function of the two, so anyone can recompute them
//! with `tika draw verify` or `scripts/draw-verify.py` (which must agree with [`winners`]).
//!
//! # The recipe
//!
//! 1. The entry list is the reference ids, sorted (byte order), without duplicates, each on
//!    its own line ending in `\n` (no other bytes).  `H` = lowercase hex SHA-256 of that text.
//! 2. For `i` = 0, 1, … while fewer than `k` winners and entries remain: `h` = SHA-256 of the
//!    UTF-8 text `H + ":" + seed + ":" + i` (`i` in decimal); `j` = the first 8 bytes of `h`
//!    as a big-endian unsigned integer, modulo the number of entries remaining; the winner is
//!    the `j`-th remaining entry (from 0, in list order), which is removed from the list.
//!
//! The seed is used exactly as published (the server trims surrounding whitespace when it is
//! entered).  The modulo bias of a 64-bit number over a list of millions is below 10⁻¹².

use sha2::{Digest, Sha256};

/// The most winners a draw may have.
pub const MAX_WINNERS: u32 = 1000;
/// The longest period a draw may cover (days, both ends included).
pub const MAX_PERIOD_DAYS: i64 = 366;
/// The longest seed (characters).
pub const MAX_SEED_CHARS: usize = 500;
/// The longest seed source (characters).
pub const MAX_SOURCE_CHARS: usize = 300;

/// Lowercase hex of bytes.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The canonical entry list: the ids sorted, without duplicates, one a line, each line ending
/// in `\n`.  Empty ids are dropped.
pub fn entries_text<S: AsRef<str>>(ids: &[S]) -> String {
    let mut sorted: Vec<&str> =
        ids.iter().map(|s| s.as_ref().trim()).filter(|s| !s.is_empty()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut text = String::with_capacity(sorted.iter().map(|s| s.len() + 1).sum());
    for id in sorted {
        text.push_str(id);
        text.push('\n');
    }
    text
}

/// Why an entry list file is not in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntriesError {
    /// The text does not end with a newline (and is not empty).
    #[error("the entry list must end with a newline")]
    NoFinalNewline,
    /// A line is empty or has spaces, tabs or a carriage return.
    #[error("line {line}: an entry must be one id without spaces")]
    BadLine {
        /// Line number (from 1).
        line: usize,
    },
    /// The ids are not sorted or repeat.
    #[error("line {line}: the entries must be sorted and distinct")]
    NotSorted {
        /// Line number (from 1).
        line: usize,
    },
}

/// The entries of a canonical entry list text (as published), checked to be canonical so that
/// its hash is the one a draw committed to.
pub fn parse_entries(text: &str) -> Result<Vec<&str>, EntriesError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let body = text.strip_suffix('\n').ok_or(EntriesError::NoFinalNewline)?;
    let mut out: Vec<&str> = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        if line.is_empty() || line.chars().any(char::is_whitespace) {
            return Err(EntriesError::BadLine { line: i + 1 });
        }
        if out.last().is_some_and(|prev| *prev >= line) {
            return Err(EntriesError::NotSorted { line: i + 1 });
        }
        out.push(line);
    }
    Ok(out)
}

/// The index chosen at step `i` among `remaining` entries.
fn pick(entries_sha256: &str, seed: &str, i: usize, remaining: usize) -> usize {
    let h = Sha256::digest(format!("{entries_sha256}:{seed}:{i}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    let n = u64::from_be_bytes(first);
    // `remaining` fits in u64, and the remainder is below it, so it fits back in usize.
    usize::try_from(n % remaining as u64).unwrap_or(0)
}

/// The winners, in the order drawn: at most `k`, fewer when the list is shorter.
/// `entries` must be the list in canonical order and `entries_sha256` its hash.
pub fn winners<S: AsRef<str>>(
    entries: &[S],
    entries_sha256: &str,
    seed: &str,
    k: usize,
) -> Vec<String> {
    let mut pool: Vec<&str> = entries.iter().map(AsRef::as_ref).collect();
    let mut out = Vec::with_capacity(k.min(pool.len()));
    let mut i = 0;
    while out.len() < k && !pool.is_empty() {
        let j = pick(entries_sha256, seed, i, pool.len());
        out.push(pool.remove(j).to_owned());
        i += 1;
    }
    out
}

/// Recomputes a draw from its published entry list text: `(hash, winners)`.
pub fn recompute(text: &str, seed: &str, k: usize) -> Result<(String, Vec<String>), EntriesError> {
    let entries = parse_entries(text)?;
    let hash = sha256_hex(text.as_bytes());
    let won = winners(&entries, &hash, seed, k);
    Ok((hash, won))
}

/// A seed as entered: trimmed, 1 to [`MAX_SEED_CHARS`] characters, no control characters.
pub fn check_seed(raw: &str) -> Result<String, String> {
    let seed = raw.trim();
    if seed.is_empty() {
        return Err("is required".into());
    }
    if seed.chars().count() > MAX_SEED_CHARS {
        return Err(format!("must be at most {MAX_SEED_CHARS} characters"));
    }
    if seed.chars().any(char::is_control) {
        return Err("must be one line of text".into());
    }
    Ok(seed.to_owned())
}

/// Where the seed comes from, as entered (a URL or a description): trimmed, 3 to
/// [`MAX_SOURCE_CHARS`] characters, one line.
pub fn check_source(raw: &str) -> Result<String, String> {
    let source = raw.trim();
    if source.chars().count() < 3 {
        return Err("must say where the seed was published (3 characters or more)".into());
    }
    if source.chars().count() > MAX_SOURCE_CHARS {
        return Err(format!("must be at most {MAX_SOURCE_CHARS} characters"));
    }
    if source.chars().any(char::is_control) {
        return Err("must be one line of text".into());
    }
    Ok(source.to_owned())
}

/// A draw's period and number of winners, checked.
pub type DrawTerms = (chrono::NaiveDate, chrono::NaiveDate, u32);

/// Problems with a draw's terms, as `(field, message)`.
pub type TermProblems = Vec<(&'static str, String)>;

/// Checks a draw's period and number of winners; every problem as `(field, message)`.
pub fn check_draw(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    winners: Option<u32>,
) -> Result<DrawTerms, TermProblems> {
    let mut errors = Vec::new();
    if from.is_none() {
        errors.push(("from", "is required (YYYY-MM-DD)".to_owned()));
    }
    if to.is_none() {
        errors.push(("to", "is required (YYYY-MM-DD)".to_owned()));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(("to", "must not be before from".to_owned()));
        } else if (t - f).num_days() + 1 > MAX_PERIOD_DAYS {
            errors.push(("to", format!("the period may cover at most {MAX_PERIOD_DAYS} days")));
        }
    }
    match winners {
        None => errors.push(("winners", "is required".to_owned())),
        Some(k) if k == 0 || k > MAX_WINNERS => {
            errors.push(("winners", format!("must be 1 to {MAX_WINNERS}")));
        }
        Some(_) => {}
    }
    match (from, to, winners) {
        (Some(f), Some(t), Some(k)) if errors.is_empty() => Ok((f, t, k)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_sorted_distinct_and_newline_terminated() {
        let text = entries_text(&["30000000000002", "10000000000001", " 30000000000002 ", ""]);
        assert_eq!(text, "10000000000001\n30000000000002\n");
        assert_eq!(parse_entries(&text).unwrap(), vec!["10000000000001", "30000000000002"]);
        assert_eq!(entries_text::<&str>(&[]), "");
        assert_eq!(parse_entries("").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn non_canonical_lists_are_refused() {
        assert_eq!(parse_entries("a\nb"), Err(EntriesError::NoFinalNewline));
        assert_eq!(parse_entries("b\na\n"), Err(EntriesError::NotSorted { line: 2 }));
        assert_eq!(parse_entries("a\na\n"), Err(EntriesError::NotSorted { line: 2 }));
        assert_eq!(parse_entries("a\n\nb\n"), Err(EntriesError::BadLine { line: 2 }));
        assert_eq!(parse_entries("a\r\nb\n"), Err(EntriesError::BadLine { line: 1 }));
    }

    #[test]
    fn hash_is_sha256_of_the_text() {
        // SHA-256("abc"), the FIPS 180-2 example.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fixed_vector() {
        // The same vector is checked against scripts/draw-verify.py by the CLI's test.
        let ids: Vec<String> =
            (1..=10).map(|n| format!("{:014}", 10_000_000_000_000u64 + n)).collect();
        let text = entries_text(&ids);
        let (hash, won) = recompute(&text, "drand 1234: abcdef", 3).unwrap();
        assert_eq!(hash, "4c1dcfed2346a3fb6d1cacadb7a65f6a83908ef4e94f2b4d0f92f469958292bf");
        assert_eq!(won.len(), 3);
        assert_eq!(won, FIXED_WINNERS);
        // Deterministic, distinct, and all from the list.
        assert_eq!(recompute(&text, "drand 1234: abcdef", 3).unwrap().1, won);
        for w in &won {
            assert!(ids.contains(w));
        }
        let mut d = won.clone();
        d.dedup();
        assert_eq!(d.len(), 3);
        // Another seed, another draw.
        assert_ne!(recompute(&text, "drand 1235: abcdef", 3).unwrap().1, won);
    }

    /// Winners of the fixed vector (10 ids 10000000000001..10000000000010, seed
    /// `drand 1234: abcdef`, 3 winners).
    const FIXED_WINNERS: [&str; 3] = ["10000000000003", "10000000000007", "10000000000009"];

    #[test]
    fn more_winners_than_entries_takes_everyone() {
        let text = entries_text(&["a", "b", "c"]);
        let (_, won) = recompute(&text, "s", 10).unwrap();
        let mut sorted = won.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["a", "b", "c"]);
        assert!(recompute("", "s", 3).unwrap().1.is_empty());
    }

    #[test]
    fn draw_form_checks() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert!(check_draw(d("2026-01-01"), d("2026-01-31"), Some(5)).is_ok());
        let errs = check_draw(d("2026-02-01"), d("2026-01-31"), Some(0)).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), vec!["to", "winners"]);
        let errs = check_draw(None, None, None).unwrap_err();
        assert_eq!(errs.len(), 3);
        assert!(check_seed("  ").is_err());
        assert_eq!(check_seed(" 42 ").unwrap(), "42");
        assert!(check_source("x").is_err());
    }
}
