//! `contact_hours`: parsing the register's text (`Mon-Fri 10:00-12:00`,
//! `Mon,Wed,Fri 09:00-17:00; Sat 10:00-11:00`) and checking an instant
//! against it in the council's time zone.

use super::{ContactHours, HoursWindow};
use chrono::{DateTime, Datelike, NaiveTime, Utc};
use chrono_tz::Tz;

const EVERY_DAY: [bool; 7] = [true; 7];

impl HoursWindow {
    /// Whether local weekday `day` (Monday = 0) and local `time` fall inside.
    pub fn contains(&self, day: usize, time: NaiveTime) -> bool {
        self.days[day] && self.start <= time && time < self.end
    }
}

impl ContactHours {
    /// Parses one or more `;`-separated windows, each a day spec then a time
    /// range. The error explains what is wrong, without repeating the text.
    pub fn parse(text: &str) -> Result<ContactHours, String> {
        let mut windows = text
            .split(';')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(parse_window);
        let first = windows.next().ok_or("no hours given")??;
        let also = windows.collect::<Result<Vec<_>, _>>()?;
        Ok(ContactHours {
            days: first.days,
            start: first.start,
            end: first.end,
            text: text.trim().to_string(),
            also,
        })
    }

    /// Every window, the first one included.
    pub fn windows(&self) -> impl Iterator<Item = HoursWindow> + '_ {
        let first = HoursWindow {
            days: self.days,
            start: self.start,
            end: self.end,
        };
        std::iter::once(first).chain(self.also.iter().copied())
    }

    /// Whether an instant falls inside the hours, read in `tz`.
    ///
    /// The instant is converted to local time first, so the same UTC hour is
    /// in or out depending on whether BST is in force.
    pub fn allows(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        let day = local.weekday().num_days_from_monday() as usize;
        let time = local.time();
        self.windows().any(|w| w.contains(day, time))
    }
}

/// `Mon-Fri 10:00-12:00`. Day names never contain digits, so the time range
/// starts at the first digit; that tolerates `Mon - Fri` and `10:00 - 12:00`.
/// No day spec at all (`09:00-17:00`) means every day.
fn parse_window(text: &str) -> Result<HoursWindow, String> {
    let split = text
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no time range such as 10:00-12:00"))?;
    let (day_spec, range) = text.split_at(split);
    let days = parse_days(day_spec.trim())?;
    let (start, end) = parse_range(range.trim())?;
    Ok(HoursWindow { days, start, end })
}

/// `Mon-Fri`, `Mon,Wed,Fri`, `Fri-Mon` (wraps over the weekend), `Daily`,
/// `Weekdays`, `Weekends`, or a comma-separated mix.
fn parse_days(spec: &str) -> Result<[bool; 7], String> {
    if spec.is_empty() {
        return Ok(EVERY_DAY);
    }
    let mut days = [false; 7];
    for item in spec.split(',').map(str::trim) {
        for day in parse_day_item(item)? {
            days[day] = true;
        }
    }
    Ok(days)
}

fn parse_day_item(item: &str) -> Result<Vec<usize>, String> {
    match item.to_lowercase().as_str() {
        "daily" | "every day" | "all" => return Ok((0..7).collect()),
        "weekdays" => return Ok((0..5).collect()),
        "weekends" | "weekend" => return Ok(vec![5, 6]),
        _ => {}
    }
    match item.split_once('-') {
        Some((from, to)) => {
            let (from, to) = (day_index(from.trim())?, day_index(to.trim())?);
            // Fri-Mon wraps: count forward from `from` until `to`.
            let len = (to + 7 - from) % 7 + 1;
            Ok((0..len).map(|i| (from + i) % 7).collect())
        }
        None => Ok(vec![day_index(item)?]),
    }
}

fn day_index(name: &str) -> Result<usize, String> {
    let index = match name.to_lowercase().as_str() {
        "mon" | "monday" => 0,
        "tue" | "tues" | "tuesday" => 1,
        "wed" | "weds" | "wednesday" => 2,
        "thu" | "thur" | "thurs" | "thursday" => 3,
        "fri" | "friday" => 4,
        "sat" | "saturday" => 5,
        "sun" | "sunday" => 6,
        _ => return Err(format!("`{name}` is not a day (use Mon…Sun or Daily)")),
    };
    Ok(index)
}

/// `10:00-12:00`; the end must be after the start. `24:00` is accepted as
/// an end meaning "until midnight". A window past midnight is written as two
/// windows (`Fri 22:00-24:00; Sat 00:00-02:00`) so which day it belongs to is
/// never in doubt.
fn parse_range(range: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (start, end) = range
        .split_once('-')
        .ok_or_else(|| format!("`{range}` is not a time range such as 10:00-12:00"))?;
    let start = parse_time(start.trim(), false)?;
    let end = parse_time(end.trim(), true)?;
    if end <= start {
        return Err(format!(
            "`{range}` ends before it starts (split a window past midnight in two)"
        ));
    }
    Ok((start, end))
}

fn parse_time(text: &str, is_end: bool) -> Result<NaiveTime, String> {
    if is_end && text == "24:00" {
        return Ok(end_of_day());
    }
    let bad = || format!("`{text}` is not a time of day HH:MM");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // Hours may be one digit (`9:00`); minutes are always two.
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !all_digits(h) || !all_digits(m) {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// The last representable instant of a day: `t < end_of_day()` holds for
/// every time except the final nanosecond, which is good enough for "24:00".
fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid time")
}
