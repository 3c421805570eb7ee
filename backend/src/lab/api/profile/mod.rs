//! Lesson `api`, topic "input validation as a habit": the demo account's
//! profile, updated by a JSON `POST`. The insecure twin ([`insecure`]) merges
//! whatever object arrives into the stored profile, `is_admin` included
//! (mass assignment); the secure twin ([`secure`]) checks content type, size,
//! syntax and schema and answers 415, 413, 400 or 422 saying what to fix.
//!
//! Each twin keeps its own copy of the profile, per learner, in memory; the
//! lesson's reset restores the defaults.

pub(super) mod insecure;
pub(super) mod secure;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use axum::Router;
use safelab_protocol::Twin;
use serde_json::{Map, Value, json};

use super::records::DEMO_USER;
use super::{LESSON, lock};
use crate::AppState;
use crate::progress::Exercise;

/// `is_admin` stuck on the insecure twin's profile.
pub(super) const MASS_ASSIGNMENT: Exercise = Exercise {
    lesson: LESSON,
    id: "mass-assignment",
};
/// The secure twin refused an `is_admin` that had stuck on the insecure
/// twin.
pub(super) const SECURE_REFUSES_ADMIN: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-refuses-admin",
};

/// The profile every learner starts with.
fn default_profile() -> Map<String, Value> {
    let profile = json!({
        "username": DEMO_USER,
        "display_name": "Sam Demo",
        "email": "sam@example.invalid",
        "bio": "",
        "newsletter": false,
        "is_admin": false,
    });
    match profile {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// Every learner's profiles, one copy per twin, and the learners on whose
/// insecure profile `is_admin` ever stuck.
#[derive(Debug, Default)]
pub(super) struct Profiles {
    stored: Mutex<HashMap<(String, Twin), Map<String, Value>>>,
    admin_stuck: Mutex<HashSet<String>>,
}

impl Profiles {
    /// Every profile back to its default.
    pub(super) fn reset(&self) {
        lock(&self.stored).clear();
        lock(&self.admin_stuck).clear();
    }

    /// `learner`'s profile on `twin`.
    fn get(&self, learner: &str, twin: Twin) -> Map<String, Value> {
        lock(&self.stored)
            .get(&(learner.to_owned(), twin))
            .cloned()
            .unwrap_or_else(default_profile)
    }

    /// Changes `learner`'s profile on `twin` with `change`, which may refuse;
    /// the profile after the change.
    fn update<E>(
        &self,
        learner: &str,
        twin: Twin,
        change: impl FnOnce(&mut Map<String, Value>) -> Result<(), E>,
    ) -> Result<Map<String, Value>, E> {
        let mut stored = lock(&self.stored);
        let profile = stored
            .entry((learner.to_owned(), twin))
            .or_insert_with(default_profile);
        let mut changed = profile.clone();
        change(&mut changed)?;
        *profile = changed.clone();
        Ok(changed)
    }

    /// Notes that `is_admin` stuck on `learner`'s insecure profile.
    fn admin_stuck(&self, learner: &str) {
        lock(&self.admin_stuck).insert(learner.to_owned());
    }

    /// Whether `is_admin` ever stuck on `learner`'s insecure profile.
    fn was_admin_stuck(&self, learner: &str) -> bool {
        lock(&self.admin_stuck).contains(learner)
    }
}

/// Whether a value counts as "yes" the way the imaginary Python app tests it
/// (`if profile["is_admin"]:`): anything but false, null, 0, "" and empty.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(yes)) => *yes,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(fields)) => !fields.is_empty(),
    }
}

/// The answer to `GET` and to a successful `POST`: the profile and what it
/// lets the account do.
fn shown(profile: Map<String, Value>) -> Value {
    let mut powers = vec![
        "read and change your own profile",
        "read your own lab results",
    ];
    if truthy(profile.get("is_admin")) {
        powers.extend([
            "ADMIN: read every account's lab results",
            "ADMIN: change anyone's password",
            "ADMIN: delete accounts",
        ]);
    }
    json!({ "profile": profile, "powers": powers })
}

/// The topic's routes: both twins.
pub(super) fn routes() -> Router<AppState> {
    insecure::routes().merge(crate::lab::with_security_headers(secure::routes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_is_pythons() {
        for yes in [
            json!(true),
            json!(1),
            json!("false"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(truthy(Some(&yes)), "{yes}");
        }
        for no in [
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!(null),
        ] {
            assert!(!truthy(Some(&no)), "{no}");
        }
    }

    #[test]
    fn a_refused_update_changes_nothing_and_reset_restores() {
        let profiles = Profiles::default();
        let refused: Result<_, ()> = profiles.update("me", Twin::Secure, |profile| {
            profile.insert("bio".into(), json!("half done"));
            Err(())
        });
        assert!(refused.is_err());
        assert_eq!(profiles.get("me", Twin::Secure), default_profile());
        let _ = profiles.update::<()>("me", Twin::Insecure, |profile| {
            profile.insert("is_admin".into(), json!(true));
            Ok(())
        });
        assert_ne!(profiles.get("me", Twin::Insecure), default_profile());
        assert_eq!(profiles.get("me", Twin::Secure), default_profile());
        profiles.reset();
        assert_eq!(profiles.get("me", Twin::Insecure), default_profile());
    }
}
