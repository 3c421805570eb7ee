//! The lesson's SQL database: one real SQLite file per learner, built from a
//! fixed seed, and the guarded connections both twins query it through.
//!
//! The twins differ in how they build their SQL, never in what it runs on:
//! every query either twin makes goes through a [`Guarded`] connection, so
//! whatever an injection makes of the insecure twin's SQL, it reaches this
//! learner's lab database and nothing else. A guarded connection is opened
//! read-only, without URI filenames, with attaching limited to none, defensive
//! mode on, untrusted schemas, no extension loading, temporary storage in
//! memory, tight limits on lengths and depths, an authorizer that allows
//! reading and nothing else, and a progress handler that interrupts a query
//! past its deadline. Answers are capped in rows and bytes. Queries run on
//! blocking threads, a few connections per learner, so a runaway query holds
//! one connection for at most [`QUERY_DEADLINE`] and nobody else's request
//! waits for it.
//!
//! The one write, a staff member's `last_login` after a login, goes through a
//! separate read-write connection with bound parameters only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, ToSql, params};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::seed;

/// How long one query may run before it is interrupted.
pub const QUERY_DEADLINE: Duration = Duration::from_secs(1);
/// How many guarded connections one learner's queries share at once.
const CONNECTIONS_PER_LEARNER: usize = 4;
/// How long a request waits for one of its learner's connections.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(3);
/// The most rows one answer holds; the rest are not read.
pub const MAX_ROWS: usize = 100;
/// The most bytes of values one answer holds.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How many virtual-machine steps pass between two looks at the deadline.
const STEPS_BETWEEN_CHECKS: i32 = 1000;

/// Why a query gave no rows.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The database refused or failed the SQL: a syntax error, a denied
    /// action, a limit, an interrupted runaway. The message is SQLite's own.
    #[error("{0}")]
    Sql(String),
    /// The learner's connections were all busy for too long.
    #[error("the lab database is busy with other queries: try again in a moment")]
    Busy,
    /// The lab database could not be built or opened.
    #[error("the lab database is unavailable: {0}")]
    Unavailable(String),
}

/// What a query returned: its columns and at most [`MAX_ROWS`] rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns' names, as the query named them.
    pub columns: Vec<String>,
    /// The rows, each a value per column.
    pub rows: Vec<Vec<Value>>,
    /// Whether rows were left out to keep the answer small.
    pub truncated: bool,
}

/// A query's bound parameters, in order.
pub type Bound = Vec<Box<dyn ToSql + Send>>;

/// Every learner's lab database, and the folder they live in.
#[derive(Debug)]
pub struct Databases {
    folder: PathBuf,
    learners: Mutex<HashMap<String, Arc<Learner>>>,
}

/// One learner's database: its file, its idle guarded connections, and the
/// permits that cap how many of its queries run at once.
#[derive(Debug)]
struct Learner {
    path: PathBuf,
    idle: Mutex<Vec<Guarded>>,
    permits: Arc<Semaphore>,
    /// Bumped by a rebuild, so connections opened before it are closed
    /// instead of going back to the pool.
    generation: AtomicU64,
    /// Held while the file is (re)built.
    building: Mutex<()>,
}

impl Databases {
    /// The databases of the lesson's lab folder `folder`, none built yet.
    pub fn new(folder: PathBuf) -> Self {
        Self {
            folder,
            learners: Mutex::new(HashMap::new()),
        }
    }

    /// Where `learner`'s database lives.
    pub fn path(&self, learner: &str) -> PathBuf {
        self.folder.join(format!("{learner}.sqlite3"))
    }

    fn learner(&self, learner: &str) -> Arc<Learner> {
        let mut learners = self.learners.lock().unwrap_or_else(PoisonError::into_inner);
        learners
            .entry(learner.to_owned())
            .or_insert_with(|| {
                Arc::new(Learner {
                    path: self.path(learner),
                    idle: Mutex::new(Vec::new()),
                    permits: Arc::new(Semaphore::new(CONNECTIONS_PER_LEARNER)),
                    generation: AtomicU64::new(0),
                    building: Mutex::new(()),
                })
            })
            .clone()
    }

    /// Runs `sql` with `bound` parameters on one of `learner`'s guarded
    /// connections, off the async threads.
    pub async fn query(
        &self,
        learner: &str,
        sql: String,
        bound: Bound,
    ) -> Result<Table, QueryError> {
        let database = self.learner(learner);
        let permit = tokio::time::timeout(
            WAIT_FOR_CONNECTION,
            database.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| QueryError::Busy)?
        .map_err(|_| QueryError::Busy)?;
        tokio::task::spawn_blocking(move || database.query_blocking(&sql, &bound, permit))
            .await
            .map_err(|error| QueryError::Unavailable(error.to_string()))?
    }

    /// Sets `staff_id`'s `last_login` to now, with bound parameters on a
    /// read-write connection: the legitimate write of a login.
    pub async fn record_login(&self, learner: &str, staff_id: i64) -> Result<(), QueryError> {
        let database = self.learner(learner);
        tokio::task::spawn_blocking(move || {
            database.ensure_built()?;
            let connection = Connection::open_with_flags(
                &database.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(unavailable)?;
            connection
                .busy_timeout(Duration::from_secs(2))
                .map_err(unavailable)?;
            let now = time::OffsetDateTime::now_utc();
            let stamp = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            );
            connection
                .execute(
                    "UPDATE staff SET last_login = ?1 WHERE id = ?2",
                    params![stamp, staff_id],
                )
                .map_err(unavailable)?;
            Ok(())
        })
        .await
        .map_err(|error| QueryError::Unavailable(error.to_string()))?
    }

    /// Rebuilds `learner`'s database from its seed, bit for bit as it was
    /// first built, and closes every connection to the old one.
    pub fn rebuild(&self, learner: &str) -> Result<(), QueryError> {
        self.learner(learner).rebuild()
    }

    /// Rebuilds the database of every learner who has one: whoever queried
    /// it in this run, and every file an earlier run left in the folder.
    pub fn rebuild_all(&self) {
        let mut learners: Vec<String> = self
            .learners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.folder) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(learner) = name.strip_suffix(".sqlite3")
                    && !learners.iter().any(|known| known == learner)
                {
                    learners.push(learner.to_owned());
                }
            }
        }
        for learner in learners {
            if let Err(error) = self.rebuild(&learner) {
                eprintln!("safelab: could not rebuild the injection lab database: {error}");
            }
        }
    }
}

fn unavailable(error: rusqlite::Error) -> QueryError {
    QueryError::Unavailable(error.to_string())
}

impl Learner {
    /// Builds the file if it is missing (the first use, or after the offline
    /// reset deleted the lab folder).
    fn ensure_built(&self) -> Result<(), QueryError> {
        if self.path.exists() {
            return Ok(());
        }
        let _building = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        if self.path.exists() {
            return Ok(());
        }
        self.build_locked()
    }

    fn rebuild(&self) -> Result<(), QueryError> {
        let _building = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        self.build_locked()
    }

    /// Builds the database beside its place and moves it there in one
    /// rename, so a query never sees half a database; then forgets every
    /// connection to the old file.
    fn build_locked(&self) -> Result<(), QueryError> {
        let folder = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .map_err(|error| QueryError::Unavailable(error.to_string()))?;
        let fresh = self.path.with_extension("sqlite3.building");
        let gone = |path: &Path| match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        };
        let io = |error: std::io::Error| QueryError::Unavailable(error.to_string());
        gone(&fresh).map_err(io)?;
        seed::build(&fresh).map_err(unavailable)?;
        std::fs::rename(&fresh, &self.path).map_err(io)?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }

    fn query_blocking(
        &self,
        sql: &str,
        bound: &Bound,
        permit: OwnedSemaphorePermit,
    ) -> Result<Table, QueryError> {
        self.ensure_built()?;
        let generation = self.generation.load(Ordering::SeqCst);
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut guarded = match pooled {
            Some(guarded) => guarded,
            None => Guarded::open(&self.path, generation).map_err(unavailable)?,
        };
        let answer = guarded.run(sql, bound);
        if guarded.generation == self.generation.load(Ordering::SeqCst) {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(guarded);
        }
        drop(permit);
        answer
    }
}

/// A read-only connection to a learner's database that can read that
/// database and do nothing else, for at most [`QUERY_DEADLINE`] per query.
struct Guarded {
    connection: Connection,
    /// When the running query must stop, in nanoseconds after `opened`
    /// (`u64::MAX` when no query runs).
    deadline: Arc<AtomicU64>,
    opened: Instant,
    generation: u64,
}

impl std::fmt::Debug for Guarded {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Guarded").finish_non_exhaustive()
    }
}

/// The limits a guarded connection sets: generous for the lab's own
/// queries, tight for anything built to exhaust the machine.
const LIMITS: [(Limit, i32); 12] = [
    (Limit::SQLITE_LIMIT_ATTACHED, 0),
    (Limit::SQLITE_LIMIT_LENGTH, 100_000),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 10_000),
    (Limit::SQLITE_LIMIT_COLUMN, 100),
    (Limit::SQLITE_LIMIT_EXPR_DEPTH, 50),
    (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 10),
    (Limit::SQLITE_LIMIT_VDBE_OP, 25_000),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 32),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 200),
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 10),
    (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
    (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
];

/// SQL functions a guarded connection refuses even inside a read: the ones
/// that reach outside the database or change how it is read.
const DENIED_FUNCTIONS: [&str; 6] = [
    "load_extension",
    "fts3_tokenizer",
    "readfile",
    "writefile",
    "edit",
    "sqlite_compileoption_get",
];

impl Guarded {
    fn open(path: &Path, generation: u64) -> rusqlite::Result<Self> {
        // Read-only and no URI filenames: the path is ours, and no query
        // can turn this connection into a writer of anything.
        let mut connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        for (limit, value) in LIMITS {
            connection.set_limit(limit, value)?;
        }
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE, false)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE, false)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, false)?;
        // Sorts and temporary tables stay in memory: no temporary file is
        // ever created on the host for a query.
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        connection.pragma_update(None, "cache_size", -2048)?;
        // Extension loading stays off (rusqlite never enables it); the
        // authorizer refuses its SQL function besides.
        connection.authorizer(Some(authorize))?;
        let opened = Instant::now();
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let watched = deadline.clone();
        connection.progress_handler(
            STEPS_BETWEEN_CHECKS,
            Some(move || {
                let elapsed = u64::try_from(opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
                elapsed > watched.load(Ordering::Relaxed)
            }),
        )?;
        Ok(Self {
            connection,
            deadline,
            opened,
            generation,
        })
    }

    /// Runs one statement, reading at most [`MAX_ROWS`] rows and
    /// [`MAX_ANSWER_BYTES`] bytes, interrupted past [`QUERY_DEADLINE`].
    fn run(&mut self, sql: &str, bound: &Bound) -> Result<Table, QueryError> {
        let start = u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let deadline = u64::try_from(QUERY_DEADLINE.as_nanos()).unwrap_or(u64::MAX);
        self.deadline
            .store(start.saturating_add(deadline), Ordering::Relaxed);
        let answer = self.read(sql, bound).map_err(|error| match error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                QueryError::Sql(format!(
                    "interrupted: the query ran longer than {} s",
                    QUERY_DEADLINE.as_secs()
                ))
            }
            other => QueryError::Sql(message(&other)),
        });
        self.deadline.store(u64::MAX, Ordering::Relaxed);
        answer
    }

    fn read(&self, sql: &str, bound: &Bound) -> rusqlite::Result<Table> {
        let mut statement = self.connection.prepare(sql)?;
        if !statement.readonly() {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_AUTH),
                Some("not authorized".to_owned()),
            ));
        }
        let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
        let parameters: Vec<&dyn ToSql> = bound
            .iter()
            .map(|value| value.as_ref() as &dyn ToSql)
            .collect();
        let mut rows = statement.query(parameters.as_slice())?;
        let mut table = Table {
            columns,
            rows: Vec::new(),
            truncated: false,
        };
        let mut bytes = 0;
        while let Some(row) = rows.next()? {
            if table.rows.len() == MAX_ROWS || bytes > MAX_ANSWER_BYTES {
                table.truncated = true;
                break;
            }
            let mut values = Vec::with_capacity(table.columns.len());
            for index in 0..table.columns.len() {
                let value = json_value(row.get_ref(index)?);
                bytes += match &value {
                    Value::String(text) => text.len(),
                    _ => 8,
                };
                values.push(value);
            }
            table.rows.push(values);
        }
        Ok(table)
    }
}

/// SQLite's message for `error`, as a Python app's `sqlite3` module shows
/// it: the database's own words.
fn message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(text)) => text.clone(),
        rusqlite::Error::SqliteFailure(failure, None) => failure.to_string(),
        rusqlite::Error::MultipleStatement => {
            "You can only execute one statement at a time.".to_owned()
        }
        rusqlite::Error::Empty => "the query is empty".to_owned(),
        other => other.to_string(),
    }
}

/// A value as JSON: text and numbers as they are, a blob as hex.
fn json_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(number) => Value::from(number),
        ValueRef::Real(number) => Value::from(number),
        ValueRef::Text(text) => Value::from(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(blob) => Value::from(
            blob.iter()
                .take(MAX_ANSWER_BYTES)
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>(),
        ),
    }
}

/// The authorizer of a guarded connection: reading, and nothing else.
fn authorize(context: AuthContext<'_>) -> Authorization {
    match context.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        AuthAction::Function { function_name }
            if !DENIED_FUNCTIONS
                .iter()
                .any(|denied| function_name.eq_ignore_ascii_case(denied)) =>
        {
            Authorization::Allow
        }
        _ => Authorization::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded() -> (tempfile::TempDir, Guarded) {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("lab.sqlite3");
        seed::build(&path).expect("the seed builds");
        let guarded = Guarded::open(&path, 0).expect("opens");
        (folder, guarded)
    }

    fn fails(guarded: &mut Guarded, sql: &str) -> String {
        match guarded.run(sql, &Vec::new()) {
            Err(QueryError::Sql(message)) => message,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn a_guarded_connection_reads_the_lab_database() {
        let (_folder, mut guarded) = guarded();
        let table = guarded
            .run(
                "SELECT count(*) FROM patients WHERE last_name LIKE ?1",
                &vec![Box::new("%".to_owned())],
            )
            .expect("reads");
        assert_eq!(table.rows[0][0], Value::from(seed::PATIENTS));
    }

    #[test]
    fn a_guarded_connection_refuses_everything_but_reading() {
        let (folder, mut guarded) = guarded();
        let outside = folder.path().join("outside.sqlite3");
        for sql in [
            format!("ATTACH DATABASE '{}' AS other", outside.display()),
            format!("VACUUM INTO '{}'", outside.display()),
            "SELECT load_extension('/nonexistent')".to_owned(),
            "PRAGMA writable_schema = 1".to_owned(),
            "UPDATE staff SET role = 'x'".to_owned(),
            "DELETE FROM staff".to_owned(),
            "CREATE TABLE loot (x)".to_owned(),
            "BEGIN".to_owned(),
            "SELECT 1; SELECT 2".to_owned(),
            "SELECT readfile('/etc/passwd')".to_owned(),
            "SELECT fts3_tokenizer('simple')".to_owned(),
        ] {
            fails(&mut guarded, &sql);
        }
        assert!(!outside.exists());
    }

    #[test]
    fn a_runaway_query_is_interrupted_at_its_deadline() {
        let (_folder, mut guarded) = guarded();
        let started = Instant::now();
        let message = fails(
            &mut guarded,
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        );
        assert!(message.contains("interrupted"), "{message}");
        // Generous: the deadline is one second; this only fails if the
        // interruption does not work at all.
        assert!(started.elapsed() < QUERY_DEADLINE * 5);
        // The connection is fine afterwards.
        assert!(guarded.run("SELECT 1", &Vec::new()).is_ok());
    }

    #[test]
    fn a_reset_rebuilds_a_database_an_earlier_run_changed() {
        let folder = tempfile::tempdir().expect("a folder");
        let seeded = folder.path().join("seeded.sqlite3");
        seed::build(&seeded).expect("the seed builds");
        let databases = Databases::new(folder.path().join("injection"));
        let path = databases.path("someone");
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("creates");
        std::fs::copy(&seeded, &path).expect("copies");
        Connection::open(&path)
            .and_then(|db| db.execute("UPDATE staff SET last_login = 'then'", []))
            .expect("writes");
        assert_ne!(std::fs::read(&path).ok(), std::fs::read(&seeded).ok());
        // A fresh run's databases know no learner yet; the reset finds the file.
        Databases::new(folder.path().join("injection")).rebuild_all();
        assert_eq!(std::fs::read(&path).ok(), std::fs::read(&seeded).ok());
    }

    /// One learner's runaway queries hold that learner's connections only:
    /// another learner's query answers at once, not after a deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runaway_queries_of_one_learner_never_hold_up_another() {
        let folder = tempfile::tempdir().expect("a folder");
        let databases = Arc::new(Databases::new(folder.path().to_owned()));
        let runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
        // Both databases exist first: building one is not what is measured.
        for learner in ["busy", "other"] {
            assert!(
                databases
                    .query(learner, "SELECT 1".to_owned(), Vec::new())
                    .await
                    .is_ok()
            );
        }
        let mut runaways = Vec::new();
        for _ in 0..CONNECTIONS_PER_LEARNER + 2 {
            let databases = databases.clone();
            runaways.push(tokio::spawn(async move {
                databases
                    .query("busy", runaway.to_owned(), Vec::new())
                    .await
            }));
        }
        tokio::task::yield_now().await;
        let started = Instant::now();
        let table = databases
            .query(
                "other",
                "SELECT count(*) FROM patients".to_owned(),
                Vec::new(),
            )
            .await
            .expect("reads");
        let took = started.elapsed();
        assert_eq!(table.rows[0][0], Value::from(seed::PATIENTS));
        // Generous: the runaways' deadline is a second; this query needs
        // milliseconds, and would take a second or more if it waited.
        assert!(took < QUERY_DEADLINE / 2, "took {took:?}");
        for runaway in runaways {
            let answer = runaway.await.expect("joined");
            assert!(
                matches!(&answer, Err(QueryError::Sql(message)) if message.contains("interrupted")),
                "{answer:?}"
            );
        }
    }

    #[test]
    fn huge_values_hit_the_length_limit() {
        let (_folder, mut guarded) = guarded();
        let message = fails(&mut guarded, "SELECT randomblob(500000000)");
        assert!(message.contains("too big"), "{message}");
    }
}
