//! Request parsing and model-constraint validation.
//!
//! The server calls [`parse_request`] on the body and then [`Validate::validate`] on the result,
//! before any handler runs. Together they reproduce what AWS's request layer answers before the
//! service itself sees a request:
//!
//! - a body that is not a JSON object of the right member types: `SerializationException`;
//! - a violated model constraint (required member, length, range, pattern, enum):
//!   `ValidationException` with AWS's wording, every violation listed in member order, e.g.
//!   `1 validation error detected: Value 'abc' at 'name' failed to satisfy constraint: Member must
//!   have length less than or equal to 512`;
//! - the handful of stateless checks the service performs itself (both `SecretString` and
//!   `SecretBinary`, `RecoveryWindowInDays` out of range, …), with the code and message AWS uses
//!   for each. Each one cites where its wording comes from.
//!
//! No message ever contains a sensitive member's value: AWS itself writes `Value at 'secretString'`
//! without the value for members the model marks sensitive, and so do we. Non-sensitive values
//! are echoed, as AWS echoes them.

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::constraint::{Length, NumberShape, StringShape, Violations};
use crate::error::{ApiError, ErrorCode};
use crate::sensitive::{SensitiveBlob, SensitiveString};

pub(crate) mod model;
pub(crate) mod patterns;
mod requests;
mod rules;
#[cfg(test)]
mod tests;

/// Parses an awsJson 1.1 request body into an operation's request type.
///
/// An empty body (no bytes, or only JSON whitespace) is read as `{}`, as AWS reads it. Anything
/// that is not a JSON object whose members have the model's JSON types is refused with
/// `SerializationException`. The message is fixed per failure class and never quotes the body:
/// serde's own messages echo values (`invalid type: string "s3cr3t"`), and the body may hold a
/// secret.
pub fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let trimmed = trim_json_whitespace(body);
    if trimmed.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|_| wrong_type());
    }
    // Anything that does not start like an object is either another JSON value or not JSON at
    // all; the two get different messages so a client author can tell them apart.
    if trimmed.first() != Some(&b'{') {
        return Err(match serde_json::from_slice::<IgnoredAny>(trimmed) {
            Ok(_) => serialization("The request body must be a JSON object."),
            Err(_) => not_json(),
        });
    }
    serde_json::from_slice(trimmed).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => wrong_type(),
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => not_json(),
    })
}

/// The body without leading and trailing JSON whitespace (space, tab, line feed, carriage
/// return; RFC 8259 section 2), which is all a body may hold and still count as empty.
fn trim_json_whitespace(body: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = body.iter().position(|b| !is_space(b)).unwrap_or(body.len());
    let end = body
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |last| last + 1);
    body.get(start..end).unwrap_or_default()
}

/// A `SerializationException` with a fixed message.
fn serialization(message: &str) -> ApiError {
    ApiError::new(ErrorCode::SerializationException, message)
}

/// The body is not well-formed JSON.
fn not_json() -> ApiError {
    serialization("The request body is not valid JSON.")
}

/// The body is a JSON object, but a member has the wrong JSON type or an undecodable value
/// (a blob that is not base64, a fractional integer, a member given twice).
fn wrong_type() -> ApiError {
    serialization(
        "The request body does not match the operation's input: a member has the wrong JSON type \
         or an invalid value.",
    )
}

/// Checks every constraint the service model declares on a request, then the stateless rules
/// the service applies itself.
///
/// Implemented for every `<Operation>Request`. `Ok(())` means the request may reach its handler;
/// rules that depend on stored state (does the secret exist, is the label attached) are the
/// handler's.
pub trait Validate {
    /// Returns the error AWS would answer for this request before looking at any stored state,
    /// or `Ok(())`.
    fn validate(&self) -> Result<(), ApiError>;
}

// ---------------------------------------------------------------------------------------------
// Collecting violations: the awsJson members, read into the shared checks of `constraint`.

impl Violations {
    /// A member the model marks required.
    pub(crate) fn required<T>(&mut self, path: &str, value: &Option<T>) {
        if value.is_none() {
            self.null(path);
        }
    }

    /// A plain string member; lengths count characters.
    pub(crate) fn string(&mut self, path: &str, value: &Option<String>, shape: &StringShape) {
        if let Some(value) = value {
            self.check_string(path, value, value.chars().count(), true, shape);
        }
    }

    /// A sensitive string member other than the secret value; lengths count characters and the
    /// value is never shown.
    pub(crate) fn sensitive_string(
        &mut self,
        path: &str,
        value: &Option<SensitiveString>,
        shape: &StringShape,
    ) {
        if let Some(value) = value {
            let text = value.expose();
            self.check_string(path, text, text.chars().count(), false, shape);
        }
    }

    /// `SecretString`. Its length counts UTF-8 bytes, not characters: AWS's quota for a secret
    /// value is 65,536 bytes (Secrets Manager quotas page; AWS-BEHAVIOUR.md, Limits), so a value of
    /// fewer characters but more bytes is refused with the same message as an over-long one.
    fn secret_string(&mut self, path: &str, value: &Option<SensitiveString>, shape: &StringShape) {
        if let Some(value) = value {
            self.check_string(path, value.expose(), value.len(), false, shape);
        }
    }

    /// `SecretBinary`, the only blob member; lengths count decoded bytes and the value is never
    /// shown.
    pub(crate) fn blob(&mut self, path: &str, value: &Option<SensitiveBlob>, length: &Length) {
        if let Some(blob) = value {
            self.check_list_length(path, blob.len(), length, None);
        }
    }

    /// An integer or long member with a range.
    pub(crate) fn number(&mut self, path: &str, value: Option<i64>, shape: &NumberShape) {
        if let Some(value) = value {
            self.check_number(path, value, shape);
        }
    }

    /// A list of strings: its length, then its elements (see `Violations::check_strings`).
    pub(crate) fn string_list(
        &mut self,
        path: &str,
        value: &Option<Vec<String>>,
        length: &Length,
        element: &StringShape,
    ) {
        if let Some(list) = value {
            self.check_strings(path, list, length, element);
        }
    }

    /// A nested structure member: its members are checked under `path.member`.
    fn structure<T: Check>(&mut self, path: &str, value: &Option<T>) {
        if let Some(structure) = value {
            structure.check(self, path);
        }
    }

    /// A list of structures: its length, then each element under `path.N.member` (1-based, the
    /// form AWS uses, e.g. `tags.1.member.key`).
    fn structure_list<T: Check>(&mut self, path: &str, value: &Option<Vec<T>>, length: &Length) {
        let Some(list) = value else { return };
        self.check_structure_count(path, list.len(), length);
        for (index, item) in list.iter().enumerate() {
            item.check(self, &format!("{path}.{}.member", index + 1));
        }
    }

    /// The `ValidationException` listing every violation, or `Ok(())` when there is none.
    pub(crate) fn finish(mut self) -> Result<(), ApiError> {
        match self.take_message() {
            Some(message) => Err(ApiError::new(ErrorCode::ValidationException, message)),
            None => Ok(()),
        }
    }
}

/// Validation of a structure nested in a request, under the path of the member holding it.
trait Check {
    /// Records the violations of this structure's members, each under `path.memberName`.
    fn check(&self, v: &mut Violations, path: &str);
}
