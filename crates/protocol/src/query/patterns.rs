//! Hand-written matchers for the character classes of the IAM and STS models' `pattern`
//! traits, shared by both services. Each matches the whole value, as AWS does.

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
