//! `git bundle` files: a text header (`# v2 git bundle` or `# v3 git bundle`
//! with `@capability` lines), prerequisite (`-<id>`) and reference
//! (`<id> <name>`) lines, an empty line, then a packfile.

use super::{GitError, Oid, malformed};

/// A bundle's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Its format version: 2 or 3.
    pub version: u8,
    /// The references it carries (`refs/heads/main`, `HEAD`) and their
    /// commits, in its order.
    pub refs: Vec<(String, Oid)>,
    /// Commits it assumes the reader has.
    pub prerequisites: Vec<Oid>,
    /// Where its packfile starts.
    pub pack_offset: usize,
}

/// Whether `bytes` start like a bundle.
pub fn is_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(b"# v2 git bundle\n") || bytes.starts_with(b"# v3 git bundle\n")
}

/// Reads a bundle's header.
pub fn parse_bundle(bytes: &[u8]) -> Result<Bundle, GitError> {
    let version = if bytes.starts_with(b"# v2 git bundle\n") {
        2
    } else if bytes.starts_with(b"# v3 git bundle\n") {
        3
    } else {
        return malformed("not a git bundle (no # v2/v3 git bundle line)");
    };
    let mut offset = 16;
    let mut refs = Vec::new();
    let mut prerequisites = Vec::new();
    loop {
        let Some(end) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            return malformed("a bundle's header never ends");
        };
        let line = String::from_utf8_lossy(&bytes[offset..offset + end]).into_owned();
        offset += end + 1;
        if line.is_empty() {
            break;
        }
        if let Some(capability) = line.strip_prefix('@') {
            if version == 2 {
                return malformed("a v2 bundle with a capability line");
            }
            if let Some(format) = capability.strip_prefix("object-format=")
                && format != "sha1"
            {
                return malformed(format!("a bundle of {format} objects (only sha1 is read)"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix('-') {
            let id = rest.split(' ').next().unwrap_or_default();
            match Oid::from_hex(id) {
                Some(id) => prerequisites.push(id),
                None => return malformed("a bundle prerequisite without an id"),
            }
            continue;
        }
        let (id, name) = line.split_once(' ').unwrap_or((&line, ""));
        match Oid::from_hex(id) {
            Some(id) => refs.push((name.to_owned(), id)),
            None => return malformed("a bundle reference without an id"),
        }
    }
    Ok(Bundle {
        version,
        refs,
        prerequisites,
        pack_offset: offset,
    })
}
