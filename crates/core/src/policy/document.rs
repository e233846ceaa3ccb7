//! From JSON to a checked [`Policy`]: the grammar of IAM policy documents and AWS's messages
//! for documents that break it.

use super::condition::{parse_date, Clause, Family, Operator};
use super::json::{self, Value};
use super::matching::{compile_plain, Token};
use super::{Policy, PolicyError, PolicyKind};

// AWS's MalformedPolicyDocument messages. IAM and the services that share its policy parser
// (Secrets Manager, DynamoDB, S3) answer with these fixed texts.
pub(crate) const INVALID_JSON: &str = "This policy contains invalid Json";
pub(crate) const NOT_A_POLICY: &str = "This text appears not to be a policy";
pub(crate) const SYNTAX_ERRORS: &str = "Syntax errors in policy.";
pub(crate) const LEGACY_PARSING: &str = "The policy failed legacy parsing";
pub(crate) const MISSING_STATEMENT: &str = "Missing required field Statement";
pub(crate) const EMPTY_STATEMENT: &str = "Could not parse the policy: Statement is empty!";
pub(crate) const MISSING_EFFECT: &str = "Missing required field Effect";
pub(crate) const MISSING_ACTIONS: &str = "Policy statement must contain actions.";
pub(crate) const MISSING_RESOURCES: &str = "Policy statement must contain resources.";
pub(crate) const NO_PRINCIPAL_ALLOWED: &str = "Policy document should not specify a principal.";
pub(crate) const MISSING_PRINCIPAL: &str = "Missing required field Principal";
pub(crate) const PROHIBITED_RESOURCE: &str = "Has prohibited field Resource";
pub(crate) const VENDOR_REQUIRED: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
pub(crate) const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
pub(crate) const SID_ALPHANUMERIC: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";

/// The policy language versions; only 2012-10-17 expands `${...}` variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V2008,
    V2012,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Action or NotAction: compiled once, matched ignoring case.
#[derive(Debug, Clone)]
pub(crate) struct Actions {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Vec<Token>>,
}

/// Resource or NotResource: kept as text because variables are expanded per request.
#[derive(Debug, Clone)]
pub(crate) struct Resources {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<String>,
}

/// Principal or NotPrincipal.
#[derive(Debug, Clone, Default)]
pub(crate) struct Principals {
    pub(crate) negated: bool,
    /// `"Principal": "*"`.
    pub(crate) everyone: bool,
    pub(crate) aws: Vec<String>,
    pub(crate) service: Vec<String>,
    pub(crate) federated: Vec<String>,
    pub(crate) canonical_user: Vec<String>,
}

impl Principals {
    /// Whether this names everyone: `"*"` or `{"AWS": "*"}` (any of the lists holding `*`).
    pub(crate) fn names_everyone(&self) -> bool {
        self.everyone
            || [
                &self.aws,
                &self.service,
                &self.federated,
                &self.canonical_user,
            ]
            .iter()
            .any(|list| list.iter().any(|p| p == "*"))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    pub(crate) principals: Option<Principals>,
    pub(crate) actions: Actions,
    /// Absent only in trust policies.
    pub(crate) resources: Option<Resources>,
    pub(crate) conditions: Vec<Clause>,
}

fn error(message: impl Into<String>) -> PolicyError {
    PolicyError {
        message: message.into(),
    }
}

/// Parses and checks a policy document of the given kind.
pub(crate) fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let value = json::parse(text).map_err(|_| error(INVALID_JSON))?;
    let members = match &value {
        Value::Object(members) => members,
        Value::Null => return Err(error(NOT_A_POLICY)),
        _ => return Err(error(INVALID_JSON)),
    };
    for (key, _) in members {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(error(SYNTAX_ERRORS));
        }
    }
    let version = match value.get("Version") {
        None => Version::V2008,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008,
        Some(_) => return Err(error(SYNTAX_ERRORS)),
    };
    let id = match value.get("Id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(error(SYNTAX_ERRORS)),
    };
    let raw_statements: Vec<&Value> = match value.get("Statement") {
        None => return Err(error(MISSING_STATEMENT)),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        Some(_) => return Err(error(SYNTAX_ERRORS)),
    };
    if raw_statements.is_empty() {
        return Err(error(EMPTY_STATEMENT));
    }
    let statements = raw_statements
        .into_iter()
        .map(|raw| parse_statement(raw, kind))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        kind,
        version,
        id,
        statements,
    })
}

fn parse_statement(raw: &Value, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let Value::Object(members) = raw else {
        return Err(error(SYNTAX_ERRORS));
    };
    for (key, _) in members {
        let known = matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        );
        if !known {
            return Err(error(SYNTAX_ERRORS));
        }
    }

    // IAM's own documents (identity and trust policies) restrict Sid to letters and digits;
    // resource policies of other services accept any string.
    match raw.get("Sid") {
        None => {}
        Some(Value::String(sid))
            if kind != PolicyKind::Resource && !sid.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            return Err(error(SID_ALPHANUMERIC));
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(error(SYNTAX_ERRORS)),
    }

    let effect = match raw.get("Effect") {
        None => return Err(error(MISSING_EFFECT)),
        Some(Value::String(effect)) => match effect.as_str() {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            // IAM's grammar accepts the word in any case, then its legacy parser rejects it.
            other if other.eq_ignore_ascii_case("allow") || other.eq_ignore_ascii_case("deny") => {
                return Err(error(LEGACY_PARSING));
            }
            _ => return Err(error(SYNTAX_ERRORS)),
        },
        Some(_) => return Err(error(SYNTAX_ERRORS)),
    };

    let actions = parse_actions(raw)?;
    let resources = parse_resources(raw, kind)?;
    let principals = parse_principals(raw, kind)?;
    let conditions = match raw.get("Condition") {
        None => Vec::new(),
        Some(condition) => parse_conditions(condition)?,
    };
    Ok(Statement {
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

/// A string or an array of strings; anything else is a syntax error.
fn string_list(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(error(SYNTAX_ERRORS)),
            })
            .collect(),
        _ => Err(error(SYNTAX_ERRORS)),
    }
}

/// Exactly one of `positive` / `negative`, or neither.
fn one_of<'v>(
    raw: &'v Value,
    positive: &str,
    negative: &str,
) -> Result<Option<(bool, &'v Value)>, PolicyError> {
    match (raw.get(positive), raw.get(negative)) {
        (Some(_), Some(_)) => Err(error(SYNTAX_ERRORS)),
        (Some(v), None) => Ok(Some((false, v))),
        (None, Some(v)) => Ok(Some((true, v))),
        (None, None) => Ok(None),
    }
}

fn parse_actions(raw: &Value) -> Result<Actions, PolicyError> {
    let Some((negated, value)) = one_of(raw, "Action", "NotAction")? else {
        return Err(error(MISSING_ACTIONS));
    };
    let written = string_list(value)?;
    if written.is_empty() {
        return Err(error(MISSING_ACTIONS));
    }
    for action in &written {
        check_action(action)?;
    }
    let patterns = written.iter().map(|a| compile_plain(a)).collect();
    Ok(Actions { negated, patterns })
}

/// `*`, or `vendor:pattern` with one colon and a plain vendor name.
fn check_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => Err(error(VENDOR_REQUIRED)),
        (Some(_), Some(_)) => Err(error(ONE_COLON)),
        (Some(_), None) => {
            let valid = vendor == "*"
                || (!vendor.is_empty()
                    && vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
            if valid {
                Ok(())
            } else {
                Err(error(format!("Vendor {vendor} is not valid")))
            }
        }
    }
}

fn parse_resources(raw: &Value, kind: PolicyKind) -> Result<Option<Resources>, PolicyError> {
    let found = one_of(raw, "Resource", "NotResource")?;
    if kind == PolicyKind::Trust {
        // A trust policy's resource is the role it is attached to.
        return match found {
            Some(_) => Err(error(PROHIBITED_RESOURCE)),
            None => Ok(None),
        };
    }
    let Some((negated, value)) = found else {
        return Err(error(MISSING_RESOURCES));
    };
    let patterns = string_list(value)?;
    if patterns.is_empty() {
        return Err(error(MISSING_RESOURCES));
    }
    for resource in &patterns {
        check_resource(resource)?;
    }
    Ok(Some(Resources { negated, patterns }))
}

/// `*`, or something shaped like an ARN: `arn:partition:service...`.
fn check_resource(resource: &str) -> Result<(), PolicyError> {
    if resource == "*" {
        return Ok(());
    }
    let mut parts = resource.splitn(4, ':');
    let shaped = parts.next() == Some("arn")
        && parts.next().is_some_and(|partition| !partition.is_empty())
        && parts.next().is_some_and(|service| !service.is_empty());
    if shaped {
        Ok(())
    } else {
        Err(error(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        )))
    }
}

fn parse_principals(raw: &Value, kind: PolicyKind) -> Result<Option<Principals>, PolicyError> {
    let found = one_of(raw, "Principal", "NotPrincipal")?;
    let (negated, value) = match (kind, found) {
        (PolicyKind::Identity, Some(_)) => return Err(error(NO_PRINCIPAL_ALLOWED)),
        (PolicyKind::Identity, None) => return Ok(None),
        (_, None) => return Err(error(MISSING_PRINCIPAL)),
        (_, Some(found)) => found,
    };
    let mut principals = Principals {
        negated,
        ..Principals::default()
    };
    match value {
        Value::String(s) if s == "*" => principals.everyone = true,
        Value::String(s) => return Err(error(format!("Invalid principal in policy: \"{s}\""))),
        Value::Object(members) if !members.is_empty() => {
            for (key, entry) in members {
                let list = string_list(entry)?;
                if list.is_empty() {
                    return Err(error(SYNTAX_ERRORS));
                }
                let target = match key.as_str() {
                    "AWS" => {
                        for principal in &list {
                            if !valid_aws_principal(principal) {
                                return Err(error(format!(
                                    "Invalid principal in policy: \"AWS\":\"{principal}\""
                                )));
                            }
                        }
                        &mut principals.aws
                    }
                    "Service" => &mut principals.service,
                    "Federated" => &mut principals.federated,
                    "CanonicalUser" => &mut principals.canonical_user,
                    _ => return Err(error(SYNTAX_ERRORS)),
                };
                for principal in &list {
                    if principal.is_empty() {
                        return Err(error(format!(
                            "Invalid principal in policy: \"{key}\":\"\""
                        )));
                    }
                }
                target.extend(list);
            }
        }
        _ => return Err(error(SYNTAX_ERRORS)),
    }
    Ok(Some(principals))
}

/// What IAM accepts under `"AWS"`: `*`, an account id, an IAM ARN (root, user, role,
/// federated user), an STS assumed-role session ARN, or a unique id (`AIDA…`, `AROA…`, which
/// IAM shows in place of a deleted user or role). Wildcards are not allowed inside an ARN.
fn valid_aws_principal(principal: &str) -> bool {
    if principal == "*" || is_account_id(principal) {
        return true;
    }
    if principal.contains(['*', '?']) {
        return false;
    }
    if is_unique_id(principal) {
        return true;
    }
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    if arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    match service {
        "iam" => {
            resource == "root"
                || ["user/", "role/", "federated-user/"].iter().any(|prefix| {
                    resource
                        .strip_prefix(prefix)
                        .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
                })
        }
        "sts" => resource
            .strip_prefix("assumed-role/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty()),
        _ => false,
    }
}

pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An IAM unique id: four upper-case letters (AIDA, AROA, …) then upper-case letters and digits.
pub(crate) fn is_unique_id(text: &str) -> bool {
    text.len() >= 16
        && text.len() <= 128
        && text.starts_with('A')
        && text.bytes().take(4).all(|b| b.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn parse_conditions(value: &Value) -> Result<Vec<Clause>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(error(SYNTAX_ERRORS));
    };
    let mut clauses = Vec::new();
    for (operator_name, block) in operators {
        let operator = Operator::parse(operator_name).ok_or_else(|| error(SYNTAX_ERRORS))?;
        let Value::Object(keys) = block else {
            return Err(error(SYNTAX_ERRORS));
        };
        for (key, raw_values) in keys {
            // A condition key names its vendor, like an action does.
            match key.split_once(':') {
                Some((vendor, name)) if !vendor.is_empty() && !name.is_empty() => {}
                _ => return Err(error(VENDOR_REQUIRED)),
            }
            let values = condition_values(raw_values)?;
            if matches!(
                operator.family,
                Family::DateEquals
                    | Family::DateLessThan
                    | Family::DateLessThanEquals
                    | Family::DateGreaterThan
                    | Family::DateGreaterThanEquals
            ) && values.iter().any(|v| parse_date(v).is_none())
            {
                // IAM's legacy parser checks that date values are dates.
                return Err(error(LEGACY_PARSING));
            }
            clauses.push(Clause {
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(clauses)
}

/// Condition values: strings, numbers or booleans, alone or in a non-empty array.
fn condition_values(value: &Value) -> Result<Vec<String>, PolicyError> {
    fn scalar(value: &Value) -> Result<String, PolicyError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(error(SYNTAX_ERRORS)),
        }
    }
    match value {
        Value::Array(items) if items.is_empty() => Err(error(SYNTAX_ERRORS)),
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}
