//! Lesson `linting` (Secure coding tools): a code-review gate for the lab's
//! fake data pipeline. The pipeline's nightly report script
//! (`examples/report.py`) counts a data file's rows with `wc` through a
//! shell and stores the count with SQL built by an f-string.
//!
//! - The insecure gate (`POST /lab/insecure/linting/merge`) merges whatever
//!   it gets. Its pipeline then "runs" the merged script on a file name the
//!   caller chooses (`POST /lab/insecure/linting/run?file=`): when the merged
//!   script passes the name to a shell (the lint finds B602 or B605 in it),
//!   the name's `;`, `|`, `&&`, `$(…)` commands run too, in a SIMULATED shell
//!   over the lab's fake files. Nothing runs on the host: the lab never
//!   executes the script; it reads it with the lint and simulates the shell.
//! - The secure gate (`POST /lab/secure/linting/merge`) lints the submission
//!   server-side with the same code as the app's tool
//!   (`safelab_tools::lint`) and refuses with a 422 listing every medium or
//!   high finding until each is fixed or justified with `# nosec <id>` and a
//!   reason; low ones come back as notes. A script must keep its job
//!   (define `count_lines`).
//!
//! The merged scripts are the lesson's lab state, per learner in the
//! progress store: a reset forgets them.

mod gate;

use axum::Router;
use axum::routing::{get, post};
use safelab_protocol::Twin;
use safelab_protocol::tools::Tool;

use super::{Endpoint, Example, LessonLab};
use crate::AppState;
use crate::progress::Exercise;

/// The lesson's id.
const LESSON: &str = "linting";

/// A shell injection through the file name ran in the insecure pipeline,
/// via a merged script that passes it to a shell.
pub(crate) const INJECT: Exercise = Exercise {
    lesson: LESSON,
    id: "inject-merged-script",
};
/// The secure gate refused a script with a shell or SQL injection finding.
pub(crate) const REFUSED: Exercise = Exercise {
    lesson: LESSON,
    id: "gate-refuses",
};
/// The secure gate accepted a fixed script that still does its job.
pub(crate) const ACCEPTED: Exercise = Exercise {
    lesson: LESSON,
    id: "gate-accepts-fix",
};

/// The pipeline's report script as it stands, with its two flaws.
pub(crate) const REPORT: &str = include_str!("examples/report.py");
/// The same script, reviewed and fixed.
pub(crate) const REPORT_FIXED: &str = include_str!("examples/report_fixed.py");
/// A notebook exported as Python, with a data scientist's usual shortcuts.
const NOTEBOOK: &str = include_str!("examples/churn_notebook.py");
/// A file full of findings a reviewer would call false positives.
const FALSE_POSITIVES: &str = include_str!("examples/false_positives.py");

/// The lab files the Tools page offers the Python lint.
const EXAMPLES: &[Example] = &[
    Example {
        tool: Tool::Lint,
        name: "report.py",
        title: "The lab pipeline's nightly report script: shell=True and SQL from an f-string",
        bytes: || REPORT.as_bytes().to_vec(),
    },
    Example {
        tool: Tool::Lint,
        name: "report_fixed.py",
        title: "The same report script after review: no shell, SQL parameters",
        bytes: || REPORT_FIXED.as_bytes().to_vec(),
    },
    Example {
        tool: Tool::Lint,
        name: "churn_notebook.py",
        title: "A notebook exported as .py: pickle, yaml.load, verify=False, eval, a token",
        bytes: || NOTEBOOK.as_bytes().to_vec(),
    },
    Example {
        tool: Tool::Lint,
        name: "false_positives.py",
        title: "Findings a reviewer would wave through: random sampling, a cache-key MD5, asserts in tests",
        bytes: || FALSE_POSITIVES.as_bytes().to_vec(),
    },
];

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: gate::INSECURE_SCRIPT,
            twin: Some(Twin::Insecure),
            summary: "the pipeline's report script under review (Python), flaws included",
        },
        Endpoint {
            method: "POST",
            path: gate::INSECURE_MERGE,
            twin: Some(Twin::Insecure),
            summary: "the code-review gate that merges whatever Python it gets as the pipeline's report script, unread",
        },
        Endpoint {
            method: "POST",
            path: gate::INSECURE_RUN,
            twin: Some(Twin::Insecure),
            summary: "runs the merged report script on ?file= (simulated on lab files): a script that hands the name to a shell runs the commands in it too",
        },
        Endpoint {
            method: "GET",
            path: gate::SECURE_SCRIPT,
            twin: Some(Twin::Secure),
            summary: "the same report script under review",
        },
        Endpoint {
            method: "POST",
            path: gate::SECURE_MERGE,
            twin: Some(Twin::Secure),
            summary: "lints the Python it gets (safelab's lint, bandit's checks) and refuses with a 422 listing every medium or high finding until fixed or justified with # nosec <id>",
        },
        Endpoint {
            method: "POST",
            path: gate::SECURE_RUN,
            twin: Some(Twin::Secure),
            summary: "runs the script the secure gate merged on ?file= (simulated on lab files)",
        },
    ],
    exercises: &[INJECT, REFUSED, ACCEPTED],
    routes,
    reset: super::nothing_to_restore,
    examples: EXAMPLES,
};

/// The lesson's routes.
fn routes() -> Router<AppState> {
    let insecure = Router::new()
        .route(gate::INSECURE_SCRIPT, get(gate::script))
        .route(gate::INSECURE_MERGE, post(gate::insecure_merge))
        .route(gate::INSECURE_RUN, post(gate::insecure_run));
    let secure = Router::new()
        .route(gate::SECURE_SCRIPT, get(gate::script))
        .route(gate::SECURE_MERGE, post(gate::secure_merge))
        .route(gate::SECURE_RUN, post(gate::secure_run));
    insecure.merge(super::with_security_headers(secure))
}
