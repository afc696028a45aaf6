//! `imaps://user@host[:port]/MAILBOX` and `imap://…` (STARTTLS).

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `imaps://`: TLS from the first byte (port 993).
    Implicit,
    /// `imap://`: plain connection upgraded by STARTTLS before login (port 143).
    StartTls,
}

/// One mailbox of one account. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub tls: TlsMode,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub mailbox: String,
}

impl ImapUrl {
    /// Whether a source string is an IMAP URL at all.
    pub fn is_imap(s: &str) -> bool {
        s.starts_with("imap://") || s.starts_with("imaps://")
    }

    pub fn parse(s: &str) -> Result<ImapUrl, String> {
        let (tls, rest, default_port) = if let Some(r) = s.strip_prefix("imaps://") {
            (TlsMode::Implicit, r, 993)
        } else if let Some(r) = s.strip_prefix("imap://") {
            (TlsMode::StartTls, r, 143)
        } else {
            return Err("not an imap:// or imaps:// URL".into());
        };
        let (authority, path) = rest
            .split_once('/')
            .ok_or("no mailbox: write imaps://user@host/MAILBOX")?;
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .ok_or("no user: write imaps://user@host/MAILBOX")?;
        if userinfo.contains(':') {
            return Err(
                "a password does not belong in the URL (it would show in process lists \
                        and logs): use TRIAGE_IMAP_PASSWORD or imap.password_file"
                    .into(),
            );
        }
        let user = percent_decode(userinfo)?;
        if user.is_empty() {
            return Err("empty user name".into());
        }
        let (host, port) = split_host_port(hostport, default_port)?;
        let mailbox = percent_decode(path.trim_end_matches('/'))?;
        if mailbox.is_empty() {
            return Err("no mailbox: write imaps://user@host/MAILBOX".into());
        }
        if mailbox.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err("mailbox names must be printable ASCII".into());
        }
        Ok(ImapUrl {
            tls,
            user,
            host,
            port,
            mailbox,
        })
    }

    /// The URL without secrets (there are none in it): for logs, reports and
    /// as the key of this mailbox's state.
    pub fn describe(&self) -> String {
        let scheme = match self.tls {
            TlsMode::Implicit => "imaps",
            TlsMode::StartTls => "imap",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{scheme}://{}@{host}:{}/{}",
            self.user, self.port, self.mailbox
        )
    }

    /// The account without the mailbox (`user@host:port`).
    pub fn account(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }

    /// Whether the host is this machine (where `--insecure` is allowed).
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .parse::<IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }
}

fn split_host_port(hostport: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("empty host".into());
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse().map_err(|_| format!("bad port `{p}`"))?,
    };
    Ok((host.to_string(), port))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("bad %-escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "bad %-escape")?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "%-escapes are not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_schemes() {
        let u =
            ImapUrl::parse("imaps://triage%40council.gov.uk@mail.council.gov.uk/INBOX").unwrap();
        assert_eq!(u.tls, TlsMode::Implicit);
        assert_eq!(u.user, "triage@council.gov.uk");
        assert_eq!(u.host, "mail.council.gov.uk");
        assert_eq!(u.port, 993);
        assert_eq!(u.mailbox, "INBOX");
        let u = ImapUrl::parse("imap://bob@127.0.0.1:10143/Complaints/2026").unwrap();
        assert_eq!(u.tls, TlsMode::StartTls);
        assert_eq!(u.port, 10143);
        assert_eq!(u.mailbox, "Complaints/2026");
        assert!(u.is_loopback());
        assert_eq!(u.describe(), "imap://bob@127.0.0.1:10143/Complaints/2026");
        assert!(ImapUrl::parse("imaps://bob@[::1]:993/INBOX")
            .unwrap()
            .is_loopback());
    }

    #[test]
    fn refuses_passwords_and_gaps() {
        assert!(ImapUrl::parse("imaps://bob:secret@host/INBOX")
            .unwrap_err()
            .contains("password"));
        assert!(ImapUrl::parse("imaps://host/INBOX").is_err());
        assert!(ImapUrl::parse("imaps://bob@host").is_err());
        assert!(ImapUrl::parse("imaps://bob@host:x/INBOX").is_err());
        assert!(!ImapUrl::parse("imaps://bob@mail.example/INBOX")
            .unwrap()
            .is_loopback());
    }
}
