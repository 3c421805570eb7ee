//! Lesson `api`, topic "sensitive data behind a public URL": a clinic's lab
//! results portal. Twelve made-up accounts own five results each. The
//! insecure twin ([`insecure`]) serves any record by its sequential id to
//! anyone, every field included; the secure twin ([`secure`]) serves only the
//! caller's own, by unguessable ids, minimised, and rate-limited.
//!
//! This module holds what both twins share: the data set, the accounts, the
//! exercises and the topic's state (what the learner has enumerated, the API
//! keys and the rate-limit windows).

pub(super) mod insecure;
pub(super) mod secure;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::Router;
use serde_json::{Map, Value, json};

use super::ratelimit::Limiter;
use super::{LESSON, lock};
use crate::AppState;
use crate::progress::Exercise;

/// The insecure twin served the full records of many other people.
pub(super) const ENUMERATE: Exercise = Exercise {
    lesson: LESSON,
    id: "enumerate-records",
};
/// The insecure twin served the demo account's own record with the
/// confidential fields the app never shows.
pub(super) const OVER_SHARING: Exercise = Exercise {
    lesson: LESSON,
    id: "over-sharing",
};
/// The secure twin answered 429: its rate limit held.
pub(super) const RATE_LIMITED: Exercise = Exercise {
    lesson: LESSON,
    id: "rate-limited",
};

/// How many distinct other people's records the insecure twin must serve to
/// one learner before the enumeration counts as done.
pub(super) const ENUMERATION_THRESHOLD: usize = 20;

/// The demo account the lesson gives the learner.
pub(super) const DEMO_USER: &str = "sam";
/// The demo account's API key, printed in the lesson. Every other account's
/// key is drawn at random when the program starts.
pub(super) const DEMO_KEY: &str = "lab-sam-7d1f0c9e4a6b2d58e3c1a0f9b7642e5d";

/// The accounts, in the order records are dealt to them.
const USERS: [(&str, &str); 12] = [
    ("sam", "Sam Demo"),
    ("ana", "Ana Fictional"),
    ("ben", "Ben Madeup"),
    ("chloe", "Chloe Sample"),
    ("dev", "Dev Placeholder"),
    ("emma", "Emma Invented"),
    ("farid", "Farid Notreal"),
    ("grace", "Grace Synthetic"),
    ("hugo", "Hugo Pretend"),
    ("ines", "Ines Imaginary"),
    ("jon", "Jon Fabricated"),
    ("kim", "Kim Testcase"),
];
/// How many records each account owns.
const PER_USER: u32 = 5;
/// How many records there are; sequential ids run from 1 to this.
pub(super) const RECORDS: u32 = 12 * PER_USER;

/// The tests a record can hold: name, unit, reference range, and the
/// lowest result and its spread (in tenths) the made-up values come from.
const TESTS: [(&str, &str, &str, u32, u32); 5] = [
    ("HbA1c", "mmol/mol", "20-41", 300, 250),
    ("Fasting glucose", "mmol/L", "3.9-5.5", 38, 40),
    ("Vitamin D", "nmol/L", "50-125", 250, 1000),
    ("LDL cholesterol", "mmol/L", "0.0-3.0", 15, 40),
    ("TSH", "mU/L", "0.4-4.0", 3, 60),
];

/// Fields the secure twin may serve, when asked with `fields=`.
pub(super) const SHAREABLE: [&str; 6] =
    ["id", "visit", "test", "result", "unit", "reference_range"];
/// What the secure twin serves when no `fields=` is given: what the app
/// shows.
pub(super) const MINIMAL: [&str; 3] = ["id", "test", "result"];
/// Fields no client of the results app needs: served by the insecure twin
/// only.
pub(super) const CONFIDENTIAL: [&str; 4] =
    ["national_id", "date_of_birth", "address", "clinician_note"];

/// One lab result.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Record {
    /// Its sequential id, 1 to [`RECORDS`].
    pub(super) number: u32,
    /// The account that owns it.
    pub(super) owner: &'static str,
    /// Every field, as the insecure twin serves it (the id aside).
    fields: Map<String, Value>,
}

impl Record {
    /// Record `number` (1 to [`RECORDS`]), made up deterministically.
    pub(super) fn get(number: u32) -> Option<Self> {
        if !(1..=RECORDS).contains(&number) {
            return None;
        }
        let index = number - 1;
        let (owner, name) = USERS[usize::try_from(index % 12).unwrap_or_default()];
        let person = index % 12;
        let visit = index / 12;
        let noise = mix(number);
        let (test, unit, range, low, spread) =
            TESTS[usize::try_from((person + visit) % 5).unwrap_or_default()];
        let tenths = low + noise % spread;
        let result = format!("{}.{}", tenths / 10, tenths % 10);
        let fields = json!({
            "owner": owner,
            "name": name,
            "date_of_birth": format!("19{}-{:02}-{:02}", 50 + person * 3, 1 + person, 3 + person * 2),
            "national_id": format!("FAKE-{:03}-{:02}-{:04}", 100 + person * 37, 10 + person * 7, 1000 + person * 613),
            "address": format!("{} Nowhere Lane, Fictional Town", 3 + person * 11),
            "study": "Metabolic health cohort (a made-up study)",
            "visit": format!("2025-{:02}-{:02}", 1 + visit * 2, 4 + person),
            "test": test,
            "result": result,
            "unit": unit,
            "reference_range": range,
            "clinician_note": NOTES[usize::try_from(noise % 6).unwrap_or_default()],
        });
        let Value::Object(fields) = fields else {
            return None;
        };
        Some(Self {
            number,
            owner,
            fields,
        })
    }

    /// Every record, by sequential id.
    pub(super) fn all() -> impl Iterator<Item = Self> {
        (1..=RECORDS).filter_map(Self::get)
    }

    /// The records `owner` owns.
    pub(super) fn owned_by(owner: &str) -> impl Iterator<Item = Self> {
        Self::all().filter(move |record| record.owner == owner)
    }

    /// The unguessable id the secure twin uses: 128 bits derived from the
    /// sequential one with SHA-256, so the lesson and the tests can name a
    /// record, and a client that knows one id learns nothing about another.
    pub(super) fn secret_id(&self) -> String {
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            format!("safelab lesson api, lab result {}", self.number).as_bytes(),
        );
        digest.as_ref()[..16]
            .iter()
            .fold(String::with_capacity(32), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }

    /// A field's value.
    pub(super) fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// Every field, with `id` (as given) first.
    pub(super) fn full(&self, id: Value) -> Map<String, Value> {
        let mut all = Map::new();
        all.insert("id".to_owned(), id);
        all.extend(self.fields.clone());
        all
    }
}

/// What the made-up clinicians wrote.
const NOTES: [&str; 6] = [
    "Fake note: discussed diet; recheck in three months.",
    "Fake note: patient anxious about results; follow up by phone.",
    "Fake note: family history of diabetes; refer to dietitian.",
    "Fake note: medication adjusted; do not share with employer.",
    "Fake note: result borderline; repeat test fasting.",
    "Fake note: pregnant, second trimester; adjust reference range.",
];

/// A well-spread number from `seed`, for made-up values.
fn mix(seed: u32) -> u32 {
    let mut x = seed.wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x
}

/// The topic's state: which other people's records each learner has been
/// served by the insecure twin, every account's API key, and the secure
/// twin's rate-limit windows.
#[derive(Debug)]
pub(super) struct RecordsState {
    enumerated: Mutex<HashMap<String, HashSet<u32>>>,
    keys: Mutex<HashMap<String, &'static str>>,
    /// Each account's requests.
    pub(super) limiter: Limiter,
    /// Requests with a wrong API key, per client address.
    pub(super) failures: Limiter,
}

impl RecordsState {
    /// Nothing enumerated, fresh keys, no window open.
    pub(super) fn new() -> Self {
        Self {
            enumerated: Mutex::new(HashMap::new()),
            keys: Mutex::new(new_keys()),
            limiter: Limiter::new(secure::LIMIT, secure::WINDOW),
            failures: Limiter::new(secure::FAILED_LIMIT, secure::WINDOW),
        }
    }

    /// Back to [`RecordsState::new`]'s state.
    pub(super) fn reset(&self) {
        lock(&self.enumerated).clear();
        *lock(&self.keys) = new_keys();
        self.limiter.reset();
        self.failures.reset();
    }

    /// Notes that the insecure twin served `record` to `learner`; the number
    /// of distinct other people's records served to them so far.
    pub(super) fn served(&self, learner: &str, record: &Record) -> usize {
        let mut enumerated = lock(&self.enumerated);
        // One learner for now; the map is keyed by learner for later, and
        // each set holds at most RECORDS ids.
        let seen = enumerated.entry(learner.to_owned()).or_default();
        if record.owner != DEMO_USER {
            seen.insert(record.number);
        }
        seen.len()
    }

    /// The account whose API key is `key`.
    pub(super) fn account(&self, key: &str) -> Option<&'static str> {
        lock(&self.keys).get(key).copied()
    }
}

/// The API keys: the demo account's from the lesson, the others random. An
/// account whose key the system's random source failed to draw gets none:
/// nobody needs the other accounts' keys.
fn new_keys() -> HashMap<String, &'static str> {
    USERS
        .iter()
        .filter_map(|&(user, _)| {
            if user == DEMO_USER {
                return Some((DEMO_KEY.to_owned(), user));
            }
            let token = crate::lab::random_token().ok()?;
            Some((format!("lab-{user}-{token}"), user))
        })
        .collect()
}

/// The topic's routes: both twins.
pub(super) fn routes() -> Router<AppState> {
    insecure::routes().merge(crate::lab::with_security_headers(secure::routes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_owns_five_records_and_ids_are_distinct() {
        for (user, _) in USERS {
            assert_eq!(Record::owned_by(user).count(), 5, "{user}");
        }
        let ids: HashSet<String> = Record::all().map(|record| record.secret_id()).collect();
        assert_eq!(ids.len(), 60);
        assert!(ids.iter().all(|id| id.len() == 32));
        assert_eq!(Record::get(0), None);
        assert_eq!(Record::get(RECORDS + 1), None);
    }

    #[test]
    fn the_ids_the_lesson_names_are_sams_first_and_anas_first() {
        let sams = Record::get(1).expect("record 1");
        let anas = Record::get(2).expect("record 2");
        assert_eq!((sams.owner, anas.owner), ("sam", "ana"));
        assert_eq!(sams.secret_id(), "24fa1b4e61884c6df5dac95592f253d4");
        assert_eq!(anas.secret_id(), "a59c3d0f6f206a269b0c2e88f4b5f7c8");
        assert_eq!(
            Record::owned_by("ana").find(|record| record.secret_id() == anas.secret_id()),
            Some(anas)
        );
    }

    #[test]
    fn a_record_has_every_field_the_twins_name() {
        let record = Record::get(1).expect("record 1");
        for name in SHAREABLE
            .iter()
            .chain(&CONFIDENTIAL)
            .filter(|name| **name != "id")
        {
            assert!(record.field(name).is_some(), "{name}");
        }
        assert_eq!(record.owner, DEMO_USER);
        assert!(
            record
                .field("national_id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.starts_with("FAKE-"))
        );
    }

    #[test]
    fn only_other_peoples_records_count_as_enumerated() {
        let state = RecordsState::new();
        let sams = Record::get(1).expect("sam's");
        let anas = Record::get(2).expect("ana's");
        assert_eq!(state.served("me", &sams), 0);
        assert_eq!(state.served("me", &anas), 1);
        assert_eq!(state.served("me", &anas), 1);
        state.reset();
        assert_eq!(state.served("me", &sams), 0);
        assert_eq!(state.account(DEMO_KEY), Some(DEMO_USER));
    }

    #[test]
    fn every_account_has_a_key_of_its_own() {
        let keys = new_keys();
        assert_eq!(keys.len(), USERS.len());
        for (key, user) in &keys {
            assert!(key.starts_with(&format!("lab-{user}-")), "{key}");
            assert_eq!(key.len(), format!("lab-{user}-").len() + 32, "{key}");
        }
    }
}
