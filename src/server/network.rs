//! Simulating the network: delays (`--delay`, `Prefer: delay=`), faults
//! (`Prefer: fault=`), and chaos (`--chaos`: the action's documented error
//! answers, or a reset, at random; reproducible with `--seed`). All of it
//! is off by default, and then costs a request one relaxed load.
//!
//! Delays are tokio timers on the request's own task: a delayed request
//! never holds up another. A throttle (`--throttle`, `Prefer: throttle=`)
//! sends a body in slices on the connection's task ([`Dribble`]).

use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use super::random::Rng;
use bytes::Bytes;
use hyper::Method;
use hyper::body::Frame;
use serde::Serialize;

/// How long a delay lasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Delay {
    /// Always this long.
    Fixed {
        /// Milliseconds.
        ms: f64,
    },
    /// Uniformly between two bounds.
    Uniform {
        /// Milliseconds, at least.
        min_ms: f64,
        /// Milliseconds, at most.
        max_ms: f64,
    },
    /// Log-normal: half the delays under `median`, a long tail by `sigma`.
    LogNormal {
        /// Milliseconds.
        median_ms: f64,
        /// The spread (of the logarithm).
        sigma: f64,
    },
}

impl Delay {
    /// `200ms`, `1.5s`, `uniform:100ms..500ms`, `lognormal:median=200ms,sigma=0.4`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let ms = |t: &str| -> Result<f64, String> {
            let t = t.trim();
            let d = humantime::parse_duration(t)
                .map_err(|e| format!("`{t}` is not a duration such as 200ms or 1.5s ({e})"))?;
            Ok(d.as_secs_f64() * 1000.0)
        };
        if let Some(range) = text.strip_prefix("uniform:") {
            let (lo, hi) = range
                .split_once("..")
                .ok_or_else(|| format!("`{text}`: write uniform:100ms..500ms"))?;
            let (min_ms, max_ms) = (ms(lo)?, ms(hi)?);
            if min_ms > max_ms {
                return Err(format!("`{text}`: the lower bound is above the upper one"));
            }
            return Ok(Delay::Uniform { min_ms, max_ms });
        }
        if let Some(params) = text.strip_prefix("lognormal:") {
            let mut median_ms = None;
            let mut sigma = None;
            for part in params.split(',') {
                match part.split_once('=') {
                    Some(("median", v)) => median_ms = Some(ms(v)?),
                    Some(("sigma", v)) => {
                        sigma = v
                            .trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|s| s.is_finite() && *s >= 0.0);
                    }
                    _ => {}
                }
            }
            return match (median_ms, sigma) {
                (Some(median_ms), Some(sigma)) => Ok(Delay::LogNormal { median_ms, sigma }),
                _ => Err(format!("`{text}`: write lognormal:median=200ms,sigma=0.4")),
            };
        }
        Ok(Delay::Fixed { ms: ms(text)? })
    }

    fn sample(&self, rng: &Rng) -> Duration {
        let ms = match *self {
            Delay::Fixed { ms } => ms,
            Delay::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.unit(),
            Delay::LogNormal { median_ms, sigma } => {
                // Box-Muller: a standard normal from two uniforms.
                let (u1, u2) = (rng.unit().max(f64::MIN_POSITIVE), rng.unit());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median_ms * (sigma * z).exp()
            }
        };
        Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 3600.0))
    }
}

/// A delay for some requests: all of them, one method, one path (as sent,
/// or the documented URI template), or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DelayRule {
    /// Only this method.
    pub method: Option<String>,
    /// Only this path or URI template.
    pub path: Option<String>,
    /// How long.
    pub delay: Delay,
}

impl DelayRule {
    /// `200ms` (every request), `POST /customers=1s`, `/slow=uniform:1s..2s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // A target is what precedes the first `=`, when it is a path or
        // `METHOD /path` (`lognormal:median=…` has an `=` too).
        let at = text.find('=').filter(|&at| {
            let target = text[..at].trim();
            target.starts_with('/') || target.contains(' ')
        });
        let Some(at) = at else {
            return Ok(DelayRule {
                method: None,
                path: None,
                delay: Delay::parse(text)?,
            });
        };
        let (target, delay) = (&text[..at], &text[at + 1..]);
        let target = target.trim();
        let (method, path) = match target.split_once(' ') {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
            None => (None, target),
        };
        if !path.starts_with('/') {
            return Err(format!("`{text}`: write `[METHOD] /path=DELAY`"));
        }
        Ok(DelayRule {
            method,
            path: Some(path.to_string()),
            delay: Delay::parse(delay)?,
        })
    }

    fn applies(&self, method: &Method, path: &str, template: Option<&str>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self
                .path
                .as_deref()
                .is_none_or(|p| p == path || template == Some(p))
    }
}

/// The network settings (`--delay`, `--chaos`, `--seed`, and
/// `PUT /__mock/settings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NetworkConfig {
    /// Delays; the first rule that applies to a request is used.
    pub delays: Vec<DelayRule>,
    /// The share of requests (0 to 1) answered by a fault.
    pub chaos: f64,
    /// The random sequence's seed (a fixed seed repeats a run's choices).
    pub seed: Option<u64>,
    /// Bytes per second each answer's body is sent at (`--throttle`);
    /// `None`: as fast as the connection goes.
    pub throttle: Option<u64>,
}

impl NetworkConfig {
    /// Delays and chaos as given.
    pub fn new(delays: Vec<DelayRule>, chaos: f64, seed: Option<u64>) -> Self {
        Self {
            delays,
            chaos: chaos.clamp(0.0, 1.0),
            seed,
            throttle: None,
        }
    }

    /// The same, with bodies sent at `bytes_per_second`.
    pub fn with_throttle(mut self, bytes_per_second: Option<u64>) -> Self {
        self.throttle = bytes_per_second.filter(|&b| b > 0);
        self
    }

    fn is_quiet(&self) -> bool {
        self.delays.is_empty() && self.chaos <= 0.0 && self.throttle.is_none()
    }
}

/// `5%` or `0.05` → 0.05.
pub(crate) fn parse_share(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let share = match text.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("`{text}` is not a share such as 5% or 0.05"))?;
    if !(0.0..=1.0).contains(&share) {
        return Err(format!("`{text}`: give 0% to 100%"));
    }
    Ok(share)
}

/// `64KiB/s` (or `64KiB`, `1000`) → bytes per second.
pub(crate) fn parse_rate(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let size = text.strip_suffix("/s").unwrap_or(text);
    let bytes =
        super::limits::parse_size(size).map_err(|e| format!("{e} (a rate such as 64KiB/s)"))?;
    if bytes == 0 {
        return Err("a rate of 0 sends nothing; give at least 1B/s".into());
    }
    Ok(bytes as u64)
}

/// A fault a request asks for (`Prefer: fault=…`) or chaos picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The connection is closed without an answer.
    Reset,
    /// The documented status and headers, no body.
    Empty,
    /// The documented answer with its body cut in half.
    Malformed,
    /// No answer at all (the client's timeout decides).
    Timeout,
}

impl Fault {
    fn parse(text: &str) -> Option<Fault> {
        match text {
            "reset" => Some(Fault::Reset),
            "empty" => Some(Fault::Empty),
            "malformed" => Some(Fault::Malformed),
            "timeout" => Some(Fault::Timeout),
            _ => None,
        }
    }
}

/// What a request's `Prefer` asks of the network.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Asked {
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
    /// Bytes per second (`Prefer: throttle=64KiB/s`).
    pub throttle: Option<u64>,
}

impl Asked {
    /// What a request's `Prefer` header (if any) asks of the network.
    pub(crate) fn of(prefer: Option<&hyper::header::HeaderValue>) -> Asked {
        prefer
            .and_then(|p| p.to_str().ok())
            .map(Asked::parse)
            .unwrap_or_default()
    }

    /// `Prefer: delay=500ms` and `fault=reset|empty|malformed|timeout`
    /// (with the status/example preferences, comma-separated).
    pub(crate) fn parse(prefer: &str) -> Asked {
        let mut asked = Asked::default();
        for token in prefer.split([',', ';']) {
            let Some((key, value)) = token.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "delay" => {
                    asked.delay = value
                        .parse::<f64>()
                        .ok()
                        .map(|ms| Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 3600.0)))
                        .or_else(|| humantime::parse_duration(value).ok());
                }
                "fault" => asked.fault = Fault::parse(&value.to_ascii_lowercase()),
                "throttle" => asked.throttle = parse_rate(value).ok(),
                _ => {}
            }
        }
        asked
    }
}

/// The live settings and the random sequence.
#[derive(Debug)]
pub(crate) struct Network {
    /// Something is set: the only thing a request reads otherwise.
    active: AtomicBool,
    settings: Mutex<NetworkConfig>,
    rng: Rng,
}

/// What the network does to one answer.
#[derive(Debug, Default)]
pub(crate) struct Shaping {
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
    /// Chaos picked this request for a fault (a documented error answer
    /// when the action has one, else a reset).
    pub chaos: bool,
    /// Send the body at this many bytes per second.
    pub throttle: Option<u64>,
}

impl Shaping {
    /// No delay, fault or throttle: the answer goes as it is (chaos has
    /// picked its answer already).
    pub(crate) fn is_nothing(&self) -> bool {
        self.delay.is_none() && self.fault.is_none() && self.throttle.is_none()
    }
}

impl Network {
    pub(crate) fn new(config: NetworkConfig) -> Self {
        let network = Network {
            active: AtomicBool::new(false),
            settings: Mutex::new(NetworkConfig::default()),
            rng: Rng::new(Some(0)),
        };
        network.set(config);
        network
    }

    /// Replaces the settings (and restarts the random sequence).
    pub(crate) fn set(&self, config: NetworkConfig) {
        self.rng.reseed(config.seed);
        self.active.store(!config.is_quiet(), Ordering::Relaxed);
        if let Ok(mut settings) = self.settings.lock() {
            *settings = config;
        }
    }

    /// Whether delays or chaos are set (a request's own `Prefer` aside).
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// The settings now.
    pub(crate) fn settings(&self) -> NetworkConfig {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// What to do to an answer to `method path` (`template`: the
    /// documented route that matched), given what the request asked.
    pub(crate) fn shape(
        &self,
        asked: Asked,
        method: &Method,
        path: &str,
        template: Option<&str>,
    ) -> Shaping {
        let mut shaping = Shaping {
            delay: asked.delay,
            fault: asked.fault,
            chaos: false,
            throttle: asked.throttle,
        };
        if !self.active.load(Ordering::Relaxed) {
            return shaping;
        }
        let Ok(settings) = self.settings.lock() else {
            return shaping;
        };
        if shaping.delay.is_none()
            && let Some(rule) = settings
                .delays
                .iter()
                .find(|r| r.applies(method, path, template))
        {
            shaping.delay = Some(rule.delay.sample(&self.rng));
        }
        if shaping.fault.is_none() && settings.chaos > 0.0 {
            shaping.chaos = self.rng.unit() < settings.chaos;
        }
        if shaping.throttle.is_none() {
            shaping.throttle = settings.throttle;
        }
        shaping
    }

    /// A uniform pick below `n` (chaos choosing among error answers).
    pub(crate) fn pick(&self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_and_rules_parse_in_every_form() {
        assert_eq!(Delay::parse("200ms"), Ok(Delay::Fixed { ms: 200.0 }));
        assert_eq!(
            Delay::parse("uniform:100ms..1s"),
            Ok(Delay::Uniform {
                min_ms: 100.0,
                max_ms: 1000.0
            })
        );
        assert_eq!(
            Delay::parse("lognormal:median=200ms,sigma=0.4"),
            Ok(Delay::LogNormal {
                median_ms: 200.0,
                sigma: 0.4
            })
        );
        assert!(Delay::parse("fast").is_err());
        assert!(Delay::parse("uniform:2s..1s").is_err());
        let rule = DelayRule::parse("POST /customers=1s").unwrap();
        assert_eq!(rule.method.as_deref(), Some("POST"));
        assert_eq!(rule.path.as_deref(), Some("/customers"));
        assert_eq!(rule.delay, Delay::Fixed { ms: 1000.0 });
        let rule = DelayRule::parse("/slow=lognormal:median=1s,sigma=0.5").unwrap();
        assert_eq!((rule.method, rule.path.as_deref()), (None, Some("/slow")));
        assert!(matches!(rule.delay, Delay::LogNormal { .. }));
        let all = DelayRule::parse("uniform:1ms..2ms").unwrap();
        assert_eq!((all.method, all.path), (None, None));
        assert_eq!(parse_share("5%"), Ok(0.05));
        assert_eq!(parse_share("0.5"), Ok(0.5));
        assert!(parse_share("150%").is_err());
    }

    #[test]
    fn samples_stay_in_their_range_and_a_seed_repeats_them() {
        let rng = Rng::new(Some(42));
        let uniform = Delay::Uniform {
            min_ms: 100.0,
            max_ms: 200.0,
        };
        for _ in 0..1000 {
            let d = uniform.sample(&rng).as_secs_f64() * 1000.0;
            assert!((100.0..=200.0).contains(&d), "{d}");
        }
        let log = Delay::LogNormal {
            median_ms: 100.0,
            sigma: 0.5,
        };
        let mut below = 0;
        for _ in 0..2000 {
            if log.sample(&rng) < Duration::from_millis(100) {
                below += 1;
            }
        }
        assert!(
            (800..1200).contains(&below),
            "about half under the median: {below}"
        );
    }

    #[test]
    fn rates_parse_with_units() {
        assert_eq!(parse_rate("64KiB/s"), Ok(65536));
        assert_eq!(parse_rate("1MB/s"), Ok(1_000_000));
        assert_eq!(parse_rate("500"), Ok(500));
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("fast").is_err());
        assert_eq!(Asked::parse("throttle=1KiB/s").throttle, Some(1024));
    }

    #[test]
    fn prefer_asks_for_delays_and_faults() {
        let asked = Asked::parse("status=200, delay=500ms, fault=reset");
        assert_eq!(asked.delay, Some(Duration::from_millis(500)));
        assert_eq!(asked.fault, Some(Fault::Reset));
        assert_eq!(
            Asked::parse("delay=250").delay,
            Some(Duration::from_millis(250))
        );
        assert_eq!(Asked::parse("fault=nonsense").fault, None);
    }
}

/// Marks an answer to be dropped with its connection (the `reset` fault).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset (a simulated fault)")
    }
}

impl std::error::Error for Reset {}

/// Settings from `PUT /__mock/settings`: `{"delay": "200ms" | ["POST
/// /x=1s", ...] | null, "chaos": "5%" | 0.05, "seed": 42}`.
pub(crate) fn settings_from_json(body: &[u8]) -> Result<NetworkConfig, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let delays = match &value["delay"] {
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::String(one) => vec![DelayRule::parse(one)?],
        serde_json::Value::Array(many) => many
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| "each delay is a string such as \"POST /x=1s\"".to_string())
                    .and_then(DelayRule::parse)
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`delay` is a string or a list of strings".into()),
    };
    let chaos = match &value["chaos"] {
        serde_json::Value::Null => 0.0,
        serde_json::Value::String(s) => parse_share(s)?,
        serde_json::Value::Number(n) => parse_share(&n.to_string())?,
        _ => return Err("`chaos` is a share such as \"5%\" or 0.05".into()),
    };
    let seed = match &value["seed"] {
        serde_json::Value::Null => None,
        v => Some(v.as_u64().ok_or("`seed` is a whole number")?),
    };
    let throttle = match &value["throttle"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(parse_rate(s)?),
        v => Some(
            v.as_u64()
                .filter(|&b| b > 0)
                .ok_or("`throttle` is a rate such as \"64KiB/s\" or bytes per second")?,
        ),
    };
    Ok(NetworkConfig::new(delays, chaos, seed).with_throttle(throttle))
}

/// A body sent in slices of a tenth of a second's worth, each when the
/// rate allows: `n` bytes at `r` bytes a second take about `n / r`
/// seconds (the first slice goes at once). A timer on the connection's
/// task, no thread.
#[derive(Debug)]
pub(crate) struct Dribble {
    rest: Bytes,
    rate: u64,
    slice: usize,
    started: Option<tokio::time::Instant>,
    sent: u64,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Dribble {
    /// `body` at `rate` bytes a second (`--throttle`, `Prefer:
    /// throttle=`).
    pub(crate) fn new(body: Bytes, rate: u64) -> Self {
        let rate = rate.max(1);
        Dribble {
            rest: body,
            rate,
            slice: usize::try_from(rate / 10).unwrap_or(usize::MAX).max(1),
            started: None,
            sent: 0,
            sleep: None,
        }
    }

    /// Bytes still to send.
    pub(crate) fn remaining(&self) -> u64 {
        self.rest.len() as u64
    }

    /// Everything was sent.
    pub(crate) fn is_done(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        loop {
            if self.rest.is_empty() {
                return Poll::Ready(None);
            }
            if let Some(sleep) = &mut self.sleep {
                std::task::ready!(sleep.as_mut().poll(cx));
                self.sleep = None;
            }
            let now = tokio::time::Instant::now();
            let started = *self.started.get_or_insert(now);
            let due = started + Duration::from_secs_f64(self.sent as f64 / self.rate as f64);
            if due > now {
                self.sleep = Some(Box::pin(tokio::time::sleep_until(due)));
                continue;
            }
            let n = self.slice.min(self.rest.len());
            self.sent += n as u64;
            return Poll::Ready(Some(Ok(Frame::data(self.rest.split_to(n)))));
        }
    }
}
