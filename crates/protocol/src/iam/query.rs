//! The awsQuery machinery IAM and STS share: reading form parameters, collecting model
//! constraint violations with AWS's wording, the error type, and an XML writer that escapes
//! every value and can write secrets into a zeroizing buffer.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::constraint::{Length, NumberShape, Pattern, StringShape, Violations};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------------------------
// Errors.

/// The error codes coffer answers in the awsQuery protocol, each with the HTTP status the
/// botocore models give it (`error.code` / `error.httpStatusCode` of the exception shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryErrorCode {
    /// A model constraint was violated (400). Both IAM and STS use this code.
    ValidationError,
    /// IAM: the named user, role, policy or access key does not exist (404).
    NoSuchEntity,
    /// IAM: a user or role of that name exists already (409).
    EntityAlreadyExists,
    /// IAM: the entity still has subordinate entities (policies, access keys) (409).
    DeleteConflict,
    /// IAM: a quota would be exceeded (409).
    LimitExceeded,
    /// IAM and STS: a policy document is not valid policy grammar (400).
    MalformedPolicyDocument,
    /// IAM: a value is invalid for reasons beyond the model's constraints (400).
    InvalidInput,
    /// The caller is not allowed to perform the action (403).
    AccessDenied,
    /// The `Action` names no operation of the service (400).
    InvalidAction,
    /// STS: the session policy and tags do not fit in a session token (400).
    PackedPolicyTooLarge,
    /// IAM: an internal failure (500); the cause goes to the log, never to the client.
    ServiceFailure,
    /// STS: an internal failure (500), STS's name for it.
    InternalFailure,
}

impl QueryErrorCode {
    /// The code as it appears in `<Code>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "ValidationError",
            Self::NoSuchEntity => "NoSuchEntity",
            Self::EntityAlreadyExists => "EntityAlreadyExists",
            Self::DeleteConflict => "DeleteConflict",
            Self::LimitExceeded => "LimitExceeded",
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::InvalidInput => "InvalidInput",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidAction => "InvalidAction",
            Self::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            Self::ServiceFailure => "ServiceFailure",
            Self::InternalFailure => "InternalFailure",
        }
    }

    /// The HTTP status of a response carrying this code.
    pub fn status(self) -> u16 {
        match self {
            Self::ValidationError
            | Self::MalformedPolicyDocument
            | Self::InvalidInput
            | Self::InvalidAction
            | Self::PackedPolicyTooLarge => 400,
            Self::AccessDenied => 403,
            Self::NoSuchEntity => 404,
            Self::EntityAlreadyExists | Self::DeleteConflict | Self::LimitExceeded => 409,
            Self::ServiceFailure | Self::InternalFailure => 500,
        }
    }

    /// `Sender` for client errors, `Receiver` for server errors: the `<Type>` of the error.
    pub fn fault(self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

impl fmt::Display for QueryErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An awsQuery error: a code (which fixes the status) and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct QueryError {
    /// The `<Code>`.
    pub code: QueryErrorCode,
    /// The `<Message>`, in AWS's wording. Never holds a secret.
    pub message: String,
}

impl QueryError {
    /// An error with the given code and message.
    pub fn new(code: QueryErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// The body of an awsQuery `ErrorResponse` in the given namespace, the shape IAM and STS both
/// answer with: `Type`, `Code` and `Message` inside `Error`, then `RequestId`.
pub(crate) fn error_response_xml(namespace: &str, error: &QueryError, request_id: &str) -> String {
    let mut xml = Xml::new();
    xml.open_namespaced("ErrorResponse", namespace);
    xml.open("Error");
    xml.leaf("Type", error.code.fault());
    xml.leaf("Code", error.code.as_str());
    xml.leaf("Message", &error.message);
    xml.close("Error");
    xml.leaf("RequestId", request_id);
    xml.close("ErrorResponse");
    // Error bodies carry no secret, so they leave the zeroizing buffer as a plain string.
    xml.finish_plain()
}

// ---------------------------------------------------------------------------------------------
// Reading parameters.

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

// ---------------------------------------------------------------------------------------------
// Character classes of the models' patterns.

/// Java's `\w` without the UNICODE_CHARACTER_CLASS flag: ASCII letters, digits, underscore.
pub(crate) fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `[\w+=,.@-]` followed by `+` or `*`, the pattern of IAM names and STS session names.
pub(crate) fn is_name_char(c: char) -> bool {
    is_word(c) || "+=,.@-".contains(c)
}

/// `[\w+=,.@-]+`.
pub(crate) fn name_plus(value: &str) -> bool {
    !value.is_empty() && value.chars().all(is_name_char)
}

/// `[\w+=,.@-]*`.
pub(crate) fn name_star(value: &str) -> bool {
    value.chars().all(is_name_char)
}

/// `[\w]+`, access key ids.
pub(crate) fn word_plus(value: &str) -> bool {
    !value.is_empty() && value.chars().all(is_word)
}

/// `[\u0009\u000A\u000D\u0020-\u00FF]+`, policy documents.
pub(crate) fn policy_text(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
}

/// `\p{Z}`: space, line and paragraph separators.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, tag keys and values. Rust's `is_alphabetic` and `is_numeric`
/// stand for `\p{L}` and `\p{N}` (they also admit a few marks Java's classes leave out).
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || is_separator(c) || "_.:/=+-@".contains(c)
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`.
pub(crate) fn tag_key(value: &str) -> bool {
    !value.is_empty() && value.chars().all(is_tag_char)
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`.
pub(crate) fn tag_value(value: &str) -> bool {
    value.chars().all(is_tag_char)
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

// ---------------------------------------------------------------------------------------------
// Writing XML.

/// An indented XML writer, two spaces per level, the layout IAM and STS answer with. The
/// buffer is zeroized on drop, so a response holding a secret key leaves no copy behind when
/// its capacity was reserved up front (see [`Xml::with_capacity`]).
pub(crate) struct Xml {
    out: Zeroizing<String>,
    depth: usize,
}

impl Xml {
    pub(crate) fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// A writer whose buffer will not reallocate below `capacity` bytes. A reallocation would
    /// free the old buffer without zeroing it, so responses carrying secrets reserve enough
    /// for their whole body first.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Zeroizing::new(String::with_capacity(capacity)),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<name xmlns="namespace">`, the root element.
    pub(crate) fn open_namespaced(&mut self, name: &str, namespace: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        escape_into(&mut self.out, namespace);
        self.out.push_str("\">\n");
        self.depth += 1;
    }

    /// `<name>`, on its own line; the children follow one level deeper.
    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name>value</name>`, the value escaped.
    pub(crate) fn leaf(&mut self, name: &str, value: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, value);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// A leaf only when there is a value.
    pub(crate) fn optional_leaf(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.leaf(name, value);
        }
    }

    /// A timestamp leaf, ISO 8601 in UTC to the second, as IAM and STS write them.
    pub(crate) fn timestamp(&mut self, name: &str, value: &DateTime<Utc>) {
        self.leaf(name, &timestamp(value));
    }

    /// `<Tags><member><Key>…</Key><Value>…</Value></member>…</Tags>`, left out when empty.
    pub(crate) fn tags(&mut self, tags: &[Tag]) {
        if tags.is_empty() {
            return;
        }
        self.open("Tags");
        for tag in tags {
            self.open("member");
            self.leaf("Key", &tag.key);
            self.leaf("Value", &tag.value);
            self.close("member");
        }
        self.close("Tags");
    }

    /// `<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>`.
    pub(crate) fn response_metadata(&mut self, request_id: &str) {
        self.open("ResponseMetadata");
        self.leaf("RequestId", request_id);
        self.close("ResponseMetadata");
    }

    /// The body, still in its zeroizing buffer.
    pub(crate) fn finish(self) -> Zeroizing<String> {
        self.out
    }

    /// The body as a plain string, for bodies that carry no secret.
    pub(crate) fn finish_plain(self) -> String {
        let mut out = self.out;
        std::mem::take(&mut *out)
    }
}

/// Escapes the five XML special characters into `out`, so that no value can close an element.
/// It writes straight into the caller's buffer so that a secret never passes through a
/// temporary string.
///
/// A carriage return is written as `&#13;`, since a parser would otherwise read it as a line
/// feed. The characters XML 1.0 cannot carry at all, even as references (the other C0
/// controls, U+FFFE, U+FFFF), become U+FFFD: a validation message may quote a value holding
/// one, and a body with it would not parse, so the client would never see the error.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            other => out.push(other),
        }
    }
}

/// A timestamp as IAM and STS write it: `2026-12-02T17:00:00Z`.
pub(crate) fn timestamp(value: &DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What IAM leaves unencoded in a policy document: letters, digits and `.-*_`, as Java's
/// `URLEncoder` does, except that a space becomes `%20` (botocore decodes policy documents with
/// `urllib.parse.unquote`, which would leave a `+` as a plus).
const POLICY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'*')
    .remove(b'_');

/// A policy document URL-encoded, the form IAM returns documents in (GetUserPolicy,
/// GetRolePolicy, a role's AssumeRolePolicyDocument).
pub(crate) fn encode_policy(document: &str) -> String {
    percent_encoding::utf8_percent_encode(document, POLICY_ENCODE).to_string()
}
