//! Writing awsQuery responses: an indented XML writer that escapes every value and can write
//! secrets into a zeroizing buffer, as IAM and STS lay their bodies out.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use super::form::Tag;

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
