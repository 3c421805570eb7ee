//! Reading git's own formats from bytes, with no I/O: loose objects, packs
//! (with both kinds of delta), bundles (v2 and v3), commits and trees. The
//! scanner reads a `git bundle` with it; the command line feeds it the files
//! of a repository's `.git` folder.
//!
//! Everything is bounded: at most [`MAX_OBJECTS`] objects, none larger than
//! [`MAX_OBJECT_SIZE`], [`MAX_TOTAL`] bytes in all. What goes past a bound is
//! skipped and counted, never read half.

mod bundle;
mod pack;
pub mod sha1;

use std::collections::HashMap;
use std::fmt;
use std::io::Read as _;

pub use bundle::{Bundle, is_bundle, parse_bundle};

/// The most objects a [`Store`] holds.
pub const MAX_OBJECTS: usize = 500_000;
/// The largest object a [`Store`] keeps, in bytes (inflated).
pub const MAX_OBJECT_SIZE: usize = 32 * 1024 * 1024;
/// The most bytes (inflated) a [`Store`] keeps in all, and a pack may make.
pub const MAX_TOTAL: usize = 256 * 1024 * 1024;

/// A git object id (SHA-1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(pub [u8; 20]);

impl Oid {
    /// The id of an object of `kind` holding `data`.
    pub fn of(kind: Kind, data: &[u8]) -> Self {
        let mut hasher = sha1::Sha1::default();
        hasher.update(format!("{} {}\0", kind.as_str(), data.len()).as_bytes());
        hasher.update(data);
        Self(hasher.finish())
    }

    /// Parses 40 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.as_bytes();
        if hex.len() != 40 {
            return None;
        }
        let mut out = [0_u8; 20];
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            *byte = u8::try_from(high * 16 + low).ok()?;
        }
        Some(Self(out))
    }

    /// The id as 40 lowercase hex digits.
    pub fn hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// The four kinds of git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree (a folder listing).
    Tree,
    /// A blob (a file's content).
    Blob,
    /// An annotated tag.
    Tag,
}

impl Kind {
    /// The kind as git writes it in an object's header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::Tree => "tree",
            Self::Blob => "blob",
            Self::Tag => "tag",
        }
    }

    fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"commit" => Some(Self::Commit),
            b"tree" => Some(Self::Tree),
            b"blob" => Some(Self::Blob),
            b"tag" => Some(Self::Tag),
            _ => None,
        }
    }

    /// The kind from a pack's type number (1 to 4).
    fn from_pack(number: u8) -> Option<Self> {
        match number {
            1 => Some(Self::Commit),
            2 => Some(Self::Tree),
            3 => Some(Self::Blob),
            4 => Some(Self::Tag),
            _ => None,
        }
    }
}

/// Why git data could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitError {
    /// The bytes are not what they claim to be; says where.
    Malformed(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "not valid git data: {what}"),
        }
    }
}

impl std::error::Error for GitError {}

fn malformed<T>(what: impl Into<String>) -> Result<T, GitError> {
    Err(GitError::Malformed(what.into()))
}

/// An object: its kind and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its kind.
    pub kind: Kind,
    /// Its content, without git's header.
    pub data: Vec<u8>,
}

/// Objects by id, within the bounds of the module.
#[derive(Debug, Default)]
pub struct Store {
    objects: HashMap<Oid, Object>,
    total: usize,
    /// Objects not kept: past a bound, broken, or deltas whose base is
    /// missing.
    pub skipped: usize,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object `id`, if the store holds it.
    pub fn get(&self, id: &Oid) -> Option<&Object> {
        self.objects.get(id)
    }

    /// How many objects the store holds.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the store holds no object.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Keeps an object (computing its id) unless a bound is reached; its id
    /// either way.
    pub fn insert(&mut self, kind: Kind, data: Vec<u8>) -> Oid {
        let id = Oid::of(kind, &data);
        if self.objects.contains_key(&id) {
            return id;
        }
        if self.objects.len() >= MAX_OBJECTS
            || data.len() > MAX_OBJECT_SIZE
            || self.total + data.len() > MAX_TOTAL
        {
            self.skipped += 1;
            return id;
        }
        self.total += data.len();
        self.objects.insert(id, Object { kind, data });
        id
    }

    /// Reads a loose object file (`.git/objects/ab/cdef…`: zlib over
    /// `<kind> <size>\0<content>`) and keeps it; its id.
    pub fn add_loose(&mut self, compressed: &[u8]) -> Result<Oid, GitError> {
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(compressed)
            .take(MAX_OBJECT_SIZE as u64 + 64)
            .read_to_end(&mut raw)
            .or_else(|error| malformed(format!("a loose object does not inflate: {error}")))?;
        let Some(nul) = raw.iter().position(|&b| b == 0) else {
            return malformed("a loose object has no header");
        };
        let header = &raw[..nul];
        let Some(space) = header.iter().position(|&b| b == b' ') else {
            return malformed("a loose object's header has no size");
        };
        let Some(kind) = Kind::from_name(&header[..space]) else {
            return malformed("a loose object of an unknown kind");
        };
        let size: usize = std::str::from_utf8(&header[space + 1..])
            .ok()
            .and_then(|size| size.parse().ok())
            .map_or_else(|| malformed("a loose object's size is not a number"), Ok)?;
        let data = raw.split_off(nul + 1);
        if data.len() != size {
            return malformed("a loose object is cut short");
        }
        Ok(self.insert(kind, data))
    }

    /// Reads a packfile (`PACK`, version 2 or 3) and keeps its objects,
    /// resolving offset and reference deltas (against objects already held
    /// too); how many objects the pack declared.
    pub fn add_pack(&mut self, pack: &[u8]) -> Result<usize, GitError> {
        pack::read(self, pack)
    }
}

/// A commit's fields that the history walk needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Its tree.
    pub tree: Oid,
    /// Its parents, first parent first.
    pub parents: Vec<Oid>,
    /// The author line without the date (`Ning <ning@example.org>`).
    pub author: String,
    /// The author time, in seconds since 1970.
    pub time: i64,
    /// The first line of the message.
    pub summary: String,
}

/// Parses a commit's content.
pub fn parse_commit(data: &[u8]) -> Result<CommitInfo, GitError> {
    let text = String::from_utf8_lossy(data);
    let (headers, message) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author = String::new();
    let mut time = 0;
    for line in headers.lines() {
        if let Some(id) = line.strip_prefix("tree ") {
            tree = Oid::from_hex(id.trim());
        } else if let Some(id) = line.strip_prefix("parent ") {
            if let Some(id) = Oid::from_hex(id.trim()) {
                parents.push(id);
            }
        } else if let Some(who) = line.strip_prefix("author ") {
            // `Name <mail> 1700000000 +0100`
            let mut parts = who.rsplitn(3, ' ');
            let _zone = parts.next();
            time = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            author = parts.next().unwrap_or(who).to_owned();
        }
    }
    let Some(tree) = tree else {
        return malformed("a commit without a tree");
    };
    Ok(CommitInfo {
        tree,
        parents,
        author,
        time,
        summary: message.lines().next().unwrap_or("").trim().to_owned(),
    })
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Its mode (`100644`, `40000` for a folder, `160000` for a submodule).
    pub mode: String,
    /// Its name.
    pub name: String,
    /// Its object.
    pub id: Oid,
}

impl TreeEntry {
    /// Whether it is a folder.
    pub fn is_tree(&self) -> bool {
        self.mode == "40000" || self.mode == "040000"
    }

    /// Whether it is a file (or symbolic link) whose content is a blob.
    pub fn is_blob(&self) -> bool {
        self.mode.starts_with("100") || self.mode == "120000"
    }
}

/// Parses a tree's content.
pub fn parse_tree(data: &[u8]) -> Result<Vec<TreeEntry>, GitError> {
    let mut entries = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            return malformed("a tree entry without a mode");
        };
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return malformed("a tree entry without a name");
        };
        if nul < space || rest.len() < nul + 21 {
            return malformed("a tree entry is cut short");
        }
        let mut id = [0_u8; 20];
        id.copy_from_slice(&rest[nul + 1..nul + 21]);
        entries.push(TreeEntry {
            mode: String::from_utf8_lossy(&rest[..space]).into_owned(),
            name: String::from_utf8_lossy(&rest[space + 1..nul]).into_owned(),
            id: Oid(id),
        });
        rest = &rest[nul + 21..];
    }
    Ok(entries)
}
