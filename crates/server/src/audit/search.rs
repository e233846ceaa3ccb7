//! `coffer admin audit search`: the events of audit files that match every filter given.

use std::io::BufRead;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What to look for; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// A secret, by name or ARN (full or partial): matches the secret ids, names and ARNs an
    /// event's parameters, elements and resources mention.
    pub secret: Option<String>,
    /// A principal: an ARN, principal id, access key id, or user or role name.
    pub principal: Option<String>,
    /// An event name (`GetSecretValue`), exactly.
    pub event_name: Option<String>,
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Events before this time.
    pub until: Option<DateTime<Utc>>,
}

/// The name part of a secret ARN (`arn:aws:secretsmanager:r:a:secret:db/prod-AbCdEf` →
/// `db/prod`), or the text itself when it is not a full ARN.
fn secret_name(id: &str) -> &str {
    let Some((_, name)) = id.split_once(":secret:") else {
        return id;
    };
    // The six random characters AWS appends, when present.
    match name.rsplit_once('-') {
        Some((base, suffix))
            if suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            base
        }
        _ => name,
    }
}

/// Whether a secret reference in an event (`id`) names the secret the user asked for.
fn same_secret(wanted: &str, id: &str) -> bool {
    if wanted == id {
        return true;
    }
    let both_arns = wanted.contains(":secret:") && id.contains(":secret:");
    secret_name(wanted) == secret_name(id)
        && (!both_arns || secret_arn_prefix(wanted) == secret_arn_prefix(id))
}

/// The ARN up to the name (region and account), to keep same-named secrets of two accounts
/// apart when both sides are ARNs.
fn secret_arn_prefix(arn: &str) -> &str {
    arn.split_once(":secret:").map_or("", |(prefix, _)| prefix)
}

/// Every secret reference an event holds.
fn secret_refs(event: &Value) -> Vec<&str> {
    let mut refs = Vec::new();
    for part in ["requestParameters", "responseElements"] {
        let Some(map) = event.get(part).and_then(Value::as_object) else {
            continue;
        };
        for key in ["secretId", "name", "arn", "resourceArn"] {
            if let Some(text) = map.get(key).and_then(Value::as_str) {
                refs.push(text);
            }
        }
        if let Some(list) = map.get("secretIdList").and_then(Value::as_array) {
            refs.extend(list.iter().filter_map(Value::as_str));
        }
    }
    if let Some(resources) = event.get("resources").and_then(Value::as_array) {
        refs.extend(
            resources
                .iter()
                .filter_map(|r| r.get("ARN").and_then(Value::as_str)),
        );
    }
    refs
}

fn principal_matches(event: &Value, wanted: &str) -> bool {
    let Some(identity) = event.get("userIdentity") else {
        return false;
    };
    let field = |value: &Value, key: &str| value.get(key).and_then(Value::as_str) == Some(wanted);
    ["arn", "principalId", "accessKeyId", "userName"]
        .iter()
        .any(|key| field(identity, key))
        || identity
            .get("sessionContext")
            .and_then(|c| c.get("sessionIssuer"))
            .is_some_and(|issuer| {
                ["arn", "principalId", "userName"]
                    .iter()
                    .any(|key| field(issuer, key))
            })
}

impl Query {
    /// Whether an event matches.
    pub fn matches(&self, event: &Value) -> bool {
        if let Some(name) = &self.event_name {
            if event.get("eventName").and_then(Value::as_str) != Some(name.as_str()) {
                return false;
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(time) = event
                .get("eventTime")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
            else {
                return false;
            };
            if self.since.is_some_and(|since| time < since)
                || self.until.is_some_and(|until| time >= until)
            {
                return false;
            }
        }
        if let Some(principal) = &self.principal {
            if !principal_matches(event, principal) {
                return false;
            }
        }
        if let Some(secret) = &self.secret {
            if !secret_refs(event).iter().any(|id| same_secret(secret, id)) {
                return false;
            }
        }
        true
    }
}

/// The matching lines of `files`, in file order, as written (chain link included).
pub fn search(files: &[PathBuf], query: &Query) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    for file in files {
        let reader = std::io::BufReader::new(std::fs::File::open(file)?);
        for line in reader.lines() {
            let line = line?;
            // A line that is not an event is `verify`'s business; search skips it.
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if query.matches(&event) {
                found.push(line);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_by_name_or_arn() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/prod-AbCdEf";
        assert!(same_secret("db/prod", arn));
        assert!(same_secret(arn, "db/prod"));
        assert!(same_secret(arn, arn));
        assert!(!same_secret("db/prod2", arn));
        assert!(!same_secret(
            arn,
            "arn:aws:secretsmanager:us-east-1:210987654321:secret:db/prod-AbCdEf"
        ));
    }
}
