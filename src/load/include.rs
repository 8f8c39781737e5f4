//! `<!-- include(path/to/part.apib) -->`: the include directive that API
//! Blueprint tools (aglio, drakov) use to split a blueprint into files.
//!
//! The directive is replaced by the file's text, indented like the
//! directive, before the blueprint is parsed; a [`SourceMap`] keeps every
//! line's origin so that diagnostics name the included file and its own
//! line numbers. Paths are relative to the including file, includes nest,
//! and neither a cycle nor a path outside the root file's directory is
//! followed: both are located errors. So is an include bomb (files that
//! include each other many times over): the assembled text may not grow
//! past the spec size limit, nor splice more than [`MAX_INCLUDES`] files,
//! and each file is read once however often it is included.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::diag::{Diagnostic, SourceFile, SourceMap};

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*include\(\s*([^)]*?)\s*\)\s*-->").expect("static regex"));

/// Includes nest at most this deep (a cycle is caught before; this bounds
/// a long chain of distinct files).
const MAX_DEPTH: usize = 32;

/// Directives one spec may expand, all files together.
const MAX_INCLUDES: usize = 10_000;

/// Whether `text` may hold a directive (cheap test before the real work).
pub(super) fn has_directive(text: &str) -> bool {
    text.contains("include(") && DIRECTIVE.is_match(text)
}

/// A root file with its includes spliced in.
pub(super) struct Assembled {
    pub source: SourceFile,
    /// Every included file read (for watching), in order, with a hash of
    /// the bytes that were spliced in.
    pub included: Vec<(PathBuf, u64)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Splices the includes of `root` (named `name`, read from `path`).
/// The assembled text may not grow past `max_size` bytes.
pub(super) fn assemble(name: &str, path: &Path, text: String, max_size: usize) -> Assembled {
    let root_dir = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .and_then(|d| d.canonicalize().ok());
    let mut a = Assembler {
        root_dir,
        out: String::with_capacity(text.len()),
        map: SourceMap::default(),
        stack: path.canonicalize().ok().into_iter().collect(),
        included: Vec::new(),
        diagnostics: Vec::new(),
        read: HashMap::new(),
        expansions: 0,
        max_size,
        stopped: false,
    };
    let origin = Arc::new(SourceFile::new(name, text));
    a.expand(&origin, path, "");
    Assembled {
        source: SourceFile::assembled(name, a.out, a.map),
        included: a.included,
        diagnostics: a.diagnostics,
    }
}

struct Assembler {
    /// Includes must stay inside the root file's directory.
    root_dir: Option<PathBuf>,
    out: String,
    map: SourceMap,
    /// Canonical paths being expanded, outermost first.
    stack: Vec<PathBuf>,
    included: Vec<(PathBuf, u64)>,
    diagnostics: Vec<Diagnostic>,
    /// Each file's text as read, by canonical path (read once however
    /// often it is included), with the hash of its bytes.
    read: HashMap<PathBuf, (Arc<SourceFile>, u64)>,
    /// Directives expanded so far.
    expansions: usize,
    max_size: usize,
    /// A bound was hit (and said): nothing more is spliced.
    stopped: bool,
}

impl Assembler {
    /// Stops at a bound, with an error at `at` in `origin` naming the
    /// include chain that got there.
    fn stop(&mut self, origin: &SourceFile, at: usize, what: String) {
        let chain: Vec<String> = self.stack.iter().map(|p| short(p)).collect();
        self.diagnostics.push(Diagnostic::error(
            origin.location(at),
            format!("{what} (include chain: {})", chain.join(" → ")),
        ));
        self.stopped = true;
    }

    fn expand(&mut self, origin: &Arc<SourceFile>, path: &Path, indent: &str) {
        let text = origin.text();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            match DIRECTIVE.captures(line) {
                Some(caps) => {
                    let whole = caps.get(0).map_or(0..0, |m| m.range());
                    let target = caps.get(1).map_or("", |m| m.as_str());
                    let before = &line[..whole.start];
                    let prefix = if before.trim().is_empty() {
                        before
                    } else {
                        self.copy(origin, offset, indent, before);
                        ""
                    };
                    let at = offset + whole.start;
                    let nested = format!("{indent}{prefix}");
                    self.include(origin, path, target, at, &nested);
                    let after = &line[whole.end..];
                    if !after.trim().is_empty() {
                        self.copy(origin, offset + whole.end, indent, after);
                    } else if !self.out.is_empty() && !self.out.ends_with('\n') {
                        self.out.push('\n');
                    }
                }
                None => self.copy(origin, offset, indent, line),
            }
            offset += line.len();
        }
    }

    /// Copies `text` (at `offset` in `origin`) with `indent` before it.
    fn copy(&mut self, origin: &Arc<SourceFile>, offset: usize, indent: &str, text: &str) {
        if self.stopped {
            return;
        }
        if self.out.len() + indent.len() + text.len() > self.max_size {
            let limit = self.max_size;
            return self.stop(
                origin,
                offset,
                format!("the spec grows past {limit} bytes with its includes (--max-spec-size)"),
            );
        }
        self.map.push(self.out.len(), origin, offset, indent.len());
        self.out.push_str(indent);
        self.out.push_str(text);
    }

    fn include(
        &mut self,
        origin: &Arc<SourceFile>,
        from: &Path,
        target: &str,
        at: usize,
        indent: &str,
    ) {
        if self.stopped {
            return;
        }
        self.expansions += 1;
        if self.expansions > MAX_INCLUDES {
            return self.stop(
                origin,
                at,
                format!("more than {MAX_INCLUDES} includes in one spec (an include bomb?)"),
            );
        }
        let mut error = |message: String| {
            self.diagnostics
                .push(Diagnostic::error(origin.location(at), message));
        };
        if target.is_empty() {
            return error("empty include directive; write `<!-- include(part.apib) -->`".into());
        }
        if self.stack.len() > MAX_DEPTH {
            return error(format!("includes nested more than {MAX_DEPTH} deep"));
        }
        let base = from.parent().unwrap_or(Path::new("."));
        let path = base.join(target);
        let canonical = match path.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                return error(format!(
                    "cannot include `{target}` ({}): {e}",
                    path.display()
                ));
            }
        };
        if let Some(root) = &self.root_dir
            && !canonical.starts_with(root)
        {
            return error(format!(
                "`{target}` is outside the spec's directory ({}); includes cannot leave it",
                root.display()
            ));
        }
        if let Some(first) = self.stack.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = self.stack[first..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| short(p))
                .collect();
            return error(format!("include cycle: {}", chain.join(" → ")));
        }
        let (child, hash) = match self.read.get(&canonical) {
            Some((child, hash)) => (child.clone(), *hash),
            None => {
                let bytes = match super::read::read_bounded(&path, self.max_size) {
                    Ok(b) => b,
                    Err(e) => return error(format!("cannot include `{target}`: {e}")),
                };
                let hash = super::bytes_hash(&bytes);
                let Ok(text) = String::from_utf8(bytes) else {
                    return error(format!("`{target}` is not valid UTF-8; save it as UTF-8"));
                };
                let text = super::normalise_line_ends(text);
                let child = Arc::new(SourceFile::new(path.display().to_string(), text));
                self.read.insert(canonical.clone(), (child.clone(), hash));
                (child, hash)
            }
        };
        if !self.included.iter().any(|(p, _)| *p == path) {
            self.included.push((path.clone(), hash));
        }
        self.stack.push(canonical);
        self.expand(&child, &path, indent);
        self.stack.pop();
        if !self.stopped && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }
}

/// A file's name, for an include chain.
fn short(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
