//! Every hand-written `pattern` matcher held against the model's own regular expression (the
//! `regex` crate as the oracle), so that a matcher and the pattern its messages quote cannot
//! drift apart.
//!
//! The patterns below are the `pattern` strings of botocore 1.44.18's models
//! (`secretsmanager/2017-10-17`, `iam/2010-05-08`, `sts/2011-06-15`), verbatim, in Java's
//! dialect, which AWS's validators use; [`whole_match`] reads them as Java's `String.matches`
//! does. Each case also checks that the pattern coffer quotes in its messages is the model's.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::string::string_regex;
use proptest::test_runner::{Config, TestRunner};
use regex::Regex;

use super::{Pattern, StringShape};
use crate::query::{form, patterns as query};
use crate::validate::{model as json_model, patterns as json};
use crate::{iam::requests as iam, sts};

/// One matcher, the model's pattern it stands for, and what to build test strings from.
struct Case {
    /// The model's shape.
    shape: &'static str,
    /// The shape's `pattern` in the model, verbatim.
    model: &'static str,
    /// The pattern as coffer uses it: the source its messages quote and the matcher.
    pattern: Pattern,
    /// Characters the pattern is about, allowed and not; strings of these (and a few of
    /// [`OTHERS`]) come out on both sides of the pattern.
    alphabet: &'static str,
}

/// A case for the pattern of `string_shape`, one of coffer's shape constants; `matches` is its
/// matcher, named here so that a case cannot quietly test another shape's.
fn case(
    shape: &'static str,
    model: &'static str,
    string_shape: &StringShape,
    matches: fn(&str) -> bool,
    alphabet: &'static str,
) -> Case {
    let pattern = string_shape
        .pattern
        .unwrap_or_else(|| panic!("{shape} has a pattern"));
    assert!(
        std::ptr::fn_addr_eq(pattern.matches, matches),
        "{shape}: the shape constant uses another matcher"
    );
    Case {
        shape,
        model,
        pattern,
        alphabet,
    }
}

/// The model's patterns and coffer's shape constants (`validate/model.rs`, `iam/requests.rs`,
/// `sts.rs`, `query/form.rs`) with their matchers.
fn cases() -> Vec<Case> {
    vec![
        // Secrets Manager.
        case(
            "DurationType",
            r"[0-9]+h",
            &json_model::DURATION,
            json::is_duration,
            "09h",
        ),
        case(
            "FilterValueStringType",
            r"^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$",
            &json_model::FILTER_VALUE_STRING,
            json::is_filter_value,
            "!aZ9 :_@/+=.-",
        ),
        case(
            "RegionType",
            r"^([a-z]+-)+\d+$",
            &json_model::REGION,
            json::is_region,
            "az-09",
        ),
        case(
            "ResourcePolicyNameType",
            r"[0-9A-Za-z\-\_]+",
            &json_model::RESOURCE_POLICY_NAME,
            json::is_policy_name,
            "0aZ-_",
        ),
        case(
            "RotationTokenType",
            r"^[a-zA-Z0-9\-]+$",
            &json_model::ROTATION_TOKEN,
            json::is_rotation_token,
            "aZ9-",
        ),
        case(
            "ScheduleExpressionType",
            r"[0-9A-Za-z\(\)#\?\*\-\/, ]+",
            &json_model::SCHEDULE_EXPRESSION,
            json::is_schedule_expression,
            "0aZ()#?*-/, ",
        ),
        // IAM.
        case(
            "userNameType",
            r"[\w+=,.@-]+",
            &iam::USER_NAME,
            query::name_plus,
            "aZ0_+=,.@-",
        ),
        case(
            "pathType",
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
            &iam::PATH,
            query::is_path,
            "//a~!\u{7F}",
        ),
        case(
            "pathPrefixType",
            r"\u002F[\u0021-\u007F]*",
            &iam::PATH_PREFIX,
            query::is_path_prefix,
            "/a!~\u{7F}\u{80}",
        ),
        case(
            "markerType",
            r"[\u0020-\u00FF]+",
            &iam::MARKER,
            query::is_marker,
            " a~\u{7F}\u{FF}\u{100}\u{1F}",
        ),
        case(
            "policyDocumentType",
            r"[\u0009\u000A\u000D\u0020-\u00FF]+",
            &iam::POLICY_DOCUMENT,
            query::policy_text,
            "\t\n\r a{}\u{FF}\u{100}\u{B}",
        ),
        case(
            "roleDescriptionType",
            r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
            &iam::DESCRIPTION,
            query::is_description,
            "\t\n\r a~\u{7F}\u{A0}\u{A1}\u{FF}\u{100}",
        ),
        case(
            "accessKeyIdType",
            r"[\w]+",
            &iam::ACCESS_KEY_ID,
            query::word_plus,
            "AKIA09_z",
        ),
        case(
            "tagKeyType",
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            &form::TAG_KEY,
            query::tag_key,
            "aé9٣Ⅻ _.:/=+-@\u{A0}\u{2028}\u{3000}",
        ),
        case(
            "tagValueType",
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            &form::TAG_VALUE,
            query::tag_value,
            "aé9٣Ⅻ _.:/=+-@\u{A0}\u{2028}\u{3000}",
        ),
        // STS.
        case(
            "arnType",
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            &sts::ROLE_ARN,
            query::is_arn_text,
            "a:/\t\u{7F}\u{85}\u{86}\u{A0}\u{D7FF}\u{E000}\u{FFFD}\u{FFFE}\u{10000}\u{10FFFF}",
        ),
        case(
            "roleSessionNameType",
            r"[\w+=,.@-]*",
            &sts::SESSION_NAME,
            query::name_star,
            "aZ0_+=,.@-",
        ),
        case(
            "externalIdType",
            r"[\w+=,.@:\/-]*",
            &sts::EXTERNAL_ID,
            query::is_external_id,
            "aZ0_+=,.@:/-",
        ),
        case(
            "serialNumberType",
            r"[\w+=/:,.@-]*",
            &sts::SERIAL_NUMBER,
            query::is_serial_number,
            "aZ0_+=/:,.@-",
        ),
        case(
            "tokenCodeType",
            r"[\d]*",
            &sts::TOKEN_CODE,
            query::is_token_code,
            "0189٣",
        ),
    ]
}

/// Characters outside most of the classes above (controls, punctuation, Latin-1, separators,
/// digits and letters of other scripts, the ends of the BMP, the supplementary planes), mixed
/// into every case's strings.
const OTHERS: &str =
    " \t\n\r\u{0}\u{B}!\"#$%&'()*,/:;<>?[\\]^`{|}~\u{7F}\u{85}\u{A0}é\u{FF}\u{100}\
                      ٣Ⅻ\u{2028}\u{3000}\u{D7FF}\u{E000}\u{FFFD}\u{FFFE}\u{FFFF}\u{10000}\u{1F600}";

/// The model's pattern in the `regex` crate's dialect, without the `^`/`$` around it (a
/// whole-value match makes them redundant, and the generator refuses anchors).
///
/// Java's `\w` and `\d` are ASCII (no `UNICODE_CHARACTER_CLASS`), the crate's are Unicode, so
/// they are spelled out. `\uXXXX` becomes `\x{XXXX}`; `\u10000` and `\u10FFFF` are read as the
/// code points the model means (the supplementary planes, as the STS documentation says), not
/// as Java would split them (`\u1000` then `0`). `\p{L}`, `\p{N}`, `\p{Z}` mean the same in
/// both. An escaped punctuation character stays escaped only where the crate needs it.
fn translate(java: &str) -> String {
    let body = java.strip_prefix('^').unwrap_or(java);
    let body = match body.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => body,
    };
    let mut out = String::new();
    let mut in_class = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '\\' => {
                let escaped = chars.next().expect("no pattern ends in a backslash");
                match escaped {
                    'w' if in_class => out.push_str("0-9A-Za-z_"),
                    'w' => out.push_str("[0-9A-Za-z_]"),
                    'd' if in_class => out.push_str("0-9"),
                    'd' => out.push_str("[0-9]"),
                    'u' => {
                        let mut hex = String::new();
                        while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                            hex.extend(chars.next());
                        }
                        out.push_str(&format!("\\x{{{hex}}}"));
                    }
                    'p' => {
                        out.push_str("\\p");
                        for c in chars.by_ref() {
                            out.push(c);
                            if c == '}' {
                                break;
                            }
                        }
                    }
                    other if r"\.+*?()|[]{}^$#&-~".contains(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    other => {
                        assert!(
                            !other.is_ascii_alphanumeric(),
                            "unsupported escape \\{other} in {java}"
                        );
                        out.push(other);
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The model's pattern as Java's `String.matches` applies it: to the whole value.
fn whole_match(java: &str) -> Regex {
    let pattern = format!(r"\A(?:{})\z", translate(java));
    Regex::new(&pattern).unwrap_or_else(|error| panic!("{java} → {pattern}: {error}"))
}

/// Strings on both sides of the pattern: values the model's regular expression generates,
/// the same with one character inserted, replaced or removed (near misses), and strings of
/// the case's alphabet with a few characters from outside it.
fn strings(case: &Case) -> BoxedStrategy<String> {
    let matching = string_regex(&translate(case.model))
        .unwrap_or_else(|error| panic!("{}: {error}", case.model))
        .boxed();
    let alphabet: Vec<char> = case.alphabet.chars().collect();
    let others: Vec<char> = OTHERS.chars().collect();
    let any_char = prop_oneof![4 => select(alphabet), 1 => select(others)];
    let near_miss = (matching.clone(), any::<Index>(), any_char.clone(), 0..3u8).prop_map(
        |(value, at, c, edit)| {
            let mut chars: Vec<char> = value.chars().collect();
            let at = at.index(chars.len() + 1);
            match edit {
                0 => chars.insert(at, c),
                1 if at < chars.len() => chars[at] = c,
                _ if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.push(c),
            }
            chars.into_iter().collect()
        },
    );
    let mixed = prop::collection::vec(any_char, 0..12).prop_map(String::from_iter);
    prop_oneof![matching, near_miss, mixed].boxed()
}

#[test]
fn every_pattern_matcher_agrees_with_the_model() {
    for case in &cases() {
        assert_eq!(
            case.pattern.source, case.model,
            "{}: the message must quote the model's pattern",
            case.shape
        );
        let regex = whole_match(case.model);
        // How many generated values the model accepted and refused.
        let accepted = Cell::new(0u32);
        let refused = Cell::new(0u32);
        let mut runner = TestRunner::new(Config {
            cases: 2048,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strings(case), |value| {
            let expected = regex.is_match(&value);
            let counter = if expected { &accepted } else { &refused };
            counter.set(counter.get() + 1);
            prop_assert_eq!(
                (case.pattern.matches)(&value),
                expected,
                "{} on {:?}",
                case.shape,
                value
            );
            Ok(())
        });
        if let Err(error) = result {
            panic!("{}: {error}", case.shape);
        }
        // Both sides of the pattern were exercised, not only one.
        for (side, count) in [("accepted", accepted.get()), ("refused", refused.get())] {
            assert!(
                count >= 100,
                "{}: only {count} generated values were {side}",
                case.shape
            );
        }
    }
}

#[test]
fn the_translation_reads_java_as_java_does() {
    // ASCII `\w` and `\d`, as Java's.
    assert!(!whole_match(r"[\w]+").is_match("é"));
    assert!(!whole_match(r"[\d]*").is_match("٣"));
    assert!(whole_match(r"^([a-z]+-)+\d+$").is_match("us-east-1"));
    // The whole value, as `String.matches`: no match before a final line feed.
    assert!(!whole_match(r"^[a-zA-Z0-9\-]+$").is_match("abc\n"));
    // `\u10000-\u10FFFF` as the supplementary planes.
    assert!(whole_match(r"[\u0020-\u007E\u10000-\u10FFFF]+").is_match("a\u{1F600}"));
}
