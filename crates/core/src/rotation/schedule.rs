//! Rotation schedules as AWS writes them: `AutomaticallyAfterDays`, `rate(N hours|days)` and
//! the six-field `cron(Minutes Hours DayOfMonth Month DayOfWeek Year)`, with an optional window
//! `Duration` of `Nh`. Everything is UTC; windows start on the hour.
//!
//! AWS's rules (docs/rotation.md, "Schedules"): rotations at most every 4 hours and at least
//! every 999 days; cron minutes `0` and year `*`; exactly one of day-of-month and day-of-week is
//! `?`; a window never reaches the next one nor crosses UTC midnight. AWS's wording of these
//! refusals is not published: the messages here are coffer's, all `InvalidParameterException`.
//!
//! The cron evaluator is written by hand (the fields AWS allows are few): it walks day by day
//! and, on a matching day, hour by hour.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

use crate::error::{Error, Result};

/// The shortest interval between two rotations AWS accepts.
const MIN_INTERVAL_HOURS: i64 = 4;
/// The longest interval of a `rate()` in days (AWS's schedule page).
const MAX_RATE_DAYS: i64 = 999;
/// How far ahead the cron evaluator looks for the next window (AWS crons with year `*` fire
/// at least once a year; 8 years covers `29 FEB` with a weekday).
const CRON_HORIZON_DAYS: i64 = 366 * 8;

/// A parsed schedule: how windows recur and how long each lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    every: Every,
    /// The window length in hours, when the rules gave a Duration.
    duration_hours: Option<i64>,
}

/// How windows recur.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Every {
    /// Every N days, the window starting at midnight UTC.
    Days(i64),
    /// Every N hours, the window starting on the hour.
    Hours(i64),
    /// At the hours and days a cron expression names.
    Cron(Box<Cron>),
}

/// A window: when a rotation may start, and the first instant after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The window's first instant.
    pub start: DateTime<Utc>,
    /// The first instant after the window (NextRotationDate is one second before it).
    pub end: DateTime<Utc>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidParameter(message.into())
}

impl Schedule {
    /// Parses and checks rotation rules: `days` (AutomaticallyAfterDays), `expression`
    /// (ScheduleExpression) and `duration`. The model's own checks (1–1000 days, the
    /// Duration pattern, not both days and expression) have run before.
    pub fn parse(
        days: Option<i64>,
        expression: Option<&str>,
        duration: Option<&str>,
    ) -> Result<Self> {
        let every = match (days, expression) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "You cannot specify both rotation frequency and schedule expression together.",
                ))
            }
            (Some(days), None) => {
                if !(1..=1000).contains(&days) {
                    return Err(invalid(
                        "The rotation frequency must be between 1 and 1000 days.",
                    ));
                }
                Every::Days(days)
            }
            (None, Some(expression)) => parse_expression(expression)?,
            (None, None) => return Err(invalid(
                "You must specify AutomaticallyAfterDays or ScheduleExpression in RotationRules.",
            )),
        };
        let duration_hours = duration.map(parse_duration).transpose()?;
        let schedule = Self {
            every,
            duration_hours,
        };
        schedule.check_duration()?;
        Ok(schedule)
    }

    /// The window length in hours when no Duration is given: the rest of the day for daily
    /// schedules, one hour for hourly ones.
    fn default_hours(&self, start: DateTime<Utc>) -> i64 {
        match &self.every {
            Every::Days(_) => 24 - i64::from(start.hour()),
            Every::Hours(_) => 1,
            Every::Cron(cron) if cron.hours.len() == 1 => 24 - i64::from(start.hour()),
            Every::Cron(_) => 1,
        }
    }

    /// A Duration must not reach the next window nor cross midnight UTC.
    fn check_duration(&self) -> Result<()> {
        let Some(hours) = self.duration_hours else {
            return Ok(());
        };
        let too_long = || {
            invalid("The rotation window Duration must end before the next rotation window starts and before midnight UTC.")
        };
        match &self.every {
            Every::Days(_) => {
                if hours > 24 {
                    return Err(too_long());
                }
            }
            Every::Hours(n) => {
                if hours > *n || hours > 24 {
                    return Err(too_long());
                }
            }
            Every::Cron(cron) => {
                let latest = cron.hours.iter().max().copied().unwrap_or(0);
                if i64::from(latest) + hours > 24 || hours > cron.min_gap_hours() {
                    return Err(too_long());
                }
            }
        }
        Ok(())
    }

    /// The first window that starts after `basis` (the day of the last rotation, RotateSecret
    /// or new value, for day schedules; the instant, for hour and cron schedules).
    pub fn next_window(&self, basis: DateTime<Utc>) -> Option<Window> {
        let start = match &self.every {
            Every::Days(n) => midnight(basis) + Duration::days(*n),
            Every::Hours(n) => hour_of(basis) + Duration::hours(*n),
            Every::Cron(cron) => cron.next_after(basis)?,
        };
        let hours = self
            .duration_hours
            .unwrap_or_else(|| self.default_hours(start));
        Some(Window {
            start,
            end: start + Duration::hours(hours),
        })
    }

    /// Whether a new value written by hand counts as a rotation for the next window: for
    /// AutomaticallyAfterDays and `rate()` schedules, not for `cron()` (AWS's
    /// RotationRulesType documentation).
    pub fn counts_manual_changes(&self) -> bool {
        matches!(self.every, Every::Days(_) | Every::Hours(_))
    }

    /// The AutomaticallyAfterDays AWS reports beside a ScheduleExpression: whole days between
    /// consecutive windows (the shortest gap), absent when windows come more than once a day.
    pub fn computed_days(&self) -> Option<i64> {
        let days = match &self.every {
            Every::Days(n) => *n,
            Every::Hours(_) => return None,
            Every::Cron(cron) => cron.min_gap_hours() / 24,
        };
        (days >= 1).then_some(days)
    }
}

/// Midnight UTC of the day `at` falls on.
fn midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The start of the hour `at` falls in.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    midnight(at) + Duration::hours(i64::from(at.hour()))
}

/// `Nh`, N ≥ 1 (the model's pattern allows `0h`, which is no window at all).
fn parse_duration(text: &str) -> Result<i64> {
    let hours = text
        .strip_suffix('h')
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| {
            invalid(format!(
                "Invalid Duration {text}: use a number of hours followed by h, such as 3h."
            ))
        })?;
    if hours < 1 {
        return Err(invalid("The rotation window Duration must be at least 1h."));
    }
    Ok(hours)
}

/// `rate(N unit)` or `cron(...)`.
fn parse_expression(text: &str) -> Result<Every> {
    if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid(format!("Invalid rate expression {text}.")));
        };
        let n: i64 = n
            .parse()
            .map_err(|_| invalid(format!("Invalid rate expression {text}.")))?;
        return match unit {
            "hour" | "hours" => {
                if !(MIN_INTERVAL_HOURS..24).contains(&n) {
                    return Err(invalid(
                        "A rate expression in hours must be between 4 and 23 hours; use days for longer intervals.",
                    ));
                }
                Ok(Every::Hours(n))
            }
            "day" | "days" => {
                if !(1..=MAX_RATE_DAYS).contains(&n) {
                    return Err(invalid(
                        "A rate expression in days must be between 1 and 999 days.",
                    ));
                }
                Ok(Every::Days(n))
            }
            _ => Err(invalid(format!("Invalid rate expression {text}."))),
        };
    }
    if let Some(inner) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
        let cron = Cron::parse(inner)?;
        if cron.min_gap_hours() < MIN_INTERVAL_HOURS {
            return Err(invalid(
                "The schedule expression must not rotate more often than every 4 hours.",
            ));
        }
        return Ok(Every::Cron(Box::new(cron)));
    }
    Err(invalid(format!(
        "Invalid schedule expression {text}: use rate() or cron()."
    )))
}

/// A day-of-month rule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    /// `?`: the day-of-week field decides.
    Any,
    /// These days (1–31).
    Days(Vec<u32>),
    /// `L`: the last day of the month.
    Last,
    /// `NW`: the weekday nearest day N, within the month; `LW`: the last weekday.
    NearestWeekday(Option<u32>),
}

/// A day-of-week rule (1 = SUN … 7 = SAT).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfWeek {
    /// `?`: the day-of-month field decides.
    Any,
    /// These weekdays.
    Days(Vec<u32>),
    /// `NL`: the last weekday N of the month.
    Last(u32),
    /// `N#K`: the K-th weekday N of the month.
    Nth(u32, u32),
}

/// AWS's cron, minutes fixed at 0 and year `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    hours: Vec<u32>,
    day_of_month: DayOfMonth,
    months: Vec<u32>,
    day_of_week: DayOfWeek,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A number or a name (`names[i]` is `i + 1`).
fn number(text: &str, names: &[&str]) -> Option<u32> {
    if let Ok(n) = text.parse() {
        return Some(n);
    }
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A list of `*`, `N`, `A-B`, `*/S`, `A/S`, `A-B/S` within `min..=max`.
fn field(text: &str, min: u32, max: u32, names: &[&str], what: &str) -> Result<Vec<u32>> {
    let bad = || {
        invalid(format!(
            "Invalid cron expression: the {what} field {text} is not valid."
        ))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?),
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                number(a, names).ok_or_else(bad)?,
                number(b, names).ok_or_else(bad)?,
            )
        } else {
            let n = number(range, names).ok_or_else(bad)?;
            // `A/S` runs from A to the end of the range.
            (n, if part.contains('/') { max } else { n })
        };
        if from < min || to > max || from > to {
            return Err(bad());
        }
        out.extend((from..=to).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Cron {
    fn parse(text: &str) -> Result<Self> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields[..] else {
            return Err(invalid(
                "Invalid cron expression: use six fields, cron(Minutes Hours Day-of-month Month Day-of-week Year).",
            ));
        };
        if minutes != "0" {
            return Err(invalid(
                "Invalid cron expression: the minutes field must be 0, rotation windows start on the hour.",
            ));
        }
        if year != "*" {
            return Err(invalid(
                "Invalid cron expression: the year field must be *.",
            ));
        }
        if (dom == "?") == (dow == "?") {
            return Err(invalid(
                "Invalid cron expression: exactly one of the day-of-month and day-of-week fields must be ?.",
            ));
        }
        let bad_day = |what: &str, text: &str| {
            invalid(format!(
                "Invalid cron expression: the {what} field {text} is not valid."
            ))
        };
        let day_of_month = if dom == "?" {
            DayOfMonth::Any
        } else if dom == "L" {
            DayOfMonth::Last
        } else if dom == "LW" {
            DayOfMonth::NearestWeekday(None)
        } else if let Some(n) = dom.strip_suffix('W') {
            let n: u32 = n
                .parse()
                .ok()
                .filter(|n| (1..=31).contains(n))
                .ok_or_else(|| bad_day("day-of-month", dom))?;
            DayOfMonth::NearestWeekday(Some(n))
        } else {
            DayOfMonth::Days(field(dom, 1, 31, &[], "day-of-month")?)
        };
        let day_of_week = if dow == "?" {
            DayOfWeek::Any
        } else if let Some(n) = dow.strip_suffix('L') {
            let n = number(n, &WEEKDAYS)
                .filter(|n| (1..=7).contains(n))
                .ok_or_else(|| bad_day("day-of-week", dow))?;
            DayOfWeek::Last(n)
        } else if let Some((d, k)) = dow.split_once('#') {
            let d = number(d, &WEEKDAYS)
                .filter(|n| (1..=7).contains(n))
                .ok_or_else(|| bad_day("day-of-week", dow))?;
            let k: u32 = k
                .parse()
                .ok()
                .filter(|k| (1..=5).contains(k))
                .ok_or_else(|| bad_day("day-of-week", dow))?;
            DayOfWeek::Nth(d, k)
        } else {
            DayOfWeek::Days(field(dow, 1, 7, &WEEKDAYS, "day-of-week")?)
        };
        Ok(Self {
            hours: field(hours, 0, 23, &[], "hours")?,
            day_of_month,
            months: field(month, 1, 12, &MONTHS, "month")?,
            day_of_week,
        })
    }

    /// Whether the cron fires on `day`.
    fn matches_day(&self, day: NaiveDate) -> bool {
        if !self.months.contains(&day.month()) {
            return false;
        }
        let last = last_day_of_month(day);
        // 1 = SUN … 7 = SAT.
        let weekday = day.weekday().number_from_sunday();
        let dom_ok = match &self.day_of_month {
            DayOfMonth::Any => true,
            DayOfMonth::Days(days) => days.contains(&day.day()),
            DayOfMonth::Last => day.day() == last,
            DayOfMonth::NearestWeekday(target) => {
                let target = target.unwrap_or(last).min(last);
                nearest_weekday(day.with_day(target).unwrap_or(day), last) == day.day()
            }
        };
        let dow_ok = match &self.day_of_week {
            DayOfWeek::Any => true,
            DayOfWeek::Days(days) => days.contains(&weekday),
            DayOfWeek::Last(d) => weekday == *d && day.day() + 7 > last,
            DayOfWeek::Nth(d, k) => weekday == *d && (day.day() - 1) / 7 + 1 == *k,
        };
        dom_ok && dow_ok
    }

    /// The first firing strictly after `after`.
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut day = after.date_naive();
        for _ in 0..CRON_HORIZON_DAYS {
            if self.matches_day(day) {
                for hour in &self.hours {
                    let at = Utc.from_utc_datetime(&day.and_hms_opt(*hour, 0, 0)?);
                    if at > after {
                        return Some(at);
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// The shortest gap between two firings, in hours, over the next few years from a fixed
    /// date (so that the answer never depends on today).
    fn min_gap_hours(&self) -> i64 {
        let mut at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
        let mut previous: Option<DateTime<Utc>> = None;
        let mut gap = i64::MAX;
        for _ in 0..2000 {
            let Some(next) = at.and_then(|a| self.next_after(a)) else {
                break;
            };
            if let Some(p) = previous {
                gap = gap.min((next - p).num_hours());
            }
            previous = Some(next);
            at = Some(next);
            if next.year() > 2031 {
                break;
            }
        }
        gap
    }
}

fn last_day_of_month(day: NaiveDate) -> u32 {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// Quartz's `W`: the weekday nearest `target` without leaving its month.
fn nearest_weekday(target: NaiveDate, last: u32) -> u32 {
    match target.weekday().number_from_sunday() {
        // Saturday: Friday, or Monday when the 1st.
        7 => {
            if target.day() == 1 {
                3
            } else {
                target.day() - 1
            }
        }
        // Sunday: Monday, or Friday when the last day.
        1 => {
            if target.day() == last {
                target.day() - 2
            } else {
                target.day() + 1
            }
        }
        _ => target.day(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    fn expr(text: &str, duration: Option<&str>) -> Result<Schedule> {
        Schedule::parse(None, Some(text), duration)
    }

    #[test]
    fn days_windows_run_to_the_end_of_the_day() {
        let s = Schedule::parse(Some(30), None, None).unwrap();
        let w = s.next_window(at(2026, 2, 3, 17)).unwrap();
        assert_eq!(w.start, at(2026, 3, 5, 0));
        assert_eq!(w.end, at(2026, 3, 6, 0));
        let s = Schedule::parse(Some(7), None, Some("3h")).unwrap();
        assert_eq!(
            s.next_window(at(2026, 2, 3, 17)).unwrap().end,
            at(2026, 2, 10, 3)
        );
        assert_eq!(s.computed_days(), Some(7));
    }

    #[test]
    fn the_documented_examples_are_accepted_and_refused_as_aws_does() {
        let s = expr("cron(0 16 1,15 * ? *)", Some("2h")).unwrap();
        assert_eq!(s.computed_days(), Some(14));
        let w = s.next_window(at(2026, 1, 2, 0)).unwrap();
        assert_eq!((w.start, w.end), (at(2026, 1, 15, 16), at(2026, 1, 15, 18)));
        assert!(expr("rate(1 day)", Some("2h")).is_ok());
        assert!(expr("rate(4 hours)", None).is_ok());
        for bad in [
            ("rate(3 hours)", None),
            ("cron(30 16 * * ? *)", None),
            ("cron(0 16 * * ? 2027)", None),
            ("rate(1 day)", Some("25h")),
            ("rate(6 hours)", Some("7h")),
            ("cron(0 */2 * * ? *)", None),
            ("cron(0 16 * * * *)", None),
            ("cron(0 23 * * ? *)", Some("2h")),
            ("rate(1000 days)", None),
            ("weekly", None),
        ] {
            assert!(
                matches!(expr(bad.0, bad.1), Err(Error::InvalidParameter(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn cron_special_days() {
        // 04:00 and 16:00 every day; one-hour windows.
        let s = expr("cron(0 4/12 * * ? *)", None).unwrap();
        let w = s.next_window(at(2026, 1, 1, 5)).unwrap();
        assert_eq!((w.start, w.end), (at(2026, 1, 1, 16), at(2026, 1, 1, 17)));
        assert_eq!(s.computed_days(), None);
        // Last day of the month.
        let s = expr("cron(0 0 L * ? *)", None).unwrap();
        assert_eq!(
            s.next_window(at(2026, 2, 1, 0)).unwrap().start,
            at(2026, 2, 28, 0)
        );
        // First Monday (2 = MON) of the month.
        let s = expr("cron(0 8 ? * 2#1 *)", None).unwrap();
        assert_eq!(
            s.next_window(at(2026, 3, 1, 0)).unwrap().start,
            at(2026, 3, 2, 8)
        );
        // Last Friday.
        let s = expr("cron(0 8 ? * FRIL *)", None).unwrap();
        assert_eq!(
            s.next_window(at(2026, 3, 1, 0)).unwrap().start,
            at(2026, 3, 27, 8)
        );
        // The weekday nearest the 1st of August 2026 (a Saturday) is Monday the 3rd.
        let s = expr("cron(0 8 1W AUG ? *)", None).unwrap();
        assert_eq!(
            s.next_window(at(2026, 7, 1, 0)).unwrap().start,
            at(2026, 8, 3, 8)
        );
        // Weekdays by name and range.
        let s = expr("cron(0 10 ? * MON-FRI *)", None).unwrap();
        assert_eq!(
            s.next_window(at(2026, 3, 7, 12)).unwrap().start,
            at(2026, 3, 9, 10)
        );
    }

    #[test]
    fn hour_rates_start_on_the_hour() {
        let s = expr("rate(6 hours)", Some("2h")).unwrap();
        let w = s
            .next_window(at(2026, 1, 1, 10) + Duration::minutes(42))
            .unwrap();
        assert_eq!((w.start, w.end), (at(2026, 1, 1, 16), at(2026, 1, 1, 18)));
    }
}
