//! Unit tests of the lint: every check with a snippet that triggers it and
//! one that does not.

use super::*;

fn ids(source: &str) -> Vec<(String, usize)> {
    lint("t.py", source)
        .findings
        .into_iter()
        .map(|finding| (finding.check, finding.line))
        .collect()
}

#[test]
fn smoke() {
    let report = lint("t.py", "import subprocess\nsubprocess.call(name, shell=True)\n");
    eprintln!("{}", report.human());
    assert_eq!(ids("import subprocess\nsubprocess.call(name, shell=True)\n"), vec![("B404".into(), 1), ("B602".into(), 2)]);
}
