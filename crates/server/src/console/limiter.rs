//! Failed console sign-ins, counted per user and per client address in a fixed window: past
//! the limit, further attempts are refused without checking the password until the window
//! that began with the first failure ends. Kept in memory, per node (docs/console.md).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Failed sign-ins one user may have in a window.
pub const FAILURES_PER_USER: u32 = 5;
/// Failed sign-ins one client address may have in a window (several users behind one NAT).
pub const FAILURES_PER_ADDRESS: u32 = 20;
/// The window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// The most counters kept; beyond it, the expired ones are dropped first.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    failures: u32,
}

/// The counters of failed sign-ins.
#[derive(Default)]
pub struct SignInLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

/// The counter key of a user.
pub fn user_key(account: &str, user_name: &str) -> String {
    format!("user:{account}/{}", user_name.to_lowercase())
}

/// The counter key of a client address.
pub fn address_key(address: Option<std::net::IpAddr>) -> String {
    match address {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    }
}

impl SignInLimiter {
    fn failures(windows: &HashMap<String, Window>, key: &str, now: DateTime<Utc>) -> u32 {
        windows
            .get(key)
            .filter(|w| now < w.started + Duration::minutes(WINDOW_MINUTES))
            .map_or(0, |w| w.failures)
    }

    /// Whether an attempt for `user` from `address` may be checked at all now.
    pub fn allows(&self, user: &str, address: &str, now: DateTime<Utc>) -> bool {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        Self::failures(&windows, user, now) < FAILURES_PER_USER
            && Self::failures(&windows, address, now) < FAILURES_PER_ADDRESS
    }

    /// Counts a failed attempt against both keys.
    pub fn failed(&self, user: &str, address: &str, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_ENTRIES {
            windows.retain(|_, w| now < w.started + Duration::minutes(WINDOW_MINUTES));
        }
        for key in [user, address] {
            let window = windows.entry(key.to_owned()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now >= window.started + Duration::minutes(WINDOW_MINUTES) {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
        }
    }

    /// A successful sign-in clears the user's count (not the address's: one user signing in
    /// from an address does not vouch for the attempts on others).
    pub fn succeeded(&self, user: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_ends() {
        let limiter = SignInLimiter::default();
        let start = DateTime::UNIX_EPOCH;
        let (user, address) = (user_key("123456789012", "Alice"), address_key(None));
        for _ in 0..FAILURES_PER_USER {
            assert!(limiter.allows(&user, &address, start));
            limiter.failed(&user, &address, start);
        }
        assert!(!limiter.allows(&user, &address, start));
        // Another user from the same address is still allowed (the address limit is higher).
        assert!(limiter.allows(&user_key("123456789012", "bob"), &address, start));
        let later = start + Duration::minutes(WINDOW_MINUTES);
        assert!(limiter.allows(&user, &address, later));
        // Names are counted ignoring case, as IAM compares them.
        assert_eq!(user, user_key("123456789012", "ALICE"));
    }

    #[test]
    fn the_address_limit_spans_users() {
        let limiter = SignInLimiter::default();
        let now = DateTime::UNIX_EPOCH;
        let address = address_key(Some([127, 0, 0, 1].into()));
        for n in 0..FAILURES_PER_ADDRESS {
            limiter.failed(&user_key("123456789012", &format!("u{n}")), &address, now);
        }
        assert!(!limiter.allows(&user_key("123456789012", "fresh"), &address, now));
        limiter.succeeded(&user_key("123456789012", "u0"));
        assert!(!limiter.allows(&user_key("123456789012", "u0"), &address, now));
    }
}
