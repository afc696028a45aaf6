//! Synthetic council mail at any scale (`triage synth`), for load: the
//! benchmarks, back-filling a history, and checking that a large run loses
//! nothing (count in = count out).
//!
//! It is load, not a detection corpus: the category phrasings are explicit
//! and few (taken from the kind of sentence the rules' own examples hold), so
//! detection figures measured on it mean nothing. What it gets right is the
//! shape of a night: mostly ordinary service mail (bins, council tax,
//! repairs, planning, parking…), a few percent of each content category, the
//! same senders writing again (chasers of their own earlier complaint), and
//! the MIME shapes real mail comes in — plain text, multipart/alternative
//! with HTML, quoted-printable, base64, attachments, quoted replies,
//! forwards and non-UTF-8 charsets. Messages average about 2 KB.
//!
//! Output is a pure function of (seed, count, senders, period): every message
//! draws from its own PRNG seeded by (seed, index), so the files are
//! byte-identical whatever the thread count. Senders are a pure function of
//! their index (not of the seed), so two runs with different seeds and the
//! same `--senders` write from the same people: a back-fill and a night share
//! their senders, as a real history and night do. `register.csv` lists every
//! 40th sender (at least six), cycling through every status.

mod text;

use crate::error::{Error, Result};
use crate::register::Status;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub count: usize,
    pub seed: u64,
    /// Distinct senders; 0 means one per 3 messages (at least 20).
    pub senders: usize,
    /// The newest message's date; messages spread back over `days` from it.
    pub until: DateTime<Utc>,
    pub days: u32,
    /// One mbox file (`mail.mbox`) instead of a folder of `.eml` files.
    pub mbox: bool,
}

impl SynthSpec {
    fn sender_count(&self) -> usize {
        if self.senders > 0 {
            self.senders
        } else {
            (self.count / 3).max(20)
        }
    }
}

/// What was written, for the command line to print.
#[derive(Debug)]
pub struct SynthOutput {
    /// The folder of `.eml` files, or the mbox file.
    pub mail: PathBuf,
    pub register: PathBuf,
    pub messages: usize,
    pub bytes: u64,
    pub registered: usize,
}

/// Every `REGISTER_EVERY`-th sender is on the register (more often when
/// there are too few senders for every status).
const REGISTER_EVERY: usize = 40;
/// Messages per sub-folder of `mail/`, so no folder holds a million files.
const FILES_PER_FOLDER: usize = 1000;

/// Write `spec.count` messages and a matching register under `out`:
/// `out/mail/NNNN/NNNNNNN.eml` (or `out/mail.mbox`) and `out/register.csv`.
/// The mail is kept apart from the register so `--source out/mail` reads
/// messages only.
pub fn write(spec: &SynthSpec, out: &Path) -> Result<SynthOutput> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let senders = spec.sender_count();
    let register = out.join("register.csv");
    let registered = write_register(&register, senders)?;
    let (mail, bytes) = if spec.mbox {
        let path = out.join("mail.mbox");
        (path.clone(), write_mbox(spec, &path)?)
    } else {
        let dir = out.join("mail");
        (dir.clone(), write_eml_folder(spec, &dir)?)
    };
    Ok(SynthOutput {
        mail,
        register,
        messages: spec.count,
        bytes,
        registered,
    })
}

fn write_eml_folder(spec: &SynthSpec, dir: &Path) -> Result<u64> {
    let folders = spec.count.div_ceil(FILES_PER_FOLDER);
    (0..folders)
        .into_par_iter()
        .map(|folder| {
            let sub = dir.join(format!("{folder:04}"));
            std::fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
            let first = folder * FILES_PER_FOLDER;
            let last = (first + FILES_PER_FOLDER).min(spec.count);
            let mut bytes = 0u64;
            for index in first..last {
                let message = message(spec, index);
                let path = sub.join(format!("{index:07}.eml"));
                std::fs::write(&path, &message).map_err(|e| Error::io(&path, e))?;
                bytes += message.len() as u64;
            }
            Ok(bytes)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))
}

fn write_mbox(spec: &SynthSpec, path: &Path) -> Result<u64> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut bytes = 0u64;
    // Generate in parallel a chunk at a time, write in order.
    for chunk_start in (0..spec.count).step_by(FILES_PER_FOLDER * 8) {
        let chunk_end = (chunk_start + FILES_PER_FOLDER * 8).min(spec.count);
        let messages: Vec<Vec<u8>> = (chunk_start..chunk_end)
            .into_par_iter()
            .map(|index| message(spec, index))
            .collect();
        for message in messages {
            bytes += message.len() as u64;
            out.write_all(b"From synth@northfield.invalid Sat Nov 21 05:00:00 2026\n")
                .and_then(|_| out.write_all(&mbox_escape(&message)))
                .and_then(|_| out.write_all(b"\n"))
                .map_err(|e| Error::io(path, e))?;
        }
    }
    out.flush().map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// mboxrd: a body line starting with `From ` (after any `>`) gets one more `>`.
fn mbox_escape(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
        if line[unquoted..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out
}

/// A small deterministic PRNG (SplitMix64): fast, and fixed forever, so a
/// seed means the same mail in every version that keeps this generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One sender, a pure function of its index.
struct Sender {
    index: usize,
    name: String,
    address: String,
    /// What they mostly write about.
    topic: usize,
}

fn sender(index: usize) -> Sender {
    let mut rng = Rng::new(0x5E4D_E125, index as u64);
    let first = rng.pick(text::FIRST_NAMES);
    let last = rng.pick(text::LAST_NAMES);
    let domain = rng.pick(text::MAIL_DOMAINS);
    Sender {
        index,
        name: format!("{first} {last}"),
        address: format!(
            "{}.{}{}@{domain}",
            first.to_lowercase(),
            last.to_lowercase(),
            index
        ),
        topic: rng.below(text::TOPICS.len()),
    }
}

/// Popular senders write more: a twentieth of the mail comes from the first
/// 1% of senders (the frequent correspondents every council has).
fn pick_sender(rng: &mut Rng, senders: usize) -> usize {
    if rng.percent(5) {
        rng.below((senders / 100).max(1))
    } else {
        rng.below(senders)
    }
}

fn write_register(path: &Path, senders: usize) -> Result<usize> {
    let mut csv = String::from(
        "customer_id,name,emails,status,since,until,review_date,contact_limit,contact_hours,\
         single_point_of_contact,scope,vulnerable,notes\n",
    );
    let mut count = 0;
    // Every status at least once, however few the senders.
    let step = (senders / Status::ALL.len()).clamp(1, REGISTER_EVERY);
    for index in (0..senders).step_by(step) {
        let s = sender(index);
        let status = Status::ALL[count % Status::ALL.len()].as_str();
        let (limit, hours) = if status == "restricted" {
            ("2/week", "Mon-Fri 10:00-12:00")
        } else {
            ("", "")
        };
        let vulnerable = count % 7 == 3;
        let _ = writeln!(
            csv,
            "SYN-{:06},{},{},{status},2026-06-01,2027-06-01,2026-12-01,{limit},{hours},\
             cro@northfield.gov.uk,,{vulnerable},Synthetic customer {count}.",
            s.index, s.name, s.address
        );
        count += 1;
    }
    std::fs::write(path, csv).map_err(|e| Error::io(path, e))?;
    Ok(count)
}

/// The MIME shape a message is written in.
#[derive(Clone, Copy)]
enum Shape {
    Plain,
    Alternative,
    QuotedPrintable,
    Base64,
    Attachment,
    Latin1,
}

fn pick_shape(rng: &mut Rng) -> Shape {
    match rng.below(100) {
        0..=54 => Shape::Plain,
        55..=72 => Shape::Alternative,
        73..=82 => Shape::QuotedPrintable,
        83..=87 => Shape::Base64,
        88..=95 => Shape::Attachment,
        _ => Shape::Latin1,
    }
}

/// The message at `index`: the same bytes for the same spec, always.
pub fn message_at(spec: &SynthSpec, index: usize) -> Vec<u8> {
    message(spec, index)
}

fn message(spec: &SynthSpec, index: usize) -> Vec<u8> {
    let mut rng = Rng::new(spec.seed, index as u64);
    let from = sender(pick_sender(&mut rng, spec.sender_count()));
    // A chaser: the sender's usual topic again, so history finds repeats.
    let topic = if rng.percent(60) {
        from.topic
    } else {
        rng.below(text::TOPICS.len())
    };
    let t = &text::TOPICS[topic];
    let period = i64::from(spec.days.max(1)) * 86_400;
    let date = spec.until - Duration::seconds(rng.below(period as usize) as i64);
    let street = rng.pick(text::STREETS);
    let number = 1 + rng.below(120);

    let mut body = String::with_capacity(2048);
    let _ = writeln!(body, "{}\n", rng.pick(text::GREETINGS));
    let opening = t.openings[rng.below(t.openings.len())];
    let _ = writeln!(
        body,
        "{}",
        opening
            .replace("{street}", street)
            .replace("{number}", &number.to_string())
    );
    let paragraphs = 3 + rng.below(4);
    for _ in 0..paragraphs {
        let mut paragraph = String::new();
        for _ in 0..2 + rng.below(3) {
            paragraph.push_str(rng.pick(text::FILLER));
            paragraph.push(' ');
        }
        let _ = writeln!(body, "\n{}", wrap(paragraph.trim_end(), 72));
    }
    if let Some(line) = category_line(&mut rng) {
        let _ = writeln!(body, "\n{line}");
    }
    let _ = writeln!(body, "\n{}\n{}", rng.pick(text::SIGN_OFFS), from.name);
    let _ = writeln!(body, "{number} {street}");

    let mut subject = t.subject.replace("{street}", street);
    // Quoted replies and forwards carry an earlier message below the own words.
    match rng.below(100) {
        0..=11 => {
            subject = format!("Re: {subject}");
            let _ = writeln!(
                body,
                "\nOn {}, {} <{}> wrote:",
                (date - Duration::days(3)).format("%a, %d %b %Y at %H:%M"),
                t.officer,
                t.mailbox
            );
            for line in text::OFFICER_REPLY {
                let _ = writeln!(body, "> {line}");
            }
        }
        12..=15 => {
            subject = format!("Fwd: {subject}");
            let _ = writeln!(
                body,
                "\n---------- Forwarded message ---------\nFrom: {}\nDate: {}\nSubject: {}\n",
                rng.pick(text::NEIGHBOURS),
                (date - Duration::days(1)).format("%a, %d %b %Y"),
                t.subject.replace("{street}", street)
            );
            body.push_str(rng.pick(text::FILLER));
            body.push('\n');
        }
        _ => {}
    }

    let mut headers = String::with_capacity(512);
    let _ = write!(
        headers,
        "From: {} <{}>\r\nTo: {}\r\n",
        from.name, from.address, t.mailbox
    );
    if rng.percent(3) {
        headers.push_str(
            "Cc: leader@northfield.gov.uk, ceo@northfield.gov.uk, mp@parliament.example, \
             monitoring.officer@northfield.gov.uk, press@localnews.example\r\n",
        );
    }
    let _ = write!(
        headers,
        "Subject: {subject}\r\nDate: {}\r\nMessage-ID: <synth-{}-{index}@{}>\r\nMIME-Version: 1.0\r\n",
        date.format("%a, %d %b %Y %H:%M:%S +0000"),
        spec.seed,
        from.address.split('@').nth(1).unwrap_or("example.com")
    );
    let mut out = headers.into_bytes();
    render_body(&mut out, pick_shape(&mut rng), &body, &mut rng, index);
    out
}

/// A few percent of each content category, and some urgent service mail.
fn category_line(rng: &mut Rng) -> Option<&'static str> {
    let roll = rng.below(1000);
    let lines: &[&str] = match roll {
        0..=19 => text::THREATS,
        20..=29 => text::SELF_HARM,
        30..=44 => text::PROPERTY,
        45..=89 => text::ABUSE,
        90..=104 => text::DISCRIMINATION,
        105..=139 => text::DEMANDS,
        140..=159 => text::URGENT,
        _ => return None,
    };
    Some(rng.pick(lines))
}

fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::with_capacity(paragraph.len() + 8);
    let mut line = 0;
    for word in paragraph.split(' ') {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn render_body(out: &mut Vec<u8>, shape: Shape, body: &str, rng: &mut Rng, index: usize) {
    let boundary = format!("=_synth_{index:x}_{:x}", rng.next_u64() & 0xffff);
    match shape {
        Shape::Plain => {
            out.extend_from_slice(
                b"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            );
            out.extend_from_slice(crlf(body).as_bytes());
        }
        Shape::QuotedPrintable => {
            out.extend_from_slice(
                b"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
            );
            out.extend_from_slice(quoted_printable(body).as_bytes());
        }
        Shape::Base64 => {
            out.extend_from_slice(
                b"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            );
            out.extend_from_slice(base64_lines(crlf(body).as_bytes()).as_bytes());
        }
        Shape::Latin1 => {
            out.extend_from_slice(
                b"Content-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            );
            // Every synth character is Latin-1 (the pound sign included).
            out.extend(
                crlf(body)
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
            );
        }
        Shape::Alternative => {
            let _ = write!(
                Writer(out),
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n\
                 --{boundary}\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n--{boundary}--\r\n",
                quoted_printable(body),
                quoted_printable(&html(body)),
            );
        }
        Shape::Attachment => {
            let size = 600 + rng.below(1400);
            let attachment: Vec<u8> = (0..size).map(|_| rng.next_u64() as u8).collect();
            let name = rng.pick(text::ATTACHMENT_NAMES);
            let _ = write!(
                Writer(out),
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\
                 Content-Transfer-Encoding: 8bit\r\n\r\n{}\r\n\
                 --{boundary}\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}--{boundary}--\r\n",
                crlf(body),
                base64_lines(&attachment),
            );
        }
    }
}

/// `write!` into a byte vector.
struct Writer<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn html(body: &str) -> String {
    let mut out = String::from("<html><body>");
    for paragraph in body.split("\n\n") {
        out.push_str("<p>");
        out.push_str(
            &paragraph
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\n', "<br>\n"),
        );
        out.push_str("</p>\n");
    }
    out.push_str("</body></html>");
    out
}

/// RFC 2045 quoted-printable, soft line breaks at 76.
fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split('\n') {
        let mut width = 0;
        for &b in line.as_bytes() {
            let encoded = if b == b'=' || b >= 0x7f || (b < 0x20 && b != b'\t') {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if width + encoded.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += encoded.len();
            out.push_str(&encoded);
        }
        out.push_str("\r\n");
    }
    out
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests;
