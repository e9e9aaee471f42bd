//! `tika draw verify`: recomputes a lucky draw offline from its published entry list and seed,
//! printing the list's hash and the winners, exactly as `scripts/draw-verify.py` does (a test
//! runs both and compares their output).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use tika_domain::draw;

/// `tika draw`.
#[derive(Debug, Subcommand)]
pub(crate) enum DrawCommand {
    /// Recompute a draw: prints the entry list's SHA-256 (checked against --sha256 when
    /// given) and the winners in the order drawn.
    Verify {
        /// The published entry list (`/api/public/v1/draws/{id}/entries.txt`).
        #[arg(long)]
        entries: PathBuf,
        /// The public seed, exactly as published.
        #[arg(long)]
        seed: String,
        /// How many winners the draw has.
        #[arg(long)]
        winners: usize,
        /// The hash the draw published, to compare with.
        #[arg(long)]
        sha256: Option<String>,
    },
}

/// What `verify` prints for an entry list's bytes (the same lines as the Python script).
pub(crate) fn report(
    bytes: &[u8],
    seed: &str,
    winners: usize,
    sha256: Option<&str>,
) -> anyhow::Result<String> {
    let text = std::str::from_utf8(bytes).context("the entry list is not UTF-8 text")?;
    let (hash, won) = draw::recompute(text, seed, winners)?;
    let mut out = format!("entries: {}\nsha256: {hash}\n", draw::parse_entries(text)?.len());
    if let Some(expected) = sha256 {
        if expected.trim().to_ascii_lowercase() != hash {
            anyhow::bail!("the entry list's hash differs from the published one");
        }
        out.push_str("sha256 matches the published hash\n");
    }
    out.push_str("winners:\n");
    for (n, w) in won.iter().enumerate() {
        out.push_str(&format!("{}. {w}\n", n + 1));
    }
    Ok(out)
}

/// Runs `tika draw …`.
pub(crate) fn draw(command: DrawCommand) -> anyhow::Result<()> {
    match command {
        DrawCommand::Verify { entries, seed, winners, sha256 } => {
            let bytes = std::fs::read(&entries)
                .with_context(|| format!("cannot read {}", entries.display()))?;
            print!("{}", report(&bytes, &seed, winners, sha256.as_deref())?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/draw-verify.py")
    }

    /// Runs the Python script; python3 must be installed (it is on CI).
    fn python(args: &[&str]) -> (bool, String) {
        let out = Command::new("python3").arg(script()).args(args).output().unwrap_or_else(|e| {
            panic!(
                "python3 is needed to check scripts/draw-verify.py against the Rust draw \
                 (install python3): {e}"
            )
        });
        (out.status.success(), String::from_utf8(out.stdout).unwrap())
    }

    #[test]
    fn rust_and_python_draw_the_same_winners() {
        let dir = tempfile::tempdir().unwrap();
        let cases: Vec<(Vec<String>, &str, usize)> = vec![
            (
                (1..=10).map(|n| format!("{}", 10_000_000_000_000u64 + n)).collect(),
                "drand 1234: abcdef",
                3,
            ),
            (
                (0..2500).map(|n| format!("{:014}", 31_415_926_535_897u64 + n * 7919)).collect(),
                "Sikkim lottery 2026-12-04 №7: 58 31 09 “x”",
                25,
            ),
            (vec!["12345678901234".into()], "s", 5),
            (Vec::new(), "nobody", 3),
        ];
        for (ids, seed, k) in cases {
            let text = draw::entries_text(&ids);
            let path = dir.path().join("entries.txt");
            std::fs::write(&path, &text).unwrap();
            let hash = draw::sha256_hex(text.as_bytes());
            let rust = report(text.as_bytes(), seed, k, Some(&hash)).unwrap();
            let (ok, py) = python(&[
                "--entries",
                path.to_str().unwrap(),
                "--seed",
                seed,
                "--winners",
                &k.to_string(),
                "--sha256",
                &hash,
            ]);
            assert!(ok, "the script failed for seed {seed}");
            assert_eq!(rust, py, "seed {seed}");
            assert!(rust.contains("sha256 matches the published hash"));
            assert_eq!(rust.lines().filter(|l| l.contains(". ")).count(), k.min(ids.len()));
        }
    }

    #[test]
    fn the_fixed_vector_of_the_domain_is_what_python_prints() {
        let ids: Vec<String> = (1..=10).map(|n| format!("{}", 10_000_000_000_000u64 + n)).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entries.txt");
        std::fs::write(&path, draw::entries_text(&ids)).unwrap();
        let (ok, py) = python(&[
            "--entries",
            path.to_str().unwrap(),
            "--seed",
            "drand 1234: abcdef",
            "--winners",
            "3",
        ]);
        assert!(ok);
        assert!(
            py.ends_with("winners:\n1. 10000000000003\n2. 10000000000007\n3. 10000000000009\n"),
            "{py}"
        );
    }

    #[test]
    fn a_changed_list_or_hash_is_refused_by_both() {
        let text = "10000000000001\n10000000000002\n";
        let wrong = "0".repeat(64);
        assert!(report(text.as_bytes(), "s", 1, Some(&wrong)).is_err());
        assert!(report(b"b\na\n", "s", 1, None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entries.txt");
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        assert!(!python(&["--entries", p, "--seed", "s", "--winners", "1", "--sha256", &wrong]).0);
        std::fs::write(&path, "b\na\n").unwrap();
        assert!(!python(&["--entries", p, "--seed", "s", "--winners", "1"]).0);
    }
}
