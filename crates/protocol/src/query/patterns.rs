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

// IAM's own patterns.

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, IAM paths: `/`, or `/…/` with printable ASCII
/// between.
pub(crate) fn is_path(value: &str) -> bool {
    value == "/"
        || (value.len() >= 3
            && value.starts_with('/')
            && value.ends_with('/')
            && value.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)))
}

/// `\u002F[\u0021-\u007F]*`, IAM path prefixes.
pub(crate) fn is_path_prefix(value: &str) -> bool {
    value.starts_with('/') && value.chars().all(|c| ('\u{21}'..='\u{7F}').contains(&c))
}

/// `[\u0020-\u00FF]+`, IAM paging markers.
pub(crate) fn is_marker(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c))
}

/// `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`, role descriptions.
pub(crate) fn is_description(value: &str) -> bool {
    value
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{A1}'..='\u{FF}'))
}

// STS's own patterns.

/// `arnType`: any character but the control characters (`\u10000-\u10FFFF` in the model is all
/// of the supplementary planes).
pub(crate) fn is_arn_text(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}')
                || (c >= '\u{A0}' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
}

/// `[\w+=,.@:\/-]*`, external ids.
pub(crate) fn is_external_id(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c))
}

/// `[\w+=/:,.@-]*`, MFA serial numbers.
pub(crate) fn is_serial_number(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
}

/// `[\d]*`, MFA codes.
pub(crate) fn is_token_code(value: &str) -> bool {
    value.chars().all(|c| c.is_ascii_digit())
}
