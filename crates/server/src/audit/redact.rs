//! Request parameters and response elements as CloudTrail writes them: member names in
//! lower camel case (`SecretId` → `secretId`), secret material left out.
//!
//! Secret members are skipped while parsing, never parsed and then removed: the JSON reader
//! steps over a `SecretString` without allocating a copy of it, and the XML reader never
//! copies the text of a `SecretAccessKey` or `SessionToken` element. What an event holds can
//! therefore be logged, printed and written without a further check.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Member names whose values are secret in some request or response: they are never
/// recorded, whatever the operation. Compared without regard to case.
const SECRET_MEMBERS: [&str; 9] = [
    "SecretString",
    "Plaintext",
    "SecretBinary",
    "RandomPassword",
    "SecretAccessKey",
    "SessionToken",
    "Password",
    "TokenCode",
    "RotationToken",
];

/// Whether a member name is one whose value is never recorded.
pub fn is_secret_member(name: &str) -> bool {
    SECRET_MEMBERS
        .iter()
        .any(|secret| secret.eq_ignore_ascii_case(name))
}

/// A member name in CloudTrail's lower camel case: the leading run of capitals is lowered,
/// except the last one when it starts the next word (`ARN` → `arn`, `KMSKeyId` → `kmsKeyId`,
/// `SecretId` → `secretId`).
pub fn camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let run = chars.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let lower = if run > 1 && chars.get(run).is_some_and(|c| c.is_ascii_lowercase()) {
        run - 1
    } else {
        run.max(1)
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < lower {
                c.to_ascii_lowercase()
            } else {
                *c
            }
        })
        .collect()
}

/// A JSON value read with secret members skipped and names camel-cased.
struct Redacted(Value);

impl<'de> Deserialize<'de> for Redacted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RedactedVisitor)
    }
}

struct RedactedVisitor;

impl<'de> Visitor<'de> for RedactedVisitor {
    type Value = Redacted;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Redacted, E> {
        Ok(Redacted(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Redacted, E> {
        Ok(Redacted(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Redacted, E> {
        Ok(Redacted(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Redacted, E> {
        Ok(Redacted(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Redacted, E> {
        Ok(Redacted(Value::String(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Redacted, E> {
        Ok(Redacted(Value::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Redacted, E> {
        Ok(Redacted(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Redacted, E> {
        Ok(Redacted(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Redacted, A::Error> {
        let mut items = Vec::new();
        while let Some(Redacted(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Redacted(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Redacted, A::Error> {
        let mut out = Map::new();
        // Keys are read as borrowed text where the input allows, so a key never costs a copy
        // before we know whether its value is kept.
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if is_secret_member(&key) {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Redacted(value) = map.next_value()?;
                out.insert(camel(&key), value);
            }
        }
        Ok(Redacted(Value::Object(out)))
    }
}

/// An empty object is recorded as `null`, as CloudTrail records a call without parameters.
fn none_if_empty(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.is_empty() => None,
        Value::Null => None,
        other => Some(other),
    }
}

/// The parameters (or elements) of an awsJson body, secret members skipped; `None` for an
/// empty or unparsable body.
pub fn json(body: &[u8]) -> Option<Value> {
    let Redacted(value) = serde_json::from_slice(body).ok()?;
    none_if_empty(value)
}

/// The parameters of an awsQuery (IAM, STS) form, without `Action` and `Version`, which the
/// event's name and source already say.
pub fn form(params: &[(String, String)]) -> Option<Value> {
    let mut out = Map::new();
    for (name, value) in params {
        if name == "Action" || name == "Version" || is_secret_member(name) {
            continue;
        }
        out.insert(camel(name), Value::String(value.clone()));
    }
    none_if_empty(Value::Object(out))
}

/// One element of an XML document: its name, its children and its text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

/// The response elements of an awsQuery response: the children of its `…Result` element,
/// converted as CloudTrail shows IAM and STS responses (`<User><UserName>` →
/// `{"user":{"userName":…}}`, `<member>` lists → arrays). Secret elements are skipped.
/// `None` when the response has no result (`DeleteUser`) or cannot be read.
pub fn xml(body: &str) -> Option<Value> {
    let root = parse_xml(body)?;
    let result = root
        .children
        .iter()
        .find(|child| child.name.ends_with("Result"))?;
    none_if_empty(element_value(result))
}

fn element_value(element: &Element) -> Value {
    if element.children.is_empty() {
        return Value::String(element.text.clone());
    }
    if element.children.iter().all(|child| child.name == "member") {
        return Value::Array(element.children.iter().map(element_value).collect());
    }
    let mut map = Map::new();
    for child in &element.children {
        map.insert(camel(&child.name), element_value(child));
    }
    Value::Object(map)
}

/// A small reader for the XML coffer itself writes (elements, text, the five entities, an
/// optional declaration and attributes on the root); anything else gives `None`.
fn parse_xml(text: &str) -> Option<Element> {
    let mut stack: Vec<Element> = Vec::new();
    // While inside a secret element: how many elements deeper than it we are.
    let mut skipping: Option<usize> = None;
    let mut rest = text;
    let mut root = None;
    while let Some(open) = rest.find('<') {
        let content = &rest[..open];
        if skipping.is_none() {
            if let Some(top) = stack.last_mut() {
                if !content.trim().is_empty() {
                    top.text.push_str(&unescape(content));
                }
            }
        }
        let close = rest[open..].find('>')? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if let Some(depth) = skipping {
                skipping = depth.checked_sub(1);
                continue;
            }
            let done = stack.pop()?;
            if done.name != name.trim() {
                return None;
            }
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => root = Some(done),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()?
            .to_owned();
        if let Some(depth) = skipping {
            if !self_closing {
                skipping = Some(depth + 1);
            }
            continue;
        }
        if is_secret_member(&name) {
            if !self_closing {
                skipping = Some(0);
            }
            continue;
        }
        let element = Element {
            name,
            ..Element::default()
        };
        if self_closing {
            match stack.last_mut() {
                Some(parent) => parent.children.push(element),
                None => root = Some(element),
            }
        } else {
            stack.push(element);
        }
    }
    if stack.is_empty() {
        root
    } else {
        None
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_camel_cased_as_cloudtrail_does() {
        assert_eq!(camel("SecretId"), "secretId");
        assert_eq!(camel("ARN"), "arn");
        assert_eq!(camel("KMSKeyId"), "kmsKeyId");
        assert_eq!(camel("KmsKeyId"), "kmsKeyId");
        assert_eq!(camel("member"), "member");
    }

    #[test]
    fn json_skips_secret_members_at_every_depth() {
        let body = br#"{"SecretId":"a","SecretString":"hunter2","Nested":{"secretBinary":"aGk=","Keep":[{"Password":"x","K":1}]}}"#;
        let value = json(body).unwrap_or_default();
        assert_eq!(
            value,
            serde_json::json!({"secretId":"a","nested":{"keep":[{"k":1}]}})
        );
        assert_eq!(json(b"{}"), None);
        assert_eq!(json(b"not json"), None);
    }

    #[test]
    fn xml_results_become_elements_without_secrets() {
        let body = "<AssumeRoleResponse xmlns=\"x\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <Arn>arn:a&amp;b</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      <SessionToken>tok&lt;en</SessionToken>\n      <SecretAccessKey>sek</SecretAccessKey>\n      <AccessKeyId>ASIA1</AccessKeyId>\n    </Credentials>\n  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n</AssumeRoleResponse>\n";
        assert_eq!(
            xml(body).unwrap_or_default(),
            serde_json::json!({"assumedRoleUser":{"arn":"arn:a&b"},"credentials":{"accessKeyId":"ASIA1"}})
        );
        let list = "<R><ListUsersResult><Users><member><UserName>a</UserName></member><member><UserName>b</UserName></member></Users></ListUsersResult></R>";
        assert_eq!(
            xml(list).unwrap_or_default(),
            serde_json::json!({"users":[{"userName":"a"},{"userName":"b"}]})
        );
        assert_eq!(
            xml("<DeleteUserResponse><ResponseMetadata/></DeleteUserResponse>"),
            None
        );
    }
}
