//! The command line: clap arguments → commands → exit codes.
//!
//! Exit codes are part of the interface: 0 success (warnings allowed),
//! 1 the spec has errors, 2 the command could not run (unreadable file,
//! bad arguments).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::contract::Contract;
use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Loaded};
use crate::reload::{self, Outcome};
use crate::routes;
use crate::server::{self, LogFormat, ServeConfig, Startup, StartupError};
use crate::verify::{self, BodyMode, report::ReportFile};

/// A spec-driven contract mock server for API Blueprint.
#[derive(Debug, Parser)]
#[command(name = "apib-mock", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse the specs and print diagnostics (exit 1 on errors).
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// Spec files, directories (all *.apib and *.md, recursively) or
        /// globs. Default: ./specs, else the built-in retailer spec.
        specs: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Serve the specs as a mock server.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Send every documented request to a real server and check its
    /// answers against the documented responses (exit 1 on a failure).
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Run as a proxy to a real backend (--proxy URL) and write the
    /// traffic the specs do not document (with no SPEC: all of it) as an
    /// API Blueprint draft (--out FILE).
    #[command(after_help = RECORD_EXAMPLES)]
    Record(RecordArgs),
    /// List every transaction (request/response pair) in document order.
    #[command(after_help = ROUTES_EXAMPLES)]
    Routes {
        /// Spec files, directories or globs (as for `check`).
        specs: Vec<String>,
        /// Output format: an aligned table, or a JSON array (a stable
        /// interface, see README).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// The same as `--format json`.
        #[arg(long)]
        json: bool,
        /// Say which collections `serve --sandbox` keeps state for, and
        /// why the other routes stay plain examples.
        #[arg(long)]
        sandbox: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell) to standard output.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

const CHECK_EXAMPLES: &str = "Examples:
  apib-mock check                          # ./specs, else the built-in spec
  apib-mock check api.apib --format json   # one JSON object for CI";

const SERVE_EXAMPLES: &str = "Examples:
  apib-mock serve                          # ./specs on http://127.0.0.1:4010
  apib-mock serve specs/ -p 8080 --strict  # validate every request
  apib-mock serve 'apis/**/*.apib' -p 0    # a free port, printed on start
  apib-mock serve --delay 300ms --chaos 5% --seed 1   # a slow, flaky network
  apib-mock serve --tls-cert cert.pem --tls-key key.pem   # HTTPS
  apib-mock serve --sandbox --state-file sandbox.json     # state that sticks
  apib-mock serve --proxy http://localhost:3000           # undocumented routes to a real backend
  apib-mock serve --proxy http://localhost:3000 --proxy-all --strict   # a validation proxy";

const RECORD_EXAMPLES: &str = "Examples:
  apib-mock record --proxy http://localhost:3000 --out draft.apib
  apib-mock record specs/ --proxy http://localhost:3000 --out draft.apib -p 4011
      # what specs/ does not document, recorded
  apib-mock check draft.apib && apib-mock serve draft.apib";

const VERIFY_EXAMPLES: &str = "Examples:
  apib-mock verify api.apib -s http://127.0.0.1:8080
  apib-mock verify api.apib -s http://localhost:3000/api -H 'Authorization: Bearer t' \\
      --report junit:verify.xml --timeout 2s
  apib-mock verify api.apib -s https://staging.example.com --ca-cert ca.pem \\
      --hook-cmd ./hooks.sh --fail-fast";

const ROUTES_EXAMPLES: &str = "Examples:
  apib-mock routes
  apib-mock routes api.apib --format json | jq -r '.[] | .method + \" \" + .example_uri'";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  apib-mock completions bash > ~/.local/share/bash-completion/completions/apib-mock
  apib-mock completions zsh > \"${fpath[1]}/_apib-mock\"
  apib-mock completions fish > ~/.config/fish/completions/apib-mock.fish";

/// `apib-mock serve` options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Spec files, directories or globs. Default: ./specs, else the
    /// built-in retailer spec.
    pub specs: Vec<String>,
    /// Address to bind. Loopback by default: the mock is for this machine.
    #[arg(short = 'H', long, env = "APIB_MOCK_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free one (printed on start).
    #[arg(short, long, env = "APIB_MOCK_PORT", default_value_t = 4010)]
    pub port: u16,
    /// Do not add CORS headers or answer preflight requests.
    #[arg(long)]
    pub no_cors: bool,
    /// Largest request body accepted (413 above): bytes, or with a unit
    /// (KiB, MiB, KB, MB).
    #[arg(long, default_value = "10MiB", value_parser = server::parse_size)]
    pub max_body: usize,
    /// Delay answers: `200ms` (all), `'POST /customers=1s'` (a method
    /// and path or URI template), `uniform:100ms..500ms`,
    /// `lognormal:median=200ms,sigma=0.4`; repeatable (the first that
    /// applies is used). A request may ask with `Prefer: delay=500ms`.
    #[arg(long = "delay", value_parser = server::DelayRule::parse)]
    pub delays: Vec<server::DelayRule>,
    /// Answer this share of requests (`5%`, `0.05`) with a fault: one of
    /// the action's documented 4xx/5xx answers, or a dropped connection.
    #[arg(long, value_parser = server::parse_share)]
    pub chaos: Option<f64>,
    /// Send answer bodies at this rate (`64KiB/s`, `1MB/s`): a slow
    /// network for large answers. A request may ask with `Prefer:
    /// throttle=64KiB/s`.
    #[arg(long, value_parser = server::parse_rate)]
    pub throttle: Option<u64>,
    /// Seed the random choices of --chaos and delay distributions (the
    /// same requests in the same order get the same choices).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep state for the contract's collections: create, list, read,
    /// update and delete work on stored entities (per `Apib-Mock-Session`)
    /// inside the documented answers (`routes --sandbox` shows what is
    /// found).
    #[arg(long)]
    pub sandbox: bool,
    /// Keep the sandbox's state in this file across restarts (JSON,
    /// written atomically).
    #[arg(long, requires = "sandbox")]
    pub state_file: Option<std::path::PathBuf>,
    /// Sandbox sessions kept at once (507 past it).
    #[arg(long, default_value_t = 1000, requires = "sandbox")]
    pub max_sessions: usize,
    /// Bytes of sandbox entities kept, all sessions together (507 past
    /// it): bytes, or with a unit (KiB, MiB, KB, MB).
    #[arg(long, default_value = "64MiB", value_parser = server::parse_size, requires = "sandbox")]
    pub state_bytes: usize,
    /// Send requests the spec does not document to this backend
    /// (`http://host:port[/base]`) and return its answers unchanged
    /// (`Apib-Mock-Match: proxied`).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// With --proxy: send documented requests to the backend too; with
    /// --strict, check its answers against the contract
    /// (`Apib-Mock-Violations`, and the journal).
    #[arg(long, requires = "proxy")]
    pub proxy_all: bool,
    /// For an https:// --proxy: trust this PEM file's certificates too
    /// (a staging CA, or a self-signed certificate).
    #[arg(long, requires = "proxy", value_name = "FILE")]
    pub proxy_ca_cert: Option<std::path::PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM; with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Largest spec file read, and largest spec once its includes are
    /// spliced in: bytes, or with a unit (KiB, MiB, KB, MB).
    #[arg(long, default_value = "32MiB", value_parser = server::parse_size)]
    pub max_spec_size: usize,
    /// Time a client may take to send its request headers: seconds
    /// (`10`, `1.5`) or a duration (`500ms`, `2m`).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    pub header_timeout: std::time::Duration,
    /// Request log format (`off` disables it).
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Do not reload when a spec file changes.
    #[arg(long)]
    pub no_watch: bool,
    /// Validate every request against the contract of the route it hits
    /// (parameters, headers, JSON body) and answer 422 when it breaks it.
    #[arg(long)]
    pub strict: bool,
    /// Requests kept in the journal (`GET /__mock/requests`); 0 keeps none.
    #[arg(long, default_value_t = 1000)]
    pub journal_size: usize,
    /// Where the admin API lives.
    #[arg(long, default_value = server::DEFAULT_PREFIX)]
    pub admin_prefix: String,
    /// No admin API (status, journal, coverage, routes).
    #[arg(long)]
    pub no_admin: bool,
    /// Bytes the journal keeps, all entries together (the oldest go
    /// first).
    #[arg(long, default_value = "32MiB", value_parser = server::parse_size)]
    pub journal_bytes: usize,
    /// Show credentials (`Authorization`, `Cookie`, `*-Key`, `*-Token`,
    /// `*Secret*` headers) in the admin API's journal instead of
    /// `[redacted]`.
    #[arg(long)]
    pub journal_secrets: bool,
    /// The admin API answers only `Authorization: Bearer TOKEN`. Needed
    /// beyond loopback: with `--host 0.0.0.0` and no token, one is made up
    /// and printed at start.
    #[arg(long, env = "APIB_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Connections served at once (more wait to be accepted). Default:
    /// the open-file limit less 64, at most 16384.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Bytes of request bodies held in memory at once, all requests
    /// together; past it a request is answered 503 with `Retry-After`.
    #[arg(long, default_value = "256MiB", value_parser = server::parse_size)]
    pub body_budget: usize,
    /// Time a client may take to send a request body once its headers are
    /// in, plus a second per MiB (408 after it).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    pub body_timeout: std::time::Duration,
}

/// `apib-mock record` options: `serve`'s, and where the draft goes.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The draft to write (again after every new example).
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
    /// What `serve` takes (--proxy is required).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `apib-mock verify` options.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Spec files, directories or globs (as for `check`).
    pub specs: Vec<String>,
    /// The server to check: `http://host:port`, optionally with a base
    /// path (`http://127.0.0.1:8080/api`).
    #[arg(short, long)]
    pub server: String,
    /// Only transactions whose name contains this text (case-insensitive);
    /// repeatable.
    #[arg(long)]
    pub only: Vec<String>,
    /// A header to add to every request (replacing a documented one of
    /// the same name), e.g. `--header 'Api-Key: secret'`; repeatable.
    #[arg(short = 'H', long = "header", value_parser = verify::parse_header)]
    pub headers: Vec<(String, String)>,
    /// Time to wait for each answer: seconds (`10`, `0.5`) or a duration
    /// (`500ms`, `1m`).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Also write a report: `junit:FILE` or `json:FILE`; repeatable.
    #[arg(long = "report")]
    pub reports: Vec<ReportFile>,
    /// How bodies are compared: `schema` (keys and types) or `exact`
    /// (values too).
    #[arg(long, value_enum, default_value_t = BodyMode::Schema)]
    pub body: BodyMode,
    /// A value for a URI variable, used before the documented example:
    /// `--param id=42`; repeatable.
    #[arg(long = "param", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Exit 0 even when no transaction was tested (all skipped or
    /// filtered out); without it, that is a failure (exit 1).
    #[arg(long)]
    pub allow_empty: bool,
    /// Stop at the first failing transaction.
    #[arg(long)]
    pub fail_fast: bool,
    /// List the names of the transactions that would be tested, and exit.
    #[arg(long)]
    pub names: bool,
    /// Trust this CA certificate (PEM) for an https:// server, as well as
    /// the system's roots.
    #[arg(long)]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Do not check the https:// server's certificate (self-signed
    /// staging servers; a warning is printed).
    #[arg(long)]
    pub insecure: bool,
    /// A client certificate (PEM) for servers that ask for one (mTLS);
    /// with --client-key.
    #[arg(long, requires = "client_key")]
    pub client_cert: Option<std::path::PathBuf>,
    /// The private key of --client-cert (PEM).
    #[arg(long, requires = "client_cert")]
    pub client_key: Option<std::path::PathBuf>,
    /// A command run (with `sh -c`) before each transaction: the planned
    /// request as JSON on stdin; JSON on stdout may change its headers,
    /// URI, method or body, or skip it (README: "Hooks").
    #[arg(long)]
    pub hook_cmd: Option<String>,
}

/// `name=value` → (`name`, `value`).
fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` is not a parameter; write `name=value`")),
    }
}

/// 128 bits from the standard library's per-process random hash keys
/// (seeded by the operating system), as 32 hex digits: an admin token
/// nobody else can guess.
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut token = String::with_capacity(32);
    for round in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(round);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        token.push_str(&format!("{:016x}", h.finish()));
    }
    token
}

/// The longest timeout accepted: a day (anything longer is a typo, and
/// `inf` would overflow the clock).
const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A timeout: seconds (`10`, `1.5`) or a humantime duration (`500ms`,
/// `1m 30s`), more than zero and at most a day. Errors, never clamps.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT.as_secs_f64() => {
            std::time::Duration::from_secs_f64(secs)
        }
        Ok(_) => {
            return Err(format!(
                "`{text}` is not a timeout: give more than 0 and at most a day (86400 s)"
            ));
        }
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("`{text}` is not a timeout such as 10, 1.5 or 500ms ({e})"))?,
    };
    if duration.is_zero() || duration > MAX_TIMEOUT {
        return Err(format!(
            "`{text}` is not a timeout: give more than 0 and at most a day"
        ));
    }
    Ok(duration)
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: severity: message`, one per line.
    Human,
    /// One JSON object with every diagnostic.
    Json,
}

/// Runs the parsed command line and returns the process exit code;
/// `serve` calls `on_idle` when it goes idle after traffic.
pub fn run(cli: Cli, on_idle: Option<fn()>) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { specs, format } => check(&specs, format),
        Command::Routes {
            specs,
            format,
            json,
            sandbox,
        } => list_routes(&specs, json || format == Format::Json, sandbox),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a write error,
            // and `completions bash | head` closes the pipe early.
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "apib-mock", &mut script);
            std::io::stdout().lock().write_all(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(args, on_idle, None),
        Command::Record(args) => {
            if args.serve.proxy.is_none() {
                anyhow::bail!("record needs the backend: --proxy http://host:port");
            }
            serve(args.serve, on_idle, Some(args.out))
        }
        Command::Verify(args) => verify_command(args),
    }
}

/// `serve`, or with `record` (the draft's path) `record`: with no SPEC,
/// an empty contract (everything is proxied and recorded).
fn serve(
    args: ServeArgs,
    on_idle: Option<fn()>,
    record: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let admin_prefix = (!args.no_admin).then(|| {
        let p = args.admin_prefix.trim_end_matches('/');
        if p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        }
    });
    let mut err = std::io::stderr().lock();
    let prepared = if record.is_some() && args.specs.is_empty() {
        Ok(server::Startup::empty())
    } else {
        server::prepare_with(
            &args.specs,
            args.strict,
            admin_prefix.as_deref(),
            load::SpecLimits::with_max_spec_size(args.max_spec_size),
        )
    };
    let diagnostics = match &prepared {
        Ok(startup) => &startup.diagnostics[..],
        Err(e) => e.diagnostics(),
    };
    for d in diagnostics {
        writeln!(err, "{d}")?;
    }
    let startup = match prepared {
        Ok(startup) => startup,
        Err(StartupError::Load(e)) => return Err(e.into()),
        Err(StartupError::Spec { .. }) => {
            writeln!(
                err,
                "apib-mock: the specs have errors; fix them and start again"
            )?;
            return Ok(ExitCode::from(1));
        }
        Err(StartupError::AdminPrefixClash { prefix, routes, .. }) => {
            writeln!(
                err,
                "apib-mock: the spec documents routes under the admin prefix {prefix} ({}); \
                 choose another with --admin-prefix, or --no-admin",
                routes.join(", ")
            )?;
            return Ok(ExitCode::from(2));
        }
    };
    drop(err);
    let Startup { live, embedded, .. } = startup;
    let listener = std::net::TcpListener::bind((args.host.as_str(), args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let json = args.log_format == LogFormat::Json;
    let exposed = !addr.ip().is_loopback();
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let identity = server::TlsIdentity::new(cert, key);
            // Read now: a bad certificate is an error before the banner.
            server::check_tls(&identity)?;
            Some(identity)
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    // A bad backend URL is an error before the banner too.
    let proxy = match &args.proxy {
        Some(url) => {
            let mut proxy =
                server::ProxyConfig::new(url, args.proxy_all).map_err(anyhow::Error::msg)?;
            proxy.record = record.clone();
            proxy.ca_cert = args.proxy_ca_cert.clone();
            server::check_proxy(&proxy).map_err(anyhow::Error::msg)?;
            Some(proxy)
        }
        None => None,
    };
    // Beyond loopback the admin API (the journal holds credentials) needs
    // a token: the one given, or one made up now.
    let made_up_token = admin_prefix.is_some() && exposed && args.admin_token.is_none();
    let admin_token = match &args.admin_token {
        Some(token) if token.trim().is_empty() => anyhow::bail!("--admin-token is empty"),
        Some(token) => Some(token.trim().to_string()),
        None if made_up_token => Some(random_token()),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if json {
        // `--log-format json`: every stdout line is one JSON object (the
        // request lines too), so `jq` reads the whole stream.
        writeln!(
            out,
            "{}",
            serde_json::json!({"event": "listening", "url": format!("{scheme}://{addr}"), "exposed": exposed})
        )?;
        if exposed {
            writeln!(
                out,
                "{}",
                serde_json::json!({
                    "event": "exposed",
                    "admin": admin_prefix.as_deref(),
                    "admin_token": if made_up_token { admin_token.as_deref() } else { None },
                    "admin_token_required": admin_token.is_some(),
                })
            )?;
        }
        out.write_all(endpoint_events(&live.contract()).as_bytes())?;
        if args.sandbox {
            let mut event = live.contract().collections().summary();
            event["event"] = "sandbox".into();
            writeln!(out, "{event}")?;
        }
    } else {
        writeln!(out, "apib-mock: listening on {scheme}://{addr}")?;
        if exposed {
            writeln!(
                out,
                "apib-mock: warning: {addr} is reachable from other machines: every documented \
                 route answers them"
            )?;
            match (&admin_prefix, made_up_token) {
                (None, _) => {}
                (Some(prefix), true) => writeln!(
                    out,
                    "apib-mock: the admin API ({prefix}) needs `Authorization: Bearer {}` \
                     (or choose one with --admin-token; --no-admin turns it off)",
                    admin_token.as_deref().unwrap_or_default()
                )?,
                (Some(prefix), false) => writeln!(
                    out,
                    "apib-mock: the admin API ({prefix}) needs the --admin-token as \
                     `Authorization: Bearer` (--no-admin turns it off)"
                )?,
            }
        }
        out.write_all(endpoint_table(&live.contract()).as_bytes())?;
        if args.sandbox {
            out.write_all(live.contract().collections().report().as_bytes())?;
        }
    }
    // Reloads run on their own thread, off the request path.
    let _watcher = if args.no_watch || embedded {
        let why = if embedded && record.is_some() {
            "no spec: every request goes to the backend and is recorded"
        } else if embedded {
            "the built-in spec"
        } else {
            "--no-watch"
        };
        if json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"event": "watching", "files": 0, "why_not": why})
            )?;
        } else {
            writeln!(out, "apib-mock: not watching for changes ({why})")?;
        }
        None
    } else {
        let report = Box::new(move |outcome: &Outcome| report_reload(outcome, json));
        let watcher = reload::watch(&args.specs, live.clone(), report)
            .context("cannot watch the spec files (use --no-watch to serve without)")?;
        let files = live.files().len();
        if json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"event": "watching", "files": files})
            )?;
        } else {
            writeln!(
                out,
                "apib-mock: watching {files} spec file{} for changes (--no-watch to turn off)",
                if files == 1 { "" } else { "s" }
            )?;
        }
        Some(watcher)
    };
    out.flush()?;
    drop(out);
    let config = ServeConfig {
        cors: !args.no_cors,
        max_body: args.max_body,
        header_read_timeout: args.header_timeout,
        log: args.log_format,
        admin_prefix: admin_prefix.clone(),
        journal_size: args.journal_size,
        journal_bytes: args.journal_bytes,
        journal_secrets: args.journal_secrets,
        admin_token,
        max_connections: args
            .max_connections
            .unwrap_or_else(server::default_max_connections)
            .max(1),
        body_budget: args.body_budget,
        body_timeout: args.body_timeout,
        on_idle,
        tls,
        network: server::NetworkConfig::new(args.delays, args.chaos.unwrap_or(0.0), args.seed)
            .with_throttle(args.throttle),
        proxy,
        sandbox: args.sandbox.then(|| server::SandboxConfig {
            state_file: args.state_file.clone(),
            max_sessions: args.max_sessions.max(1),
            max_bytes: args.state_bytes,
            seed: args.seed,
        }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(server::serve(listener, live, config, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

fn verify_command(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::load(&args.specs)?;
    if loaded.has_errors() {
        let mut err = std::io::stderr().lock();
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            writeln!(err, "{d}")?;
        }
        writeln!(err, "apib-mock: the specs have errors; nothing was sent")?;
        return Ok(ExitCode::from(2));
    }
    let (mut cases, mut skipped) = verify::cases(&loaded.documents, &args.params);
    if !args.only.is_empty() {
        let wanted: Vec<String> = args.only.iter().map(|o| o.to_lowercase()).collect();
        let keep = |name: &str| {
            let name = name.to_lowercase();
            wanted.iter().any(|w| name.contains(w.as_str()))
        };
        cases.retain(|c| keep(&c.name));
        skipped.retain(|(name, _)| keep(name));
    }
    if args.names {
        for case in &cases {
            println!("{}", case.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = verify::Options {
        server: args.server.clone(),
        headers: args.headers,
        timeout: args.timeout,
        body: args.body,
        fail_fast: args.fail_fast,
        tls: verify::ClientTls {
            ca_cert: args.ca_cert,
            insecure: args.insecure,
            client_cert: args.client_cert.zip(args.client_key),
        },
        hook: args.hook_cmd.clone(),
    };
    println!(
        "apib-mock: verifying {} transactions against {}",
        cases.len(),
        args.server
    );
    for (name, why) in &skipped {
        println!("skip {name}: {why}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let progress = |step: verify::Step<'_>| match step {
        verify::Step::Checked(o) => println!("{}", verify::report::line(o)),
        verify::Step::Skipped(name, why) => println!("skip {name}: {why}"),
    };
    let outcomes = match runtime.block_on(verify::run(cases, &options, progress)) {
        Ok(run) => {
            skipped.extend(run.skipped);
            run.outcomes
        }
        Err(e @ verify::VerifyError::Unreachable { .. }) => {
            eprintln!("apib-mock: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    println!("{}", verify::report::summary(&outcomes, skipped.len()));
    for report in &args.reports {
        let (path, text) = match report {
            ReportFile::Junit(path) => (path, verify::report::junit_report(&outcomes, &skipped)),
            ReportFile::Json(path) => (
                path,
                serde_json::to_string_pretty(&verify::report::json_report(
                    &args.server,
                    &outcomes,
                    &skipped,
                ))?,
            ),
        };
        std::fs::write(path, text).with_context(|| format!("cannot write the report {path}"))?;
    }
    let failed = outcomes.iter().any(|o| !o.passed());
    if outcomes.is_empty() && !args.allow_empty {
        eprintln!(
            "apib-mock: nothing was tested ({} skipped): a run that checks nothing fails \
             (--allow-empty to accept it)",
            skipped.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Says what a reload did: diagnostics on stderr; on stdout a line for
/// people (what was added, removed, changed) or, with `--log-format json`,
/// one JSON object (`reloaded` or `reload-refused`).
fn report_reload(outcome: &Outcome, json: bool) {
    let diagnostics = match outcome {
        Outcome::Unchanged => return,
        Outcome::Restored if json => {
            println!("{}", serde_json::json!({"event": "reload-restored"}));
            return;
        }
        Outcome::Restored => {
            println!(
                "apib-mock: the specs are back to what is served; the last reload error is cleared"
            );
            return;
        }
        Outcome::Reloaded { warnings, .. } => warnings,
        Outcome::Refused(error) => &error.diagnostics,
    };
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
    match outcome {
        Outcome::Unchanged | Outcome::Restored => {}
        Outcome::Reloaded {
            record,
            transactions,
            ..
        } if json => println!(
            "{}",
            serde_json::json!({
                "event": "reloaded",
                "millis": record.millis,
                "transactions": transactions,
                "added": record.diff.added,
                "removed": record.diff.removed,
                "changed": record.diff.changed,
                "notes": record.notes,
            })
        ),
        Outcome::Reloaded {
            record,
            transactions,
            ..
        } => {
            let diff = &record.diff;
            let names = |list: &[String]| {
                let shown: Vec<&str> = list.iter().take(3).map(String::as_str).collect();
                let more = list.len().saturating_sub(3);
                let mut text = shown.join(", ");
                if more > 0 {
                    text.push_str(&format!(" and {more} more"));
                }
                text
            };
            let mut line = format!(
                "apib-mock: reloaded in {:.1} ms: {transactions} transactions; {} added, {} removed, {} changed",
                record.millis,
                diff.added.len(),
                diff.removed.len(),
                diff.changed.len()
            );
            for (what, list) in [
                ("added", &diff.added),
                ("removed", &diff.removed),
                ("changed", &diff.changed),
            ] {
                if !list.is_empty() {
                    line.push_str(&format!("\n  {what}: {}", names(list)));
                }
            }
            for note in &record.notes {
                line.push_str(&format!("\n  {note}"));
            }
            println!("{line}");
        }
        Outcome::Refused(error) if json => println!(
            "{}",
            serde_json::json!({"event": "reload-refused", "reason": error.message})
        ),
        Outcome::Refused(error) => {
            let _ = writeln!(
                err,
                "apib-mock: reload refused ({}); still serving the last good spec",
                error.message
            );
        }
    }
}

/// The contract and its routes as JSON lines (`--log-format json`).
fn endpoint_events(contract: &Contract) -> String {
    let files: Vec<&str> = contract.files().iter().map(|f| &**f).collect();
    let mut out = serde_json::json!({
        "event": "contract",
        "transactions": contract.transactions().len(),
        "routes": contract.endpoints().len(),
        "files": files,
    })
    .to_string();
    out.push('\n');
    for e in contract.endpoints() {
        let line = serde_json::json!({
            "event": "route",
            "method": e.method.as_str(),
            "uri_template": e.template,
            "examples": e.transactions.len(),
            "name": e.label,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The routes a server answers, one line per endpoint.
fn endpoint_table(contract: &Contract) -> String {
    let endpoints = contract.endpoints();
    let mw = endpoints
        .iter()
        .map(|e| e.method.as_str().len())
        .max()
        .unwrap_or(0);
    let tw = endpoints
        .iter()
        .map(|e| e.template.len())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "apib-mock: {} transactions on {} routes from {}\n",
        contract.transactions().len(),
        endpoints.len(),
        contract
            .files()
            .iter()
            .map(|f| &**f)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for e in endpoints {
        let n = e.transactions.len();
        out.push_str(&format!(
            "  {:<mw$}  {:<tw$}  {} example{}  {}\n",
            e.method.as_str(),
            e.template,
            n,
            if n == 1 { "" } else { "s" },
            e.label
        ));
    }
    out
}

#[derive(Serialize)]
struct CheckReport<'a> {
    files: Vec<&'a str>,
    transactions: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

fn check(specs: &[String], format: Format) -> anyhow::Result<ExitCode> {
    let loaded = load::load(specs)?;
    let count = |s| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let report = CheckReport {
        files: loaded
            .documents
            .iter()
            .map(|d| &**d.source.name())
            .collect(),
        transactions: loaded
            .documents
            .iter()
            .map(|d| d.blueprint.transactions().len())
            .sum(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        diagnostics: &loaded.diagnostics,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Human => {
            for d in &loaded.diagnostics {
                writeln!(out, "{d}")?;
            }
            writeln!(
                out,
                "{}: {} transactions, {} errors, {} warnings",
                report.files.join(", "),
                report.transactions,
                report.errors,
                report.warnings
            )?;
        }
    }
    Ok(exit_for(&loaded))
}

fn list_routes(specs: &[String], json: bool, sandbox: bool) -> anyhow::Result<ExitCode> {
    let loaded = load::load(specs)?;
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        writeln!(err, "{d}")?;
    }
    if sandbox {
        let (contract, _) = crate::contract::Contract::compile_with(&loaded.documents, false);
        let collections = contract.collections();
        let mut text = if json {
            serde_json::to_string_pretty(&collections.summary())
                .context("serialising collections")?
        } else {
            collections.report()
        };
        if json {
            text.push('\n');
        }
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(exit_for(&loaded));
    }
    let entries = routes::entries(&loaded.documents);
    let mut out = std::io::stdout().lock();
    if json {
        // Serialised first, so that a closed pipe (`routes --json | head`)
        // is an I/O error main() recognises, not a serde_json one.
        let mut text = serde_json::to_string_pretty(&entries).context("serialising routes")?;
        text.push('\n');
        out.write_all(text.as_bytes())?;
    } else {
        out.write_all(routes::render_table(&entries).as_bytes())?;
    }
    Ok(exit_for(&loaded))
}

fn exit_for(loaded: &Loaded) -> ExitCode {
    if loaded.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_up_token_is_32_hex_digits_and_never_the_same() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }
}
