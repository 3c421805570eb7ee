//! Progress: which exercises each learner has solved, and the state lessons
//! keep in the lab, in SQLite in the data folder.
//!
//! A lab handler that sees an exercise done calls [`Store::solve`] before it
//! answers, and the write is on disk (WAL, `synchronous=FULL`) before the
//! answer leaves: a solve that got its response survives a restart, a
//! `kill -9` and a power cut. Everything is keyed by learner id; one local
//! learner today, many in the classroom mode to come. [`api`] serves it.

pub mod api;
pub mod command;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::broadcast;

/// The learner of a safelab run on one person's laptop.
pub const LOCAL_LEARNER: &str = "local";

/// The database file inside the data folder.
pub const FILE_NAME: &str = "progress.sqlite3";

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS learners (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE IF NOT EXISTS solved (
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        exercise_id TEXT NOT NULL,
        solved_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (learner_id, lesson_id, exercise_id)
    );
    CREATE TABLE IF NOT EXISTS lab_state (
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (learner_id, lesson_id, key)
    );
";

/// An exercise a lab handler can recognise as done: its lesson and its id, as
/// the lesson's `::: challenge {#id}` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exercise {
    /// The lesson's id (`files`).
    pub lesson: &'static str,
    /// The challenge's id within the lesson (`read-passwd`).
    pub id: &'static str,
}

/// One solved exercise as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    /// The lesson's id.
    pub lesson: String,
    /// The exercise's id.
    pub exercise: String,
    /// When it was solved (RFC 3339, UTC).
    pub at: String,
}

/// Why the progress store failed.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    /// The database could not be opened or set up.
    #[error(
        "cannot open the progress database {path} ({source}): check that the data folder is writable, or pass --data-dir DIR"
    )]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// The database was written by a newer safelab.
    #[error(
        "the progress database {path} was written by a newer safelab (schema {found}, this one knows {SCHEMA_VERSION}): update safelab, or pass another --data-dir"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version found.
        found: i64,
    },
    /// A query failed.
    #[error("the progress database failed: {0}")]
    Query(#[from] rusqlite::Error),
    /// The worker thread was lost (the runtime is shutting down).
    #[error("the progress database is shutting down")]
    Gone,
}

/// The progress store. Cheap to share behind an [`Arc`].
#[derive(Debug)]
pub struct Store {
    db: Mutex<Connection>,
    changes: broadcast::Sender<()>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, ProgressError> {
        let open = |source| ProgressError::Open {
            path: path.to_owned(),
            source,
        };
        let db = Connection::open(path).map_err(open)?;
        Self::set_up(db, path)
    }

    /// A store that lives in memory only (for tests).
    pub fn in_memory() -> Result<Self, ProgressError> {
        let db = Connection::open_in_memory()?;
        Self::set_up(db, Path::new(":memory:"))
    }

    fn set_up(db: Connection, path: &Path) -> Result<Self, ProgressError> {
        let open = |source| ProgressError::Open {
            path: path.to_owned(),
            source,
        };
        db.busy_timeout(Duration::from_secs(5)).map_err(open)?;
        // WAL lets the command-line reset write while the program reads;
        // FULL makes every commit durable before the answer that reports it.
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(open)?;
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(open)?;
        db.pragma_update(None, "foreign_keys", "ON").map_err(open)?;
        let found: i64 = db
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(open)?;
        if found > SCHEMA_VERSION {
            return Err(ProgressError::TooNew {
                path: path.to_owned(),
                found,
            });
        }
        db.execute_batch(SCHEMA).map_err(open)?;
        db.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(open)?;
        db.execute(
            "INSERT OR IGNORE INTO learners (id) VALUES (?1)",
            params![LOCAL_LEARNER],
        )
        .map_err(open)?;
        let (changes, _) = broadcast::channel(64);
        Ok(Self {
            db: Mutex::new(db),
            changes,
        })
    }

    /// Runs `work` on the database off the async threads.
    async fn with_db<T, F>(self: &Arc<Self>, work: F) -> Result<T, ProgressError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ProgressError> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held leaves SQLite consistent (each
            // change is a transaction), so the poison can be ignored.
            let mut db = store.db.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut db)
        })
        .await
        .map_err(|_| ProgressError::Gone)?
    }

    /// Records `exercise` as solved by `learner`; `true` when it was not
    /// solved before. Returns once the record is on disk.
    pub async fn solve(
        self: &Arc<Self>,
        learner: &str,
        exercise: Exercise,
    ) -> Result<bool, ProgressError> {
        let learner = learner.to_owned();
        let new = self
            .with_db(move |db| {
                let added = db.execute(
                    "INSERT OR IGNORE INTO solved (learner_id, lesson_id, exercise_id) VALUES (?1, ?2, ?3)",
                    params![learner, exercise.lesson, exercise.id],
                )?;
                Ok(added > 0)
            })
            .await?;
        if new {
            let _ = self.changes.send(());
        }
        Ok(new)
    }

    /// Every exercise `learner` has solved.
    pub async fn solved(self: &Arc<Self>, learner: &str) -> Result<Vec<Solved>, ProgressError> {
        let learner = learner.to_owned();
        self.with_db(move |db| {
            let mut query = db.prepare_cached(
                "SELECT lesson_id, exercise_id, solved_at FROM solved WHERE learner_id = ?1",
            )?;
            let rows = query.query_map(params![learner], |row| {
                Ok(Solved {
                    lesson: row.get(0)?,
                    exercise: row.get(1)?,
                    at: row.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Forgets `learner`'s solves and lab state for `lesson`, or for every
    /// lesson with `None`; returns how many solves were forgotten.
    pub async fn reset(
        self: &Arc<Self>,
        learner: &str,
        lesson: Option<&str>,
    ) -> Result<u32, ProgressError> {
        let (learner, lesson) = (learner.to_owned(), lesson.map(str::to_owned));
        let forgotten = self
            .with_db(move |db| Ok(reset(db, &learner, lesson.as_deref())?))
            .await?;
        let _ = self.changes.send(());
        Ok(forgotten)
    }

    /// A value a lesson's lab keeps for `learner` under `key`.
    pub async fn lab_state(
        self: &Arc<Self>,
        learner: &str,
        lesson: &'static str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, ProgressError> {
        let (learner, key) = (learner.to_owned(), key.to_owned());
        self.with_db(move |db| {
            Ok(db
                .prepare_cached(
                    "SELECT value FROM lab_state WHERE learner_id = ?1 AND lesson_id = ?2 AND key = ?3",
                )?
                .query_row(params![learner, lesson, key], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Keeps `value` for `learner` under `key` until the lesson is reset.
    pub async fn set_lab_state(
        self: &Arc<Self>,
        learner: &str,
        lesson: &'static str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), ProgressError> {
        let (learner, key) = (learner.to_owned(), key.to_owned());
        self.with_db(move |db| {
            db.prepare_cached(
                "INSERT INTO lab_state (learner_id, lesson_id, key, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (learner_id, lesson_id, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![learner, lesson, key, value])?;
            Ok(())
        })
        .await
    }

    /// Keeps `value` under `key` unless that would make more than `most` keys
    /// starting with `prefix` (replacing a key already kept always fits);
    /// `false` when it did not fit. Counted and written in one transaction,
    /// so concurrent writers cannot overshoot.
    pub async fn set_lab_state_within(
        self: &Arc<Self>,
        learner: &str,
        lesson: &'static str,
        (key, value): (&str, Vec<u8>),
        (prefix, most): (&str, usize),
    ) -> Result<bool, ProgressError> {
        let (learner, key, prefix) = (learner.to_owned(), key.to_owned(), prefix.to_owned());
        self.with_db(move |db| {
            let transaction = db.transaction()?;
            let (count, exists): (i64, bool) = transaction.query_row(
                "SELECT count(*), coalesce(max(key = ?4), 0) FROM lab_state \
                 WHERE learner_id = ?1 AND lesson_id = ?2 AND substr(key, 1, length(?3)) = ?3",
                params![learner, lesson, prefix, key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if !exists && usize::try_from(count).unwrap_or(usize::MAX) >= most {
                return Ok(false);
            }
            transaction.execute(
                "INSERT INTO lab_state (learner_id, lesson_id, key, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (learner_id, lesson_id, key) DO UPDATE SET value = excluded.value",
                params![learner, lesson, key, value],
            )?;
            transaction.commit()?;
            Ok(true)
        })
        .await
    }

    /// The keys `learner` has under `lesson` that start with `prefix`, sorted.
    pub async fn lab_state_keys(
        self: &Arc<Self>,
        learner: &str,
        lesson: &'static str,
        prefix: &str,
    ) -> Result<Vec<String>, ProgressError> {
        let (learner, prefix) = (learner.to_owned(), prefix.to_owned());
        self.with_db(move |db| {
            let mut query = db.prepare_cached(
                "SELECT key FROM lab_state WHERE learner_id = ?1 AND lesson_id = ?2 \
                 AND substr(key, 1, length(?3)) = ?3 ORDER BY key",
            )?;
            let keys = query.query_map(params![learner, lesson, prefix], |row| row.get(0))?;
            Ok(keys.collect::<Result<Vec<String>, _>>()?)
        })
        .await
    }

    /// Says when progress changes: each message means "read it again".
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.changes.subscribe()
    }
}

/// Forgets solves and lab state in one transaction; shared by the running
/// program and the command-line reset.
fn reset(db: &mut Connection, learner: &str, lesson: Option<&str>) -> rusqlite::Result<u32> {
    let transaction = db.transaction()?;
    let forgotten = transaction.execute(
        "DELETE FROM solved WHERE learner_id = ?1 AND (?2 IS NULL OR lesson_id = ?2)",
        params![learner, lesson],
    )?;
    transaction.execute(
        "DELETE FROM lab_state WHERE learner_id = ?1 AND (?2 IS NULL OR lesson_id = ?2)",
        params![learner, lesson],
    )?;
    transaction.commit()?;
    Ok(u32::try_from(forgotten).unwrap_or(u32::MAX))
}

/// Resets progress in the database at `path` directly, for the command line
/// when no safelab is running; returns how many solves were forgotten.
pub fn reset_file(path: &Path, lesson: Option<&str>) -> Result<u32, ProgressError> {
    let store = Store::open(path)?;
    let mut db = store.db.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(reset(&mut db, LOCAL_LEARNER, lesson)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: Exercise = Exercise {
        lesson: "files",
        id: "read-passwd",
    };
    const LEAK: Exercise = Exercise {
        lesson: "parameters",
        id: "leak-trace",
    };

    #[tokio::test]
    async fn a_solve_is_recorded_once_and_announced() {
        let store = Arc::new(Store::in_memory().expect("opens"));
        let mut changes = store.subscribe();
        assert!(store.solve(LOCAL_LEARNER, PASSWD).await.expect("solves"));
        assert!(!store.solve(LOCAL_LEARNER, PASSWD).await.expect("again"));
        changes.try_recv().expect("announced once");
        assert!(changes.try_recv().is_err());
        let solved = store.solved(LOCAL_LEARNER).await.expect("reads");
        assert_eq!(solved.len(), 1);
        assert_eq!(
            (solved[0].lesson.as_str(), solved[0].exercise.as_str()),
            ("files", "read-passwd")
        );
        assert!(solved[0].at.ends_with('Z'), "{}", solved[0].at);
    }

    #[tokio::test]
    async fn a_lesson_reset_forgets_that_lesson_only() {
        let store = Arc::new(Store::in_memory().expect("opens"));
        store.solve(LOCAL_LEARNER, PASSWD).await.expect("solves");
        store.solve(LOCAL_LEARNER, LEAK).await.expect("solves");
        store
            .set_lab_state(LOCAL_LEARNER, "files", "upload", b"x".to_vec())
            .await
            .expect("keeps");
        assert_eq!(
            store
                .reset(LOCAL_LEARNER, Some("files"))
                .await
                .expect("resets"),
            1
        );
        let left = store.solved(LOCAL_LEARNER).await.expect("reads");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].lesson, "parameters");
        let state = store
            .lab_state(LOCAL_LEARNER, "files", "upload")
            .await
            .expect("reads");
        assert_eq!(state, None);
        store
            .set_lab_state(LOCAL_LEARNER, "files", "insecure:/a", b"1".to_vec())
            .await
            .expect("keeps");
        store
            .set_lab_state(LOCAL_LEARNER, "files", "secure:/b", b"2".to_vec())
            .await
            .expect("keeps");
        let keys = store
            .lab_state_keys(LOCAL_LEARNER, "files", "insecure:")
            .await
            .expect("lists");
        assert_eq!(keys, ["insecure:/a"]);
        for (key, fits) in [
            ("insecure:/b", true),
            ("insecure:/c", false),
            ("insecure:/a", true),
        ] {
            let kept = store
                .set_lab_state_within(
                    LOCAL_LEARNER,
                    "files",
                    (key, b"3".to_vec()),
                    ("insecure:", 2),
                )
                .await
                .expect("answers");
            assert_eq!(kept, fits, "{key}");
        }
        assert_eq!(store.reset(LOCAL_LEARNER, None).await.expect("resets"), 1);
        assert!(store.solved(LOCAL_LEARNER).await.expect("reads").is_empty());
    }

    #[test]
    fn a_database_from_a_newer_safelab_is_refused() {
        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join(FILE_NAME);
        let db = Connection::open(&path).expect("creates");
        db.pragma_update(None, "user_version", 99).expect("sets");
        drop(db);
        let refused = Store::open(&path).unwrap_err();
        assert!(matches!(refused, ProgressError::TooNew { found: 99, .. }));
        assert!(refused.to_string().contains("update safelab"));
    }

    #[test]
    fn the_file_survives_and_the_command_line_resets_it() {
        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join(FILE_NAME);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let store = Arc::new(Store::open(&path).expect("opens"));
            store.solve(LOCAL_LEARNER, PASSWD).await.expect("solves");
        });
        runtime.block_on(async {
            let store = Arc::new(Store::open(&path).expect("reopens"));
            assert_eq!(store.solved(LOCAL_LEARNER).await.expect("reads").len(), 1);
        });
        assert_eq!(reset_file(&path, None).expect("resets"), 1);
    }
}
