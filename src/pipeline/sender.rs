//! One sender's messages in date order: what the history says about each
//! (repeats, volume, contact limits and hours, earlier abuse, new issues),
//! the facts the policy reads, and the routed [`Outcome`].
//!
//! "Earlier" means earlier by (date, key): a message is compared with the
//! sender's mail before it, from the history and from this night alike, and
//! never with itself — so re-running a night that is already in the history
//! gives the same answers.
//!
//! Cost per message does not grow with the sender's history: the earlier
//! messages are kept sorted, the date-window counts (volume, contact limit)
//! and the latest earlier abuse are binary searches, exact over the whole
//! history; repeats are looked for among the sender's last
//! [`REPEAT_LOOKBACK_MESSAGES`] messages only.

use super::{Engine, Prepared};
use crate::category::Category;
use crate::error::Result;
use crate::history::similarity::Fingerprint;
use crate::history::{EarlierMessage, HistoryEntry, SenderHistory};
use crate::outcome::{Conduct, HistoryEvidence, Outcome, RepeatOf, SenderView};
use crate::parse::{ParsedMessage, SegmentKind};
use crate::register::{normalize_address, Customer, Status};
use crate::route::Facts;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashSet};

/// Categories that make a sender "abusive before" (§5 row 6): abuse and
/// discrimination, and threats, which the policies count as aggressive or
/// abusive behaviour too.
const ABUSIVE: [Category; 4] = [
    Category::Abuse,
    Category::Discrimination,
    Category::ThreatViolence,
    Category::ThreatProperty,
];

const DAY: i64 = 86_400;

/// Repeats are looked for among the sender's last this many messages before
/// each message (README, "Repeats"): a sender who has written 100,000 times
/// costs no more per message than one who has written 1,000 times. The
/// date-window counts and earlier abuse still see the whole history.
pub const REPEAT_LOOKBACK_MESSAGES: usize = 1000;

/// One message triaged: what the sinks and the history need of it.
pub struct TriagedMessage {
    pub outcome: Outcome,
    /// What the history remembers of it.
    pub entry: HistoryEntry,
    /// Of `entry.body`, computed once: for the sender's later messages and
    /// for the index add.
    pub fingerprint: Fingerprint,
    /// The original bytes, for the queues.
    pub bytes: Vec<u8>,
}

/// The running state of one sender while their messages are triaged.
pub struct SenderContext<'e> {
    engine: &'e Engine,
    /// The sender's messages from the history and from tonight so far, sorted
    /// by (date, key), one per key.
    history: SenderHistory,
    /// The places in `history.messages` of the abusive ones, ascending: kept
    /// by place, so no key is read to keep them in (date, key) order.
    abusive: Vec<usize>,
}

impl<'e> SenderContext<'e> {
    /// `history`: the sender's indexed messages, sorted by (date, key).
    pub fn new(engine: &'e Engine, history: SenderHistory) -> Self {
        let abusive = (history.messages.iter().enumerate())
            .filter(|(_, e)| is_abusive(&e.categories))
            .map(|(place, _)| place)
            .collect();
        SenderContext {
            engine,
            history,
            abusive,
        }
    }

    /// Triage one message (call in date order).
    pub fn triage(&mut self, m: Prepared) -> Result<TriagedMessage> {
        let engine = self.engine;
        let customer = m.id.customer.map(|i| &engine.register.customers[i]);
        let parsed = m.parsed.as_ref();
        let sender = sender_view(engine, &m, customer, parsed);
        let status = sender.status.as_deref().and_then(Status::parse);
        let own_text = parsed.map(ParsedMessage::own_text).unwrap_or_default();
        let fingerprint = Fingerprint::new(&own_text);
        let evidence = self.evidence(&m, customer, status, &fingerprint)?;

        let mut categories: BTreeSet<Category> = m.detection.categories.clone();
        let t = &engine.policy.thresholds;
        if evidence.repeat_of.is_some() {
            categories.insert(Category::RepeatComplaint);
        }
        if evidence.messages_in_volume_window >= t.high_volume_messages as usize {
            categories.insert(Category::HighVolume);
        }
        if evidence.recipients >= t.mass_copy_recipients as usize {
            categories.insert(Category::MassCopy);
        }
        let facts = Facts {
            unparseable: m.unparseable.is_some(),
            categories: categories.clone(),
            urgent_service: m.detection.urgent_service,
            status,
            vulnerable: customer.is_some_and(|c| c.vulnerable),
            abusive_before: evidence.abusive_before.is_some(),
            new_issue: evidence.new_issue,
            over_contact_limit: evidence.over_contact_limit,
            outside_contact_hours: evidence.outside_contact_hours,
            wrong_officer: status.is_some() && wrong_officer(customer, parsed),
            forwarded_abuse: is_council_address(engine, &m.id.from)
                && !m.detection.quoted_categories.is_empty(),
        };
        let routing = engine.policy.route(&facts);
        let conduct = customer.map(|_| {
            if categories.iter().any(|c| c.is_content()) {
                Conduct::Unacceptable
            } else {
                Conduct::Acceptable
            }
        });
        let entry = HistoryEntry {
            key: m.id.key.clone(),
            sender_key: m.id.sender_key.clone(),
            customer_id: customer.map(|c| c.customer_id.clone()),
            date: m.id.timestamp,
            subject: parsed.map(|p| p.subject.clone()).unwrap_or_default(),
            body: own_text.clone(),
            message_id: parsed.and_then(|p| p.message_id.clone()),
            source_id: m.raw.source_id.clone(),
            queue: routing.queue.as_str().to_string(),
            categories: categories.iter().map(|c| c.as_str().to_string()).collect(),
        };
        self.remember(&entry, &fingerprint)?;
        let (text, segments) = m.parsed.map(|p| (p.text, p.segments)).unwrap_or_default();
        let outcome = Outcome {
            source_id: m.raw.source_id.clone(),
            key: m.id.key,
            message_id: entry.message_id.clone(),
            date: m.id.date_text,
            from: m.id.from,
            subject: entry.subject.clone(),
            size_bytes: m.raw.bytes.len(),
            unparseable: m.unparseable,
            sender,
            detection: m.detection,
            history: evidence,
            categories,
            routing,
            conduct,
            own_text,
            segments,
            text,
        };
        Ok(TriagedMessage {
            outcome,
            entry,
            fingerprint,
            bytes: m.raw.bytes,
        })
    }

    /// Add a triaged message to the sender's earlier mail (unless the
    /// history already held it, from an earlier run of the same night).
    fn remember(&mut self, entry: &HistoryEntry, fingerprint: &Fingerprint) -> Result<()> {
        let message = EarlierMessage::from_entry(entry.clone(), Some(fingerprint.clone()));
        let Some(at) = self.history.insert(message)? else {
            return Ok(());
        };
        // The messages from `at` on moved up one place.
        let later = self.abusive.partition_point(|&place| place < at);
        for place in &mut self.abusive[later..] {
            *place += 1;
        }
        if is_abusive(&entry.categories) {
            self.abusive.insert(later, at);
        }
        Ok(())
    }

    fn evidence(
        &self,
        m: &Prepared,
        customer: Option<&Customer>,
        status: Option<Status>,
        own: &Fingerprint,
    ) -> Result<HistoryEvidence> {
        let engine = self.engine;
        let t = &engine.policy.thresholds;
        let now = (m.id.timestamp, m.id.key.as_str());
        let all = &self.history.messages;
        let before = &all[..self.history.position(now.0, now.1)?];
        // The message itself is never earlier, even when the history holds
        // it under an earlier date: where it is there, if so.
        let itself = self
            .history
            .find_key(&m.id.key)?
            .filter(|&i| i < before.len());
        let own_date = itself.map(|i| before[i].date);
        let parsed = m.parsed.as_ref();
        let quotes_own_mail = parsed.is_some_and(|p| quotes_own_mail(p, &m.id.from, customer));
        let quoted = quotes_own_mail.then(|| {
            // "I sent the email below three weeks ago…": the quoted part is
            // the sender's own earlier complaint, raised again.
            Fingerprint::new(&quoted_text(parsed.expect("checked")))
        });
        let mut recent: Vec<&EarlierMessage> = before
            .iter()
            .enumerate()
            .rev()
            .filter(|&(i, _)| Some(i) != itself)
            .map(|(_, e)| e)
            .take(REPEAT_LOOKBACK_MESSAGES)
            .collect();
        recent.reverse();
        let mut best = None::<(&EarlierMessage, f32)>;
        for e in recent {
            let score = self.history.with_fingerprint(e, |words, shingles| {
                std::iter::once(own)
                    .chain(&quoted)
                    .map(|fp| fp.similarity_to(words, shingles))
                    .fold(0.0f32, f32::max)
            })?;
            let score = round3(score);
            if best.is_none_or(|(_, bs)| bs < score) {
                best = Some((e, score));
            }
        }
        let best_similarity = best.map_or(0.0, |(_, s)| s);
        let repeat_of = match best {
            Some((e, s)) if s >= t.repeat_similarity && m.unparseable.is_none() => {
                Some(repeat_of(&self.history.entry(e)?, s))
            }
            _ => None,
        };
        let count_since = |seconds: i64| {
            let since = m.id.timestamp - seconds;
            let older = before.partition_point(|e| e.date <= since);
            let own_counted = own_date.is_some_and(|d| d > since);
            1 + before.len() - older - usize::from(own_counted)
        };
        let messages_in_volume_window = count_since(t.high_volume_days as i64 * DAY);

        let at = DateTime::<Utc>::from_timestamp(m.id.timestamp, 0).unwrap_or_default();
        let restriction = customer.filter(|_| status.is_some());
        let limit = restriction.and_then(|c| c.contact_limit);
        let messages_in_limit_window = limit.map(|l| count_since(l.window().num_seconds()));
        let hours = restriction.and_then(|c| c.contact_hours.as_ref());
        let lookback = t.abusive_lookback_days as i64 * DAY;
        let abusive_before = match self.latest_abusive_before(before.len(), itself) {
            Some(place) if before[place].date >= m.id.timestamp - lookback => {
                Some(self.history.entry(&before[place])?.source_id)
            }
            _ => None,
        };
        Ok(HistoryEvidence {
            earlier_messages: before.len() - usize::from(own_date.is_some()),
            repeat_of,
            best_similarity,
            messages_in_volume_window,
            messages_in_limit_window,
            contact_limit: limit.map(|l| l.to_string()),
            over_contact_limit: limit
                .zip(messages_in_limit_window)
                .is_some_and(|(l, n)| n > l.max as usize),
            contact_hours: hours.map(|h| h.text.clone()),
            outside_contact_hours: hours.is_some_and(|h| !h.allows(at, engine.config.timezone)),
            abusive_before,
            new_issue: status == Some(Status::ReadOnly)
                && m.unparseable.is_none()
                && best_similarity < t.same_issue_similarity,
            quotes_own_mail,
            recipients: distinct_recipients(parsed),
        })
    }

    /// The place of the sender's latest abusive message among the first
    /// `before` messages, not counting the message itself (at `itself`).
    fn latest_abusive_before(&self, before: usize, itself: Option<usize>) -> Option<usize> {
        let end = self.abusive.partition_point(|&place| place < before);
        self.abusive[..end]
            .iter()
            .rev()
            .copied()
            .find(|&place| Some(place) != itself)
    }
}

fn sender_view(
    engine: &Engine,
    m: &Prepared,
    customer: Option<&Customer>,
    parsed: Option<&ParsedMessage>,
) -> SenderView {
    let mut view = SenderView {
        address: m.id.from.clone(),
        sender_key: m.id.sender_key.clone(),
        customer_id: None,
        customer_name: None,
        status: None,
        register_status: None,
        status_note: None,
        vulnerable: false,
    };
    let Some(c) = customer else { return view };
    view.customer_id = Some(c.customer_id.clone());
    view.customer_name = Some(c.name.clone());
    view.register_status = Some(c.status.as_str().to_string());
    view.vulnerable = c.vulnerable;
    let local_date = DateTime::<Utc>::from_timestamp(m.id.timestamp, 0)
        .unwrap_or_default()
        .with_timezone(&engine.config.timezone)
        .date_naive();
    let addressed: Vec<String> = parsed
        .map(|p| {
            p.to.iter()
                .chain(&p.cc)
                .map(|a| normalize_address(&a.email))
                .collect()
        })
        .unwrap_or_default();
    match c.active_status(local_date) {
        None if c.status == Status::Closed => {}
        None => {
            view.status_note = Some(format!(
                "status {} not in force on {local_date}",
                c.status.as_str()
            ))
        }
        Some(_) if !c.in_scope(addressed.iter().map(String::as_str)) => {
            view.status_note = Some(format!(
                "status {} applies only to mail to {}",
                c.status.as_str(),
                c.scope.join(", ")
            ))
        }
        Some(s) => view.status = Some(s.as_str().to_string()),
    }
    view
}

fn repeat_of(e: &HistoryEntry, similarity: f32) -> RepeatOf {
    RepeatOf {
        source_id: e.source_id.clone(),
        message_id: e.message_id.clone(),
        date: DateTime::<Utc>::from_timestamp(e.date, 0)
            .unwrap_or_default()
            .to_rfc3339(),
        subject: e.subject.clone(),
        excerpt: crate::outcome::excerpt(&e.body, 240),
        similarity,
    }
}

fn is_abusive(categories: &[String]) -> bool {
    categories
        .iter()
        .filter_map(|c| c.parse::<Category>().ok())
        .any(|c| ABUSIVE.contains(&c))
}

/// The sender named as an author of a quoted or forwarded block.
fn quotes_own_mail(p: &ParsedMessage, from: &str, customer: Option<&Customer>) -> bool {
    !from.is_empty()
        && p.quoted_authors.iter().any(|a| {
            let a = normalize_address(a);
            a == from || customer.is_some_and(|c| c.emails.contains(&a))
        })
}

fn quoted_text(p: &ParsedMessage) -> String {
    p.segments
        .iter()
        .filter(|s| matches!(s.kind, SegmentKind::Quoted | SegmentKind::Forwarded))
        .map(|s| p.text[s.range.clone()].replace("\n>", "\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A customer with a single point of contact wrote to someone else.
fn wrong_officer(customer: Option<&Customer>, parsed: Option<&ParsedMessage>) -> bool {
    let (Some(c), Some(p)) = (customer, parsed) else {
        return false;
    };
    let Some(spoc) = &c.single_point_of_contact else {
        return false;
    };
    !p.to
        .iter()
        .chain(&p.cc)
        .any(|a| &normalize_address(&a.email) == spoc)
}

fn is_council_address(engine: &Engine, address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| engine.config.council_domains.iter().any(|d| d == domain))
}

fn distinct_recipients(parsed: Option<&ParsedMessage>) -> usize {
    parsed.map_or(0, |p| {
        p.recipients()
            .map(|a| normalize_address(&a.email))
            .filter(|a| !a.is_empty())
            .collect::<HashSet<_>>()
            .len()
    })
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
