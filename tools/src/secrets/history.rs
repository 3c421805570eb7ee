//! A git history as a whole: every commit reachable from the references,
//! oldest first, each blob version scanned once, each secret attributed to
//! the commit that added it to its file, and checked against the newest
//! commit (is it still there, or "deleted" but still in the history?).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::git::{self, GitError, Kind, Oid, Store};
use super::{Commit, FINDING_LIMIT, Finding, Report, file};

/// The most commits a history scan walks.
pub const MAX_COMMITS: usize = 100_000;
/// How deep folders may nest.
const MAX_DEPTH: usize = 64;
/// The most tree entries a history scan visits in all: a small bundle can
/// hold many commits of large trees (deltas make each one cheap to store).
pub const MAX_TREE_ENTRIES: usize = 20_000_000;

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
        report.incomplete = true;
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
    scan_history_within(report, store, refs, MAX_TREE_ENTRIES);
}

/// Parsed trees by id, and how many entries may still be visited.
struct Trees<'a> {
    store: &'a Store,
    parsed: HashMap<Oid, Rc<Vec<git::TreeEntry>>>,
    budget: usize,
}

impl Trees<'_> {
    /// The entries of `id` (none if it is not a tree the store holds),
    /// counted against the budget; `None` once the budget is spent.
    fn entries(&mut self, id: Oid) -> Option<Rc<Vec<git::TreeEntry>>> {
        let entries = match self.parsed.get(&id) {
            Some(entries) => Rc::clone(entries),
            None => {
                let entries = Rc::new(
                    self.store
                        .get(&id)
                        .filter(|object| object.kind == Kind::Tree)
                        .and_then(|object| git::parse_tree(&object.data).ok())
                        .unwrap_or_default(),
                );
                self.parsed.insert(id, Rc::clone(&entries));
                entries
            }
        };
        self.budget = self.budget.checked_sub(entries.len())?;
        Some(entries)
    }
}

fn scan_history_within(report: &mut Report, store: &Store, refs: &[(String, Oid)], budget: usize) {
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
    if order.len() >= MAX_COMMITS {
        report.incomplete = true;
    }
    if store.skipped > 0 {
        let more = store.skipped.saturating_sub(store.skipped_names.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        report.problems.push(format!(
            "{} object(s) were not read (too large, too many, or broken), so their secrets are not reported: {}{more}",
            store.skipped,
            store.skipped_names.join(", ")
        ));
        report.incomplete = true;
    }
    let mut trees = Trees {
        store,
        parsed: HashMap::new(),
        budget,
    };
    // (tree, parent's tree) pairs already compared: the same change again
    // finds nothing new (findings are kept once per file and secret).
    let mut compared: HashSet<(Oid, Option<Oid>)> = HashSet::new();
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
        if !compared.insert((commit.tree, parent_tree)) {
            continue;
        }
        let mut changed = Vec::new();
        if diff(&mut trees, commit.tree, parent_tree, "", &mut changed, 0).is_none() {
            report.problems.push(format!(
                "the history's trees hold more than {budget} entries in all: the walk stopped at commit {id}, and older-to-newer commits after it were not scanned"
            ));
            report.incomplete = true;
            break;
        }
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
            .and_then(|tree| lookup(&mut trees, tree, &finding.file))
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
/// parent), as paths and blobs; `None` once the entry budget is spent.
fn diff(
    trees: &mut Trees<'_>,
    tree: Oid,
    parent: Option<Oid>,
    prefix: &str,
    out: &mut Vec<(String, Oid)>,
    depth: usize,
) -> Option<()> {
    if depth > MAX_DEPTH || Some(tree) == parent {
        return Some(());
    }
    let parent_entries = match parent {
        Some(parent) => trees.entries(parent)?,
        None => Rc::default(),
    };
    let before: HashMap<&str, &git::TreeEntry> = parent_entries
        .iter()
        .map(|entry| (entry.name.as_str(), entry))
        .collect();
    for entry in trees.entries(tree)?.iter() {
        let old = before.get(entry.name.as_str());
        if old.is_some_and(|old| old.id == entry.id) {
            continue;
        }
        let path = format!("{prefix}{}", entry.name);
        if entry.is_tree() {
            let old_tree = old.filter(|old| old.is_tree()).map(|old| old.id);
            diff(
                trees,
                entry.id,
                old_tree,
                &format!("{path}/"),
                out,
                depth + 1,
            )?;
        } else if entry.is_blob() {
            out.push((path, entry.id));
        }
    }
    Some(())
}

/// The blob at `path` in `tree`.
fn lookup(trees: &mut Trees<'_>, mut tree: Oid, path: &str) -> Option<Oid> {
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let entries = trees.entries(tree)?;
        let entry = entries.iter().find(|entry| entry.name == part)?;
        if parts.peek().is_none() {
            return entry.is_blob().then_some(entry.id);
        }
        tree = entry.id;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(store: &mut Store, tree: Oid, parent: Option<Oid>, n: usize) -> Oid {
        let parent = parent.map(|p| format!("parent {p}\n")).unwrap_or_default();
        let text = format!(
            "tree {tree}\n{parent}author A <a@example.org> {n} +0000\ncommitter A <a@example.org> {n} +0000\n\ncommit {n}\n"
        );
        store.insert(Kind::Commit, text.into_bytes())
    }

    /// A history that alternates one large tree with an empty one: each
    /// (tree, parent) pair is compared once, and the tree parsed once, so
    /// the walk visits about two trees' worth of entries, not one per
    /// commit.
    fn alternating(store: &mut Store, entries: usize, commits: usize) -> Oid {
        let blob = store.insert(Kind::Blob, b"x = 1\n".to_vec());
        let mut data = Vec::new();
        for index in 0..entries {
            data.extend_from_slice(format!("100644 f{index:05}.py\0").as_bytes());
            data.extend_from_slice(&blob.0);
        }
        let large = store.insert(Kind::Tree, data);
        let empty = store.insert(Kind::Tree, Vec::new());
        let mut tip = None;
        for n in 0..commits {
            let tree = if n % 2 == 0 { large } else { empty };
            tip = Some(commit(store, tree, tip, n));
        }
        tip.expect("commits")
    }

    #[test]
    fn repeated_tree_pairs_are_compared_once() {
        let mut store = Store::new();
        let tip = alternating(&mut store, 1000, 200);
        let mut report = Report::default();
        let refs = [("refs/heads/main".to_owned(), tip)];
        // 200 commits of 1000 entries would be 200 000 entries visited.
        scan_history_within(&mut report, &store, &refs, 10_000);
        assert!(!report.incomplete, "{:?}", report.problems);
        assert_eq!(report.scanned.commits, 200);
        assert_eq!(report.scanned.files, 1);
    }

    #[test]
    fn the_walk_stops_when_its_entry_budget_is_spent() {
        let mut store = Store::new();
        let tip = alternating(&mut store, 1000, 4);
        let mut report = Report::default();
        let refs = [("refs/heads/main".to_owned(), tip)];
        scan_history_within(&mut report, &store, &refs, 500);
        assert!(report.incomplete);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("more than 500 entries")),
            "{:?}",
            report.problems
        );
    }
}
