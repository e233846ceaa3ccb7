//! Wildcard matching and policy variables.
//!
//! A pattern is compiled to a list of [`Token`]s rather than matched as a string, because a
//! `*` that came from `${*}` or from a variable's value is a literal character, not a
//! wildcard. Matching is the classic iterative glob with one backtracking point, so it runs in
//! O(pattern × text) time and constant stack whatever the input.

use super::{ConditionKeys, PrincipalContext};

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A character that must match exactly (or ignoring case, when asked).
    Literal(char),
    /// `*`: any run of characters, colons included.
    Star,
    /// `?`: exactly one character.
    Question,
}

/// Compiles a pattern in which `*` and `?` are wildcards and nothing else is special.
pub(crate) fn compile_plain(pattern: &str) -> Vec<Token> {
    pattern.chars().map(wildcard_token).collect()
}

fn wildcard_token(c: char) -> Token {
    match c {
        '*' => Token::Star,
        '?' => Token::Question,
        other => Token::Literal(other),
    }
}

/// Compiles a pattern in which `*` and `?` are literal characters (for StringEquals and the
/// other exact operators).
pub(crate) fn compile_literal(pattern: &str) -> Vec<Token> {
    pattern.chars().map(Token::Literal).collect()
}

/// Whether `text` matches the compiled `pattern`. `ignore_case` folds both sides to lower case
/// character by character (IAM's action names and IgnoreCase operators are ASCII in practice).
pub(crate) fn matches(pattern: &[Token], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a == b || a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Star) => {
                backtrack = Some((p, t));
                p += 1;
                continue;
            }
            Some(Token::Question) => {
                p += 1;
                t += 1;
                continue;
            }
            Some(Token::Literal(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last star absorb one more character, or fail.
        match backtrack {
            Some((star_p, star_t)) => {
                backtrack = Some((star_p, star_t + 1));
                p = star_p + 1;
                t = star_t + 1;
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|token| *token == Token::Star)
}

/// The values a request offers for policy variables.
pub(crate) struct VariableSource<'a> {
    pub(crate) principal: &'a PrincipalContext,
    pub(crate) keys: &'a ConditionKeys,
}

impl VariableSource<'_> {
    /// The single value of a variable, or `None` when the request has none (or several: a
    /// multivalued key cannot stand in for one string).
    fn resolve(&self, name: &str) -> Option<String> {
        if let Some(values) = self.keys.get(name) {
            return match values {
                [one] => Some(one.clone()),
                _ => None,
            };
        }
        // Keys the caller did not fill in but that follow from the principal itself.
        match name.to_ascii_lowercase().as_str() {
            "aws:username" => self.principal.user_name.clone(),
            "aws:userid" => Some(self.principal.user_id.clone()),
            "aws:principalaccount" => Some(self.principal.account.clone()),
            "aws:principalarn" => Some(
                self.principal
                    .role_arn
                    .clone()
                    .unwrap_or_else(|| self.principal.arn.clone()),
            ),
            _ => None,
        }
    }
}

/// Expands the policy variables in `pattern` and compiles the result. `wildcards` says
/// whether a literal `*`/`?` written in the policy is a wildcard (Resource, StringLike,
/// ArnLike) or a plain character (StringEquals). Returns `None` when a variable cannot be
/// resolved: such a value matches nothing.
pub(crate) fn compile_with_variables(
    pattern: &str,
    source: &VariableSource<'_>,
    wildcards: bool,
) -> Option<Vec<Token>> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        push_text(&mut tokens, &rest[..start], wildcards);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unclosed `${` is ordinary text, as IAM treats it.
            push_text(&mut tokens, &rest[start..], wildcards);
            return Some(tokens);
        };
        let inner = &after[..end];
        match inner {
            // The escapes IAM defines for characters that are otherwise special.
            "*" | "?" | "$" => tokens.extend(inner.chars().map(Token::Literal)),
            _ => {
                let value = resolve_with_default(inner, source)?;
                tokens.extend(value.chars().map(Token::Literal));
            }
        }
        rest = &after[end + 1..];
    }
    push_text(&mut tokens, rest, wildcards);
    Some(tokens)
}

fn push_text(tokens: &mut Vec<Token>, text: &str, wildcards: bool) {
    if wildcards {
        tokens.extend(text.chars().map(wildcard_token));
    } else {
        tokens.extend(text.chars().map(Token::Literal));
    }
}

/// Resolves `name` or `name, 'default'` (IAM's syntax for a default value).
fn resolve_with_default(inner: &str, source: &VariableSource<'_>) -> Option<String> {
    match inner.split_once(',') {
        Some((name, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''));
            source
                .resolve(name.trim())
                .or_else(|| default.map(str::to_owned))
        }
        None => source.resolve(inner.trim()),
    }
}

/// Whether an ARN matches an ARN pattern the way ArnLike does: each of the six
/// colon-separated components is matched on its own, so a `*` never spans a colon there
/// except inside the last component (the resource part may itself contain colons).
pub(crate) fn arn_matches(pattern: &[Token], arn: &str) -> bool {
    let pattern_parts = split_tokens(pattern);
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    if pattern_parts.len() != 6 || arn_parts.len() != 6 {
        return false;
    }
    pattern_parts
        .iter()
        .zip(arn_parts.iter())
        .all(|(p, a)| matches(p, a, false))
}

/// Splits compiled tokens at literal colons into at most six parts.
fn split_tokens(pattern: &[Token]) -> Vec<Vec<Token>> {
    let mut parts = vec![Vec::new()];
    for token in pattern {
        match token {
            Token::Literal(':') if parts.len() < 6 => parts.push(Vec::new()),
            other => {
                if let Some(last) = parts.last_mut() {
                    last.push(*other);
                }
            }
        }
    }
    parts
}
