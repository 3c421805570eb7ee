//! The secret scanner against its labelled corpus (`tests/corpus/`): fake
//! but well-formed secrets of every kind, and files full of things that look
//! random but are not secrets (lockfile hashes, UUIDs, a base64 image,
//! placeholders, documentation example keys, code reading secrets from the
//! environment). `labels.tsv` lists every true secret by file, line and
//! kind; any other finding is a false positive. Prints precision and recall
//! per kind and holds them to floors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use safelab_tools::secrets::{self, rules};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn files(folder: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("the corpus is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .file_name()
            .is_some_and(|name| name != "labels.tsv" && name != "README.md")
        {
            out.push(path);
        }
    }
}

type Place = (String, usize, String);

fn labels() -> BTreeSet<Place> {
    std::fs::read_to_string(corpus().join("labels.tsv"))
        .expect("labels.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (
                fields[0].to_owned(),
                fields[1].parse().expect("a line number"),
                fields[2].to_owned(),
            )
        })
        .collect()
}

#[test]
fn precision_and_recall_per_kind_meet_their_floors() {
    let root = corpus();
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    let mut found: BTreeSet<Place> = BTreeSet::new();
    for path in &paths {
        let name = path
            .strip_prefix(&root)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).expect("readable");
        let report = secrets::scan(&name, &bytes);
        for finding in report.findings {
            assert!(
                !finding.preview.is_empty() && finding.column >= 1,
                "{finding:?}"
            );
            found.insert((finding.file, finding.line, finding.kind));
        }
    }
    let truth = labels();
    let mut table: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new(); // tp, fp, fn
    for place in &found {
        let entry = table.entry(rule_id(&place.2)).or_default();
        if truth.contains(place) {
            entry.0 += 1;
        } else {
            entry.1 += 1;
            eprintln!("false positive: {place:?}");
        }
    }
    for place in truth.difference(&found) {
        table.entry(rule_id(&place.2)).or_default().2 += 1;
        eprintln!("missed: {place:?}");
    }
    let (mut tp, mut fp, mut missed) = (0, 0, 0);
    println!(
        "{:<24} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    for (kind, (t, f, m)) in &table {
        let precision = *t as f64 / (*t + *f).max(1) as f64;
        let recall = *t as f64 / (*t + *m).max(1) as f64;
        println!("{kind:<24} {t:>4} {f:>4} {m:>4} {precision:>9.2} {recall:>7.2}");
        assert!(precision >= 0.75, "{kind}: precision {precision:.2}");
        assert!(recall >= 0.75, "{kind}: recall {recall:.2}");
        tp += t;
        fp += f;
        missed += m;
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + missed).max(1) as f64;
    println!(
        "{:<24} {tp:>4} {fp:>4} {missed:>4} {precision:>9.2} {recall:>7.2}",
        "all"
    );
    assert!(precision >= 0.95, "overall precision {precision:.2}");
    assert!(recall >= 0.95, "overall recall {recall:.2}");
    // Every kind the scanner knows is in the corpus.
    for rule in rules::ALL {
        assert!(
            truth.iter().any(|(_, _, kind)| kind == rule.id),
            "the corpus has no {}",
            rule.id
        );
    }
}

fn rule_id(kind: &str) -> &'static str {
    rules::by_id(kind).map_or("unknown", |rule| rule.id)
}
