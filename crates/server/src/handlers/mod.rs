//! One handler per operation, grouped by resource. Each takes its validated wire request and
//! returns its wire response; domain errors go back to the dispatcher, which maps them.

pub mod iam;
pub mod iam_managed;
pub mod kms;
pub mod login;
pub mod password;
pub mod policies;
pub mod rotation;
pub mod secrets;
pub mod unsupported;
pub mod versions;

use chrono::{DateTime, Utc};
use coffer_core::filter::{Filter, FilterKey};
use coffer_core::model::SecretValue;
use coffer_core::service::Service;
use coffer_core::Error;
use coffer_protocol::sensitive::{SensitiveBlob, SensitiveString};
use coffer_protocol::shapes;
use zeroize::Zeroizing;

use crate::auth::Caller;

/// What every handler gets besides its request.
pub struct Ctx<'a> {
    /// The service.
    pub service: &'a Service,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The rotation engine (RotateSecret starts its run).
    pub rotation: &'a std::sync::Arc<crate::rotation::Rotation>,
}

/// A timestamp on the wire: epoch seconds with millisecond fractions.
pub fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// The value of a request, from its SecretString or SecretBinary (validation has already refused
/// both at once).
pub fn value_of(
    string: Option<&SensitiveString>,
    binary: Option<&SensitiveBlob>,
) -> Option<SecretValue> {
    match (string, binary) {
        (Some(s), _) => Some(SecretValue::String(Zeroizing::new(s.expose().to_owned()))),
        (None, Some(b)) => Some(SecretValue::Binary(Zeroizing::new(b.expose().to_vec()))),
        (None, None) => None,
    }
}

/// A value as the wire's (SecretString, SecretBinary) pair.
pub fn wire_value(value: &SecretValue) -> (Option<SensitiveString>, Option<SensitiveBlob>) {
    match value {
        SecretValue::String(s) => (Some(SensitiveString::new(s.to_string())), None),
        SecretValue::Binary(b) => (None, Some(SensitiveBlob::new(b.to_vec()))),
    }
}

/// Tags from the wire (validation guarantees each has a key; a missing value is empty).
pub fn tags_of(tags: Option<&Vec<shapes::Tag>>) -> Vec<(String, String)> {
    tags.map(|tags| {
        tags.iter()
            .map(|t| {
                (
                    t.key.clone().unwrap_or_default(),
                    t.value.clone().unwrap_or_default(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Tags to the wire.
pub fn wire_tags(tags: &[(String, String)]) -> Vec<shapes::Tag> {
    tags.iter()
        .map(|(k, v)| shapes::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// ListSecrets filters from the wire.
pub fn filters_of(filters: Option<&Vec<shapes::Filter>>) -> Result<Vec<Filter>, Error> {
    let mut out = Vec::new();
    for filter in filters.into_iter().flatten() {
        let key_text = filter.key.as_deref().unwrap_or_default();
        let key = FilterKey::parse(key_text).ok_or_else(|| {
            Error::Validation(format!(
                "1 validation error detected: Value '{key_text}' at 'filters.1.member.key' failed to satisfy constraint: \
                 Member must satisfy enum value set: [all, description, name, tag-key, tag-value, primary-region, owning-service]"
            ))
        })?;
        out.push(Filter {
            key,
            values: filter.values.clone().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// A page size from the wire (validation has checked its range).
pub fn page_size(max_results: Option<i64>) -> Option<usize> {
    max_results.and_then(|n| usize::try_from(n).ok())
}
