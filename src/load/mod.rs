//! Spec arguments → files → parsed documents.
//!
//! A SPEC is a file, a directory (every `*.apib` and `*.md` under it,
//! recursively, in sorted order) or a glob. With no SPEC, `specs/` in the
//! working directory is used when it exists, else the user's spec that is
//! built into the binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

mod include;
mod read;

use crate::blueprint::{self, Blueprint};
use crate::diag::{Diagnostic, SourceFile};

/// The spec built into the binary: the retailer CRM API.
pub const EMBEDDED_SPEC: &str = include_str!("../../specs/retailers.apib");
/// The name diagnostics use for [`EMBEDDED_SPEC`].
pub const EMBEDDED_NAME: &str = "<embedded>/retailers.apib";

/// One parsed file and its source (kept to locate spans later).
#[derive(Debug, Clone)]
pub struct Document {
    /// The text as parsed (line ends normalised to `\n`).
    pub source: SourceFile,
    /// What it says.
    pub blueprint: Blueprint,
}

/// Bounds on what a load reads: a spec (or one of its includes) larger
/// than this is an error, and so is a spec that grows past it once its
/// includes are spliced in (an include bomb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpecLimits {
    /// The most bytes of one spec file, and of one spec with its includes.
    pub max_spec_size: usize,
}

impl Default for SpecLimits {
    fn default() -> Self {
        Self {
            max_spec_size: 32 << 20,
        }
    }
}

impl SpecLimits {
    /// Limits with `max_spec_size` bytes.
    pub fn with_max_spec_size(max_spec_size: usize) -> Self {
        Self { max_spec_size }
    }
}

/// Every document of a load and every diagnostic, in file order.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Parsed documents.
    pub documents: Vec<Document>,
    /// Problems found in all of them (and across them).
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read: the specs and the files they include (what a
    /// watcher must watch). Empty for the embedded spec.
    pub files: Vec<PathBuf>,
    /// A hash of every file's name and bytes: equal fingerprints mean
    /// nothing changed.
    pub fingerprint: u64,
}

impl Loaded {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Operational failures: the spec could not be read at all.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A named file or directory does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(String),
    /// A glob matched nothing, or a directory holds no blueprint.
    #[error("{0}: no *.apib or *.md file found")]
    Empty(String),
    /// A glob pattern is malformed.
    #[error("{pattern}: invalid glob: {source}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Why.
        source: glob::PatternError,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A spec named on the command line, or found in a directory, is not
    /// one that may be read (not a regular file, or too large).
    #[error("{path}: {why}")]
    Refused {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

/// Where the specs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecSource {
    /// Files on disk.
    Files(Vec<PathBuf>),
    /// The built-in spec.
    Embedded,
}

/// Resolves SPEC arguments to files.
pub fn resolve(specs: &[String]) -> Result<SpecSource, LoadError> {
    if specs.is_empty() {
        let default = Path::new("specs");
        if default.is_dir() {
            return resolve(&["specs".to_string()]);
        }
        return Ok(SpecSource::Embedded);
    }
    let mut files = Vec::new();
    for spec in specs {
        let path = Path::new(spec);
        if path.is_dir() {
            let before = files.len();
            collect_dir(path, &mut files)?;
            if files.len() == before {
                return Err(LoadError::Empty(spec.clone()));
            }
        } else if path.is_file() {
            files.push(path.to_path_buf());
        } else if let Ok(meta) = std::fs::metadata(path) {
            return Err(LoadError::Refused {
                path: spec.clone(),
                why: format!(
                    "it is a {}, not a regular file; only files are read as specs",
                    read::describe(&meta.file_type())
                ),
            });
        } else if spec.contains(['*', '?', '[']) {
            let paths = glob::glob(spec).map_err(|source| LoadError::BadGlob {
                pattern: spec.clone(),
                source,
            })?;
            let mut matched: Vec<PathBuf> = paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if matched.is_empty() {
                return Err(LoadError::Empty(spec.clone()));
            }
            matched.sort();
            files.extend(matched);
        } else {
            return Err(LoadError::NotFound(spec.clone()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    Ok(SpecSource::Files(files))
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_dir(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("apib") || e.eq_ignore_ascii_case("md"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads and parses every spec, then checks across files, within the
/// default [`SpecLimits`].
#[cfg(any(feature = "cli", test))]
pub fn load(specs: &[String]) -> Result<Loaded, LoadError> {
    load_with(specs, SpecLimits::default())
}

/// Reads and parses every spec within `limits`, then checks across files.
pub fn load_with(specs: &[String], limits: SpecLimits) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded::default();
    match resolve(specs)? {
        SpecSource::Embedded => {
            loaded.add(parse_bytes(EMBEDDED_NAME, EMBEDDED_SPEC.as_bytes()));
        }
        SpecSource::Files(files) => {
            let mut hashes = Vec::new();
            for file in files {
                let bytes = read::read_bounded(&file, limits.max_spec_size).map_err(|e| {
                    let path = file.display().to_string();
                    match e {
                        read::ReadError::Io(source) => LoadError::Io { path, source },
                        refused => LoadError::Refused {
                            path,
                            why: refused.to_string(),
                        },
                    }
                })?;
                hashes.push(bytes_hash(&bytes));
                let (document, diagnostics, included) = parse_file(&file, &bytes, limits);
                loaded.files.push(file);
                for (path, hash) in included {
                    loaded.files.push(path);
                    hashes.push(hash);
                }
                loaded.add((document, diagnostics));
            }
            // From the bytes parsed, not read again: a write that lands
            // in between must still look like a change.
            loaded.fingerprint = combine(&loaded.files, &hashes);
        }
    }
    loaded.check_cross_file_duplicates();
    Ok(loaded)
}

/// The fingerprint `files` have now (a missing or unreadable file counts
/// as such): equal to [`Loaded::fingerprint`] when none of them changed
/// since.
pub fn current_fingerprint(files: &[PathBuf], limits: SpecLimits) -> u64 {
    let hashes: Vec<u64> = files
        .iter()
        .map(|f| read::read_bounded(f, limits.max_spec_size).map_or(0, |b| bytes_hash(&b)))
        .collect();
    combine(files, &hashes)
}

/// FxHash: a reload of a large spec hashes megabytes, and SipHash's
/// resistance to chosen collisions buys nothing against an editor.
fn bytes_hash(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

fn combine(files: &[PathBuf], hashes: &[u64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    files.hash(&mut h);
    hashes.hash(&mut h);
    h.finish()
}

/// Parses a spec file read from `path`, splicing its includes; also
/// returns the included files with a hash of their bytes.
pub fn parse_file(
    path: &Path,
    bytes: &[u8],
    limits: SpecLimits,
) -> (Document, Vec<Diagnostic>, Vec<(PathBuf, u64)>) {
    let name = path.display().to_string();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if include::has_directive(text) => text,
        Ok(text) => {
            let (doc, diags) = parse_text(&name, text);
            return (doc, diags, Vec::new());
        }
        Err(_) => {
            let (doc, diags) = parse_bytes(&name, bytes);
            return (doc, diags, Vec::new());
        }
    };
    let assembled = include::assemble(
        &name,
        path,
        normalise_line_ends(text.to_string()),
        limits.max_spec_size,
    );
    let (blueprint, mut diagnostics) = blueprint::parse(&assembled.source);
    let mut all = assembled.diagnostics;
    all.append(&mut diagnostics);
    let document = Document {
        source: assembled.source,
        blueprint,
    };
    (document, all, assembled.included)
}

/// CRLF and lone CR become LF (a CR never ends up in a body): the lines
/// diagnostics count.
pub fn normalise_line_ends(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// Parses one file's bytes: non-UTF-8 input is one located error; line
/// ends are normalised to `\n` (CR never ends up in a body).
pub fn parse_bytes(name: &str, bytes: &[u8]) -> (Document, Vec<Diagnostic>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The valid prefix is UTF-8 by definition.
            let prefix = String::from_utf8_lossy(valid).into_owned();
            let at = prefix.len();
            let source = SourceFile::new(name, prefix);
            let d = Diagnostic::error(
                source.location(at),
                "the file is not valid UTF-8 (first bad byte here); save it as UTF-8",
            );
            let blueprint = Blueprint {
                file: source.name().clone(),
                ..Blueprint::default()
            };
            return (Document { source, blueprint }, vec![d]);
        }
    };
    parse_text(name, text)
}

/// Parses text already known to be UTF-8.
fn parse_text(name: &str, text: &str) -> (Document, Vec<Diagnostic>) {
    let source = SourceFile::new(name, normalise_line_ends(text.to_string()));
    let (blueprint, diagnostics) = blueprint::parse(&source);
    (Document { source, blueprint }, diagnostics)
}

impl Loaded {
    fn add(&mut self, (document, diagnostics): (Document, Vec<Diagnostic>)) {
        self.diagnostics.extend(diagnostics);
        self.documents.push(document);
    }

    /// Same method and equivalent URI template in two files: the second
    /// can never be reached.
    fn check_cross_file_duplicates(&mut self) {
        let mut seen: HashMap<(String, String), (usize, usize)> = HashMap::new();
        let mut found = Vec::new();
        for (doc_index, doc) in self.documents.iter().enumerate() {
            let mut here = HashMap::new();
            for r in doc.blueprint.groups.iter().flat_map(|g| &g.resources) {
                for a in &r.actions {
                    let uri = a.uri.as_ref().unwrap_or(&r.uri);
                    let key = (a.method.clone(), uri.route_key());
                    here.entry(key).or_insert(a.span.start);
                }
            }
            for (key, at) in here {
                match seen.get(&key) {
                    Some(&(first_doc, first_at)) if first_doc != doc_index => {
                        found.push((doc_index, at, first_doc, first_at, key));
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(key, (doc_index, at));
                    }
                }
            }
        }
        found.sort_by_key(|f| (f.0, f.1));
        for (doc, at, first_doc, first_at, (method, uri)) in found {
            let d = Diagnostic::warning(
                self.documents[doc].source.location(at),
                format!("duplicate action {method} {uri}: another spec file already documents it"),
            )
            .with_related(
                self.documents[first_doc].source.location(first_at),
                "first defined here",
            );
            self.diagnostics.push(d);
        }
    }
}
