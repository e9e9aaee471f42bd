//! The servers under test: `tika serve` processes started from this very binary, each with
//! its own data directory, all on one database, and what they cost (CPU time and peak
//! memory, read from `/proc`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How every server is started.
#[derive(Debug, Clone)]
pub(crate) struct ServerSettings {
    /// The database all servers share.
    pub(crate) database_url: String,
    /// `TIKA_SECRET_KEY`: shared, so a token minted by one is accepted by all (and by the
    /// setup, which mints the benchmark's tokens).
    pub(crate) secret: String,
    /// `TIKA_KEYS_DIR`: the certificate signing keys, shared.
    pub(crate) keys_dir: PathBuf,
    /// `TIKA_TEST_OTP`: the registration storm's clients must know the OTP.
    pub(crate) test_otp: String,
    /// `TIKA_READ_CONNECTIONS`.
    pub(crate) read_connections: u32,
    /// Where each server's data directory (SMS log, log file) is made.
    pub(crate) root: PathBuf,
}

struct Proc {
    child: Child,
    pid: u32,
    data_dir: PathBuf,
}

/// Running servers.
pub(crate) struct Fleet {
    procs: Vec<Proc>,
    /// Where each listens.
    pub(crate) addrs: Vec<SocketAddr>,
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// User plus system CPU time of a process, in ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3 of the man page, utime 14 and stime 15.
    let get = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    get(14) + get(15)
}

/// CPU ticks of every PostgreSQL process on the machine (the database's share of the work).
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_ticks)
        .sum()
}

/// A `VmHWM`-style line of `/proc/<pid>/status`, in KiB.
fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        })
        .unwrap_or(0)
}

/// CPU used between two readings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuMark {
    at: Instant,
    servers: u64,
    postgres: u64,
}

/// What the servers (and PostgreSQL) used over a window, in cores (1.0 = one core busy).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    /// The `tika serve` processes together.
    pub(crate) servers: f64,
    /// Every PostgreSQL process on the machine (0 on SQLite).
    pub(crate) postgres: f64,
}

impl Fleet {
    /// Starts `n` servers one after the other and waits until each listens.
    pub(crate) fn start(n: usize, settings: &ServerSettings) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the tika binary")?;
        let mut fleet = Self { procs: Vec::new(), addrs: Vec::new() };
        for k in 0..n {
            let data_dir = settings.root.join(format!("server-{k}"));
            std::fs::create_dir_all(&data_dir)?;
            let log = std::fs::File::create(data_dir.join("server.log"))?;
            let mut child = Command::new(&exe)
                .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
                .arg("--data-dir")
                .arg(&data_dir)
                .arg("--database-url")
                .arg(&settings.database_url)
                .env("TIKA_SECRET_KEY", &settings.secret)
                .env("TIKA_KEYS_DIR", &settings.keys_dir)
                .env("TIKA_TEST_OTP", &settings.test_otp)
                .env("TIKA_PUBLIC_RATE_LIMIT", "0")
                .env("TIKA_OTP_PER_IP_PER_HOUR", "0")
                .env("TIKA_OTP_PER_MOBILE_PER_DAY", "1000000")
                .env("TIKA_READ_CONNECTIONS", settings.read_connections.to_string())
                .env("TIKA_SMS_GATEWAYS", "file")
                .env("TIKA_LOG", std::env::var("TIKA_LOG").unwrap_or_else(|_| "warn".into()))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log))
                .spawn()
                .context("cannot start tika serve")?;
            let pid = child.id();
            let stdout = child.stdout.take().context("no stdout")?;
            let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
            // Reads the banner for the address, then keeps draining so the server never
            // blocks on a full pipe.
            std::thread::spawn(move || {
                let mut sent = false;
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if !sent && let Some(addr) = banner_addr(&line) {
                        let _ = tx.send(addr);
                        sent = true;
                    }
                }
            });
            let proc = Proc { child, pid, data_dir };
            match rx.recv_timeout(Duration::from_secs(180)) {
                Ok(addr) => {
                    fleet.addrs.push(addr);
                    fleet.procs.push(proc);
                }
                Err(_) => {
                    let log = tail(&proc.data_dir.join("server.log"));
                    fleet.procs.push(proc);
                    fleet.stop();
                    anyhow::bail!("server {k} did not start within 180 s; its log ends:\n{log}");
                }
            }
        }
        eprintln!(
            "bench: {} server(s) listening at {}",
            fleet.addrs.len(),
            fleet.addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
        Ok(fleet)
    }

    /// A CPU reading to compare with a later one.
    pub(crate) fn cpu_mark(&self, postgres: bool) -> CpuMark {
        CpuMark {
            at: Instant::now(),
            servers: self.procs.iter().map(|p| cpu_ticks(p.pid)).sum(),
            postgres: if postgres { postgres_ticks() } else { 0 },
        }
    }

    /// CPU used since `mark`, in cores.
    pub(crate) fn cpu_since(&self, mark: CpuMark, postgres: bool) -> CpuUse {
        let now = self.cpu_mark(postgres);
        let secs = now.at.duration_since(mark.at).as_secs_f64().max(1e-6);
        let per_sec = clock_ticks() as f64;
        CpuUse {
            servers: now.servers.saturating_sub(mark.servers) as f64 / per_sec / secs,
            postgres: now.postgres.saturating_sub(mark.postgres) as f64 / per_sec / secs,
        }
    }

    /// The largest peak resident memory of the servers (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> u64 {
        self.procs.iter().map(|p| status_kib(p.pid, "VmHWM:")).max().unwrap_or(0)
    }

    /// Every SMS the servers handed to the demo file gateway, in all their logs.
    pub(crate) fn sms_logged(&self) -> u64 {
        self.procs
            .iter()
            .map(|p| {
                std::fs::read_to_string(p.data_dir.join("sms-outbox.log"))
                    .map_or(0, |s| s.lines().filter(|l| !l.trim().is_empty()).count() as u64)
            })
            .sum()
    }

    /// Stops every server (SIGTERM, then a kill after 20 s) and waits for them.
    pub(crate) fn stop(&mut self) {
        for p in &self.procs {
            let _ = Command::new("kill").args(["-TERM", &p.pid.to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for p in &mut self.procs {
            loop {
                match p.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() >= deadline => {
                        let _ = p.child.kill();
                        let _ = p.child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        self.procs.clear();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address in `tika serve`'s banner line.
fn banner_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix("Tika is running at http://")?;
    rest.split('/').next()?.parse().ok()
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_gives_the_address() {
        assert_eq!(
            banner_addr(
                "Tika is running at http://127.0.0.1:41234/  (CoWIN API at http://127.0.0.1:41234/api/v2/, …)"
            ),
            Some(SocketAddr::from(([127, 0, 0, 1], 41234)))
        );
        assert_eq!(banner_addr("Database: sqlite://x (sqlite)"), None);
    }

    #[test]
    fn this_process_uses_cpu_and_memory() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let me = std::process::id();
        let before = cpu_ticks(me);
        let mut x = 0u64;
        let until = Instant::now() + Duration::from_millis(60);
        while Instant::now() < until {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        assert!(x != 1);
        assert!(cpu_ticks(me) > before, "a busy loop of 60 ms shows in /proc/self/stat");
        assert!(status_kib(me, "VmHWM:") > 1_000);
        assert!(clock_ticks() >= 1);
    }
}
