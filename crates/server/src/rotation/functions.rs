//! Which rotation functions coffer may invoke: the operator's map from function ARN to an
//! endpoint, and nothing else. A client names a function only by ARN; an ARN the map does not
//! hold is one coffer "cannot invoke" (RotateSecret's AccessDeniedException), so a request can
//! never make coffer call a URL of its choosing.
//!
//! Two sources, merged (the environment wins for an ARN both name):
//! - the TOML file: `[[rotation_functions]]` tables with `arn`, `url`, optional `timeout_secs`;
//! - `COFFER_ROTATION_FUNCTIONS="<arn>=<url>[,<arn>=<url>…]"`.
//!
//! A url of `builtin:<name>` selects a built-in rotator (`random`); any other must be
//! `http://host:port[/prefix]`, to which coffer POSTs Lambda's Invoke path.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The default time one step may take, in seconds (Lambda's own default limit is 3 s, its
/// maximum 900 s; rotation functions that change a database need more than 3).
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// One function as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// The function's ARN, exactly as clients give it in RotationLambdaARN.
    pub arn: String,
    /// `http://host:port[/prefix]` or `builtin:<name>`.
    pub url: String,
    /// How long one step may take, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

/// The configured functions, from TOML tables or the environment's `arn=url,…` text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionList(pub Vec<FunctionConfig>);

impl<'de> Deserialize<'de> for FunctionList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Tables(Vec<FunctionConfig>),
        }
        match Form::deserialize(deserializer)? {
            Form::Tables(list) => Ok(Self(list)),
            Form::Text(text) => parse_list(&text)
                .map(Self)
                .map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for FunctionList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Parses `<arn>=<url>[,<arn>=<url>…]` (blank entries ignored).
pub fn parse_list(text: &str) -> Result<Vec<FunctionConfig>, String> {
    let mut out = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        // The ARN holds no '=', the URL may: split at the first.
        let (arn, url) = entry
            .split_once('=')
            .ok_or_else(|| format!("rotation function entry {entry:?} is not <arn>=<url>"))?;
        out.push(FunctionConfig {
            arn: arn.trim().to_owned(),
            url: url.trim().to_owned(),
            timeout_secs: None,
        });
    }
    Ok(out)
}

/// Where an invocation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A server speaking Lambda's Invoke path.
    LambdaHttp {
        /// `host:port`.
        authority: String,
        /// The full request path: `<prefix>/2015-03-31/functions/<name>/invocations`.
        path: String,
    },
    /// An in-process rotator.
    Builtin(Builtin),
}

/// The built-in rotators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// A new password by GetRandomPassword's rules; in a JSON value only `password` changes.
    Random,
    /// PostgreSQL, the user changes its own password.
    PostgresSingleUser,
    /// PostgreSQL, two users alternated by the master user.
    PostgresAlternating,
}

/// A function coffer may invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Where it runs.
    pub target: Target,
    /// How long one step may take.
    pub timeout: Duration,
}

/// The function name of a Lambda ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
pub fn function_name(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    // partition, service, region, account, "function", name[, qualifier]
    if rest.len() < 6 || rest[1] != "lambda" || rest[4] != "function" || rest[5].is_empty() {
        return None;
    }
    Some(rest[5])
}

/// The operator's map of functions.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    by_arn: BTreeMap<String, Function>,
}

impl Functions {
    /// Builds the map, checking every entry; an error names the entry (never a credential:
    /// URLs with user information are refused).
    pub fn new(configs: &[FunctionConfig]) -> Result<Self, String> {
        let mut by_arn = BTreeMap::new();
        for config in configs {
            let timeout =
                Duration::from_secs(config.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1));
            let target = if let Some(name) = config.url.strip_prefix("builtin:") {
                match name {
                    "random" => Target::Builtin(Builtin::Random),
                    "postgres-single-user" => Target::Builtin(Builtin::PostgresSingleUser),
                    "postgres-alternating" => Target::Builtin(Builtin::PostgresAlternating),
                    other => {
                        return Err(format!(
                            "rotation function {}: unknown built-in rotator {other:?} \
                         (known: random, postgres-single-user, postgres-alternating)",
                            config.arn
                        ))
                    }
                }
            } else {
                let name = function_name(&config.arn).ok_or_else(|| {
                    format!(
                        "rotation function {:?} is not a Lambda function ARN \
                         (arn:aws:lambda:<region>:<account>:function:<name>)",
                        config.arn
                    )
                })?;
                let rest = config.url.strip_prefix("http://").ok_or_else(|| {
                    format!(
                        "rotation function {}: url must be http://host:port[/prefix] or builtin:<name>",
                        config.arn
                    )
                })?;
                let (authority, prefix) = match rest.find('/') {
                    Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
                    None => (rest, ""),
                };
                if authority.is_empty() || authority.contains('@') {
                    return Err(format!(
                        "rotation function {}: url must be http://host:port[/prefix]",
                        config.arn
                    ));
                }
                Target::LambdaHttp {
                    authority: authority.to_owned(),
                    path: format!("{prefix}/2015-03-31/functions/{name}/invocations"),
                }
            };
            by_arn.insert(config.arn.clone(), Function { target, timeout });
        }
        Ok(Self { by_arn })
    }

    /// The function an ARN names, if the operator configured it.
    pub fn get(&self, arn: &str) -> Option<&Function> {
        self.by_arn.get(arn)
    }

    /// The longest step timeout of any function (zero when none is configured).
    pub fn longest_timeout(&self) -> Duration {
        self.by_arn
            .values()
            .map(|f| f.timeout)
            .max()
            .unwrap_or_default()
    }

    /// How many functions are configured.
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_form_maps_arns_to_invoke_paths_and_builtins() {
        let list = parse_list(
            "arn:aws:lambda:us-east-1:111122223333:function:rot=http://127.0.0.1:9000, \
             arn:aws:lambda:us-east-1:111122223333:function:rnd=builtin:random",
        )
        .unwrap();
        let f = Functions::new(&list).unwrap();
        assert_eq!(
            f.get("arn:aws:lambda:us-east-1:111122223333:function:rot")
                .unwrap()
                .target,
            Target::LambdaHttp {
                authority: "127.0.0.1:9000".into(),
                path: "/2015-03-31/functions/rot/invocations".into()
            }
        );
        assert_eq!(
            f.get("arn:aws:lambda:us-east-1:111122223333:function:rnd")
                .unwrap()
                .target,
            Target::Builtin(Builtin::Random)
        );
        assert!(f
            .get("arn:aws:lambda:us-east-1:111122223333:function:other")
            .is_none());
        assert!(Functions::new(&parse_list("x=http://h:1").unwrap()).is_err());
        assert!(
            Functions::new(&parse_list("arn:aws:lambda:r:1:function:f=https://h").unwrap())
                .is_err()
        );
        assert!(
            Functions::new(&parse_list("arn:aws:lambda:r:1:function:f=builtin:nope").unwrap())
                .is_err()
        );
        assert!(parse_list("no-equals").is_err());
    }
}
