//! Test-only fault injection, so tests can crash or stall a run at a named
//! point (the points are listed in the module documentation of
//! [`crate::imap`]):
//!
//! - `TRIAGE_FAULT=POINT[:N][,…]` aborts the process the N-th time (default
//!   the first) the run reaches POINT, as a crash or `kill -9` would: no
//!   destructor runs, nothing more is written.
//! - `TRIAGE_PAUSE=POINT[:N]@DIR` at that point creates `DIR/reached` and
//!   waits (up to two minutes) until `DIR/go` exists: a test stops the mail
//!   server meanwhile.
//!
//! Unset, each point costs two environment lookups.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static COUNTS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

/// The run reached `point`: abort or pause here if the environment says so.
pub fn point(point: &str) {
    let fault = std::env::var("TRIAGE_FAULT").ok();
    let pause = std::env::var("TRIAGE_PAUSE").ok();
    if fault.is_none() && pause.is_none() {
        return;
    }
    let n = {
        let mut guard = COUNTS.lock().unwrap_or_else(|p| p.into_inner());
        let n = guard
            .get_or_insert_with(HashMap::new)
            .entry(point.to_string())
            .or_insert(0);
        *n += 1;
        *n
    };
    if fault
        .as_deref()
        .is_some_and(|spec| spec.split(',').any(|item| matches(item, point, n)))
    {
        eprintln!("triage: TRIAGE_FAULT: aborting at {point}:{n}");
        std::process::abort();
    }
    if let Some((item, dir)) = pause.as_deref().and_then(|p| p.split_once('@')) {
        if matches(item, point, n) {
            let dir = Path::new(dir);
            let _ = std::fs::write(dir.join("reached"), point);
            let started = Instant::now();
            while !dir.join("go").exists() && started.elapsed() < Duration::from_secs(120) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Whether `POINT[:N]` names the `n`-th arrival at `point`.
fn matches(item: &str, point: &str, n: u32) -> bool {
    let (name, at) = match item.split_once(':') {
        Some((name, at)) => (name.trim(), at.trim().parse().unwrap_or(1)),
        None => (item.trim(), 1),
    };
    name == point && n == at
}
