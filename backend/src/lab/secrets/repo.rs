//! The lab's fake project, "survey dashboard", as a real git repository
//! built in memory: five commits by a made-up analyst, the second of which
//! commits a cloud storage key in `config.py` and the fourth "removes" it.
//! Every object is deterministic (fixed content, authors and dates), so its
//! ids are the same on every run and in the lesson's text; git itself can
//! clone it (dumb HTTP, loose objects) or read it as a bundle.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::LazyLock;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use safelab_tools::secrets::git::{Kind, Oid, sha1};

/// The leaked access key id (AWS-style, fake).
pub(super) const LEAKED_KEY_ID: &str = "AKIANIMBUSLAB7Q3ZK2W";
/// The leaked secret key (fake).
pub(super) const LEAKED_SECRET: &str = "k8Zq3Vd1Rw7Tn2Yp5Lm9Hx4Bc6Fs0JgQeUaNoWiE";
/// The branch.
pub(super) const BRANCH: &str = "refs/heads/main";
/// When the newest commit was made (2024-03-19).
const HEAD_TIME: i64 = 1_710_849_600;
/// The project's author.
const AUTHOR: &str = "Ning Data <ning@example.org>";

/// The project as git objects.
#[derive(Debug)]
pub(super) struct Repository {
    /// Every object by id: kind and content.
    objects: BTreeMap<Oid, (Kind, Vec<u8>)>,
    /// The commits, oldest first: id and summary.
    pub(super) commits: Vec<(Oid, &'static str)>,
    /// The blob of `config.py` that holds the key.
    pub(super) leaky_blob: Oid,
    /// The newest commit's files, by path.
    pub(super) files: BTreeMap<&'static str, &'static str>,
}

/// The repository, built on first use.
pub(super) static REPOSITORY: LazyLock<Repository> = LazyLock::new(build);

const README: &str = "# Survey dashboard\n\nResponse rates of the 2024 member survey, by region, published as a\nstatic page (`index.html`). `analysis.py` reads the responses from the\nteam's cloud storage bucket and writes the page.\n\n    pip install -r requirements.txt\n    python analysis.py\n";
const REQUIREMENTS: &str = "pandas==2.2.3\nrequests==2.32.3\n";
const GITIGNORE: &str =
    "# Secrets live in the environment, never in the repository.\n.env\n__pycache__/\n";

const ANALYSIS_V1: &str = "\"\"\"Response rates of the member survey.\"\"\"\nimport pandas as pd\n\nresponses = pd.read_csv(\"responses.csv\")\nprint(responses.groupby(\"region\").answered.mean())\n";
const ANALYSIS_V2: &str = "\"\"\"Response rates of the member survey, read from the team's bucket.\"\"\"\nimport io\n\nimport pandas as pd\nimport requests\n\nimport config\n\nanswer = requests.get(\n    f\"{config.STORAGE_URL}/survey-responses/responses.csv\",\n    auth=(config.ACCESS_KEY_ID, config.SECRET_ACCESS_KEY),\n    timeout=30,\n)\nresponses = pd.read_csv(io.StringIO(answer.text))\nprint(responses.groupby(\"region\").answered.mean())\n";
const ANALYSIS_V3: &str = "\"\"\"Response rates of the member survey, read from the team's bucket.\"\"\"\nimport io\n\nimport pandas as pd\nimport requests\n\nimport config\n\nanswer = requests.get(\n    f\"{config.STORAGE_URL}/survey-responses/responses.csv\",\n    auth=(config.ACCESS_KEY_ID, config.SECRET_ACCESS_KEY),\n    timeout=30,\n)\nresponses = pd.read_csv(io.StringIO(answer.text))\nrates = responses.groupby(\"region\").answered.mean().round(2)\nrates.to_frame(\"response rate\").to_html(\"rates.html\")\n";

/// `config.py` with the key: the mistake.
fn config_with_key() -> String {
    format!(
        "# Where the survey responses live (the team's cloud storage).\nSTORAGE_URL = \"https://storage.nimbus.example\"\n\n# TODO move these somewhere safer before publishing\nACCESS_KEY_ID = \"{LEAKED_KEY_ID}\"\nSECRET_ACCESS_KEY = \"{LEAKED_SECRET}\"\n"
    )
}
const CONFIG_FIXED: &str = "# Where the survey responses live (the team's cloud storage).\nimport os\n\nSTORAGE_URL = os.environ.get(\"STORAGE_URL\", \"https://storage.nimbus.example\")\n\n# The key comes from the environment (a .env file that git ignores).\nACCESS_KEY_ID = os.environ[\"STORAGE_ACCESS_KEY_ID\"]\nSECRET_ACCESS_KEY = os.environ[\"STORAGE_SECRET_ACCESS_KEY\"]\n";

const RATES: &str = "region,answered\nnorth,0.61\nsouth,0.48\neast,0.55\nwest,0.67\n";

const INDEX_V1: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Survey dashboard</title></head>\n<body>\n<h1>Member survey 2024</h1>\n<p>Response rates by region: coming soon.</p>\n</body>\n</html>\n";
const INDEX_V2: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Survey dashboard</title></head>\n<body>\n<h1>Member survey 2024</h1>\n<p>Response rates by region (made-up data):</p>\n<table>\n<tr><th>region</th><th>response rate</th></tr>\n<tr><td>north</td><td>0.61</td></tr>\n<tr><td>south</td><td>0.48</td></tr>\n<tr><td>east</td><td>0.55</td></tr>\n<tr><td>west</td><td>0.67</td></tr>\n</table>\n<p>Source: <a href=\"analysis.py\">analysis.py</a>.</p>\n</body>\n</html>\n";

/// A file or folder of a tree being built.
enum Entry {
    File(&'static str, Oid),
    Folder(&'static str, Oid),
}

struct Builder {
    objects: BTreeMap<Oid, (Kind, Vec<u8>)>,
}

impl Builder {
    fn add(&mut self, kind: Kind, data: Vec<u8>) -> Oid {
        let id = Oid::of(kind, &data);
        self.objects.insert(id, (kind, data));
        id
    }

    fn blob(&mut self, text: &str) -> Oid {
        self.add(Kind::Blob, text.as_bytes().to_vec())
    }

    /// A tree of `entries`, in git's order (by name, folders as if they
    /// ended in `/`).
    fn tree(&mut self, mut entries: Vec<Entry>) -> Oid {
        let key = |entry: &Entry| match entry {
            Entry::File(name, _) => name.as_bytes().to_vec(),
            Entry::Folder(name, _) => [name.as_bytes(), b"/"].concat(),
        };
        entries.sort_by_key(key);
        let mut data = Vec::new();
        for entry in entries {
            let (mode, name, id) = match entry {
                Entry::File(name, id) => ("100644", name, id),
                Entry::Folder(name, id) => ("40000", name, id),
            };
            data.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            data.extend_from_slice(&id.0);
        }
        self.add(Kind::Tree, data)
    }

    fn commit(&mut self, tree: Oid, parent: Option<Oid>, time: i64, message: &str) -> Oid {
        let mut text = format!("tree {tree}\n");
        if let Some(parent) = parent {
            text.push_str(&format!("parent {parent}\n"));
        }
        text.push_str(&format!(
            "author {AUTHOR} {time} +0100\ncommitter {AUTHOR} {time} +0100\n\n{message}\n"
        ));
        self.add(Kind::Commit, text.into_bytes())
    }
}

/// One commit to make: its summary, the rest of its message, its time and
/// its files.
type Snapshot<'a> = (&'static str, &'a str, i64, Vec<(&'static str, &'a str)>);

/// The five commits.
fn build() -> Repository {
    let mut builder = Builder {
        objects: BTreeMap::new(),
    };
    let config_key = config_with_key();
    // Each commit: its message, its time and its files.
    let snapshots: [Snapshot<'_>; 5] = [
        (
            "Start the survey analysis",
            "",
            1_709_542_800, // 2024-03-04
            vec![
                ("README.md", README),
                ("analysis.py", ANALYSIS_V1),
                ("index.html", INDEX_V1),
                ("requirements.txt", REQUIREMENTS),
            ],
        ),
        (
            "Read the responses straight from the bucket",
            "Quicker than downloading the CSV by hand every week.",
            1_709_812_800, // 2024-03-07
            vec![
                ("README.md", README),
                ("analysis.py", ANALYSIS_V2),
                ("config.py", &config_key),
                ("index.html", INDEX_V1),
                ("requirements.txt", REQUIREMENTS),
            ],
        ),
        (
            "Chart response rates by region",
            "",
            1_710_158_400, // 2024-03-11
            vec![
                ("README.md", README),
                ("analysis.py", ANALYSIS_V3),
                ("config.py", &config_key),
                ("index.html", INDEX_V2),
                ("requirements.txt", REQUIREMENTS),
            ],
        ),
        (
            "Remove the storage key from config.py",
            "It is read from the environment now; .env is ignored.",
            1_710_504_000, // 2024-03-15
            vec![
                (".gitignore", GITIGNORE),
                ("README.md", README),
                ("analysis.py", ANALYSIS_V3),
                ("config.py", CONFIG_FIXED),
                ("index.html", INDEX_V2),
                ("requirements.txt", REQUIREMENTS),
            ],
        ),
        (
            "Publish the dashboard",
            "",
            HEAD_TIME, // 2024-03-19
            vec![
                (".gitignore", GITIGNORE),
                ("README.md", README),
                ("analysis.py", ANALYSIS_V3),
                ("config.py", CONFIG_FIXED),
                ("index.html", INDEX_V2),
                ("requirements.txt", REQUIREMENTS),
            ],
        ),
    ];
    let mut commits = Vec::new();
    let mut parent = None;
    let mut leaky_blob = None;
    let mut files = BTreeMap::new();
    for (index, (summary, body, time, snapshot)) in snapshots.into_iter().enumerate() {
        let mut entries = Vec::new();
        for &(name, text) in &snapshot {
            let id = builder.blob(text);
            if name == "config.py" && text.contains(LEAKED_SECRET) {
                leaky_blob.get_or_insert(id);
            }
            entries.push(Entry::File(name, id));
        }
        // The last commit adds a data folder, so the tree nests.
        if index == 4 {
            let data = builder.blob(RATES);
            let folder = builder.tree(vec![Entry::File("rates.csv", data)]);
            entries.push(Entry::Folder("data", folder));
        }
        let tree = builder.tree(entries);
        let message = if body.is_empty() {
            summary.to_owned()
        } else {
            format!("{summary}\n\n{body}")
        };
        let id = builder.commit(tree, parent, time, &message);
        commits.push((id, summary));
        parent = Some(id);
        if index == 4 {
            files = snapshot
                .into_iter()
                .map(|(name, text)| (name, static_text(text)))
                .collect();
            files.insert("data/rates.csv", RATES);
        }
    }
    Repository {
        objects: builder.objects,
        commits,
        leaky_blob: leaky_blob.unwrap_or(Oid([0; 20])),
        files,
    }
}

/// The newest snapshot's texts are all constants: finds the `'static` one.
fn static_text(text: &str) -> &'static str {
    [
        README,
        REQUIREMENTS,
        GITIGNORE,
        ANALYSIS_V3,
        CONFIG_FIXED,
        INDEX_V2,
    ]
    .into_iter()
    .find(|known| *known == text)
    .unwrap_or("")
}

impl Repository {
    /// The newest commit.
    pub(super) fn head(&self) -> Oid {
        self.commits.last().map_or(Oid([0; 20]), |(id, _)| *id)
    }

    /// The commit that added the key.
    #[cfg(test)]
    pub(super) fn leaky_commit(&self) -> Oid {
        self.commits.get(1).map_or(Oid([0; 20]), |(id, _)| *id)
    }

    /// A loose object file (`.git/objects/ab/cdef…`): zlib over the header
    /// and content.
    pub(super) fn loose(&self, id: &Oid) -> Option<Vec<u8>> {
        let (kind, data) = self.objects.get(id)?;
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        let header = format!("{} {}\0", kind.as_str(), data.len());
        encoder.write_all(header.as_bytes()).ok()?;
        encoder.write_all(data).ok()?;
        encoder.finish().ok()
    }

    /// The index (`.git/index`, version 2) of a checkout of the newest
    /// commit: what lets a dumper restore the working tree too.
    pub(super) fn index(&self) -> Vec<u8> {
        let time = u32::try_from(HEAD_TIME).unwrap_or(0);
        let mut out = b"DIRC".to_vec();
        out.extend_from_slice(&2_u32.to_be_bytes());
        let count = u32::try_from(self.files.len()).unwrap_or(0);
        out.extend_from_slice(&count.to_be_bytes());
        // `files` is a BTreeMap: sorted by path, as the index must be.
        for (path, text) in &self.files {
            let start = out.len();
            // ctime, mtime (seconds, nanoseconds), dev, ino.
            for field in [time, 0, time, 0, 0, 0] {
                out.extend_from_slice(&field.to_be_bytes());
            }
            let size = u32::try_from(text.len()).unwrap_or(0);
            for field in [0o100_644, 0, 0, size] {
                out.extend_from_slice(&field.to_be_bytes());
            }
            out.extend_from_slice(&Oid::of(Kind::Blob, text.as_bytes()).0);
            let flags = u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff);
            out.extend_from_slice(&flags.to_be_bytes());
            out.extend_from_slice(path.as_bytes());
            // One to eight NULs, to a multiple of eight bytes.
            let length = out.len() - start;
            out.resize(start + (length / 8 + 1) * 8, 0);
        }
        let trailer = sha1::digest(&out);
        out.extend_from_slice(&trailer);
        out
    }

    /// The reflog of `main`, as `.git/logs/HEAD` holds it.
    pub(super) fn reflog(&self) -> String {
        let mut out = String::new();
        let mut previous = Oid([0; 20]);
        for (index, (id, summary)) in self.commits.iter().enumerate() {
            let what = if index == 0 {
                "commit (initial)"
            } else {
                "commit"
            };
            out.push_str(&format!(
                "{previous} {id} {AUTHOR} {} +0100\t{what}: {summary}\n",
                1_709_542_800 + i64::try_from(index).unwrap_or(0) * 86_400
            ));
            previous = *id;
        }
        out
    }

    /// The whole history as a `git bundle` (v2): `git clone` and the
    /// secret scanner both read it.
    pub(super) fn bundle(&self) -> Vec<u8> {
        let head = self.head();
        let mut out = format!("# v2 git bundle\n{head} {BRANCH}\n{head} HEAD\n\n").into_bytes();
        out.extend(self.pack());
        out
    }

    /// Every object in one pack (version 2, no deltas).
    fn pack(&self) -> Vec<u8> {
        let mut pack = b"PACK".to_vec();
        pack.extend_from_slice(&2_u32.to_be_bytes());
        let count = u32::try_from(self.objects.len()).unwrap_or(u32::MAX);
        pack.extend_from_slice(&count.to_be_bytes());
        for (kind, data) in self.objects.values() {
            let number: u8 = match kind {
                Kind::Commit => 1,
                Kind::Tree => 2,
                Kind::Blob => 3,
                Kind::Tag => 4,
            };
            let mut size = data.len();
            let mut byte = (number << 4) | u8::try_from(size & 0x0f).unwrap_or(0);
            size >>= 4;
            while size > 0 {
                pack.push(byte | 0x80);
                byte = u8::try_from(size & 0x7f).unwrap_or(0);
                size >>= 7;
            }
            pack.push(byte);
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
            let _ = encoder.write_all(data);
            pack.extend(encoder.finish().unwrap_or_default());
        }
        let trailer = sha1::digest(&pack);
        pack.extend_from_slice(&trailer);
        pack
    }
}

#[cfg(test)]
mod tests {
    use safelab_tools::secrets;

    use super::*;

    #[test]
    fn the_bundle_scans_to_the_key_in_the_second_commit_deleted_since() {
        let repository = &*REPOSITORY;
        assert_eq!(repository.commits.len(), 5);
        let report = secrets::scan("survey-dashboard.bundle", &repository.bundle());
        assert_eq!(report.scanned.commits, 5, "{}", report.human());
        let found: Vec<(&str, &str, String, bool)> = report
            .findings
            .iter()
            .map(|finding| {
                let commit = finding.commit.as_ref().expect("a commit");
                (
                    finding.kind.as_str(),
                    finding.file.as_str(),
                    commit.id.clone(),
                    commit.still_present,
                )
            })
            .collect();
        let leaky = repository.leaky_commit().hex();
        assert_eq!(
            found,
            [
                ("aws-access-key-id", "config.py", leaky.clone(), false),
                ("aws-secret-access-key", "config.py", leaky, false),
            ],
            "{}",
            report.human()
        );
        assert!(repository.files.values().all(|text| !text.is_empty()));
        assert!(repository.loose(&repository.leaky_blob).is_some());
    }
}
