//! Parsed identifiers: names, ARNs, version ids, staging labels, accounts and regions.
//!
//! Parse, don't validate: a value of one of these types is valid by construction, so the rest of
//! the core never re-checks it. The protocol layer has already enforced the model's length
//! constraints; these constructors enforce what the domain needs on top.

use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account id.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(text.to_owned()))
    }

    /// A fresh random account id, for a new deployment's first account.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; 12];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| Error::Internal("no randomness".into()))?;
        // The first digit is never 0 so the id reads as a 12-digit number everywhere.
        let digits: String = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let d = if i == 0 { 1 + b % 9 } else { b % 10 };
                char::from(b'0' + d)
            })
            .collect();
        Ok(Self(digits))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An AWS region name from a credential scope, such as `us-east-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// Parses a region: 1–32 characters of lowercase letters, digits and hyphens.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Self(text.to_owned()))
    }

    /// The region as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The namespace a request works in: an account in a region. Each is separate: a secret created
/// in one is invisible from every other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The account that owns the secrets.
    pub account: AccountId,
    /// The region the request was signed for.
    pub region: Region,
}

/// The characters AWS allows in a secret name besides ASCII letters and digits.
const NAME_PUNCTUATION: &[u8] = b"/_+=.@-";

/// A secret's friendly name: 1–512 ASCII letters, digits and `/_+=.@-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretName(String);

impl SecretName {
    /// Parses a name, with AWS's message for a bad one.
    pub fn parse(text: &str) -> Result<Self> {
        if Self::is_valid(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::Validation(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
                    .into(),
            ))
        }
    }

    /// Whether `text` is a valid name.
    pub fn is_valid(text: &str) -> bool {
        !text.is_empty()
            && text.len() <= 512
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(&b))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The six random characters AWS appends to a secret's name in its ARN.
pub fn generate_arn_suffix() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(6);
    while out.len() < 6 {
        let mut byte = [0u8; 1];
        rng.fill(&mut byte)
            .map_err(|_| Error::Internal("no randomness".into()))?;
        // 248 is the largest multiple of 62 below 256: rejecting above it keeps the choice uniform.
        if byte[0] < 248 {
            out.push(char::from(ALPHABET[usize::from(byte[0] % 62)]));
        }
    }
    Ok(out)
}

/// Whether `text` looks like an ARN suffix: six ASCII letters or digits.
fn is_suffix(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Formats a secret's ARN.
pub fn secret_arn(scope: &Scope, name: &str, suffix: &str) -> String {
    format!(
        "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
        scope.region, scope.account, name, suffix
    )
}

/// One way a SecretId may name a secret: a name, and if the SecretId was a full ARN, the suffix
/// that must also match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The name to look up.
    pub name: String,
    /// The ARN suffix the secret must carry, when the SecretId was a full ARN.
    pub suffix: Option<String>,
}

/// A request's SecretId, parsed once: the text as sent (which messages and ARNs quote) and
/// what it names. Every lookup of one request, and the answer to a miss, reads this one parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretId<'a> {
    text: &'a str,
    reference: SecretRef,
}

impl<'a> SecretId<'a> {
    /// Parses a SecretId (see [`SecretRef::parse`]).
    pub fn parse(text: &'a str) -> Self {
        Self {
            text,
            reference: SecretRef::parse(text),
        }
    }

    /// The SecretId as sent.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// What the SecretId names: a name or an ARN.
    pub fn reference(&self) -> &SecretRef {
        &self.reference
    }

    /// Where it points for a caller acting in `scope` (see [`SecretRef::resolve`]).
    pub fn resolve(&self, scope: &Scope) -> (Scope, Vec<Candidate>) {
        self.reference.resolve(scope)
    }
}

/// A parsed SecretId: a name, or an ARN (full or partial) in some account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// A friendly name.
    Name(String),
    /// An ARN; `resource` is everything after `secret:` (a name, perhaps with `-XXXXXX`).
    Arn {
        /// The ARN's region.
        region: String,
        /// The ARN's account.
        account: String,
        /// The part after `:secret:`.
        resource: String,
    },
}

impl SecretRef {
    /// Parses a SecretId. Anything that starts with `arn:` must be a Secrets Manager secret ARN;
    /// anything else is taken as a name.
    pub fn parse(secret_id: &str) -> Self {
        if let Some(rest) = secret_id.strip_prefix("arn:") {
            // arn:<partition>:secretsmanager:<region>:<account>:secret:<resource>
            let mut parts = rest.splitn(6, ':');
            let (partition, service, region, account, kind, resource) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            );
            if let (
                Some(_),
                Some("secretsmanager"),
                Some(region),
                Some(account),
                Some(kind),
                Some(resource),
            ) = (partition, service, region, account, kind, resource)
            {
                if let Some(resource) = kind
                    .strip_prefix("secret")
                    .filter(|k| k.is_empty())
                    .map(|_| resource)
                {
                    return Self::Arn {
                        region: region.to_owned(),
                        account: account.to_owned(),
                        resource: resource.to_owned(),
                    };
                }
            }
        }
        Self::Name(secret_id.to_owned())
    }

    /// Where a SecretId points for a caller acting in `scope`: the caller's own account and
    /// region with [`SecretRef::candidates`], or, for a full ARN (name and suffix) of another
    /// account in the same region, that account, as cross-account access works on AWS (by full
    /// ARN only; a partial ARN of another account names nothing).
    pub fn resolve(&self, scope: &Scope) -> (Scope, Vec<Candidate>) {
        if let Self::Arn {
            region,
            account,
            resource,
        } = self
        {
            if region == scope.region.as_str() && account != scope.account.as_str() {
                let Some(account) = AccountId::parse(account) else {
                    return (scope.clone(), Vec::new());
                };
                let other = Scope {
                    account,
                    region: scope.region.clone(),
                };
                let exact = resource
                    .rsplit_once('-')
                    .filter(|(name, suffix)| is_suffix(suffix) && !name.is_empty())
                    .map(|(name, suffix)| Candidate {
                        name: name.to_owned(),
                        suffix: Some(suffix.to_owned()),
                    });
                return (other, exact.into_iter().collect());
            }
        }
        (scope.clone(), self.candidates(scope))
    }

    /// The lookups to try, in order, within `scope`; empty when the SecretId can name no secret
    /// visible in `scope` (an ARN for another account or region).
    ///
    /// Precedence, documented in docs/compatibility.md: for an ARN whose resource ends in `-` and
    /// six letters or digits, an exact full-ARN match (name and suffix) wins; otherwise the whole
    /// resource is taken as a name (a partial ARN). A plain SecretId is only ever a name.
    pub fn candidates(&self, scope: &Scope) -> Vec<Candidate> {
        match self {
            Self::Name(name) => vec![Candidate {
                name: name.clone(),
                suffix: None,
            }],
            Self::Arn {
                region,
                account,
                resource,
            } => {
                if region != scope.region.as_str() || account != scope.account.as_str() {
                    return Vec::new();
                }
                let mut out = Vec::with_capacity(2);
                if let Some((name, suffix)) = resource.rsplit_once('-') {
                    if is_suffix(suffix) && !name.is_empty() {
                        out.push(Candidate {
                            name: name.to_owned(),
                            suffix: Some(suffix.to_owned()),
                        });
                    }
                }
                out.push(Candidate {
                    name: resource.clone(),
                    suffix: None,
                });
                out
            }
        }
    }
}

/// The staging label every secret's live version carries.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// The staging label of the version AWSCURRENT left last.
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
/// The staging label of a version being rotated in.
pub const AWSPENDING: &str = "AWSPENDING";

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: AccountId::parse("123456789012").expect("valid"),
            region: Region::parse("us-east-1").expect("valid"),
        }
    }

    #[test]
    fn names_accept_aws_punctuation_only() {
        assert!(SecretName::is_valid("db/prod_a+b=c.d@e-f"));
        assert!(!SecretName::is_valid("bad name"));
        assert!(!SecretName::is_valid("bad#name"));
        assert!(!SecretName::is_valid(""));
        assert!(!SecretName::is_valid(&"a".repeat(513)));
        assert!(SecretName::is_valid(&"a".repeat(512)));
    }

    #[test]
    fn plain_id_is_a_name() {
        assert_eq!(
            SecretRef::parse("db/prod-abcdef").candidates(&scope()),
            vec![Candidate {
                name: "db/prod-abcdef".into(),
                suffix: None
            }]
        );
    }

    #[test]
    fn full_arn_tries_suffix_first_then_whole_resource() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/prod-AbC123";
        assert_eq!(
            SecretRef::parse(arn).candidates(&scope()),
            vec![
                Candidate {
                    name: "db/prod".into(),
                    suffix: Some("AbC123".into())
                },
                Candidate {
                    name: "db/prod-AbC123".into(),
                    suffix: None
                },
            ]
        );
    }

    #[test]
    fn partial_arn_is_the_name() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/prod";
        assert_eq!(
            SecretRef::parse(arn).candidates(&scope()),
            vec![Candidate {
                name: "db/prod".into(),
                suffix: None
            }]
        );
    }

    #[test]
    fn arn_of_other_account_or_region_names_nothing_here() {
        let other_region = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbC123";
        let other_account = "arn:aws:secretsmanager:us-east-1:210987654321:secret:x-AbC123";
        assert!(SecretRef::parse(other_region)
            .candidates(&scope())
            .is_empty());
        assert!(SecretRef::parse(other_account)
            .candidates(&scope())
            .is_empty());
    }

    #[test]
    fn full_arn_of_another_account_resolves_there_partial_does_not() {
        let here = scope();
        let full =
            SecretRef::parse("arn:aws:secretsmanager:us-east-1:210987654321:secret:db-AbC123");
        let (there, candidates) = full.resolve(&here);
        assert_eq!(there.account.as_str(), "210987654321");
        assert_eq!(there.region, here.region);
        assert_eq!(
            candidates,
            vec![Candidate {
                name: "db".into(),
                suffix: Some("AbC123".into())
            }]
        );
        let partial = SecretRef::parse("arn:aws:secretsmanager:us-east-1:210987654321:secret:db");
        assert!(partial.resolve(&here).1.is_empty());
        let other_region =
            SecretRef::parse("arn:aws:secretsmanager:eu-west-1:210987654321:secret:db-AbC123");
        assert!(other_region.resolve(&here).1.is_empty());
        let own = SecretRef::parse("db");
        assert_eq!(own.resolve(&here), (here.clone(), own.candidates(&here)));
    }

    #[test]
    fn non_secret_arn_is_taken_as_a_name() {
        let id = "arn:aws:kms:us-east-1:123456789012:key/abc";
        assert_eq!(SecretRef::parse(id), SecretRef::Name(id.into()));
    }

    #[test]
    fn arn_format() {
        assert_eq!(
            secret_arn(&scope(), "db/prod", "AbC123"),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/prod-AbC123"
        );
    }

    #[test]
    fn generated_ids_have_the_right_shape() {
        for _ in 0..100 {
            let suffix = generate_arn_suffix().expect("rng");
            assert!(is_suffix(&suffix), "{suffix}");
            let account = AccountId::generate().expect("rng");
            assert!(AccountId::parse(account.as_str()).is_some());
            assert!(!account.as_str().starts_with('0'));
        }
    }
}
