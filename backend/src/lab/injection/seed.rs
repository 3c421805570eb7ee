//! The lab database's seed: a small clinic's patients, their diagnoses and
//! appointments, and the staff who log in to it, made up by a fixed
//! pseudo-random sequence so every build is the same file, byte for byte.
//! No real person is in it; every national number starts with `FAKE-`.

use std::path::Path;

use ring::digest;
use rusqlite::{Connection, params};

/// How many patients the clinic has.
pub const PATIENTS: i64 = 240;

/// The one staff account whose password the lesson gives away, so a
/// legitimate login can be shown: `trainee`.
pub const TRAINEE: &str = "trainee";
/// The trainee's password.
pub const TRAINEE_PASSWORD: &str = "first-day-2024";

/// The staff: username, full name, role. Everyone but the trainee gets a
/// long random password nobody knows.
const STAFF: [(&str, &str, &str); 6] = [
    ("admin", "Clinic Administrator", "admin"),
    ("dr.okafor", "Dr Amara Okafor", "doctor"),
    ("dr.lindqvist", "Dr Erik Lindqvist", "doctor"),
    ("n.ferreira", "Nurse Ana Ferreira", "nurse"),
    ("reception", "Front Desk", "reception"),
    (TRAINEE, "Sam Trainee", "trainee"),
];

const FIRST_NAMES: [&str; 24] = [
    "Aisha", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera",
    "Wen", "Yusuf",
];

/// Surnames, a few with an apostrophe: a real name the insecure twin
/// cannot search for.
const LAST_NAMES: [&str; 24] = [
    "Andersen", "Baker", "Chen", "D'Angelo", "Evans", "Fischer", "Garcia", "Hansen", "Ivanova",
    "Jensen", "Kowalski", "Lopez", "Martin", "Nakamura", "O'Brien", "Patel", "Quist", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Walsh", "O'Connor",
];

const CITIES: [&str; 8] = [
    "Northbridge",
    "Eastwick",
    "Southport",
    "Westmere",
    "Lakeside",
    "Hillcrest",
    "Riverton",
    "Oakham",
];

const DIAGNOSES: [(&str, &str); 10] = [
    ("E11", "Type 2 diabetes"),
    ("I10", "Hypertension"),
    ("J45", "Asthma"),
    ("F32", "Depressive episode"),
    ("M54", "Back pain"),
    ("K21", "Gastro-oesophageal reflux"),
    ("N39", "Urinary tract infection"),
    ("J20", "Acute bronchitis"),
    ("F41", "Anxiety disorder"),
    ("E66", "Obesity"),
];

const DEPARTMENTS: [&str; 6] = [
    "Cardiology",
    "Endocrinology",
    "General practice",
    "Psychiatry",
    "Physiotherapy",
    "Respiratory",
];

/// The tables, one statement a line: SQLite keeps each `CREATE` as written
/// (in `sqlite_master`), and that is what an attacker reads to learn them.
const SCHEMA: &str = "\
CREATE TABLE patients (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, birth_year INTEGER NOT NULL, city TEXT NOT NULL, national_id TEXT NOT NULL);
CREATE INDEX patients_by_name ON patients (last_name, first_name);
CREATE TABLE diagnoses (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients (id), code TEXT NOT NULL, description TEXT NOT NULL, diagnosed_on TEXT NOT NULL);
CREATE TABLE appointments (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients (id), starts_at TEXT NOT NULL, department TEXT NOT NULL, doctor TEXT NOT NULL);
CREATE TABLE staff (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL, last_login TEXT);
";

/// SplitMix64: a tiny pseudo-random sequence, the same on every machine.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound as u64).unwrap_or_default()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The hash the clinic keeps of a password: unsalted SHA-256, in hex (a
/// weak choice the authentication lesson comes back to).
pub fn password_hash(password: &str) -> String {
    digest::digest(&digest::SHA256, password.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The staff's password hashes, in the order of [`STAFF`] (so staff member
/// `id` is at `id - 1`), the sequence's first draws.
fn staff_hashes(sequence: &mut Sequence) -> Vec<String> {
    STAFF
        .iter()
        .map(|(username, _, _)| {
            let password: String = if *username == TRAINEE {
                TRAINEE_PASSWORD.to_owned()
            } else {
                (0..24)
                    .map(|_| {
                        let alphabet = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                        char::from(alphabet[sequence.below(alphabet.len())])
                    })
                    .collect()
            };
            password_hash(&password)
        })
        .collect()
}

/// The seed's first value of the sequence.
const SEED: u64 = 0x5AFE_1AB5_0000_0004;

/// The staff's password hashes as the seed writes them, in id order (the
/// lab database never changes them: its guarded connections only read,
/// and the one write is a login's time).
pub fn seeded_staff_hashes() -> &'static [String] {
    static HASHES: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| staff_hashes(&mut Sequence(SEED)));
    &HASHES
}

/// A date in `year` as `YYYY-MM-DD`.
fn date(sequence: &mut Sequence, year: usize) -> String {
    format!(
        "{year}-{:02}-{:02}",
        1 + sequence.below(12),
        1 + sequence.below(28)
    )
}

/// Builds the lab database at `path`, which must not exist yet: the same
/// bytes every time. One transaction, and the rollback journal (not WAL),
/// so the file alone is the whole database once this returns.
pub fn build(path: &Path) -> rusqlite::Result<()> {
    let mut connection = Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "DELETE")?;
    let transaction = connection.transaction()?;
    transaction.execute_batch(SCHEMA)?;
    let mut sequence = Sequence(SEED);
    {
        let mut staff = transaction.prepare(
            "INSERT INTO staff (username, full_name, role, password_hash) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for ((username, full_name, role), hash) in STAFF.iter().zip(staff_hashes(&mut sequence)) {
            staff.execute(params![username, full_name, role, hash])?;
        }
        let doctors: Vec<&str> = STAFF
            .iter()
            .filter(|(_, _, role)| *role == "doctor")
            .map(|(_, full_name, _)| *full_name)
            .collect();
        let mut patient = transaction.prepare(
            "INSERT INTO patients (id, first_name, last_name, birth_year, city, national_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut diagnosis = transaction.prepare(
            "INSERT INTO diagnoses (patient_id, code, description, diagnosed_on) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut appointment = transaction.prepare(
            "INSERT INTO appointments (patient_id, starts_at, department, doctor) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for id in 1..=PATIENTS {
            let national_id = format!("FAKE-{:06}", sequence.below(1_000_000));
            patient.execute(params![
                id,
                sequence.pick(&FIRST_NAMES),
                sequence.pick(&LAST_NAMES),
                1940 + i64::try_from(sequence.below(66)).unwrap_or_default(),
                sequence.pick(&CITIES),
                national_id,
            ])?;
            for _ in 0..1 + sequence.below(3) {
                let (code, description) = DIAGNOSES[sequence.below(DIAGNOSES.len())];
                let year = 2015 + sequence.below(10);
                let on = date(&mut sequence, year);
                diagnosis.execute(params![id, code, description, on])?;
            }
            for _ in 0..sequence.below(4) {
                let day = date(&mut sequence, 2025);
                let hour = 8 + sequence.below(9);
                let minute = ["00", "15", "30", "45"][sequence.below(4)];
                let starts_at = format!("{day} {hour:02}:{minute}");
                let department = sequence.pick(&DEPARTMENTS);
                let doctor = sequence.pick(&doctors);
                appointment.execute(params![id, starts_at, department, doctor])?;
            }
        }
    }
    transaction.commit()?;
    connection.close().map_err(|(_, error)| error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_builds_the_same_bytes_every_time() {
        let folder = tempfile::tempdir().expect("a folder");
        let (first, second) = (folder.path().join("1"), folder.path().join("2"));
        build(&first).expect("builds");
        build(&second).expect("builds");
        let bytes = std::fs::read(&first).expect("reads");
        assert_eq!(bytes, std::fs::read(&second).expect("reads"));
        // The file alone is the database: no journal or WAL left beside it.
        let mut names: Vec<_> = std::fs::read_dir(folder.path())
            .expect("lists")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["1", "2"]);
    }

    #[test]
    fn the_trainee_can_log_in_and_nobody_else_has_a_known_password() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("lab.sqlite3");
        build(&path).expect("builds");
        let connection = Connection::open(&path).expect("opens");
        let hash: String = connection
            .query_row(
                "SELECT password_hash FROM staff WHERE username = ?1",
                [TRAINEE],
                |row| row.get(0),
            )
            .expect("the trainee exists");
        assert_eq!(hash, password_hash(TRAINEE_PASSWORD));
        let known: i64 = connection
            .query_row(
                "SELECT count(*) FROM staff WHERE password_hash = ?1",
                [password_hash("")],
                |row| row.get(0),
            )
            .expect("counts");
        assert_eq!(known, 0);
        let stored: Vec<String> = connection
            .prepare("SELECT password_hash FROM staff ORDER BY id")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get(0))
                    .and_then(Iterator::collect)
            })
            .expect("reads");
        assert_eq!(stored, seeded_staff_hashes());
    }
}
