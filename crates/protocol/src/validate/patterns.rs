//! Hand-written equivalents of the Secrets Manager model's `pattern` traits. Each matches the
//! whole value, as AWS does; `constraint/tests.rs` holds each against the model's regular
//! expression.

/// `[0-9]+h`: one or more digits, then `h`.
pub(crate) fn is_duration(value: &str) -> bool {
    value
        .strip_suffix('h')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$`. The optional leading `!` is also in the character
/// class, so the pattern amounts to "every character is in the class".
pub(crate) fn is_filter_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" :_@/+=.-!".contains(&b))
}

/// `^([a-z]+-)+\d+$`: lowercase words each followed by `-`, then digits (`us-east-1`).
pub(crate) fn is_region(value: &str) -> bool {
    let words = value.trim_end_matches(|c: char| c.is_ascii_digit());
    if words.len() == value.len() {
        return false;
    }
    // `words` must now be one or more `[a-z]+-` groups: it ends with `-`, and splitting the
    // rest on `-` gives only non-empty lowercase words.
    words.strip_suffix('-').is_some_and(|body| {
        body.split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
    })
}

/// `[0-9A-Za-z\-\_]+`.
pub(crate) fn is_policy_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `^[a-zA-Z0-9\-]+$`.
pub(crate) fn is_rotation_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `[0-9A-Za-z\(\)#\?\*\-\/, ]+`.
pub(crate) fn is_schedule_expression(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"()#?*-/, ".contains(&b))
}
