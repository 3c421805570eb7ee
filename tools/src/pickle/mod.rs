//! The pickle inspector (lesson 8): reads a pickle of any protocol (0–5)
//! without ever loading it, lists its opcodes as Python's `pickletools.dis`
//! does, names every global it imports and every call it would make, and
//! says in readable Python what `pickle.load` would do.
//!
//! Nothing is ever executed: a symbolic machine (stack, memo, marks) plays
//! the opcodes on descriptions of values. Everything kept is bounded (see
//! the limits in `machine.rs`), so a 10 MB input gives a report of bounded size in
//! linear time; truncated or hostile bytes give a [`ReadError`], never a
//! panic.

mod globals;
mod machine;
mod ops;
mod printable;
mod pyrepr;

use serde::{Deserialize, Serialize};

/// The most opcodes a report lists; the count goes on past it.
pub const LISTING_LIMIT: usize = 100_000;

/// What the inspector read in one pickle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The input's size in bytes.
    pub size: usize,
    /// The protocol its `PROTO` opcode names (0 or 1 when it has none).
    pub protocol: Option<u8>,
    /// The opcodes in order, at most [`LISTING_LIMIT`].
    pub listing: Vec<Op>,
    /// How many opcodes the pickle has in all.
    pub op_count: usize,
    /// Every global it imports (`GLOBAL`, `STACK_GLOBAL`, `INST`, `OBJ`
    /// classes), in order, each once.
    pub imports: Vec<Import>,
    /// Every call loading it would make (`REDUCE`, `INST`, `OBJ`, `NEWOBJ`,
    /// `NEWOBJ_EX`, `BUILD` with a `__setstate__`), in order.
    pub calls: Vec<Call>,
    /// What `pickle.load` would do, as readable Python.
    pub python: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Where reading stopped early, if it did (truncated or hostile bytes).
    pub error: Option<ReadError>,
    /// How many calls it makes in all (`calls` keeps the first ones).
    #[serde(default)]
    pub call_count: usize,
    /// The highest protocol among its opcodes (`pickletools.dis`' last line).
    #[serde(default)]
    pub highest_protocol: Option<u8>,
    /// Bytes after `STOP`, which `pickle.load` never reads.
    #[serde(default)]
    pub trailing: usize,
    /// Where `pickletools.dis` itself would stop with an error (it checks the
    /// memo and marks more strictly than `pickle.load`), if it would.
    #[serde(default)]
    pub dis_error: Option<String>,
    /// The index in `listing` of the opcode after which `pickletools.dis`
    /// raises that error (its last printed line), if it does before `STOP`.
    #[serde(default)]
    pub dis_stop: Option<usize>,
    /// Whether reading reached `STOP`.
    #[serde(default)]
    pub stopped: bool,
    /// The file's name, when the caller knows it (the command line sets it).
    #[serde(default)]
    pub name: Option<String>,
    /// Whether [`Report::human`] ends with the listing (`safelab pickle --dis`).
    #[serde(skip)]
    pub human_listing: bool,
}

/// One opcode of the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Its byte offset.
    pub offset: usize,
    /// Its name (`SHORT_BINUNICODE`).
    pub name: String,
    /// Its argument as `pickletools.dis` prints it (`'os'`), if it has one.
    pub argument: Option<String>,
    /// How many `MARK`s are open before it (`pickletools.dis`' indentation).
    pub depth: usize,
    /// Its byte as `pickletools.dis` shows it (`\\x80`, `(`).
    #[serde(default)]
    pub code: String,
    /// The note `pickletools.dis` adds (`(MARK at 5)`, `(as 3)`).
    #[serde(default)]
    pub note: Option<String>,
}

/// A global the pickle imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The module (`os`, `posix`, `numpy.core.multiarray`).
    pub module: String,
    /// The name in it (`system`).
    pub name: String,
    /// Offset of the opcode that imports it.
    pub offset: usize,
    /// Whether importing and calling it can run code or touch the system
    /// (known dangerous, or unknown).
    pub dangerous: bool,
    /// What the inspector knows of it.
    #[serde(default = "Risk::unknown")]
    pub risk: Risk,
    /// Why, in words (`os runs commands and touches files`).
    #[serde(default)]
    pub why: String,
}

/// What the inspector knows of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// A known data constructor (numpy, pandas, collections, datetime…).
    Data,
    /// Not known either way: it runs whatever code it has.
    Unknown,
    /// Known to run commands or code, or touch files or the network.
    Dangerous,
}

impl Risk {
    /// [`Risk::Unknown`] (serde's default).
    fn unknown() -> Self {
        Self::Unknown
    }

    /// The risk in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Unknown => "unknown",
            Self::Dangerous => "dangerous",
        }
    }
}

/// A call loading the pickle would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Offset of the opcode that makes it.
    pub offset: usize,
    /// What is called, as a dotted name (`os.system`).
    pub callable: String,
    /// The call as Python (`os.system('curl http://… | sh')`).
    pub python: String,
    /// Whether the callable is dangerous.
    pub dangerous: bool,
    /// The strings among its arguments (in lists and tuples too), in order:
    /// the command `os.system` would run, the code `eval` would evaluate.
    #[serde(default)]
    pub strings: Vec<String>,
}

/// How safe loading the pickle would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Only plain data (numbers, strings, lists, dicts…): no imports.
    Data,
    /// Imports and calls only known data constructors (numpy arrays, pandas
    /// frames, `collections.OrderedDict`…): loading it runs their code, which
    /// is only as safe as whoever made the file.
    Objects,
    /// Imports or calls something that can run commands, code or touch the
    /// system (`os.system`, `builtins.eval`, `subprocess.Popen`…), or an
    /// unknown global.
    Dangerous,
    /// Not a pickle, or broken before anything could be said.
    Malformed,
}

/// Why reading stopped before `STOP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadError {
    /// Offset where reading stopped.
    pub offset: usize,
    /// What was wrong, in words (`truncated: BINUNICODE needs 12 more bytes`).
    pub message: String,
}

impl Verdict {
    /// The verdict in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Objects => "objects",
            Self::Dangerous => "dangerous",
            Self::Malformed => "malformed",
        }
    }

    /// What the verdict means for the person about to load the file.
    pub fn advice(self) -> &'static str {
        match self {
            Self::Data => "plain data only: loading it imports and calls nothing",
            Self::Objects => {
                "it builds objects of known data libraries: loading runs their code, so load it only if you trust whoever made it"
            }
            Self::Dangerous => {
                "loading it would import or call something that can run commands or code: do not load it"
            }
            Self::Malformed => "not a readable pickle: pickle.load would fail on it",
        }
    }
}

impl Report {
    /// Problems found: the dangerous imports and calls, and 1 more when the
    /// pickle is malformed.
    pub fn finding_count(&self) -> usize {
        let found = self.imports.iter().filter(|i| i.dangerous).count()
            + self.calls.iter().filter(|c| c.dangerous).count();
        let found = if found == 0 && self.verdict == Verdict::Dangerous {
            1
        } else {
            found
        };
        found + usize::from(self.error.is_some())
    }

    /// The report for a terminal: the verdict first, then the imports, the
    /// calls and the Python that loading would run.
    pub fn human(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        if let Some(name) = &self.name {
            let _ = writeln!(out, "== {name}");
        }
        let _ = writeln!(
            out,
            "verdict: {} ({})",
            self.verdict.as_str().to_uppercase(),
            self.verdict.advice()
        );
        let protocol = self
            .protocol
            .map_or_else(|| "0 or 1 (no PROTO)".to_string(), |p| p.to_string());
        let _ = writeln!(
            out,
            "{} bytes, protocol {protocol}, {} opcodes",
            self.size, self.op_count
        );
        if let Some(error) = &self.error {
            let _ = writeln!(out, "error at offset {}: {}", error.offset, error.message);
        }
        if self.trailing > 0 {
            let _ = writeln!(out, "{} bytes after STOP (never read)", self.trailing);
        }
        if !self.imports.is_empty() {
            let _ = writeln!(out, "imports:");
            for import in &self.imports {
                let _ = writeln!(
                    out,
                    "  {:9} {}.{} (offset {}): {}",
                    import.risk.as_str(),
                    import.module,
                    import.name,
                    import.offset,
                    import.why
                );
            }
        }
        if !self.calls.is_empty() {
            let _ = writeln!(out, "calls:");
            for call in &self.calls {
                let mark = if call.dangerous { "!" } else { " " };
                let _ = writeln!(out, "  {mark} {} (offset {})", call.python, call.offset);
            }
            if self.call_count > self.calls.len() {
                let _ = writeln!(out, "  … {} more", self.call_count - self.calls.len());
            }
        }
        let _ = writeln!(out, "what pickle.load would do, as Python:");
        for line in self.python.lines() {
            let _ = writeln!(out, "  {line}");
        }
        if self.human_listing {
            let _ = writeln!(out, "opcodes (as pickletools.dis lists them):");
            out.push_str(&self.dis());
        }
        out.push('\n');
        out
    }

    /// The listing exactly as `pickletools.dis` prints it (for the listing's
    /// first [`LISTING_LIMIT`] opcodes, and arguments up to the repr limit).
    pub fn dis(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let stop_at = self.dis_stop;
        for (i, op) in self.listing.iter().enumerate() {
            let _ = write!(
                out,
                "{:5}: {:<4} {}{}",
                op.offset,
                op.code,
                "    ".repeat(op.depth),
                op.name
            );
            if op.argument.is_some() || op.note.is_some() {
                out.push_str(&" ".repeat(10usize.saturating_sub(op.name.len())));
                if let Some(arg) = &op.argument {
                    out.push(' ');
                    out.push_str(arg);
                }
                if let Some(note) = &op.note {
                    out.push(' ');
                    out.push_str(note);
                }
            }
            out.push('\n');
            if stop_at == Some(i) {
                return out;
            }
        }
        if self.op_count > self.listing.len() {
            let _ = writeln!(
                out,
                "# {} more opcodes not listed",
                self.op_count - self.listing.len()
            );
        }
        if self.stopped {
            let proto = self
                .highest_protocol
                .map_or_else(|| "-1".to_string(), |p| p.to_string());
            let _ = writeln!(out, "highest protocol among opcodes = {proto}");
        }
        out
    }
}

/// Reads `bytes` as a pickle, never executing anything.
pub fn inspect(bytes: &[u8]) -> Report {
    machine::Machine::new(bytes).run()
}

#[cfg(test)]
mod tests;
