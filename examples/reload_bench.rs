//! Hot-reload benchmark: how long from saving a spec to the first response
//! that reflects it, and whether requests fail while reloads happen.
//!
//! ```sh
//! cargo run --release --example reload_bench                  # the seed, 30 saves
//! cargo run --release --example reload_bench -- --actions 10000
//! cargo run --release --example reload_bench -- --rounds 100 --load 4
//! ```
//!
//! Each round rewrites the spec the way editors do (write a temp file,
//! rename it over the spec) with a new value in one response body, then
//! polls that route every 0.5 ms until the new value is served. With
//! `--load N`, N clients send requests to another route without pause for
//! the whole run; every failed or wrong answer is counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apib_mock::__private::{DEBOUNCE, watch};
use apib_mock::ReloadOutcome as Outcome;
use apib_mock::{RunningServer, ServeConfig};

// Only the plain generator is used here.
#[allow(dead_code)]
#[path = "../benches/support/generate.rs"]
mod generate;

/// Flags (clap, as the binary).
#[derive(clap::Parser)]
struct Args {
    /// A generated spec of this many actions instead of the seed (0: the
    /// seed).
    #[arg(long, default_value_t = 0)]
    actions: usize,
    /// Saves to time.
    #[arg(long, default_value_t = 30)]
    rounds: usize,
    /// Clients loading another route meanwhile.
    #[arg(long, default_value_t = 0)]
    load: usize,
    /// Pause between a change being served and the next save, in ms (0:
    /// save again at once, while the server may still be freeing the
    /// contract the previous reload replaced).
    #[arg(long, default_value_t = 0)]
    gap: u64,
}

/// The spec text with `marker` in the body of the route that is polled.
fn spec(actions: usize, marker: usize) -> (String, &'static str, &'static str, String) {
    if actions == 0 {
        let seed = include_str!("../specs/retailers.apib");
        let text = seed.replacen(
            "\"first_name\": \"Agent\"",
            &format!("\"first_name\": \"Agent {marker}\""),
            1,
        );
        (
            text,
            "/retailers/api/v1/agents",
            "/retailers/api/v1/whatsapp_templates",
            format!("Agent {marker}"),
        )
    } else {
        let text = generate::generated(actions).replacen(
            "\"message\": \"ok\"",
            &format!("\"message\": \"ok {marker}\""),
            1,
        );
        (
            text,
            "/resources0/abc",
            "/resources2/abc",
            format!("ok {marker}"),
        )
    }
}

#[tokio::main]
async fn main() {
    let args = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("api.apib");
    let (text, polled, loaded_route, _) = spec(args.actions, 0);
    std::fs::write(&path, &text).expect("write");
    let specs = vec![path.display().to_string()];
    let live = apib_mock::prepare(&specs, false, Some(apib_mock::DEFAULT_ADMIN_PREFIX))
        .expect("the generated spec serves")
        .live;
    let transactions = live.transaction_count();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server =
        RunningServer::start_live(listener, live.clone(), ServeConfig::default()).expect("server");
    let reload_ms = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = reload_ms.clone();
    let _watcher = watch(
        &specs,
        live.clone(),
        Box::new(move |o: &Outcome| match o {
            Outcome::Reloaded { record: r, .. } => {
                record.lock().expect("lock").push(r.millis);
            }
            Outcome::Refused(e) => eprintln!("refused: {}", e.message),
            _ => {}
        }),
    )
    .expect("watch");
    println!(
        "spec: {} ({} bytes, {transactions} transactions); {} rounds; {} load clients",
        if args.actions == 0 {
            "seed".to_string()
        } else {
            format!("{} actions", args.actions)
        },
        text.len(),
        args.rounds,
        args.load
    );

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..args.load {
        let url = server.url(loaded_route);
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(res) if res.status() == 200 => match res.bytes().await {
                        Ok(b) if !b.is_empty() => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    },
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }

    let client = reqwest::Client::new();
    let url = server.url(polled);
    let started = Instant::now();
    let mut latencies = Vec::new();
    for round in 1..=args.rounds {
        let (text, _, _, marker) = spec(args.actions, round);
        let tmp = path.with_extension("apib.tmp");
        std::fs::write(&tmp, &text).expect("write");
        tokio::time::sleep(Duration::from_millis(args.gap)).await;
        let t0 = Instant::now();
        std::fs::rename(&tmp, &path).expect("rename");
        loop {
            let body = client
                .get(&url)
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body");
            if body.contains(&marker) {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "round {round} never served"
            );
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let mut reloads = reload_ms.lock().expect("lock").clone();
    reloads.sort_by(f64::total_cmp);
    println!(
        "save → first response with the change: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (debounce {} ms included)",
        pct(0.5),
        pct(0.9),
        pct(1.0),
        DEBOUNCE.as_millis()
    );
    if !reloads.is_empty() {
        println!(
            "reload work (read, parse, compile, swap): median {:.1} ms, max {:.1} ms over {} reloads",
            reloads[reloads.len() / 2],
            reloads[reloads.len() - 1],
            reloads.len()
        );
    }
    if args.load > 0 {
        let ok = ok.load(Ordering::Relaxed);
        println!(
            "under load: {ok} requests answered ({:.0}/s), {} failed",
            ok as f64 / elapsed.as_secs_f64(),
            failed.load(Ordering::Relaxed)
        );
    }
}
