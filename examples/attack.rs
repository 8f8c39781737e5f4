//! Attacks on a running `apib-mock serve`, as a hostile web page or client
//! would make them, each bounded in time and traffic and on loopback only:
//! what the server's memory peaks at, what a normal client waits meanwhile,
//! and what the attacker gets. `scripts/attack.sh` runs them all against
//! one or more binaries (docs/reliability.md has the figures).
//!
//! ```sh
//! cargo run --release --example attack -- target/release/apib-mock [ATTACK...]
//! ```
//!
//! Attacks: journal-cors, rebind, chunked, bodies, slow-bodies,
//! big-headers, include-bomb, fifo, half-written.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const AGENTS: &str = "/retailers/api/v1/agents";
const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(bin) = args.next() else {
        eprintln!("usage: attack BIN [ATTACK...]");
        std::process::exit(2);
    };
    let mut attacks: Vec<String> = args.collect();
    if attacks.is_empty() {
        attacks = [
            "journal-cors",
            "rebind",
            "chunked",
            "bodies",
            "slow-bodies",
            "big-headers",
            "include-bomb",
            "fifo",
            "half-written",
        ]
        .map(String::from)
        .to_vec();
    }
    for attack in attacks {
        let report = match attack.as_str() {
            "journal-cors" => journal_cors(&bin),
            "rebind" => rebind(&bin),
            "chunked" => chunked(&bin),
            "bodies" => bodies(&bin),
            "slow-bodies" => slow_bodies(&bin),
            "big-headers" => big_headers(&bin),
            "include-bomb" => include_bomb(&bin),
            "fifo" => fifo(&bin),
            "half-written" => half_written(&bin),
            other => format!("unknown attack {other}"),
        };
        println!("{attack:14} {report}");
    }
}

/// A served spec: the process and its address.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// `ATTACK_SERVER_FDS=N` starts the server under `ulimit -n N`.
    fn start(bin: &str, args: &[&str]) -> Server {
        let mut command = match std::env::var("ATTACK_SERVER_FDS") {
            Ok(fds) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {fds} && exec \"$0\" \"$@\""), bin]);
                c
            }
            Err(_) => Command::new(bin),
        };
        let mut child = command
            .arg("serve")
            .args(args)
            .args(["--port", "0", "--log-format", "off"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut out = child.stdout.take().expect("stdout");
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        let addr = loop {
            if out.read(&mut byte).unwrap_or(0) == 0 {
                panic!("no listening line: {}", String::from_utf8_lossy(&seen));
            }
            seen.push(byte[0]);
            let text = String::from_utf8_lossy(&seen);
            if let Some(line) = text.lines().find(|l| l.contains("listening on http://"))
                && text.ends_with('\n')
            {
                let at = line.find("http://").unwrap_or(0) + 7;
                break line[at..].trim().parse().expect("address");
            }
        };
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Server { child, addr }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` and `VmHWM` (peak) of a process, in MiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One request on a fresh connection; the answer's head and body (read
/// until the server closes, at most `timeout`).
fn request(addr: SocketAddr, raw: &[u8], timeout: Duration) -> std::io::Result<String> {
    let mut conn = TcpStream::connect_timeout(&addr, timeout)?;
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))?;
    conn.write_all(raw)?;
    let mut out = Vec::new();
    match conn.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if out.is_empty() => return Err(e),
        Err(_) => {}
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

fn status_of(answer: &str) -> &str {
    answer.get(9..12).unwrap_or("---")
}

/// A normal client asking every 100 ms while an attack runs: its worst
/// latency and how many of its requests failed.
struct Probe {
    stop: Arc<AtomicBool>,
    worst_ms: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Probe {
    fn start(addr: SocketAddr) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let worst_ms = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let (s, w, f, n) = (stop.clone(), worst_ms.clone(), failed.clone(), sent.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = request(addr, &get(AGENTS, ""), Duration::from_secs(5))
                    .is_ok_and(|a| status_of(&a) == "200");
                let ms = started.elapsed().as_millis() as u64;
                w.fetch_max(ms, Ordering::Relaxed);
                n.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    f.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Probe {
            stop,
            worst_ms,
            failed,
            sent,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> String {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        format!(
            "normal client: worst {} ms, {}/{} failed",
            self.worst_ms.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed)
        )
    }
}

/// A web page on another origin reads the journal (credentials inside).
fn journal_cors(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib"]);
    let _ = request(
        server.addr,
        &get(AGENTS, "Authorization: Bearer app-secret-42\r\n"),
        Duration::from_secs(5),
    );
    let answer = request(
        server.addr,
        &get("/__mock/requests", "Origin: http://evil.example\r\n"),
        Duration::from_secs(5),
    )
    .unwrap_or_default();
    let allowed = answer.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("access-control-allow-origin")
    });
    format!(
        "status {}, CORS allowed: {allowed}, credential readable: {}",
        status_of(&answer),
        answer.contains("app-secret-42")
    )
}

/// A page on a DNS name rebound to 127.0.0.1 reads the journal.
fn rebind(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib", "--no-cors"]);
    let _ = request(
        server.addr,
        &get(AGENTS, "Authorization: Bearer app-secret-42\r\n"),
        Duration::from_secs(5),
    );
    let raw = format!(
        "GET /__mock/requests HTTP/1.1\r\nHost: rebound.evil.example:{}\r\nConnection: close\r\n\r\n",
        server.addr.port()
    );
    let answer = request(server.addr, raw.as_bytes(), Duration::from_secs(5)).unwrap_or_default();
    format!(
        "status {}, credential readable: {}",
        status_of(&answer),
        answer.contains("app-secret-42")
    )
}

/// Malformed chunked framing.
fn chunked(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib"]);
    let mut out = Vec::new();
    for chunk in ["zz", "fffffffffffffffffffff"] {
        let raw = format!(
            "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}\r\nab\r\n0\r\n\r\n"
        );
        let answer =
            request(server.addr, raw.as_bytes(), Duration::from_secs(5)).unwrap_or_default();
        out.push(format!("`{chunk}` → {}", status_of(&answer)));
    }
    out.join(", ")
}

/// 300 connections each sending 8 MiB of a declared 10 MiB − 1 body, held
/// for 5 s; then the memory 15 s after they leave.
fn bodies(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib"]);
    let probe = Probe::start(server.addr);
    let addr = server.addr;
    let refused = Arc::new(AtomicU64::new(0));
    let mut conns = Vec::new();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..300 {
        let Ok(mut c) = TcpStream::connect(addr) else {
            continue;
        };
        let _ = c.set_write_timeout(Some(Duration::from_millis(500)));
        let head = format!(
            "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            (10 << 20) - 1
        );
        if c.write_all(head.as_bytes()).is_err() {
            continue;
        }
        for _ in 0..8 {
            if c.write_all(&chunk).is_err() {
                refused.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        conns.push(c);
    }
    std::thread::sleep(Duration::from_secs(5));
    let (_, peak) = memory(server.pid());
    let probe = probe.finish();
    drop(conns);
    std::thread::sleep(Duration::from_secs(15));
    let (after, _) = memory(server.pid());
    format!(
        "peak RSS {peak} MiB, RSS 15 s after {after} MiB, {} connections cut or refused, {probe}",
        refused.load(Ordering::Relaxed)
    )
}

/// 1,100 connections (`ATTACK_CONNECTIONS`) declaring 10 MiB and sending
/// a byte a second for 25 s.
fn slow_bodies(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib"]);
    let probe = Probe::start(server.addr);
    let started = Instant::now();
    let count: usize = std::env::var("ATTACK_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1100);
    let mut conns: Vec<TcpStream> = (0..count)
        .filter_map(|_| {
            let mut c = TcpStream::connect(server.addr).ok()?;
            let head = format!(
                "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                10 << 20
            );
            c.write_all(head.as_bytes()).ok()?;
            c.set_nonblocking(true).ok()?;
            Some(c)
        })
        .collect();
    let opened = conns.len();
    let mut cut = 0;
    let mut first_cut: Option<Duration> = None;
    while started.elapsed() < Duration::from_secs(25) && !conns.is_empty() {
        conns.retain_mut(|c| {
            let mut buf = [0u8; 256];
            let closed = match c.read(&mut buf) {
                Ok(_) => true,
                Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
            };
            let closed = closed || c.write_all(b"a").is_err();
            if closed {
                cut += 1;
                first_cut.get_or_insert(started.elapsed());
            }
            !closed
        });
        std::thread::sleep(Duration::from_secs(1));
    }
    let (_, peak) = memory(server.pid());
    format!(
        "{opened} opened, {cut} cut within 25 s (first after {}), peak RSS {peak} MiB, {}",
        first_cut.map_or("-".into(), |d| format!("{:.1} s", d.as_secs_f64())),
        probe.finish()
    )
}

/// 1,000 requests with a 400 KB header, then one read of the journal.
fn big_headers(bin: &str) -> String {
    let server = Server::start(bin, &["specs/retailers.apib"]);
    let big = format!("X-Big: {}\r\n", "v".repeat(400_000));
    for _ in 0..1000 {
        let _ = request(server.addr, &get(AGENTS, &big), Duration::from_secs(5));
    }
    let (rss, _) = memory(server.pid());
    let probe = Probe::start(server.addr);
    let started = Instant::now();
    let journal = request(
        server.addr,
        &get("/__mock/requests", ""),
        Duration::from_secs(60),
    )
    .unwrap_or_default();
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let (_, peak) = memory(server.pid());
    format!(
        "RSS with the journal {rss} MiB, journal read {} KB in {} ms, peak RSS {peak} MiB, {}",
        journal.len() / 1000,
        took.as_millis(),
        probe.finish()
    )
}

/// `check` on files that include each other 100 times over, 5 deep.
fn include_bomb(bin: &str) -> String {
    let dir = tempdir("bomb");
    for level in 0..5 {
        let text = if level == 4 {
            format!("{}\n", "x".repeat(1000))
        } else {
            format!("<!-- include(l{}.md) -->\n", level + 1).repeat(100)
        };
        let _ = std::fs::write(dir.join(format!("l{level}.md")), text);
    }
    let root = dir.join("api.apib");
    let _ = std::fs::write(
        &root,
        "# API\n## R [/r]\n### G [GET]\n+ Response 200 (text/plain)\n\n<!-- include(l0.md) -->\n",
    );
    let report = run_bounded(bin, &["check", &root.display().to_string()], 20);
    let _ = std::fs::remove_dir_all(&dir);
    report
}

/// `check` on a spec directory holding a named pipe.
fn fifo(bin: &str) -> String {
    let dir = tempdir("fifo");
    let _ = std::fs::write(
        dir.join("a.apib"),
        "# API\n## R [/r]\n### G [GET]\n+ Response 204\n",
    );
    let made = Command::new("mkfifo")
        .arg(dir.join("b.apib"))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return "no mkfifo here".into();
    }
    let report = run_bounded(bin, &["check", &dir.display().to_string()], 5);
    let _ = std::fs::remove_dir_all(&dir);
    report
}

/// Runs `bin args` for at most `secs`: how it ended, how long it took,
/// its peak memory.
fn run_bounded(bin: &str, args: &[&str], secs: u64) -> String {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut peak = 0;
    loop {
        peak = peak.max(memory(child.id()).1);
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            let mut out = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            let said = out
                .lines()
                .chain(err.lines())
                .find(|l| l.contains("error"))
                .unwrap_or("")
                .chars()
                .take(140)
                .collect::<String>();
            return format!(
                "exit {} after {:.1} s, peak RSS {peak} MiB: {said}",
                status.code().unwrap_or(-1),
                started.elapsed().as_secs_f64()
            );
        }
        if started.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            return format!("still running after {secs} s (killed), peak RSS {peak} MiB");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An editor saving in place in 4 KiB pieces 100 ms apart, 10 times,
/// while a client reads both routes: how many answers were half a save.
fn half_written(bin: &str) -> String {
    let dir = tempdir("half");
    let spec = dir.join("api.apib");
    let version = |v: usize| {
        let pad = "p".repeat(3000);
        format!(
            "FORMAT: 1A\n# API\n\n## A [/a]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {{\"a\": {v}, \"pad\": \"{pad}\"}}\n\n## B [/b]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {{\"b\": {v}, \"pad\": \"{pad}\"}}\n"
        )
    };
    let _ = std::fs::write(&spec, version(0));
    let server = Server::start(bin, &[&spec.display().to_string()]);
    let stop = Arc::new(AtomicBool::new(false));
    let (bad, total) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let reader = {
        let (stop, bad, total, addr) = (stop.clone(), bad.clone(), total.clone(), server.addr);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for path in ["/a", "/b"] {
                    let answer =
                        request(addr, &get(path, ""), Duration::from_secs(5)).unwrap_or_default();
                    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
                    let whole = status_of(&answer) == "200"
                        && serde_json::from_str::<serde_json::Value>(body).is_ok();
                    total.fetch_add(1, Ordering::Relaxed);
                    if !whole {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };
    for v in 1..=10 {
        let text = version(v);
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&spec)
        {
            for piece in text.as_bytes().chunks(4096) {
                let _ = f.write_all(piece);
                let _ = f.flush();
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        std::thread::sleep(Duration::from_millis(1500));
    }
    stop.store(true, Ordering::Relaxed);
    let _ = reader.join();
    let _ = std::fs::remove_dir_all(&dir);
    format!(
        "{} of {} answers half a save (404 or cut JSON)",
        bad.load(Ordering::Relaxed),
        total.load(Ordering::Relaxed)
    )
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("apib-attack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
