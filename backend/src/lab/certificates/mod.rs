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

use std::net::IpAddr;
use std::path::Path;

use axum::Router;

use super::LessonLab;
use crate::learner_listeners::LearnerListeners;
use crate::progress::Exercise;
use crate::{AppState, Limits};

pub use own_ca::OwnCaError;

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
    examples: &[],
};

/// The lesson's own state, one field per part, restored by [`reset`].
#[derive(Debug)]
pub struct CertificatesLab {
    /// What the broken listeners saw: alerts, requests, exercises solved.
    pub broken: broken::Observed,
    /// The learner's CAs, keys, certificates and listeners.
    own_ca: own_ca::OwnCaState,
}

impl CertificatesLab {
    /// The lesson's state, its files in `folder` (`lab/certificates/`); its
    /// listeners bind `host` with `limits`, and their addresses go into
    /// `learner` while they run.
    pub fn new(
        folder: &Path,
        host: IpAddr,
        limits: Limits,
        learner: LearnerListeners,
    ) -> std::io::Result<Self> {
        Ok(Self {
            broken: broken::Observed::default(),
            own_ca: own_ca::OwnCaState::new(folder.join("own-ca"), host, limits, learner)?,
        })
    }
}

/// The lesson's routes on the app listener: the own-CA tool's API, the lab
/// client certificate's downloads and what the broken listeners saw.
pub fn app_routes() -> Router<AppState> {
    own_ca::routes().merge(broken::api_routes())
}

/// Restores every part's state after the lesson's progress was reset: stops
/// the learner's listeners and deletes what they made, and forgets what the
/// broken listeners saw.
fn reset(state: &AppState) {
    state.labs.certificates.broken.reset();
    state.labs.certificates.own_ca.reset();
}
