//! Command-line configuration of the `safelab` program.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{Limits, StartError};

/// The port of the app listener when `--port` is not given; the lab's HTTP,
/// HTTPS and attacker listeners take the next three, and lesson 6's broken
/// HTTPS listeners the ten after those.
pub const DEFAULT_PORT: u16 = 7878;

/// How to run safelab: which address, which ports, where to keep its data.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "safelab",
    version,
    about = "A local lab for learning web security: lessons beside a live request builder.",
    after_help = "Open the printed app URL in a browser. Everything listens on loopback only."
)]
pub struct Config {
    /// What to do instead of serving the lab.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on. Only loopback addresses are accepted: the lab's
    /// endpoints are insecure on purpose.
    #[arg(long, default_value = "127.0.0.1", global = true)]
    pub host: IpAddr,

    /// Port of the app listener; the lab listens over HTTP on the next port,
    /// over HTTPS on the one after, and a stranger's site (lesson 7) on the
    /// one after that; lesson 6's broken HTTPS listeners take the ten after
    /// those (+4 expired … +13 client-certificate). 0 picks free ports for
    /// every listener.
    #[arg(long, default_value_t = DEFAULT_PORT, global = true)]
    pub port: u16,

    /// Folder for the certificate authority and progress (default: the
    /// platform's data folder, e.g. ~/.local/share/safelab).
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Open the app in the default browser once it is listening.
    #[arg(long)]
    pub open: bool,

    /// Let the request inspector also send to HOST or HOST:PORT (repeatable).
    /// Without it the inspector talks only to safelab's lab listeners.
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    pub allow_hosts: Vec<String>,

    /// Limits on connections and time, the same on every listener (not a
    /// command-line option: tests tighten them).
    #[arg(skip)]
    pub limits: Limits,
}

/// The program's subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Forget a lesson's solved challenges and restore its lab (the instructor's
    /// reset). Goes through the safelab running on --port if there is one, so
    /// open browsers update at once; otherwise resets the data folder directly.
    Reset {
        /// The lesson's id (`files`); see the app's lesson list.
        lesson: Option<String>,
        /// Reset every lesson.
        #[arg(long, conflicts_with = "lesson")]
        all: bool,
    },
    /// Inspect pickle files without loading them: every opcode, every import
    /// and call, and what `pickle.load` would do (exit 1 if dangerous).
    Pickle(crate::cli::pickle::Args),
    /// Scan files and folders, and with --history a git repository's whole
    /// history, for keys, tokens and passwords (exit 1 if any).
    Secrets(crate::cli::secrets::Args),
    /// Lint Python files for security problems, as bandit would (exit 1 if any).
    Lint(crate::cli::lint::Args),
    /// Check requirements.txt, `pip freeze` output or pyproject.toml against
    /// known advisories (exit 1 if a pinned version has one).
    Audit(crate::cli::packages::Args),
}

impl Config {
    /// A configuration for tests and embedding: loopback, free ports, the given data folder.
    pub fn ephemeral(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            command: None,
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            data_dir: Some(data_dir.into()),
            open: false,
            allow_hosts: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// The data folder: `--data-dir`, or `safelab` in the platform's data folder.
    pub fn data_dir(&self) -> Result<PathBuf, StartError> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => dirs::data_dir()
                .map(|dir| dir.join("safelab"))
                .ok_or(StartError::NoDataDir),
        }
    }

    /// The ports of the lab's HTTP, HTTPS and attacker listeners (the three
    /// after `--port`) and of lesson 6's broken listeners (the ten after
    /// those, in the order `GET /api/lab` lists them), or 0 for all with it.
    pub fn lab_ports(&self) -> Result<LabPorts, StartError> {
        let after = |step: u16| match self.port {
            0 => Some(0),
            port => port.checked_add(step),
        };
        let certificates: Option<Vec<u16>> = (0..CERTIFICATE_LISTENERS)
            .map(|index| u16::try_from(index).ok().and_then(|index| after(4 + index)))
            .collect();
        match (after(1), after(2), after(3), certificates) {
            (Some(http), Some(https), Some(attacker), Some(certificates)) => Ok(LabPorts {
                http,
                https,
                attacker,
                certificates,
            }),
            _ => Err(StartError::PortTooHigh(self.port)),
        }
    }
}

/// How many broken HTTPS listeners lesson 6 has.
pub const CERTIFICATE_LISTENERS: usize = crate::lab::certificates::broken::LISTENERS.len();

/// The ports of the lab's listeners (0: any free port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabPorts {
    /// The lab over plain HTTP.
    pub http: u16,
    /// The lab over HTTPS.
    pub https: u16,
    /// The stranger's site.
    pub attacker: u16,
    /// Lesson 6's broken HTTPS listeners, `expired` first.
    pub certificates: Vec<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_and_lesson_6_take_the_thirteen_ports_after_the_app() {
        let mut config = Config::ephemeral("/nowhere");
        config.port = DEFAULT_PORT;
        let ports = config.lab_ports().expect("room");
        assert_eq!(
            (ports.http, ports.https, ports.attacker),
            (7879, 7880, 7881)
        );
        assert_eq!(ports.certificates, (7882..=7891).collect::<Vec<u16>>());
        config.port = 0;
        assert!(
            config
                .lab_ports()
                .expect("free ports")
                .certificates
                .iter()
                .all(|&port| port == 0)
        );
        config.port = u16::MAX - 12;
        assert!(matches!(
            config.lab_ports(),
            Err(StartError::PortTooHigh(port)) if port == u16::MAX - 12
        ));
        config.port = u16::MAX - 13;
        assert_eq!(
            config.lab_ports().expect("just room").certificates.last(),
            Some(&u16::MAX)
        );
    }
}
