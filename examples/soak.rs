//! Soak test: `apib-mock serve` (the release binary, as a process) under
//! constant load while its spec is rewritten every second; every answer is
//! checked against the transaction it must come from.
//!
//! ```sh
//! cargo build --release && cargo run --release --example soak             # 5 minutes
//! cargo run --release --example soak -- --seconds 60 --clients 4
//! ```
//!
//! Checks, and exits non-zero when one fails: zero failed requests, zero
//! wrong answers (the `Apib-Mock-Transaction` header names the expected
//! transaction and the body is one of the versions the spec went through),
//! memory flat (RSS at the end within 10% of after warm-up), no file
//! descriptor leak (the count at the end within 10 of after warm-up).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const AGENTS: &str = "/retailers/api/v1/agents";
const AGENTS_TX: &str = "Agents > Agents > Get agents > #1";
const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";
const NOTIFY_BODY: &str = r#"{"phone_number":"+593999999999","internal_id":"997dd550-c8d8-4bf7-ad98-a5ac4844a1ed","template_params":["a","b","c"]}"#;
const UNASSIGNED: &str =
    "/retailers/api/v1/whatsapp_conversations?page=1&results_per_page=100&unassigned=true";

/// Flags (clap, as the binary).
#[derive(clap::Parser)]
struct Args {
    /// How long to soak.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Clients sending requests without pause.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Seconds before the RSS baseline is taken.
    #[arg(long, default_value_t = 20)]
    warmup: u64,
}

fn spec(version: u64) -> String {
    include_str!("../specs/retailers.apib").replacen(
        "\"first_name\": \"Agent\"",
        &format!("\"first_name\": \"Agent v{version}\""),
        1,
    )
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[derive(Default)]
struct Counters {
    ok: AtomicUsize,
    failed: AtomicUsize,
    wrong: AtomicUsize,
}

#[tokio::main]
async fn main() {
    let args = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("retailers.apib");
    std::fs::write(&path, spec(0)).expect("write");
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.join("apib-mock")))
        .filter(|p| p.exists())
        .expect("target/release/apib-mock (cargo build --release first)");
    let mut child = Command::new(bin)
        .args([
            "serve",
            path.to_str().expect("utf-8"),
            "--port",
            "0",
            "--log-format",
            "off",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    let base = first
        .strip_prefix("apib-mock: listening on ")
        .expect("address line")
        .to_string();
    // Keep draining stdout (reload lines) so the pipe never fills.
    let reload_lines = Arc::new(AtomicUsize::new(0));
    let seen = reload_lines.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if line.starts_with("apib-mock: reloaded") {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let version = Arc::new(AtomicU64::new(0));
    let counters = Arc::new(Counters::default());
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        let (base, stop, version, counters) = (
            base.clone(),
            stop.clone(),
            version.clone(),
            counters.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = n;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let before = version.load(Ordering::SeqCst);
                let (req, expect): (_, &str) = match i % 3 {
                    0 => (client.get(format!("{base}{AGENTS}")), AGENTS_TX),
                    1 => (
                        client
                            .post(format!("{base}{NOTIFY}"))
                            .header("Content-Type", "application/json")
                            .body(NOTIFY_BODY),
                        "Notifications > Notifications > Send a notification by ID > #4",
                    ),
                    _ => (
                        client.get(format!("{base}{UNASSIGNED}")),
                        "WhatsApp Conversations > WhatsApp Conversations > Get WhatsApp conversations > #2",
                    ),
                };
                let res = match req.send().await {
                    Ok(r) if r.status().as_u16() < 500 => r,
                    _ => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let label = res
                    .headers()
                    .get("apib-mock-transaction")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let Ok(body) = res.text().await else {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let after = version.load(Ordering::SeqCst);
                let right_tx = label == expect;
                // The agents body must be a version the spec had while
                // the request was in flight (one earlier: the reload may
                // lag the write).
                let right_body = i % 3 != 0
                    || (before.saturating_sub(1)..=after)
                        .any(|v| body.contains(&format!("\"first_name\": \"Agent v{v}\"")));
                if right_tx && right_body {
                    counters.ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    counters.wrong.fetch_add(1, Ordering::Relaxed);
                    eprintln!("wrong answer: {label:?} (expected {expect}), versions {before}..={after}");
                }
            }
        }));
    }

    let started = Instant::now();
    let mut warm = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(args.seconds) {
        tick.tick().await;
        let v = version.load(Ordering::SeqCst) + 1;
        let tmp = path.with_extension("apib.tmp");
        std::fs::write(&tmp, spec(v)).expect("write");
        version.store(v, Ordering::SeqCst);
        std::fs::rename(&tmp, &path).expect("rename");
        let secs = started.elapsed().as_secs();
        if warm.is_none() && secs >= args.warmup {
            warm = Some((rss_kib(pid), fds(pid), counters.ok.load(Ordering::Relaxed)));
        }
        if secs.is_multiple_of(30) {
            samples.push((secs, rss_kib(pid), fds(pid)));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (rss_end, fds_end) = (rss_kib(pid), fds(pid));
    let _ = child.kill();
    let _ = child.wait();

    let (rss_warm, fds_warm, _) = warm.unwrap_or((rss_end, fds_end, 0));
    let ok = counters.ok.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    let wrong = counters.wrong.load(Ordering::Relaxed);
    let growth = rss_end as f64 / rss_warm.max(1) as f64 - 1.0;
    println!(
        "{elapsed:.0} s, {} clients, {} spec rewrites, {} reloads served",
        args.clients,
        version.load(Ordering::SeqCst),
        reload_lines.load(Ordering::Relaxed)
    );
    println!(
        "requests: {ok} right ({:.0}/s), {failed} failed, {wrong} wrong",
        ok as f64 / elapsed
    );
    println!(
        "RSS: {rss_warm} KiB after warm-up, {rss_end} KiB at the end ({:+.1}%); fds: {fds_warm} → {fds_end}",
        growth * 100.0
    );
    for (secs, rss, fd) in samples {
        println!("  t={secs:>4} s  RSS {rss} KiB  fds {fd}");
    }
    let pass = failed == 0 && wrong == 0 && growth <= 0.10 && fds_end <= fds_warm + 10;
    println!("{}", if pass { "PASS" } else { "FAIL" });
    std::process::exit(if pass { 0 } else { 1 });
}
