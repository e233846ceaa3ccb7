//! Reading an awsQuery request: decoding the form, looking parameters up, checking them against
//! the model's constraints (the shared checks of [`crate::constraint`], read from text), and the
//! members IAM and STS share (tags, lists of strings).

use std::collections::BTreeSet;

use super::error::{QueryError, QueryErrorCode};
use super::patterns::{tag_key, tag_value};
use crate::constraint::{Length, NumberShape, Pattern, StringShape, Violations};

/// A decoded awsQuery request: its `Action` and every parameter, `Action` included, in the
/// order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryForm {
    /// The value of the first `Action` parameter.
    pub action: String,
    /// Every decoded name/value pair.
    pub params: Vec<(String, String)>,
}

/// Decodes a form-encoded awsQuery body. Returns `None` when the body is not form-encoded
/// (`application/x-www-form-urlencoded`, parameters such as `; charset=utf-8` allowed), cannot
/// be decoded, or names no `Action`, so that the caller can treat it as no awsQuery request at
/// all.
pub fn parse_form(content_type: Option<&str>, body: &[u8]) -> Option<QueryForm> {
    let media_type = content_type?.split(';').next()?.trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return None;
    }
    form_from_pairs(serde_urlencoded::from_bytes(body).ok()?)
}

/// Decodes an awsQuery request sent in the query string, as presigned `GetCallerIdentity` URLs
/// are (the kind EKS-style tokens carry). `None` as for [`parse_form`].
pub fn parse_query_string(query: Option<&str>) -> Option<QueryForm> {
    form_from_pairs(serde_urlencoded::from_str(query?).ok()?)
}

fn form_from_pairs(params: Vec<(String, String)>) -> Option<QueryForm> {
    let action = params
        .iter()
        .find(|(name, _)| name == "Action")
        .map(|(_, action)| action.clone())?;
    Some(QueryForm { action, params })
}

/// The decoded parameters of an awsQuery request, looked up by name. A name sent twice counts
/// once, its first value; names the action does not know are ignored, as AWS ignores them.
#[derive(Clone, Copy)]
pub(crate) struct Params<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Params<'a> {
    pub(crate) fn new(pairs: &'a [(String, String)]) -> Self {
        Self { pairs }
    }

    /// The first value sent under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The member indices of a list sent as `{list}.member.N` or `{list}.member.N.{field}`,
    /// in ascending order. The wire numbers members from 1; gaps are closed, as AWS reads a
    /// list in index order.
    pub(crate) fn member_indices(&self, list: &str) -> Vec<u32> {
        let prefix = format!("{list}.member.");
        let indices: BTreeSet<u32> = self
            .pairs
            .iter()
            .filter_map(|(key, _)| key.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('.').next()?.parse().ok())
            .collect();
        indices.into_iter().collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Constraints: form parameters, read into the shared checks of `constraint`.

impl Violations {
    /// Checks a string parameter and returns it, owned, when it was sent. Lengths count
    /// characters, as the rest of coffer's validation does.
    pub(crate) fn param(
        &mut self,
        path: &str,
        value: Option<&str>,
        shape: &StringShape,
    ) -> Option<String> {
        let value = value?;
        self.check_string(path, value, value.chars().count(), true, shape);
        Some(value.to_owned())
    }

    /// A required string parameter: `Value null …` when absent, else as [`Self::param`].
    /// Returns an empty string when absent; the caller never sees it, because `finish_query`
    /// fails.
    pub(crate) fn required_param(
        &mut self,
        path: &str,
        value: Option<&str>,
        shape: &StringShape,
    ) -> String {
        if value.is_none() {
            self.null(path);
        }
        self.param(path, value, shape).unwrap_or_default()
    }

    /// An integer parameter with a range. A value that is not a number cannot be bound to the
    /// member at all; it is reported in the same list, at the member's path.
    pub(crate) fn integer(
        &mut self,
        path: &str,
        value: Option<&str>,
        min: i64,
        max: i64,
    ) -> Option<i32> {
        let text = value?;
        let Ok(number) = text.trim().parse::<i64>() else {
            self.push(Some(text), path, "Member must be a number");
            return None;
        };
        let range = NumberShape {
            min: Some(min),
            max: Some(max),
        };
        self.check_number(path, number, &range);
        i32::try_from(number).ok()
    }

    /// An enum parameter: `Member must satisfy enum value set: [A, B]`.
    pub(crate) fn enumeration<'v>(
        &mut self,
        path: &str,
        value: Option<&'v str>,
        allowed: &'static [&'static str],
    ) -> Option<&'v str> {
        let value = value?;
        self.check_string(path, value, 0, true, &StringShape::one_of(allowed));
        Some(value)
    }

    /// The `ValidationError` for what was found, or `Ok(())` when nothing was.
    /// It drains what was collected, so a second call answers `Ok(())`.
    pub(crate) fn finish_query(&mut self) -> Result<(), QueryError> {
        match self.take_message() {
            Some(message) => Err(QueryError::new(QueryErrorCode::ValidationError, message)),
            None => Ok(()),
        }
    }
}

/// The pattern of a tag key, shared by IAM and STS.
pub(crate) const TAG_KEY: StringShape =
    StringShape::length(Some(1), Some(128)).with_pattern(Pattern {
        source: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
        matches: tag_key,
    });

/// The pattern of a tag value, shared by IAM and STS.
pub(crate) const TAG_VALUE: StringShape =
    StringShape::length(Some(0), Some(256)).with_pattern(Pattern {
        source: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
        matches: tag_value,
    });

/// A tag, as IAM and STS carry them (`Tags.member.N.Key`, `Tags.member.N.Value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The key, 1–128 characters.
    pub key: String,
    /// The value, 0–256 characters.
    pub value: String,
}

/// Reads `Tags.member.N.Key`/`Value` (both required in the model), at most 50 of them.
pub(crate) fn tags(params: Params<'_>, violations: &mut Violations) -> Vec<Tag> {
    let indices = params.member_indices("Tags");
    violations.check_structure_count("tags", indices.len(), &Length::new(None, Some(50)));
    let mut tags = Vec::with_capacity(indices.len());
    for (position, index) in indices.iter().enumerate() {
        let path = format!("tags.{}.member", position + 1);
        let key = violations.required_param(
            &format!("{path}.key"),
            params.get(&format!("Tags.member.{index}.Key")),
            &TAG_KEY,
        );
        let value = violations.required_param(
            &format!("{path}.value"),
            params.get(&format!("Tags.member.{index}.Value")),
            &TAG_VALUE,
        );
        tags.push(Tag { key, value });
    }
    tags
}

/// Reads a list of strings sent as `{list}.member.N`.
pub(crate) fn string_members(params: Params<'_>, list: &str) -> Vec<String> {
    params
        .member_indices(list)
        .into_iter()
        .filter_map(|index| params.get(&format!("{list}.member.{index}")))
        .map(str::to_owned)
        .collect()
}
