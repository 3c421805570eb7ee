//! The lesson's SQL database: one real SQLite file per learner, built from a
//! fixed seed, and the guarded connections both twins query it through.
//!
//! The twins differ in how they build their SQL, never in what it runs on:
//! every query either twin makes goes through a [`Guarded`] connection, so
//! whatever an injection makes of the insecure twin's SQL, it reaches this
//! learner's lab database and nothing else. A guarded connection is opened
//! read-only, with attaching limited to none (the bundled SQLite is built
//! with URI filenames on, so a refused `ATTACH` is what keeps `file:` URIs
//! out), defensive mode on, untrusted schemas, no extension loading,
//! temporary storage in memory, tight limits on lengths and depths, an
//! authorizer that allows reading and nothing else, a budget of
//! [`MAX_STEPS`] steps per query, and a deadline enforced twice: by a
//! progress handler every [`STEPS_BETWEEN_CHECKS`] steps, and by a watchdog
//! that interrupts the connection from outside, in case one step runs long.
//! Memory is bounded by the length limit and by a process-wide heap limit
//! ([`HEAP_LIMIT`]), which also bounds the one step nothing interrupts, an
//! in-memory sort. Answers are capped in rows and bytes.
//!
//! Each learner has two pools of connections, one per twin: the insecure
//! twin's runaway queries hold its own pool only, so the secure twin never
//! waits for them. Queries run on blocking threads.
//!
//! The one write, a staff member's `last_login` after a login, goes through a
//! separate read-write connection with bound parameters only, and is best
//! effort: it gives up rather than keep the secure twin's readers waiting.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, InterruptHandle, OpenFlags, ToSql, params};
use safelab_protocol::Twin;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::seed;

/// How long one query may run before it is interrupted. Half a second, so
/// that even a query stuck in SQLite's in-memory sort (which no interrupt
/// reaches; the heap cap keeps it short) ends within a second.
pub const QUERY_DEADLINE: Duration = Duration::from_millis(500);
/// How many guarded connections one learner's queries of one twin share at
/// once.
const CONNECTIONS_PER_TWIN: usize = 4;
/// How long a request waits for one of its twin's connections.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(3);
/// The most rows one answer holds; the rest are not read.
pub const MAX_ROWS: usize = 100;
/// The most bytes of values one answer holds.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How many virtual-machine steps pass between two looks at the deadline:
/// few enough that even a step that builds an 8 KB value is looked at
/// within milliseconds.
const STEPS_BETWEEN_CHECKS: i32 = 100;
/// The most virtual-machine steps one query may take. The lab's own
/// queries take thousands; this allows some 20 milliseconds of work. It
/// bounds what the deadline cannot: rows fed to an in-memory sort, which
/// SQLite then sorts in one step that neither the progress handler nor an
/// interrupt stops, so fewer rows means a shorter sort.
const MAX_STEPS: u64 = 2_000_000;
/// How long a read waits for a lock the login's write holds: the write
/// holds it for the moment of its commit only; far within the deadline.
const READ_WAIT: Duration = Duration::from_millis(250);
/// How long the login's write keeps trying while queries read (a runaway
/// may read for a whole deadline) before it gives up.
const WRITE_WAIT: Duration = Duration::from_millis(100);
/// The pause between two tries of the login's write. A try that finds
/// readers lets go of the lock at once, so reads never queue behind it.
const WRITE_RETRY: Duration = Duration::from_millis(10);
/// The most memory SQLite may hold in the whole program, every connection
/// together (`PRAGMA hard_heap_limit`). The progress store and a learner's
/// lab connections need a few MiB (the lab database is some 100 KiB, and
/// each connection caches at most that); a sort an injection blows up fails
/// with "out of memory" here instead of taking the machine's memory. It
/// also bounds how long such a sort runs, in the one step no interrupt
/// reaches: rows of at most [`MAX_VALUE_BYTES`] that fit in this much
/// memory sort in about a third of a second at worst (measured: 60 MB of
/// 8 KB values compared without case sort in 0.36 s; at 256 MiB, 1.9 s).
pub const HEAP_LIMIT: i64 = 64 * 1024 * 1024;
/// The longest text or blob a guarded query may build, in bytes: the lab's
/// longest value is about 300 characters, and a `group_concat` of the staff
/// table or of `sqlite_master` stays well under this.
const MAX_VALUE_BYTES: i32 = 8 * 1024;

/// Why a query gave no rows.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The database refused or failed the SQL: a syntax error, a denied
    /// action, a limit, an interrupted runaway. The message is SQLite's own.
    #[error("{0}")]
    Sql(String),
    /// The learner's connections, or the database's lock, were busy for
    /// too long.
    #[error("the lab database is busy with other queries: try again in a moment")]
    Busy,
    /// The lab database could not be built or opened.
    #[error("the lab database is unavailable: {0}")]
    Unavailable(String),
    /// The learner id cannot name a database file.
    #[error("not a learner id: {0:?} (expected 1 to 64 lowercase letters, digits or dashes)")]
    Learner(String),
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

/// One learner's database: its file and a pool of connections per twin.
#[derive(Debug)]
struct Learner {
    path: PathBuf,
    insecure: Pool,
    secure: Pool,
    /// Bumped by a rebuild, so connections opened before it are closed
    /// instead of going back to a pool.
    generation: AtomicU64,
    /// Held while the file is (re)built or written.
    building: Mutex<()>,
}

/// One twin's guarded connections to a learner's database.
#[derive(Debug)]
struct Pool {
    idle: Mutex<Vec<Guarded>>,
    /// Caps how many of the twin's queries run at once.
    permits: Arc<Semaphore>,
    /// How many of the twin's queries are running on a connection now.
    running: AtomicUsize,
}

impl Pool {
    fn new() -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(CONNECTIONS_PER_TWIN)),
            running: AtomicUsize::new(0),
        }
    }
}

/// Whether `learner` can name a file: `[a-z0-9-]{1,64}`.
fn is_learner_id(learner: &str) -> bool {
    (1..=64).contains(&learner.len())
        && learner
            .bytes()
            .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

/// Sets [`HEAP_LIMIT`], once per program. SQLite's heap limit is
/// process-wide; the pragma is its safe door, and any connection opens it.
fn limit_heap() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let limited = Connection::open_in_memory()
            .and_then(|connection| connection.pragma_update(None, "hard_heap_limit", HEAP_LIMIT));
        if let Err(error) = limited {
            eprintln!("safelab: could not limit SQLite's memory: {error}");
        }
    });
}

impl Databases {
    /// The databases of the lesson's lab folder `folder`, none built yet.
    pub fn new(folder: PathBuf) -> Self {
        limit_heap();
        Self {
            folder,
            learners: Mutex::new(HashMap::new()),
        }
    }

    /// Where `learner`'s database lives.
    pub fn path(&self, learner: &str) -> Result<PathBuf, QueryError> {
        if !is_learner_id(learner) {
            return Err(QueryError::Learner(learner.chars().take(80).collect()));
        }
        Ok(self.folder.join(format!("{learner}.sqlite3")))
    }

    fn learner(&self, learner: &str) -> Result<Arc<Learner>, QueryError> {
        let path = self.path(learner)?;
        let mut learners = self.learners.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(learners
            .entry(learner.to_owned())
            .or_insert_with(|| {
                Arc::new(Learner {
                    path,
                    insecure: Pool::new(),
                    secure: Pool::new(),
                    generation: AtomicU64::new(0),
                    building: Mutex::new(()),
                })
            })
            .clone())
    }

    /// Runs `sql` with `bound` parameters on one of `learner`'s guarded
    /// connections of `twin`'s pool, off the async threads.
    pub async fn query(
        &self,
        learner: &str,
        twin: Twin,
        sql: String,
        bound: Bound,
    ) -> Result<Table, QueryError> {
        self.with_connection(learner, twin, move |guarded| guarded.run(&sql, &bound))
            .await
    }

    /// Whether `sql` is one statement SQLite can prepare on a guarded
    /// connection: parsed and checked, never run.
    pub async fn parses(&self, learner: &str, twin: Twin, sql: String) -> Result<bool, QueryError> {
        self.with_connection(learner, twin, move |guarded| Ok(guarded.parses(&sql)))
            .await
    }

    /// How many of `twin`'s queries run on `learner`'s database now.
    #[cfg(test)]
    fn running(&self, learner: &str, twin: Twin) -> usize {
        self.learner(learner)
            .map(|database| database.pool(twin).running.load(Ordering::SeqCst))
            .unwrap_or_default()
    }

    /// Does `work` on one of `learner`'s connections of `twin`'s pool, on a
    /// blocking thread, with a watchdog that interrupts the connection at
    /// [`QUERY_DEADLINE`].
    async fn with_connection<T: Send + 'static>(
        &self,
        learner: &str,
        twin: Twin,
        work: impl FnOnce(&mut Guarded) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, QueryError> {
        let database = self.learner(learner)?;
        let permits = database.pool(twin).permits.clone();
        let permit = tokio::time::timeout(WAIT_FOR_CONNECTION, permits.acquire_owned())
            .await
            .map_err(|_| QueryError::Busy)?
            .map_err(|_| QueryError::Busy)?;
        // The handle of the connection while the work runs, `None` before
        // and after: the watchdog interrupts only a query still running,
        // never the next one on the same connection.
        let watched: Arc<Mutex<Option<InterruptHandle>>> = Arc::new(Mutex::new(None));
        let (armed, started) = tokio::sync::oneshot::channel();
        let watchdog = tokio::spawn({
            let watched = watched.clone();
            async move {
                if started.await.is_ok() {
                    tokio::time::sleep(QUERY_DEADLINE).await;
                    if let Some(handle) = watched
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .as_ref()
                    {
                        handle.interrupt();
                    }
                }
            }
        });
        let answer = tokio::task::spawn_blocking(move || {
            database.ensure_built()?;
            let pool = database.pool(twin);
            let mut guarded = database.connection(twin)?;
            *watched.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(guarded.connection.get_interrupt_handle());
            let _ = armed.send(());
            pool.running.fetch_add(1, Ordering::SeqCst);
            let answer = guarded.with_deadline(work);
            pool.running.fetch_sub(1, Ordering::SeqCst);
            *watched.lock().unwrap_or_else(PoisonError::into_inner) = None;
            database.give_back(twin, guarded);
            drop(permit);
            answer
        })
        .await
        .map_err(|error| QueryError::Unavailable(error.to_string()));
        watchdog.abort();
        answer?
    }

    /// Sets `staff_id`'s `last_login` to now, with bound parameters on a
    /// read-write connection: the legitimate write of a login. Best effort:
    /// it gives up after [`WRITE_WAIT`] when queries are reading.
    pub async fn record_login(&self, learner: &str, staff_id: i64) -> Result<(), QueryError> {
        let database = self.learner(learner)?;
        tokio::task::spawn_blocking(move || {
            database.ensure_built()?;
            // A reset waits for the write, and the write for the reset.
            let _building = database
                .building
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let connection = Connection::open_with_flags(
                &database.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(failure)?;
            // No busy handler: one that waits keeps the lock that stops new
            // reads all the while. Instead each try gives up at once and
            // lets go, and the next comes a moment later.
            connection.busy_timeout(Duration::ZERO).map_err(failure)?;
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
            let started = Instant::now();
            loop {
                match connection.execute(
                    "UPDATE staff SET last_login = ?1 WHERE id = ?2",
                    params![stamp, staff_id],
                ) {
                    Ok(_) => break,
                    Err(error) if is_busy(&error) && started.elapsed() < WRITE_WAIT => {
                        std::thread::sleep(WRITE_RETRY);
                    }
                    Err(error) => return Err(failure(error)),
                }
            }
            Ok(())
        })
        .await
        .map_err(|error| QueryError::Unavailable(error.to_string()))?
    }

    /// Rebuilds `learner`'s database from its seed, bit for bit as it was
    /// first built, and closes every connection to the old one.
    pub fn rebuild(&self, learner: &str) -> Result<(), QueryError> {
        self.learner(learner)?.rebuild()
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
                    && is_learner_id(learner)
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

/// A failure of the lab's own SQL: busy when a lock was held too long,
/// otherwise unavailable.
fn failure(error: rusqlite::Error) -> QueryError {
    if is_busy(&error) {
        QueryError::Busy
    } else {
        QueryError::Unavailable(error.to_string())
    }
}

/// Whether SQLite gave up waiting for a lock.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl Learner {
    fn pool(&self, twin: Twin) -> &Pool {
        match twin {
            Twin::Insecure => &self.insecure,
            Twin::Secure => &self.secure,
        }
    }

    /// An idle connection of `twin`'s pool, or a new one.
    fn connection(&self, twin: Twin) -> Result<Guarded, QueryError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let pooled = self
            .pool(twin)
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(guarded) => Ok(guarded),
            None => Guarded::open(&self.path, generation).map_err(failure),
        }
    }

    /// Puts `guarded` back in `twin`'s pool, unless the file was rebuilt
    /// since it was opened.
    fn give_back(&self, twin: Twin, guarded: Guarded) {
        if guarded.generation == self.generation.load(Ordering::SeqCst) {
            self.pool(twin)
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(guarded);
        }
    }

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
    /// connection to the old file. A journal an interrupted write left
    /// beside the old file is deleted first: SQLite would otherwise play it
    /// back into the new one.
    fn build_locked(&self) -> Result<(), QueryError> {
        let folder = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .map_err(|error| QueryError::Unavailable(error.to_string()))?;
        let fresh = self.path.with_extension("sqlite3.building");
        let journal = |path: &Path| {
            let mut name = path.as_os_str().to_owned();
            name.push("-journal");
            PathBuf::from(name)
        };
        let gone = |path: &Path| match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        };
        let io = |error: std::io::Error| QueryError::Unavailable(error.to_string());
        gone(&fresh).map_err(io)?;
        gone(&journal(&fresh)).map_err(io)?;
        seed::build(&fresh).map_err(failure)?;
        gone(&journal(&self.path)).map_err(io)?;
        std::fs::rename(&fresh, &self.path).map_err(io)?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        for pool in [&self.insecure, &self.secure] {
            pool.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        Ok(())
    }
}

/// A read-only connection to a learner's database that can read that
/// database and do nothing else, for at most [`QUERY_DEADLINE`] per query.
struct Guarded {
    connection: Connection,
    /// When the running query must stop, in nanoseconds after `opened`
    /// (`u64::MAX` when no query runs).
    deadline: Arc<AtomicU64>,
    /// How many more looks the progress handler may take before the
    /// running query has done [`MAX_STEPS`] and is interrupted.
    looks_left: Arc<AtomicU64>,
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
    (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
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
        limit_heap();
        // Read-only: no query can turn this connection into a writer of
        // anything. (URI filenames cannot be turned off by a flag in this
        // build; the only way a query could name a file, ATTACH, is refused.)
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
        connection.busy_timeout(READ_WAIT)?;
        // Sorts and temporary tables stay in memory: no temporary file is
        // ever created on the host for a query. In memory a sort never
        // spills; what bounds it is the length limit, the deadline and the
        // heap limit.
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        connection.pragma_update(None, "cache_size", -2048)?;
        // Extension loading stays off (rusqlite never enables it); the
        // authorizer refuses its SQL function besides.
        connection.authorizer(Some(authorize))?;
        let opened = Instant::now();
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let watched = deadline.clone();
        let looks_left = Arc::new(AtomicU64::new(u64::MAX));
        let counted = looks_left.clone();
        connection.progress_handler(
            STEPS_BETWEEN_CHECKS,
            Some(move || {
                let elapsed = u64::try_from(opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
                let looks = counted.fetch_sub(1, Ordering::Relaxed);
                elapsed > watched.load(Ordering::Relaxed) || looks <= 1
            }),
        )?;
        Ok(Self {
            connection,
            deadline,
            looks_left,
            opened,
            generation,
        })
    }

    /// Does `work` with the deadline armed: the progress handler interrupts
    /// it past [`QUERY_DEADLINE`].
    fn with_deadline<T>(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        let start = u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let deadline = u64::try_from(QUERY_DEADLINE.as_nanos()).unwrap_or(u64::MAX);
        self.deadline
            .store(start.saturating_add(deadline), Ordering::Relaxed);
        self.looks_left.store(
            MAX_STEPS / STEPS_BETWEEN_CHECKS.unsigned_abs().max(1) as u64,
            Ordering::Relaxed,
        );
        let answer = work(self);
        self.deadline.store(u64::MAX, Ordering::Relaxed);
        self.looks_left.store(u64::MAX, Ordering::Relaxed);
        answer
    }

    /// Runs one statement, reading at most [`MAX_ROWS`] rows and
    /// [`MAX_ANSWER_BYTES`] bytes. The caller arms the deadline
    /// ([`Guarded::with_deadline`]).
    fn run(&mut self, sql: &str, bound: &Bound) -> Result<Table, QueryError> {
        self.read(sql, bound).map_err(|error| match error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                QueryError::Sql(format!(
                    "interrupted: the query ran longer than {} ms or past {} million steps",
                    QUERY_DEADLINE.as_millis(),
                    MAX_STEPS / 1_000_000
                ))
            }
            busy if is_busy(&busy) => QueryError::Busy,
            other => QueryError::Sql(message(&other)),
        })
    }

    /// Whether `sql` prepares as one statement: parsed, resolved against
    /// the schema and authorized, never stepped.
    fn parses(&self, sql: &str) -> bool {
        self.connection.prepare(sql).is_ok()
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

    /// Held by the tests whose queries take many MiB: the heap limit is the
    /// whole program's, so two of them at once could each see the other's
    /// memory as their own "out of memory".
    fn heavy() -> std::sync::MutexGuard<'static, ()> {
        static HEAVY: Mutex<()> = Mutex::new(());
        HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `sql` on `guarded` with its deadline armed.
    fn run(guarded: &mut Guarded, sql: &str) -> Result<Table, QueryError> {
        guarded.with_deadline(|guarded| guarded.run(sql, &Vec::new()))
    }

    fn fails(guarded: &mut Guarded, sql: &str) -> String {
        match run(guarded, sql) {
            Err(QueryError::Sql(message)) => message,
            other => panic!("{sql}: {other:?}"),
        }
    }

    /// A learner's databases in a folder of their own, the learner's file
    /// built.
    async fn databases() -> (tempfile::TempDir, Arc<Databases>) {
        let folder = tempfile::tempdir().expect("a folder");
        let databases = Arc::new(Databases::new(folder.path().to_owned()));
        for twin in [Twin::Insecure, Twin::Secure] {
            let table = databases
                .query("learner", twin, "SELECT 1".to_owned(), Vec::new())
                .await;
            assert!(table.is_ok(), "{table:?}");
        }
        (folder, databases)
    }

    /// Patients in a cross join of three (13.8 million rows), sorted by a
    /// random key: SQLite's in-memory sort of them is one long step that
    /// never calls the progress handler.
    const SORT: &str = "SELECT random(), 2, 3, 4, 5 FROM patients a, patients b, \
         (SELECT id FROM patients LIMIT 140) c ORDER BY 1";
    /// A search for a 50,000-character needle in 100,000-character values:
    /// one comparison is a long step.
    const INSTR: &str = "SELECT id FROM patients WHERE \
         instr(printf('%.*c', 99990, 'a') || id, printf('%.*c', 50000, 'a') || 'b') > 0";
    /// A query that reads the patients table (so it holds the database's
    /// read lock) until its deadline: few steps, each a slow search of a
    /// 4,000-character needle in an 8,000-character value.
    const RUNAWAY: &str = "SELECT count(*) FROM patients a, patients b WHERE \
         instr(printf('%.*c', 7990, 'a') || a.id || b.id, printf('%.*c', 4000, 'a') || 'b') > 0";
    /// A count of 3.3 billion rows: millions of quick steps.
    const MANY_STEPS: &str = "SELECT count(*) FROM patients a, patients b, patients c, patients d";
    /// Sorted rows of large blobs: in memory, a sort never spills to a file.
    const MEMORY: &str = "SELECT 1, 2, 3, 4, zeroblob(8000) FROM patients a, patients b, \
         patients c ORDER BY 1";

    #[test]
    fn a_guarded_connection_reads_the_lab_database() {
        let (_folder, mut guarded) = guarded();
        let table = guarded
            .with_deadline(|guarded| {
                guarded.run(
                    "SELECT count(*) FROM patients WHERE last_name LIKE ?1",
                    &vec![Box::new("%".to_owned())],
                )
            })
            .expect("reads");
        assert_eq!(table.rows[0][0], Value::from(seed::PATIENTS));
        // The lesson's dumps fit in the length limit, concatenated too.
        for sql in [
            "SELECT group_concat(username || ':' || password_hash, ',') FROM staff",
            "SELECT group_concat(sql, ' ') FROM sqlite_master",
        ] {
            assert!(run(&mut guarded, sql).is_ok(), "{sql}");
        }
    }

    /// Each way out of the database is refused by the authorizer (or the
    /// attach limit as well), and leaves no file behind.
    #[test]
    fn a_guarded_connection_refuses_everything_but_reading() {
        let (folder, mut guarded) = guarded();
        let outside = folder.path().join("outside.sqlite3");
        let uri = format!("file:{}?mode=rwc", outside.display());
        for sql in [
            format!("ATTACH DATABASE '{}' AS other", outside.display()),
            format!("ATTACH DATABASE '{uri}' AS other"),
            format!("VACUUM INTO '{}'", outside.display()),
            format!("VACUUM INTO '{uri}'"),
            "SELECT load_extension('/nonexistent')".to_owned(),
            "PRAGMA writable_schema = 1".to_owned(),
            "PRAGMA journal_mode = WAL".to_owned(),
            "SELECT * FROM pragma_database_list".to_owned(),
            "SELECT * FROM pragma_table_info('staff')".to_owned(),
            "SELECT * FROM pragma_compile_options".to_owned(),
            "UPDATE staff SET role = 'x'".to_owned(),
            "DELETE FROM staff".to_owned(),
            "CREATE TABLE loot (x)".to_owned(),
            "CREATE TEMP TABLE loot (x)".to_owned(),
            "BEGIN".to_owned(),
            "SELECT 1; SELECT 2".to_owned(),
            "SELECT readfile('/etc/passwd')".to_owned(),
            "SELECT fts3_tokenizer('simple')".to_owned(),
        ] {
            fails(&mut guarded, &sql);
        }
        assert_eq!(
            std::fs::read_dir(folder.path()).expect("lists").count(),
            1,
            "only the lab database is in the folder"
        );
    }

    #[test]
    fn values_longer_than_the_length_limit_are_refused() {
        let (_folder, mut guarded) = guarded();
        for sql in [
            "SELECT randomblob(500000000)",
            "SELECT zeroblob(99000)",
            "SELECT printf('%.*c', 9000, 'a')",
            INSTR,
        ] {
            let message = fails(&mut guarded, sql);
            assert!(message.contains("too big"), "{sql}: {message}");
        }
    }

    /// A sort of rows too many to hold ends in an error long before it has
    /// taken the machine's memory: the heap limit ends it (long before its
    /// step budget or deadline would), and the connection is fine afterwards.
    #[test]
    fn a_sort_that_fills_memory_ends_in_an_error() {
        let _heavy = heavy();
        let (_folder, mut guarded) = guarded();
        let message = fails(&mut guarded, MEMORY);
        assert!(message.contains("out of memory"), "{message}");
        assert!(run(&mut guarded, "SELECT 1").is_ok());
    }

    #[test]
    fn the_heap_limit_is_set_for_the_whole_program() {
        let (_folder, _guarded) = guarded();
        // Any connection reads it; a guarded one refuses every pragma.
        let limit: i64 = Connection::open_in_memory()
            .and_then(|connection| {
                connection.query_row("PRAGMA hard_heap_limit", [], |row| row.get(0))
            })
            .expect("reads");
        assert_eq!(limit, HEAP_LIMIT);
    }

    /// The progress handler ends a query of millions of quick steps at its
    /// step budget, and one of slow steps at its deadline.
    #[test]
    fn a_runaway_query_is_interrupted_by_the_progress_handler() {
        let _heavy = heavy();
        let (_folder, mut guarded) = guarded();
        for sql in [
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
            MANY_STEPS,
            SORT,
            RUNAWAY,
        ] {
            let message = fails(&mut guarded, sql);
            assert!(message.contains("interrupted"), "{sql}: {message}");
        }
        // The connection is fine afterwards.
        assert!(run(&mut guarded, "SELECT 1").is_ok());
    }

    /// The watchdog interrupts a query from outside at the deadline, even
    /// one whose progress handler never would (here it is switched off;
    /// in SQLite, an in-memory sort is such a step). Generous bound: the
    /// deadline is half a second, the rest is a loaded two-core machine;
    /// without the watchdog this query runs for over a minute.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_watchdog_interrupts_a_query_the_progress_handler_does_not() {
        let (_folder, databases) = databases().await;
        let started = Instant::now();
        let answer = databases
            .with_connection("learner", Twin::Insecure, |guarded| {
                guarded
                    .connection
                    .progress_handler(0, None::<fn() -> bool>)
                    .map_err(failure)?;
                guarded.run(RUNAWAY, &Vec::new())
            })
            .await;
        let took = started.elapsed();
        assert!(
            matches!(&answer, Err(QueryError::Sql(message)) if message.contains("interrupted")),
            "{answer:?}"
        );
        assert!(took < QUERY_DEADLINE * 5, "took {took:?}");
    }

    #[test]
    fn a_reset_rebuilds_a_database_an_earlier_run_changed() {
        let folder = tempfile::tempdir().expect("a folder");
        let seeded = folder.path().join("seeded.sqlite3");
        seed::build(&seeded).expect("the seed builds");
        let databases = Databases::new(folder.path().join("injection"));
        let path = databases.path("someone").expect("a learner id");
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("creates");
        std::fs::copy(&seeded, &path).expect("copies");
        Connection::open(&path)
            .and_then(|db| db.execute("UPDATE staff SET last_login = 'then'", []))
            .expect("writes");
        assert_ne!(std::fs::read(&path).ok(), std::fs::read(&seeded).ok());
        // A journal an interrupted write left: SQLite would play it back.
        let mut journal = path.clone().into_os_string();
        journal.push("-journal");
        std::fs::write(&journal, b"stale").expect("writes");
        // A fresh run's databases know no learner yet; the reset finds the file.
        Databases::new(folder.path().join("injection")).rebuild_all();
        assert_eq!(std::fs::read(&path).ok(), std::fs::read(&seeded).ok());
        assert!(!Path::new(&journal).exists());
    }

    #[test]
    fn a_learner_id_that_is_not_a_plain_name_is_refused() {
        let databases = Databases::new(PathBuf::from("/nonexistent"));
        for bad in ["", "../etc", "a/b", "A", "x.sqlite3", &"a".repeat(65)] {
            assert!(
                matches!(databases.path(bad), Err(QueryError::Learner(_))),
                "{bad}"
            );
        }
        assert!(databases.path("local").is_ok());
        assert!(databases.path(&"a-1".repeat(21)).is_ok());
    }

    /// The insecure twin's runaway queries fill its own pool, and the
    /// secure twin's query answers while they are still running: it waits
    /// for none of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insecure_runaways_never_hold_up_the_secure_twin() {
        let (_folder, databases) = databases().await;
        let mut runaways = Vec::new();
        for _ in 0..CONNECTIONS_PER_TWIN + 2 {
            let databases = databases.clone();
            runaways.push(tokio::spawn(async move {
                databases
                    .query("learner", Twin::Insecure, RUNAWAY.to_owned(), Vec::new())
                    .await
            }));
        }
        // Poll until the insecure pool is full of running runaways.
        while databases.running("learner", Twin::Insecure) < CONNECTIONS_PER_TWIN {
            tokio::task::yield_now().await;
        }
        let table = databases
            .query(
                "learner",
                Twin::Secure,
                "SELECT count(*) FROM patients WHERE last_name = ?1".to_owned(),
                vec![Box::new("Garcia".to_owned())],
            )
            .await
            .expect("reads");
        assert!(table.rows[0][0].as_i64().is_some_and(|count| count > 0));
        let parses = databases
            .parses("learner", Twin::Secure, "SELECT 1".to_owned())
            .await;
        assert!(matches!(parses, Ok(true)), "{parses:?}");
        assert_eq!(
            databases.running("learner", Twin::Insecure),
            CONNECTIONS_PER_TWIN,
            "the runaways were still running when the secure twin answered"
        );
        for runaway in runaways {
            let answer = runaway.await.expect("joined");
            assert!(
                matches!(&answer, Err(QueryError::Sql(message)) if message.contains("interrupted")),
                "{answer:?}"
            );
        }
    }

    /// A database another connection has locked is busy, never an SQL
    /// error: the insecure twin answers a 503 for it, not the 500 (and the
    /// solve) of a leaked error.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_locked_database_is_busy_not_an_sql_error() {
        let (_folder, databases) = databases().await;
        let locker = Connection::open(databases.path("learner").expect("an id")).expect("opens");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("locks");
        for twin in [Twin::Insecure, Twin::Secure] {
            let answer = databases
                .query(
                    "learner",
                    twin,
                    "SELECT count(*) FROM staff".to_owned(),
                    Vec::new(),
                )
                .await;
            assert!(matches!(answer, Err(QueryError::Busy)), "{answer:?}");
        }
        locker.execute_batch("COMMIT").expect("unlocks");
        let answer = databases
            .query(
                "learner",
                Twin::Insecure,
                "SELECT count(*) FROM staff".to_owned(),
                Vec::new(),
            )
            .await;
        assert!(answer.is_ok(), "{answer:?}");
    }

    /// A login's write waits briefly for a reader, then gives up as busy;
    /// reads meanwhile never fail as locked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_blocked_by_a_runaway_gives_up_and_reads_go_on() {
        let (_folder, databases) = databases().await;
        let runaway = tokio::spawn({
            let databases = databases.clone();
            async move {
                databases
                    .query("learner", Twin::Insecure, RUNAWAY.to_owned(), Vec::new())
                    .await
            }
        });
        while databases.running("learner", Twin::Insecure) < 1 {
            tokio::task::yield_now().await;
        }
        let write = databases.record_login("learner", 1).await;
        assert!(matches!(write, Err(QueryError::Busy)), "{write:?}");
        let read = databases
            .query(
                "learner",
                Twin::Secure,
                "SELECT count(*) FROM staff".to_owned(),
                Vec::new(),
            )
            .await;
        assert!(read.is_ok(), "{read:?}");
        assert_eq!(databases.running("learner", Twin::Insecure), 1);
        assert!(runaway.await.expect("joined").is_err());
        // With nobody reading, the write goes through.
        let write = databases.record_login("learner", 1).await;
        assert!(write.is_ok(), "{write:?}");
    }
}
