//! IMAP: the nightly pull from a mail server, every message copied exactly once.
//!
//! # Design (read this before changing anything here)
//!
//! A run touches a mailbox in three phases, and writes its own state
//! (`STATE/imap.json`, replaced atomically: temp file, fsync, rename, fsync of
//! the folder) only at the points marked ★:
//!
//! 1. **Fetch** ([`fetch`]): for each `--source imaps://user@host/MAILBOX`,
//!    connect (TLS verified; STARTTLS for `imap://`), EXAMINE the mailbox
//!    (read-only: nothing about it can change), and `UID FETCH … BODY.PEEK[]`
//!    in batches (\Seen untouched) from a thread feeding a bounded channel, so
//!    parsing and detection of one batch overlap the download of the next. What
//!    is fetched: the UIDs still in the copy journal (see 3) and every UID above
//!    the highest one triaged. When the mailbox's UIDVALIDITY differs from the
//!    state's, every UID is fetched (a full rescan) and a message whose key
//!    (Message-ID, or SHA-256 of the bytes) is already in the history under
//!    another source id is dropped before triage: it was triaged under the old
//!    UIDVALIDITY, so nothing is triaged twice.
//! 2. **Commit** (in [`crate::pipeline::run`]): reports written (staged and
//!    renamed), then the history committed, then ★ the state records, per
//!    account and mailbox, UIDVALIDITY, the highest UID triaged and a copy
//!    journal: one entry per message of the night (UID, queue, key, Message-ID,
//!    size, SHA-256, stage `copy`). A crash before ★ leaves the state as it was:
//!    the re-run fetches the same UIDs, writes the same reports, and the history
//!    ignores what it already has.
//! 3. **Deliver** ([`deliver`]): SELECT the mailbox, create the `Triage/…`
//!    folders if missing, and per queue, in chunks: ★ mark the chunk `verify`
//!    with the destination's UIDNEXT read just before; `UID COPY` the chunk
//!    (COPY is all-or-nothing on the server, RFC 3501 §6.4.7); ★ mark it
//!    `flag`; `UID STORE +FLAGS.SILENT ($Triaged $Triage<Queue>)` (idempotent);
//!    ★ mark them `done`; when every entry is done, ★ empty the journal. A
//!    re-run finds the night's entries in the journal and fetches all of those
//!    UIDs again, `done` ones included, so its report (which replaces the
//!    crashed run's in `--out`) lists the whole night, not just what was left;
//!    each entry keeps its stage, and delivery resumes: a `verify` entry is first looked for in its
//!    destination among UIDs ≥ the recorded UIDNEXT, by `UID SEARCH HEADER
//!    Message-ID` (or, without a Message-ID, by exact size), each candidate's
//!    bytes compared by SHA-256 — found means copied, so it goes straight to
//!    `flag`; not found means the COPY never happened, so it is copied. That
//!    closes the windows between COPY and the journal and between COPY and
//!    STORE: every message is copied exactly once.
//!
//! Nothing is ever deleted, moved or expunged; the only modifying commands
//! are CREATE (the three folders), COPY and STORE of keywords. `--dry-run`
//! fetches and reports but sends none of them and commits no state.
//!
//! A journal entry whose UID has vanished (a person deleted the message before
//! it was copied) is dropped with a warning. When the UIDVALIDITY changed while
//! entries were pending, their keys are kept out of the de-duplication and the
//! messages go through `verify` against the whole destination folder.
//!
//! Test-only fault injection: `TRIAGE_FAULT=POINT[:N][,POINT[:N]…]` aborts the
//! process (as a crash would) the N-th time (default 1st) the run reaches
//! POINT: `during_fetch` (after a fetched batch), `after_reports`,
//! `after_decisions` (decisions kept, history not yet added), `after_history`, `after_state`, `after_copy` (after a COPY, before the
//! journal records it), `after_flags` (after a STORE, before the journal
//! records it), `before_journal_cleared` (all delivered, journal not yet
//! emptied). See [`fault`].

mod deliver;
pub mod fault;
mod fetch;
pub mod state;
mod url;

pub use deliver::{after_failure, deliver, Delivered};
pub use fetch::{spawn_fetch, FetchReport, MailboxFetch};
pub use state::ImapState;
pub use url::{ImapUrl, TlsMode};

use crate::error::{ConfigError, Error, Result};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// The password, kept out of `Debug` and logs.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The folders messages are copied into, by queue.
#[derive(Debug, Clone)]
pub struct Folders {
    pub respond: String,
    pub read_only: String,
    pub escalate: String,
}

impl Default for Folders {
    fn default() -> Self {
        Folders {
            respond: "Triage/Respond".into(),
            read_only: "Triage/Read-only".into(),
            escalate: "Triage/Escalate".into(),
        }
    }
}

impl Folders {
    /// The folder for a queue name (`respond`, `read-only`, `escalate`).
    pub fn for_queue(&self, queue: &str) -> &str {
        match queue {
            "read-only" => &self.read_only,
            "escalate" => &self.escalate,
            _ => &self.respond,
        }
    }
}

/// The keyword set on an original for its queue, besides `$Triaged`.
pub fn queue_keyword(queue: &str) -> &'static str {
    match queue {
        "read-only" => "$TriageReadOnly",
        "escalate" => "$TriageEscalate",
        _ => "$TriageRespond",
    }
}

pub const TRIAGED_KEYWORD: &str = "$Triaged";

/// Everything the IMAP side of a run needs besides the URLs.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub password: Secret,
    /// Accept any certificate (only allowed for loopback hosts).
    pub insecure: bool,
    /// Extra CA certificate (PEM) to trust, for a council's private CA.
    pub ca_file: Option<PathBuf>,
    pub folders: Folders,
    /// UIDs per `UID FETCH`.
    pub fetch_batch: usize,
    /// UIDs per `UID COPY` / `UID STORE` (one journal write each).
    pub copy_batch: usize,
}

impl Default for ImapSettings {
    fn default() -> Self {
        ImapSettings {
            password: Secret::default(),
            insecure: false,
            ca_file: None,
            folders: Folders::default(),
            fetch_batch: 200,
            copy_batch: 500,
        }
    }
}

pub type Session = imap::Session<native_tls::TlsStream<TcpStream>>;

/// How long to wait for the server before calling it gone.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// Connect, secure and log in. A refused login is a configuration error
/// (exit 2); anything else (refused connection, bad certificate) is not.
pub fn connect(url: &ImapUrl, settings: &ImapSettings) -> Result<Session> {
    let what = url.describe();
    let net = |e: std::io::Error| Error::Other(format!("IMAP {what}: cannot connect: {e}"));
    let addrs: Vec<_> = std::net::ToSocketAddrs::to_socket_addrs(&(url.host.as_str(), url.port))
        .map_err(net)?
        .collect();
    let mut last = None;
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, IO_TIMEOUT) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| {
        net(last.unwrap_or_else(|| std::io::Error::other("the host name has no address")))
    })?;
    tcp.set_read_timeout(Some(IO_TIMEOUT)).map_err(net)?;
    tcp.set_write_timeout(Some(IO_TIMEOUT)).map_err(net)?;
    let tls = tls_connector(settings)?;
    let client = match url.tls {
        TlsMode::Implicit => {
            let stream = tls
                .connect(&url.host, tcp)
                .map_err(|e| tls_error(&what, &e.to_string()))?;
            let mut c = imap::Client::new(stream);
            c.read_greeting()
                .map_err(|e| imap_error(&what, "greeting", e))?;
            c
        }
        TlsMode::StartTls => {
            let mut c = imap::Client::new(tcp);
            c.read_greeting()
                .map_err(|e| imap_error(&what, "greeting", e))?;
            c.secure(&url.host, &tls).map_err(|e| match e {
                imap::error::Error::TlsHandshake(e) => tls_error(&what, &e.to_string()),
                e => imap_error(&what, "STARTTLS", e),
            })?
        }
    };
    client
        .login(&url.user, settings.password.expose())
        .map_err(|(e, _)| match e {
            imap::error::Error::No(_) | imap::error::Error::Bad(_) => Error::Config(
                ConfigError::new(
                    what.clone(),
                    0,
                    "the server refused the login: check the user name in the URL and the \
                     password (TRIAGE_IMAP_PASSWORD or the config's imap.password_file)",
                )
                .into(),
            ),
            e => imap_error(&what, "login", e),
        })
}

fn tls_connector(settings: &ImapSettings) -> Result<native_tls::TlsConnector> {
    let mut b = native_tls::TlsConnector::builder();
    if settings.insecure {
        b.danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true);
    }
    if let Some(ca) = &settings.ca_file {
        let pem = std::fs::read(ca).map_err(|e| Error::io(ca, e))?;
        let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
            Error::Config(ConfigError::new(ca, 0, format!("not a PEM certificate: {e}")).into())
        })?;
        b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| Error::Other(format!("cannot set up TLS: {e}")))
}

fn tls_error(what: &str, e: &str) -> Error {
    Error::Other(format!(
        "IMAP {what}: TLS failed: {e} (the server's certificate must be valid for the host; \
         for a private CA set imap.ca_file in the config)"
    ))
}

/// An IMAP failure as the administrator should read it.
pub(crate) fn imap_error(what: &str, doing: &str, e: imap::error::Error) -> Error {
    let detail = match &e {
        imap::error::Error::ConnectionLost => "the server closed the connection".to_string(),
        imap::error::Error::Io(io) => format!("connection failed: {io}"),
        _ => e.to_string(),
    };
    Error::Other(format!("IMAP {what}: {doing}: {detail}"))
}

/// A quoted IMAP string (mailbox names in commands the crate does not quote).
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `1,2,5:9`-style UID set (input sorted or not).
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 7, 8]), "1:3,5,7:9");
        assert_eq!(uid_set(&[4]), "4");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
