//! The SSRF token: read once at start from the first configured environment variable that is
//! set (a `file://` value names a file holding it), then compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// None of the variables is set.
    #[error("no SSRF token: none of the environment variables {0} is set")]
    NotSet(String),
    /// The variable names a file that cannot be read.
    #[error("cannot read the SSRF token file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The token is empty, which would let a request with an empty header through.
    #[error("the SSRF token in {0} is empty")]
    Empty(String),
}

/// The expected token. `Debug` is redacted and the memory zeroed on drop.
#[derive(Clone)]
pub struct SsrfToken(Zeroizing<String>);

impl fmt::Debug for SsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SsrfToken(<redacted>)")
    }
}

impl SsrfToken {
    /// A token given directly (tests, embedding).
    pub fn new(value: impl Into<String>) -> Self {
        SsrfToken(Zeroizing::new(value.into()))
    }

    /// The token from the process environment, as AWS's agent reads it.
    pub fn from_env(variables: &[String]) -> Result<Self, TokenError> {
        Self::from_lookup(variables, |name| std::env::var(name).ok())
    }

    /// The token from the first of `variables` that `lookup` finds; a `file://PATH` value is
    /// replaced by the trimmed contents of PATH.
    pub fn from_lookup(
        variables: &[String],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TokenError> {
        let (name, value) = variables
            .iter()
            .find_map(|name| lookup(name).map(|value| (name, Zeroizing::new(value))))
            .ok_or_else(|| TokenError::NotSet(variables.join(", ")))?;
        let token = match value.strip_prefix("file://") {
            Some(path) => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    TokenError::File {
                        path: path.to_owned(),
                        source,
                    }
                })?);
                Zeroizing::new(text.trim().to_owned())
            }
            None => value,
        };
        if token.is_empty() {
            return Err(TokenError::Empty(name.clone()));
        }
        Ok(SsrfToken(token))
    }

    /// Whether `candidate` is the token, in time independent of where they differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(candidate).into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names() -> Vec<String> {
        [
            "AWS_TOKEN",
            "AWS_SESSION_TOKEN",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn first_set_variable_wins() {
        let t = SsrfToken::from_lookup(&names(), |n| match n {
            "AWS_SESSION_TOKEN" => Some("session".into()),
            "AWS_CONTAINER_AUTHORIZATION_TOKEN" => Some("container".into()),
            _ => None,
        })
        .unwrap();
        assert!(t.matches(b"session"));
        assert!(!t.matches(b"container"));
        assert!(!t.matches(b"sessio"));
        assert!(!t.matches(b""));
        assert_eq!(format!("{t:?}"), "SsrfToken(<redacted>)");
    }

    #[test]
    fn file_values_are_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "from-file\n").unwrap();
        let value = format!("file://{}", path.display());
        let t = SsrfToken::from_lookup(&names(), |n| (n == "AWS_TOKEN").then(|| value.clone()))
            .unwrap();
        assert!(t.matches(b"from-file"));
        let missing = SsrfToken::from_lookup(&names(), |_| Some("file:///no/such/file".into()));
        assert!(matches!(missing, Err(TokenError::File { .. })));
    }

    #[test]
    fn nothing_set_or_empty_is_an_error() {
        assert!(matches!(
            SsrfToken::from_lookup(&names(), |_| None),
            Err(TokenError::NotSet(_))
        ));
        assert!(matches!(
            SsrfToken::from_lookup(&names(), |_| Some(String::new())),
            Err(TokenError::Empty(_))
        ));
    }
}
