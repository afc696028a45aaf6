//! A real Dovecot on loopback for the IMAP tests: one private instance per
//! test (its own free ports, folders, self-signed certificate made with the
//! openssl CLI, passwd-file users, logs), configured from
//! `tests/dovecot/dovecot.conf.in`, stopped when dropped. `scripts/test`
//! installs Dovecot (`dovecot-imapd`) when it is missing; without it these
//! tests fail and say how to install it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub type Session = imap::Session<native_tls::TlsStream<TcpStream>>;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    conf: PathBuf,
    pub imaps_port: u16,
    pub imap_port: u16,
}

/// The dovecot binary, or a failure that says how to get it.
fn binary() -> PathBuf {
    for p in [
        "/usr/sbin/dovecot",
        "/usr/local/sbin/dovecot",
        "/usr/bin/dovecot",
    ] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v dovecot"])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !p.is_empty() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "Dovecot is not installed, so the IMAP tests cannot run. Run the tests with \
         `scripts/test` (it installs it), or install it yourself: \
         `sudo apt-get install -y dovecot-imapd` (Debian/Ubuntu)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn id(flag: &str, name: Option<&str>) -> u32 {
    let mut c = Command::new("id");
    c.arg(flag);
    if let Some(n) = name {
        c.arg(n);
    }
    let out = c.output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

impl Dovecot {
    /// Start a fresh instance with the given users (all with [`PASSWORD`]).
    pub fn start(users: &[&str]) -> Dovecot {
        let bin = binary();
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let root = id("-u", None) == 0;
        // As root, mail runs as `nobody` (mail processes refuse uid 0) and the
        // services as Debian's dovenull/dovecot users: they must reach the
        // folder. As anyone else, everything runs as that user.
        let (login, internal, group, uid, gid) = if root {
            (
                "dovenull".to_string(),
                "dovecot".to_string(),
                "dovecot".to_string(),
                id("-u", Some("nobody")),
                id("-g", Some("nobody")),
            )
        } else {
            let me =
                String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
                    .trim()
                    .to_string();
            let grp =
                String::from_utf8_lossy(&Command::new("id").arg("-gn").output().unwrap().stdout)
                    .trim()
                    .to_string();
            (me.clone(), me, grp, id("-u", None), id("-g", None))
        };
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(base, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(base.join("mail")).unwrap();
        if root {
            std::os::unix::fs::chown(base.join("mail"), Some(uid), Some(gid)).unwrap();
        }
        run(Command::new("openssl").current_dir(base).args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]));
        let passwd: String = users
            .iter()
            .map(|u| format!("{u}:{{PLAIN}}{PASSWORD}::::::\n"))
            .collect();
        std::fs::write(base.join("passwd"), passwd).unwrap();
        std::fs::set_permissions(base.join("passwd"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let (imaps_port, imap_port) = (free_port(), free_port());
        let template =
            std::fs::read_to_string(crate::util::repo().join("tests/dovecot/dovecot.conf.in"))
                .unwrap();
        let conf_text = template
            .replace("@BASE@", &base.display().to_string())
            .replace("@PORT_IMAPS@", &imaps_port.to_string())
            .replace("@PORT_IMAP@", &imap_port.to_string())
            .replace("@LOGIN_USER@", &login)
            .replace("@INTERNAL_USER@", &internal)
            .replace("@INTERNAL_GROUP@", &group)
            .replace("@MAIL_UID@", &uid.to_string())
            .replace("@MAIL_GID@", &gid.to_string());
        let conf = base.join("dovecot.conf");
        std::fs::write(&conf, conf_text).unwrap();
        let d = Dovecot {
            dir,
            conf,
            imaps_port,
            imap_port,
        };
        let _ = bin;
        d.resume();
        d
    }

    /// Start (again) the stopped server, same ports and mail.
    pub fn resume(&self) {
        // The daemon keeps inherited pipes open: give it files instead.
        let log = std::fs::File::create(self.dir.path().join("startup.log")).unwrap();
        let status = Command::new(binary())
            .arg("-c")
            .arg(&self.conf)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "dovecot did not start: {}",
            std::fs::read_to_string(self.dir.path().join("startup.log")).unwrap_or_default()
        );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.imaps_port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "dovecot did not start listening; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop the server (master and all its processes).
    pub fn stop(&self) {
        let _ = Command::new(binary())
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        // Sessions already open outlive the master: end them too, as a
        // crashed or rebooted server would.
        let title = format!("dovecot-triage-test-{}/", self.imaps_port);
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if cmdline.starts_with(title.as_bytes()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.imaps_port)).is_ok()
            && started.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// `imaps://USER@127.0.0.1:PORT/MAILBOX`.
    pub fn url(&self, user: &str, mailbox: &str) -> String {
        format!("imaps://{user}@127.0.0.1:{}/{mailbox}", self.imaps_port)
    }

    /// A logged-in session (certificate not checked: the test's own server).
    pub fn session(&self, user: &str) -> Session {
        let tls = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true)
            .build()
            .unwrap();
        let client = imap::connect(("127.0.0.1", self.imaps_port), "localhost", &tls).unwrap();
        client.login(user, PASSWORD).map_err(|(e, _)| e).unwrap()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One message as seen over IMAP.
#[derive(Debug, Clone)]
pub struct Seen {
    pub uid: u32,
    pub flags: Vec<String>,
    pub body: Vec<u8>,
}

/// Every message of a folder (EXAMINE: nothing changes); empty when the
/// folder does not exist.
pub fn contents(s: &mut Session, folder: &str) -> Vec<Seen> {
    let Ok(mb) = s.examine(folder) else {
        return Vec::new();
    };
    if mb.exists == 0 {
        return Vec::new();
    }
    let fetches = s.uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])").unwrap();
    let mut v: Vec<Seen> = fetches
        .iter()
        .map(|f| Seen {
            uid: f.uid.unwrap(),
            flags: f.flags().iter().map(|fl| fl.to_string()).collect(),
            body: f.body().unwrap_or_default().to_vec(),
        })
        .collect();
    v.sort_by_key(|m| m.uid);
    v
}

/// APPEND each message into `mailbox` (created if missing); every third is
/// marked \Seen, so the tests can check that triage leaves \Seen alone.
pub fn seed(s: &mut Session, mailbox: &str, messages: &[Vec<u8>]) {
    if mailbox != "INBOX" && s.examine(mailbox).is_err() {
        s.create(mailbox).unwrap();
    }
    for (i, m) in messages.iter().enumerate() {
        let flags = if i % 3 == 0 {
            vec![imap::types::Flag::Seen]
        } else {
            vec![]
        };
        s.append_with_flags(mailbox, m, &flags).unwrap();
    }
}

/// The corpus's sample night plus `extra` messages of the training split,
/// in a fixed order; empty files are left out (an IMAP message has bytes).
pub fn corpus(extra: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["corpus/sample", "corpus/train/mail"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(crate::util::repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let take = if dir == "corpus/sample" {
            files.len()
        } else {
            extra
        };
        for f in files.into_iter().take(take) {
            let bytes = std::fs::read(&f).unwrap();
            if !bytes.is_empty() {
                out.push(bytes);
            }
        }
    }
    out
}
