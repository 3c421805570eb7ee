//! The pickle inspector (lesson 8): reads a pickle of any protocol (0–5)
//! without ever loading it, lists its opcodes as Python's `pickletools.dis`
//! does, names every global it imports and every call it would make, and
//! says in readable Python what `pickle.load` would do.
//!
//! SKELETON: the types are the contract the app and the command line use;
//! the parser is to be written.

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
    /// Whether importing and calling it can run code or touch the system.
    pub dangerous: bool,
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

impl Report {
    /// Problems found: the dangerous imports and calls, or 1 for a malformed
    /// pickle.
    pub fn finding_count(&self) -> usize {
        todo!("skeleton")
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        todo!("skeleton")
    }

    /// The listing exactly as `pickletools.dis` prints it.
    pub fn dis(&self) -> String {
        todo!("skeleton")
    }
}

/// Reads `bytes` as a pickle, never executing anything.
pub fn inspect(bytes: &[u8]) -> Report {
    let _ = bytes;
    todo!("skeleton")
}
