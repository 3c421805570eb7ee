//! Lesson `certificates`, "Certificates": every way a chain breaks, and the
//! learner's own certificate authority.
//!
//! - [`broken`]: HTTPS listeners on stable ports whose certificates are
//!   broken on purpose (expired, wrong host, self-signed, incomplete chain…),
//!   and one that asks the client for a certificate. Each serves the same
//!   small page and watches its handshakes: the alert a client sends when it
//!   refuses a certificate, or the request it sends when it accepts.
//! - [`own_ca`]: the learner's own CA, made from the browser: a CA, a key and
//!   CSR, a certificate signed with it, and a listener started with that
//!   certificate, bounded in number and lifetime and removed by the reset.

pub(crate) mod broken;
mod own_ca;

use axum::Router;

use super::LessonLab;

use crate::AppState;
use crate::progress::Exercise;

/// The lesson's id.
pub const LESSON: &str = "certificates";

/// A request reached at least [`BROKEN_TO_INSPECT`] different broken
/// listeners: the learner sent them and read each verdict.
pub const INSPECT_BROKEN: Exercise = Exercise {
    lesson: LESSON,
    id: "inspect-broken",
};
/// A client refused the self-signed listener with a TLS alert.
pub const REFUSE_SELF_SIGNED: Exercise = Exercise {
    lesson: LESSON,
    id: "refuse-self-signed",
};
/// A client refused the expired listener with a TLS alert.
pub const REFUSE_EXPIRED: Exercise = Exercise {
    lesson: LESSON,
    id: "refuse-expired",
};
/// A client other than the inspector completed a handshake with a listener
/// the learner started with a good certificate from their own CA, and sent
/// a request.
pub const VERIFY_OWN_CA: Exercise = Exercise {
    lesson: LESSON,
    id: "verify-own-ca",
};
/// The client-certificate listener served a request to a client that
/// presented the lab's client certificate.
pub const CLIENT_CERTIFICATE: Exercise = Exercise {
    lesson: LESSON,
    id: "client-certificate",
};

/// How many different broken listeners solve [`INSPECT_BROKEN`].
pub const BROKEN_TO_INSPECT: usize = 3;

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[],
    exercises: &[
        INSPECT_BROKEN,
        REFUSE_SELF_SIGNED,
        REFUSE_EXPIRED,
        VERIFY_OWN_CA,
        CLIENT_CERTIFICATE,
    ],
    routes: Router::new,
    reset,
};

/// The lesson's state in memory, one field per part, restored by [`reset`].
#[derive(Debug, Default)]
pub struct CertificatesLab {
    /// What the broken listeners saw: alerts, requests, exercises solved.
    pub broken: broken::Observed,
}

/// Restores every part's state after the lesson's progress was reset.
fn reset(state: &AppState) {
    state.labs.certificates.broken.reset();
}
