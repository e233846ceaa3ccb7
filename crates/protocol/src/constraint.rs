//! The model's constraints and AWS's wording for breaking them, shared by both protocols:
//! awsJson (Secrets Manager, [`crate::validate`]) and awsQuery (IAM and STS, [`crate::query`]).
//!
//! A shape of the model is a constant built from [`Length`], [`Pattern`], [`StringShape`] and
//! [`NumberShape`]; [`Violations`] collects what a request breaks, in the order AWS lists it,
//! and words it as AWS does (`Value 'abc' at 'name' failed to satisfy constraint: Member must
//! have length less than or equal to 512`). How a member is read differs between the protocols
//! (a JSON member is already typed, a form parameter is text), so each protocol adds its own
//! readers on top of the checks here; the messages come only from here.

/// `Member must have length greater than or equal to {min}`.
fn min_length_text(min: usize) -> String {
    format!("Member must have length greater than or equal to {min}")
}

/// `Member must have length less than or equal to {max}`.
fn max_length_text(max: usize) -> String {
    format!("Member must have length less than or equal to {max}")
}

/// A length constraint: characters for strings, bytes for blobs, elements for lists.
#[derive(Clone, Copy)]
pub(crate) struct Length {
    pub(crate) min: Option<usize>,
    pub(crate) max: Option<usize>,
}

/// A list shape the model puts no length bound on.
pub(crate) const UNBOUNDED: Length = Length::new(None, None);

impl Length {
    /// The bounds, either of which may be absent.
    pub(crate) const fn new(min: Option<usize>, max: Option<usize>) -> Self {
        Self { min, max }
    }

    /// The constraint text AWS prints when `len` is outside the bounds.
    pub(crate) fn violation(&self, len: usize) -> Option<String> {
        match (self.min, self.max) {
            (Some(min), _) if len < min => Some(min_length_text(min)),
            (_, Some(max)) if len > max => Some(max_length_text(max)),
            _ => None,
        }
    }
}

/// A `pattern` trait: the model's regular expression, shown in messages, and a hand-written
/// matcher equivalent to it (AWS matches the whole value, as Java's `String.matches` does).
/// `constraint/tests.rs` holds every matcher against the model's regular expression.
#[derive(Clone, Copy)]
pub(crate) struct Pattern {
    pub(crate) source: &'static str,
    pub(crate) matches: fn(&str) -> bool,
}

impl Pattern {
    /// `Member must satisfy regular expression pattern: {source}`.
    fn text(&self) -> String {
        format!(
            "Member must satisfy regular expression pattern: {}",
            self.source
        )
    }
}

/// The constraints of a string shape.
#[derive(Clone, Copy)]
pub(crate) struct StringShape {
    pub(crate) length: Length,
    pub(crate) pattern: Option<Pattern>,
    /// The enum values, in model order; empty when the shape is not an enum.
    pub(crate) allowed: &'static [&'static str],
    /// IAM replaces the generic pattern message with its own for names and paths (`The
    /// specified value for userName is invalid. It must contain only …`). When set, a pattern
    /// violation produces this sentence, reported only if nothing else was violated.
    pub(crate) pattern_message: Option<&'static str>,
}

impl StringShape {
    /// A shape with lengths only.
    pub(crate) const fn length(min: Option<usize>, max: Option<usize>) -> Self {
        Self {
            length: Length::new(min, max),
            pattern: None,
            allowed: &[],
            pattern_message: None,
        }
    }

    /// An enum shape with no length bound: `allowed` in model order.
    pub(crate) const fn one_of(allowed: &'static [&'static str]) -> Self {
        Self {
            allowed,
            ..Self::length(None, None)
        }
    }

    /// The same shape with a pattern.
    pub(crate) const fn with_pattern(self, pattern: Pattern) -> Self {
        Self {
            pattern: Some(pattern),
            ..self
        }
    }

    /// The same shape with IAM's own pattern message.
    pub(crate) const fn with_pattern_message(self, message: &'static str) -> Self {
        Self {
            pattern_message: Some(message),
            ..self
        }
    }

    /// The enum constraint text: `Member must satisfy enum value set: [a, b]`.
    fn enum_text(&self) -> String {
        format!(
            "Member must satisfy enum value set: [{}]",
            self.allowed.join(", ")
        )
    }

    /// Whether `value` (lengths in characters) breaks none of the shape's constraints.
    fn is_valid(&self, value: &str) -> bool {
        self.length.violation(value.chars().count()).is_none()
            && self.pattern.is_none_or(|pattern| (pattern.matches)(value))
            && (self.allowed.is_empty() || self.allowed.contains(&value))
    }

    /// All constraints of the shape, the form AWS uses for an invalid element of a list:
    /// maximum length, minimum length, pattern, enum (as in `Value '[ccc]' at 'names' failed to
    /// satisfy constraint: Member must satisfy constraint: [Member must have length less than or
    /// equal to 253, Member must have length greater than or equal to 1, …]`, recorded from ACM
    /// and Lambda).
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.length.max.map(max_length_text));
        parts.extend(self.length.min.map(min_length_text));
        parts.extend(self.pattern.map(|pattern| pattern.text()));
        if !self.allowed.is_empty() {
            parts.push(self.enum_text());
        }
        parts.join(", ")
    }
}

/// A `range` trait on an integer or long shape.
#[derive(Clone, Copy)]
pub(crate) struct NumberShape {
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
}

/// The violations found so far, in the order AWS reports them (model member order, depth
/// first into nested structures and lists), and IAM's own pattern messages, which are reported
/// only when no generic violation was found (AWS's generic validation runs first: an over-long
/// role name gets the generic length message, a short one with a space gets IAM's sentence).
#[derive(Default)]
pub(crate) struct Violations {
    messages: Vec<String>,
    service_messages: Vec<String>,
}

impl Violations {
    /// Records one violation. `value` is the rendering of the offending value, or `None` to
    /// leave it out: for a sensitive member, whose value AWS leaves out (`Value at
    /// 'secretString' failed…`, recorded from a CloudFormation deployment; Cognito does the
    /// same for passwords), and where AWS's rendering is unknown.
    pub(crate) fn push(&mut self, value: Option<&str>, path: &str, constraint: &str) {
        self.messages.push(match value {
            Some(value) => {
                format!("Value '{value}' at '{path}' failed to satisfy constraint: {constraint}")
            }
            None => format!("Value at '{path}' failed to satisfy constraint: {constraint}"),
        });
    }

    /// A required member that was not sent.
    pub(crate) fn null(&mut self, path: &str) {
        self.messages.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks a string value against its shape: length, pattern, enum, in that order. `len` is
    /// passed in because the unit differs between members (characters, except the UTF-8 bytes
    /// of `SecretString`); `shown` is false for a sensitive member.
    pub(crate) fn check_string(
        &mut self,
        path: &str,
        value: &str,
        len: usize,
        shown: bool,
        shape: &StringShape,
    ) {
        let rendered = shown.then_some(value);
        if let Some(constraint) = shape.length.violation(len) {
            self.push(rendered, path, &constraint);
        }
        if let Some(pattern) = shape.pattern {
            if !(pattern.matches)(value) {
                match shape.pattern_message {
                    Some(message) => self.service_messages.push(message.to_owned()),
                    None => self.push(rendered, path, &pattern.text()),
                }
            }
        }
        if !shape.allowed.is_empty() && !shape.allowed.contains(&value) {
            self.push(rendered, path, &shape.enum_text());
        }
    }

    /// Checks a number against its range.
    pub(crate) fn check_number(&mut self, path: &str, value: i64, shape: &NumberShape) {
        let constraint = match (shape.min, shape.max) {
            (Some(min), _) if value < min => {
                format!("Member must have value greater than or equal to {min}")
            }
            (_, Some(max)) if value > max => {
                format!("Member must have value less than or equal to {max}")
            }
            _ => return,
        };
        self.push(Some(&value.to_string()), path, &constraint);
    }

    /// Checks a list's element count. `shown` is the list as AWS renders it, if known.
    pub(crate) fn check_list_length(
        &mut self,
        path: &str,
        count: usize,
        length: &Length,
        shown: Option<&str>,
    ) {
        if let Some(constraint) = length.violation(count) {
            self.push(shown, path, &constraint);
        }
    }

    /// Checks a list of structures' element count. An empty list is shown as AWS shows it,
    /// `[]`; how AWS renders a non-empty list of structures is not recorded anywhere we could
    /// find, so its value is left out rather than guessed.
    pub(crate) fn check_structure_count(&mut self, path: &str, count: usize, length: &Length) {
        self.check_list_length(path, count, length, (count == 0).then_some("[]"));
    }

    /// A list of strings. The list's own length is checked first; then, if any element breaks
    /// its shape, AWS reports the whole list once, at the list's path, listing every
    /// constraint of the element shape (`Member must satisfy constraint: [...]`).
    pub(crate) fn check_strings(
        &mut self,
        path: &str,
        list: &[String],
        length: &Length,
        element: &StringShape,
    ) {
        // Lists render as Java renders them, `[a, b]`, which is what AWS echoes.
        let shown = format!("[{}]", list.join(", "));
        self.check_list_length(path, list.len(), length, Some(&shown));
        if list.iter().any(|item| !element.is_valid(item)) {
            let constraint = format!("Member must satisfy constraint: [{}]", element.describe());
            self.push(Some(&shown), path, &constraint);
        }
    }

    /// The message of the validation error for what was found, or `None` when nothing was:
    /// `N validation error(s) detected: …` listing every violation, or, when only service
    /// messages were found, the first of them. It drains what was collected, so a second call
    /// answers `None`.
    pub(crate) fn take_message(&mut self) -> Option<String> {
        let messages = std::mem::take(&mut self.messages);
        let service_messages = std::mem::take(&mut self.service_messages);
        let detected = match messages.len() {
            0 => return service_messages.into_iter().next(),
            1 => "1 validation error detected".to_owned(),
            count => format!("{count} validation errors detected"),
        };
        Some(format!("{detected}: {}", messages.join("; ")))
    }
}

#[cfg(test)]
mod tests;
