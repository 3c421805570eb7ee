//! A git history as a whole: every commit reachable from the references,
//! oldest first, each blob version scanned once, each secret attributed to
//! the commit that added it to its file, and checked against the newest
//! commit (is it still there, or "deleted" but still in the history?).

use std::collections::{HashMap, HashSet};

use super::git::{self, GitError, Kind, Oid, Store};
use super::{Commit, FINDING_LIMIT, Finding, Report, file};

/// The most commits a history scan walks.
pub const MAX_COMMITS: usize = 100_000;
/// How deep folders may nest.
const MAX_DEPTH: usize = 64;

/// Scans a `git bundle`.
pub fn scan_bundle(name: &str, bytes: &[u8]) -> Report {
    let mut report = Report::default();
    if let Err(error) = read_bundle(&mut report, bytes) {
        report.problems.push(format!("{name}: {error}"));
    }
    report
}

fn read_bundle(report: &mut Report, bytes: &[u8]) -> Result<(), GitError> {
    let bundle = git::parse_bundle(bytes)?;
    let mut store = Store::new();
    let pack = store.add_pack(&bytes[bundle.pack_offset..]);
    if !bundle.prerequisites.is_empty() {
        report.problems.push(format!(
            "the bundle builds on {} commit(s) it does not hold: their files were not scanned",
            bundle.prerequisites.len()
        ));
    }
    if let Err(error) = pack {
        // Keep what was read before the damage.
        report
            .problems
            .push(format!("{error}; the objects before it were scanned"));
    }
    scan_history(report, &store, &bundle.refs);
    Ok(())
}

/// The commit a reference names (peeling annotated tags).
fn peel(store: &Store, mut id: Oid) -> Option<Oid> {
    for _ in 0..16 {
        let object = store.get(&id)?;
        match object.kind {
            Kind::Commit => return Some(id),
            Kind::Tag => {
                let text = String::from_utf8_lossy(&object.data);
                id = Oid::from_hex(text.lines().next()?.strip_prefix("object ")?.trim())?;
            }
            _ => return None,
        }
    }
    None
}

/// The newest commit: `HEAD`, else `main` or `master`, else the first
/// reference.
fn newest(store: &Store, refs: &[(String, Oid)]) -> Option<Oid> {
    for name in ["HEAD", "refs/heads/main", "refs/heads/master"] {
        if let Some((_, id)) = refs.iter().find(|(n, _)| n == name)
            && let Some(commit) = peel(store, *id)
        {
            return Some(commit);
        }
    }
    refs.iter().find_map(|(_, id)| peel(store, *id))
}

/// Scans every commit `store` holds that `refs` reach into `report`.
pub fn scan_history(report: &mut Report, store: &Store, refs: &[(String, Oid)]) {
    let head = newest(store, refs);
    let tips: Vec<Oid> = head
        .into_iter()
        .chain(refs.iter().filter_map(|(_, id)| peel(store, *id)))
        .collect();
    let order = oldest_first(store, &tips);
    if order.len() >= MAX_COMMITS {
        report
            .problems
            .push(format!("only the first {MAX_COMMITS} commits were walked"));
    }
    if store.skipped > 0 {
        report.problems.push(format!(
            "{} object(s) were not read (too large, too many, or broken)",
            store.skipped
        ));
    }
    report.scanned.commits += order.len();
    let mut scans: HashMap<Oid, Vec<file::Hit>> = HashMap::new();
    let mut seen: HashSet<(&'static str, u64, String)> = HashSet::new();
    let mut found: Vec<(Finding, u64, Oid)> = Vec::new();
    for (id, commit) in &order {
        let parent_tree = commit
            .parents
            .first()
            .and_then(|parent| store.get(parent))
            .and_then(|parent| git::parse_commit(&parent.data).ok())
            .map(|parent| parent.tree);
        let mut changed = Vec::new();
        diff(store, commit.tree, parent_tree, "", &mut changed, 0);
        for (path, blob) in changed {
            let hits = scans
                .entry(blob)
                .or_insert_with(|| scan_blob(report, store, &path, blob));
            for hit in hits.iter() {
                if !seen.insert((hit.rule.id, hit.fingerprint, path.clone())) {
                    continue;
                }
                let finding = hit.finding(
                    &path,
                    Some(Commit {
                        id: id.hex(),
                        author: commit.author.clone(),
                        summary: commit.summary.clone(),
                        still_present: false,
                    }),
                );
                found.push((finding, hit.fingerprint, blob));
            }
        }
    }
    // Still there in the newest commit?
    let head_tree = head
        .and_then(|id| store.get(&id))
        .and_then(|commit| git::parse_commit(&commit.data).ok())
        .map(|commit| commit.tree);
    for (finding, fingerprint, _) in &mut found {
        let present = head_tree
            .and_then(|tree| lookup(store, tree, &finding.file))
            .map(|blob| {
                let hits = scans
                    .entry(blob)
                    .or_insert_with(|| scan_blob(report, store, &finding.file, blob));
                hits.iter()
                    .any(|hit| hit.fingerprint == *fingerprint && hit.rule.id == finding.kind)
            })
            .unwrap_or(false);
        if let Some(commit) = &mut finding.commit {
            commit.still_present = present;
        }
    }
    for (finding, _, _) in found {
        report.finding_total += 1;
        if report.findings.len() < FINDING_LIMIT {
            report.findings.push(finding);
        }
    }
}

/// Scans one blob, counting it in `report`.
fn scan_blob(report: &mut Report, store: &Store, path: &str, blob: Oid) -> Vec<file::Hit> {
    let Some(object) = store.get(&blob) else {
        return Vec::new();
    };
    report.scanned.files += 1;
    report.scanned.bytes += object.data.len();
    if file::is_binary(&object.data) {
        report.scanned.binary += 1;
        return Vec::new();
    }
    file::scan_text(path, &object.data)
}

/// The commits `tips` reach, parents before children.
fn oldest_first(store: &Store, tips: &[Oid]) -> Vec<(Oid, git::CommitInfo)> {
    let mut order = Vec::new();
    let mut state: HashMap<Oid, bool> = HashMap::new(); // false: entered, true: done
    let mut parsed: HashMap<Oid, git::CommitInfo> = HashMap::new();
    for &tip in tips {
        let mut stack = vec![(tip, false)];
        while let Some((id, expanded)) = stack.pop() {
            if order.len() >= MAX_COMMITS {
                return order;
            }
            if expanded {
                if state.insert(id, true) != Some(true)
                    && let Some(commit) = parsed.remove(&id)
                {
                    order.push((id, commit));
                }
                continue;
            }
            if state.contains_key(&id) {
                continue;
            }
            let Some(commit) = store
                .get(&id)
                .filter(|object| object.kind == Kind::Commit)
                .and_then(|object| git::parse_commit(&object.data).ok())
            else {
                state.insert(id, true);
                continue;
            };
            state.insert(id, false);
            stack.push((id, true));
            for parent in commit.parents.iter().rev() {
                if !state.contains_key(parent) {
                    stack.push((*parent, false));
                }
            }
            parsed.insert(id, commit);
        }
    }
    order
}

/// The files of `tree` that differ from `parent`'s (all of them without a
/// parent), as paths and blobs.
fn diff(
    store: &Store,
    tree: Oid,
    parent: Option<Oid>,
    prefix: &str,
    out: &mut Vec<(String, Oid)>,
    depth: usize,
) {
    if depth > MAX_DEPTH || Some(tree) == parent {
        return;
    }
    let entries = |id: Oid| {
        store
            .get(&id)
            .filter(|object| object.kind == Kind::Tree)
            .and_then(|object| git::parse_tree(&object.data).ok())
            .unwrap_or_default()
    };
    let before: HashMap<String, git::TreeEntry> = parent
        .map(entries)
        .unwrap_or_default()
        .into_iter()
        .map(|entry| (entry.name.clone(), entry))
        .collect();
    for entry in entries(tree) {
        let old = before.get(&entry.name);
        if old.is_some_and(|old| old.id == entry.id) {
            continue;
        }
        let path = format!("{prefix}{}", entry.name);
        if entry.is_tree() {
            let old_tree = old.filter(|old| old.is_tree()).map(|old| old.id);
            diff(
                store,
                entry.id,
                old_tree,
                &format!("{path}/"),
                out,
                depth + 1,
            );
        } else if entry.is_blob() {
            out.push((path, entry.id));
        }
    }
}

/// The blob at `path` in `tree`.
fn lookup(store: &Store, mut tree: Oid, path: &str) -> Option<Oid> {
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let object = store.get(&tree)?;
        let entry = git::parse_tree(&object.data)
            .ok()?
            .into_iter()
            .find(|entry| entry.name == part)?;
        if parts.peek().is_none() {
            return entry.is_blob().then_some(entry.id);
        }
        tree = entry.id;
    }
    None
}
