//! The git reader and history scan against real git: repositories made with
//! the git command line in a temporary folder, read as bundles (v2 and v3,
//! before and after `git repack -adf`, so with offset deltas), as a pack of
//! reference deltas, and as loose objects; then hostile variations of those
//! bytes, which must never panic.

use std::path::Path;
use std::process::Command;

use safelab_tools::secrets::git::{self, Oid, Store};
use safelab_tools::secrets::{self, Report, history};

const KEY_ID: &str = "AKIAQ7LBZ3SAFELABKEY";
const SECRET: &str = "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";
const TOKEN: &str = "ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB2cD4eF";

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A long file that changes a little in each commit: git stores its later
/// versions as deltas.
fn data(version: usize) -> String {
    (0..400)
        .map(|row| {
            format!(
                "{row},{},{}\n",
                row * 7 % 13,
                if row == version * 50 {
                    "changed"
                } else {
                    "same"
                }
            )
        })
        .collect()
}

/// A repository of five commits: the key is added in the second and removed
/// from its file in the fourth; a token added in the fifth stays. The ids of
/// the commit that added the key and of the last one.
fn repository(dir: &Path) -> (String, String) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Ning Data"]);
    git(dir, &["config", "user.email", "ning@example.org"]);
    git(dir, &["config", "gc.auto", "0"]);
    let commit = |message: &str| {
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", message]);
        git(dir, &["rev-parse", "HEAD"])
    };
    write(dir, "README.md", "# Survey analysis\n");
    write(dir, "data/responses.csv", &data(0));
    commit("Start the analysis");
    write(
        dir,
        "src/config.py",
        &format!(
            "AWS_ACCESS_KEY_ID = \"{KEY_ID}\"\nAWS_SECRET_ACCESS_KEY = \"{SECRET}\"\nBUCKET = \"survey\"\n"
        ),
    );
    write(dir, "data/responses.csv", &data(1));
    let added = commit("Read the responses from the bucket");
    write(dir, "data/responses.csv", &data(2));
    commit("More responses");
    write(
        dir,
        "src/config.py",
        "import os\nAWS_ACCESS_KEY_ID = os.environ[\"AWS_ACCESS_KEY_ID\"]\nBUCKET = \"survey\"\n",
    );
    commit("Remove the key");
    write(dir, ".env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    write(dir, "data/responses.csv", &data(3));
    let last = commit("Publish");
    (added, last)
}

fn check(report: &Report, added: &str, last: &str) {
    assert_eq!(report.scanned.commits, 5, "{report:#?}");
    let kinds: Vec<(&str, &str, bool, &str)> = report
        .findings
        .iter()
        .map(|finding| {
            let commit = finding.commit.as_ref().expect("a commit");
            (
                finding.kind.as_str(),
                finding.file.as_str(),
                commit.still_present,
                commit.id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("aws-access-key-id", "src/config.py", false, added),
            ("aws-secret-access-key", "src/config.py", false, added),
            ("github-token", ".env", true, last),
        ],
        "{}",
        report.human()
    );
    let first = &report.findings[0];
    assert_eq!(first.line, 1);
    assert!(!first.preview.contains(KEY_ID), "{}", first.preview);
    let commit = first.commit.as_ref().expect("a commit");
    assert_eq!(commit.author, "Ning Data <ning@example.org>");
    assert_eq!(commit.summary, "Read the responses from the bucket");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn bundle(dir: &Path, version: &str) -> Vec<u8> {
    let file = dir.join(format!("repo-{version}.bundle"));
    git(
        dir,
        &[
            "bundle",
            "create",
            "-q",
            &format!("--version={version}"),
            file.to_str().expect("utf-8"),
            "--all",
        ],
    );
    let bytes = std::fs::read(&file).expect("the bundle");
    std::fs::remove_file(&file).expect("rm");
    bytes
}

#[test]
fn a_bundle_of_a_real_repository_attributes_each_secret_to_its_commit() {
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    let (added, last) = repository(dir);
    let blobs = git(
        dir,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype)",
        ],
    )
    .lines()
    .filter(|kind| *kind == "blob")
    .count();
    for version in ["2", "3"] {
        let bytes = bundle(dir, version);
        assert!(bytes.starts_with(format!("# v{version} git bundle\n").as_bytes()));
        let report = secrets::scan("repo.bundle", &bytes);
        check(&report, &added, &last);
        assert_eq!(
            report.scanned.files, blobs,
            "each blob version is scanned once"
        );
    }
    // After a full repack the bundle's pack holds offset deltas.
    git(dir, &["repack", "-adf", "-q", "--window=50", "--depth=50"]);
    let bytes = bundle(dir, "2");
    check(&secrets::scan("repo.bundle", &bytes), &added, &last);
    let pack = std::fs::read_dir(dir.join(".git/objects/pack"))
        .expect("packs")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "idx"))
        .expect("an index");
    let verify = git(dir, &["verify-pack", "-v", pack.to_str().expect("utf-8")]);
    assert!(
        verify.contains("chain length = 1"),
        "the repack made no deltas, so this test would prove nothing:\n{verify}"
    );
}

#[test]
fn a_pack_of_reference_deltas_and_loose_objects_read_the_same_objects_as_git() {
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    let (added, last) = repository(dir);
    let all = git(dir, &["rev-list", "--objects", "--all"]);
    let ids: Vec<Oid> = all
        .lines()
        .filter_map(|line| Oid::from_hex(line.split(' ').next().unwrap_or_default()))
        .collect();
    assert!(ids.len() > 10);
    // Loose objects, each named by its id.
    let mut loose = Store::new();
    for id in &ids {
        let hex = id.hex();
        let path = dir.join(".git/objects").join(&hex[..2]).join(&hex[2..]);
        let bytes = std::fs::read(&path).expect("a loose object");
        assert_eq!(loose.add_loose(&bytes).expect("reads"), *id);
    }
    // A pack without --delta-base-offset: its deltas name their base by id.
    let pack = Command::new("sh")
        .arg("-c")
        .arg("git rev-list --objects --all | git pack-objects -q --stdout --window=50 --depth=50")
        .current_dir(dir)
        .output()
        .expect("pack-objects");
    assert!(pack.status.success());
    let mut packed = Store::new();
    assert_eq!(packed.add_pack(&pack.stdout).expect("reads"), ids.len());
    assert_eq!(packed.skipped, 0);
    let ref_deltas = count_ref_deltas(&pack.stdout);
    assert!(ref_deltas > 0, "pack-objects made no reference delta");
    for store in [&loose, &packed] {
        for id in &ids {
            assert!(store.get(id).is_some(), "{id} missing");
        }
        let head = Oid::from_hex(&last).expect("an id");
        let mut report = Report::default();
        history::scan_history(&mut report, store, &[("HEAD".to_owned(), head)]);
        check(&report, &added, &last);
    }
}

/// How many objects of a pack are reference deltas (type 7), reading only
/// the whole objects' headers via git's own index.
fn count_ref_deltas(pack: &[u8]) -> usize {
    // Walk the pack with the library's reader indirectly: a pack of only
    // reference deltas and bases reads fully, so count type bytes of 7 at
    // object starts by re-reading with flate2.
    use std::io::Read as _;
    let count = u32::from_be_bytes([pack[8], pack[9], pack[10], pack[11]]) as usize;
    let mut offset = 12;
    let mut deltas = 0;
    for _ in 0..count {
        let first = pack[offset];
        let kind = (first >> 4) & 7;
        offset += 1;
        let mut byte = first;
        while byte & 0x80 != 0 {
            byte = pack[offset];
            offset += 1;
        }
        if kind == 7 {
            deltas += 1;
            offset += 20;
        }
        let mut decoder = flate2::bufread::ZlibDecoder::new(&pack[offset..]);
        let mut sink = Vec::new();
        decoder.read_to_end(&mut sink).expect("inflates");
        offset += usize::try_from(decoder.total_in()).expect("fits");
    }
    deltas
}

/// A small xorshift generator: the same hostile inputs on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).expect("fits")
    }
}

#[test]
fn damaged_bundles_and_random_bytes_never_panic() {
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    repository(dir);
    git(dir, &["repack", "-adf", "-q"]);
    let good = bundle(dir, "2");
    let mut random = Random(0x05EC_2E75);
    for round in 0..3000 {
        let mut bytes = good.clone();
        match round % 4 {
            0 => bytes.truncate(random.below(good.len())),
            1 => {
                for _ in 0..1 + random.below(8) {
                    let at = random.below(bytes.len());
                    bytes[at] ^= 1 << random.below(8);
                }
            }
            2 => {
                let at = random.below(bytes.len());
                let length = random.below(64);
                let junk: Vec<u8> = (0..length).map(|_| random.next() as u8).collect();
                bytes.splice(at..at, junk);
            }
            _ => {
                let header = b"# v3 git bundle\n@object-format=sha1\n";
                bytes = header.to_vec();
                bytes.extend((0..random.below(2000)).map(|_| random.next() as u8));
            }
        }
        let report = secrets::scan("x.bundle", &bytes);
        assert!(report.findings.len() <= secrets::FINDING_LIMIT);
        let mut store = Store::new();
        let _ = store.add_pack(&bytes);
        let _ = store.add_loose(&bytes);
        let _ = git::parse_tree(&bytes);
        let _ = git::parse_commit(&bytes);
    }
}

/// A secret added on a side branch and merged is attributed to the side
/// branch's commit, once; a tag and a second branch lead to the same
/// commits without walking them twice.
#[test]
fn a_secret_from_a_merged_branch_is_attributed_to_its_own_commit() {
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Ning Data"]);
    git(dir, &["config", "user.email", "ning@example.org"]);
    let commit = |message: &str| {
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", message]);
        git(dir, &["rev-parse", "HEAD"])
    };
    write(dir, "README.md", "# model\n");
    commit("Start");
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(dir, "train.py", &format!("token = \"{TOKEN}\"\n"));
    let side = commit("Train on the hub's data");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "README.md", "# model\n\nTraining soon.\n");
    commit("Describe");
    git(
        dir,
        &["merge", "-q", "--no-ff", "feature", "-m", "Merge feature"],
    );
    git(dir, &["tag", "-a", "v1", "-m", "First release"]);
    let bytes = bundle(dir, "2");
    let report = secrets::scan("merged.bundle", &bytes);
    assert_eq!(report.scanned.commits, 4, "{}", report.human());
    assert_eq!(report.finding_total, 1, "{}", report.human());
    let finding = &report.findings[0];
    assert_eq!(finding.kind, "github-token");
    assert_eq!(finding.file, "train.py");
    let commit = finding.commit.as_ref().expect("a commit");
    assert_eq!(commit.id, side);
    assert!(commit.still_present);
}

/// An incremental bundle (`main~2..main`) builds on commits it does not
/// hold: its thin pack's deltas against them cannot be resolved. The scan
/// says so and reads what it holds.
#[test]
fn an_incremental_bundle_is_read_as_far_as_it_goes() {
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    let (_, last) = repository(dir);
    let file = dir.join("tail.bundle");
    git(
        dir,
        &[
            "bundle",
            "create",
            "-q",
            file.to_str().expect("utf-8"),
            "main~2..main",
        ],
    );
    let bytes = std::fs::read(&file).expect("the bundle");
    let report = secrets::scan("tail.bundle", &bytes);
    assert_eq!(report.scanned.commits, 2, "{}", report.human());
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.contains("builds on 1 commit")),
        "{:?}",
        report.problems
    );
    let token: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.kind == "github-token")
        .collect();
    assert_eq!(token.len(), 1, "{}", report.human());
    assert_eq!(
        token[0].commit.as_ref().map(|c| c.id.as_str()),
        Some(last.as_str())
    );
}
