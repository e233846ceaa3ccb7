//! The Condition element: operators, their parsing and their evaluation.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::matching::{
    arn_matches, compile_literal, compile_with_variables, matches, Token, VariableSource,
};

/// The family of a condition operator, without its negation, `IfExists` or set prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnEquals,
    ArnLike,
    Null,
}

/// `ForAnyValue:` / `ForAllValues:`, the set operators for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOperator {
    ForAnyValue,
    ForAllValues,
}

/// A parsed operator such as `ForAllValues:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) family: Family,
    /// StringNotEquals, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals,
    /// ArnNotLike, StringNotLike, StringNotEqualsIgnoreCase.
    pub(crate) negated: bool,
    pub(crate) if_exists: bool,
    pub(crate) set: Option<SetOperator>,
}

impl Operator {
    /// Parses an operator name; `None` for anything IAM does not define. Operator names are
    /// case-sensitive in IAM, as are the set prefixes.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let (family, negated) = match base {
            "StringEquals" => (Family::StringEquals, false),
            "StringNotEquals" => (Family::StringEquals, true),
            "StringEqualsIgnoreCase" => (Family::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Family::StringEqualsIgnoreCase, true),
            "StringLike" => (Family::StringLike, false),
            "StringNotLike" => (Family::StringLike, true),
            "NumericEquals" => (Family::NumericEquals, false),
            "NumericNotEquals" => (Family::NumericEquals, true),
            "NumericLessThan" => (Family::NumericLessThan, false),
            "NumericLessThanEquals" => (Family::NumericLessThanEquals, false),
            "NumericGreaterThan" => (Family::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (Family::NumericGreaterThanEquals, false),
            "DateEquals" => (Family::DateEquals, false),
            "DateNotEquals" => (Family::DateEquals, true),
            "DateLessThan" => (Family::DateLessThan, false),
            "DateLessThanEquals" => (Family::DateLessThanEquals, false),
            "DateGreaterThan" => (Family::DateGreaterThan, false),
            "DateGreaterThanEquals" => (Family::DateGreaterThanEquals, false),
            "Bool" => (Family::Bool, false),
            "BinaryEquals" => (Family::BinaryEquals, false),
            "IpAddress" => (Family::IpAddress, false),
            "NotIpAddress" => (Family::IpAddress, true),
            "ArnEquals" => (Family::ArnEquals, false),
            "ArnNotEquals" => (Family::ArnEquals, true),
            "ArnLike" => (Family::ArnLike, false),
            "ArnNotLike" => (Family::ArnLike, true),
            "Null" => (Family::Null, false),
            _ => return None,
        };
        // `NullIfExists` has no meaning (Null is itself the existence test).
        if family == Family::Null && if_exists {
            return None;
        }
        Some(Operator {
            family,
            negated,
            if_exists,
            set,
        })
    }

    /// Whether policy variables are expanded in this operator's values (string and ARN
    /// operators only, as IAM documents).
    fn takes_variables(self) -> bool {
        matches!(
            self.family,
            Family::StringEquals
                | Family::StringEqualsIgnoreCase
                | Family::StringLike
                | Family::ArnEquals
                | Family::ArnLike
        )
    }
}

/// One `key: values` test under an operator.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    pub(crate) operator: Operator,
    /// The key as written, for reports.
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

impl Clause {
    /// Evaluates this clause against the request. `variables` is `None` when the policy's
    /// Version does not support variables (they are then literal text).
    pub(crate) fn evaluate(
        &self,
        keys: &super::ConditionKeys,
        variables: Option<&VariableSource<'_>>,
    ) -> bool {
        let request_values = keys.get(&self.key).filter(|values| !values.is_empty());
        let op = self.operator;
        if op.family == Family::Null {
            // Null: "true" asks that the key be absent, "false" that it be present; several
            // policy values are ORed like any others.
            let absent = request_values.is_none();
            return self
                .values
                .iter()
                .any(|v| match v.to_ascii_lowercase().as_str() {
                    "true" => absent,
                    "false" => !absent,
                    _ => false,
                });
        }
        let Some(request_values) = request_values else {
            // A missing key: IfExists passes; ForAllValues is vacuously true; ForAnyValue
            // finds nothing; otherwise a positive operator fails and a negated one passes.
            return op.if_exists
                || match op.set {
                    Some(SetOperator::ForAllValues) => true,
                    Some(SetOperator::ForAnyValue) => false,
                    None => op.negated,
                };
        };

        // Compile the policy values once. An unresolvable variable makes the whole statement
        // inapplicable, as IAM documents ("causes the statement to be invalid"), so the
        // clause fails whatever the operator's polarity.
        let compiled = match self.compile(variables) {
            Some(compiled) => compiled,
            None => return false,
        };
        // Whether one request value matches any one policy value (the positive test).
        let matches_any =
            |request_value: &str| compiled.iter().any(|p| p.test(op.family, request_value));

        match (op.set, op.negated) {
            // No set operator, or ForAnyValue: some request value must satisfy the test; a
            // negated operator's test for one value is "matches none of the policy values".
            (None, false) | (Some(SetOperator::ForAnyValue), false) => {
                request_values.iter().any(|v| matches_any(v))
            }
            (Some(SetOperator::ForAnyValue), true) => {
                request_values.iter().any(|v| !matches_any(v))
            }
            // Without a set operator a negated operator is the negation of the positive one,
            // so with several request values none may match.
            (None, true) => !request_values.iter().any(|v| matches_any(v)),
            (Some(SetOperator::ForAllValues), false) => {
                request_values.iter().all(|v| matches_any(v))
            }
            (Some(SetOperator::ForAllValues), true) => {
                request_values.iter().all(|v| !matches_any(v))
            }
        }
    }

    fn compile(&self, variables: Option<&VariableSource<'_>>) -> Option<Vec<Compiled>> {
        let op = self.operator;
        let mut out = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let compiled = match op.family {
                Family::StringEquals
                | Family::StringEqualsIgnoreCase
                | Family::StringLike
                | Family::ArnEquals
                | Family::ArnLike => {
                    // ArnEquals behaves exactly like ArnLike in IAM: both honour wildcards.
                    let wildcards = matches!(
                        op.family,
                        Family::StringLike | Family::ArnEquals | Family::ArnLike
                    );
                    let tokens = match (variables, op.takes_variables()) {
                        (Some(source), true) => compile_with_variables(value, source, wildcards)?,
                        _ if wildcards => super::matching::compile_plain(value),
                        _ => compile_literal(value),
                    };
                    Compiled::Pattern(tokens)
                }
                Family::NumericEquals
                | Family::NumericLessThan
                | Family::NumericLessThanEquals
                | Family::NumericGreaterThan
                | Family::NumericGreaterThanEquals => match parse_number(value) {
                    Some(n) => Compiled::Number(n),
                    None => Compiled::Never,
                },
                Family::DateEquals
                | Family::DateLessThan
                | Family::DateLessThanEquals
                | Family::DateGreaterThan
                | Family::DateGreaterThanEquals => match parse_date(value) {
                    Some(d) => Compiled::Date(d),
                    None => Compiled::Never,
                },
                Family::Bool => match value.to_ascii_lowercase().as_str() {
                    "true" => Compiled::Bool(true),
                    "false" => Compiled::Bool(false),
                    _ => Compiled::Never,
                },
                Family::BinaryEquals => Compiled::Binary(value.clone()),
                Family::IpAddress => match Cidr::parse(value) {
                    Some(cidr) => Compiled::Cidr(cidr),
                    None => Compiled::Never,
                },
                Family::Null => Compiled::Never,
            };
            out.push(compiled);
        }
        Some(out)
    }
}

/// A policy value ready to be compared.
enum Compiled {
    Pattern(Vec<Token>),
    Number(f64),
    Date(DateTime<Utc>),
    Bool(bool),
    Binary(String),
    Cidr(Cidr),
    /// A value that cannot be read for its operator (a date that is not a date); it matches
    /// no request value.
    Never,
}

impl Compiled {
    /// The positive test of one policy value against one request value.
    fn test(&self, family: Family, request: &str) -> bool {
        match self {
            Compiled::Pattern(tokens) => match family {
                Family::StringEqualsIgnoreCase => matches(tokens, request, true),
                Family::ArnEquals | Family::ArnLike => arn_matches(tokens, request),
                _ => matches(tokens, request, false),
            },
            Compiled::Number(policy) => {
                let Some(request) = parse_number(request) else {
                    return false;
                };
                match family {
                    Family::NumericEquals => request == *policy,
                    Family::NumericLessThan => request < *policy,
                    Family::NumericLessThanEquals => request <= *policy,
                    Family::NumericGreaterThan => request > *policy,
                    Family::NumericGreaterThanEquals => request >= *policy,
                    _ => false,
                }
            }
            Compiled::Date(policy) => {
                let Some(request) = parse_date(request) else {
                    return false;
                };
                match family {
                    Family::DateEquals => request == *policy,
                    Family::DateLessThan => request < *policy,
                    Family::DateLessThanEquals => request <= *policy,
                    Family::DateGreaterThan => request > *policy,
                    Family::DateGreaterThanEquals => request >= *policy,
                    _ => false,
                }
            }
            Compiled::Bool(policy) => match request.to_ascii_lowercase().as_str() {
                "true" => *policy,
                "false" => !*policy,
                _ => false,
            },
            Compiled::Binary(policy) => binary_equal(policy, request),
            Compiled::Cidr(cidr) => cidr.contains_text(request),
            Compiled::Never => false,
        }
    }
}

/// Parses a decimal number as IAM and JSON write them (`10`, `-3`, `2.5`, `1.5e2`); no
/// `NaN`, `inf` or hexadecimal, which Rust's own parser would otherwise accept.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (
            mantissa,
            Some(exponent.strip_prefix(['-', '+']).unwrap_or(exponent)),
        ),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) || exponent.is_some_and(|e| !digits(e)) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses a date: epoch seconds, or ISO 8601 (a date, a date and time with `Z` or an
/// offset, optionally without seconds or with fractions).
pub(crate) fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().ok()?;
        return DateTime::from_timestamp(seconds, 0);
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    let upper = text.to_ascii_uppercase();
    // Forms RFC 3339 does not cover but ISO 8601 (and IAM) accept.
    for format in [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&upper, format) {
            return Some(naive.and_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(date) = DateTime::parse_from_str(&upper, format) {
            return Some(date.with_timezone(&Utc));
        }
    }
    let date = NaiveDate::parse_from_str(&upper, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// BinaryEquals compares base64 values; comparing the decoded bytes makes padding and line
/// breaks irrelevant, and two undecodable values fall back to plain equality.
fn binary_equal(policy: &str, request: &str) -> bool {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    match (engine.decode(policy.trim()), engine.decode(request.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => policy == request,
    }
}

/// An IPv4 or IPv6 network, `203.0.113.0/24` or `2001:db8::/32`; a bare address is a
/// network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses a CIDR block or a single address.
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        if prefix > max {
            return None;
        }
        Some(Cidr { network, prefix })
    }

    /// Whether a request's address (itself possibly written as a CIDR) lies in this network.
    fn contains_text(&self, text: &str) -> bool {
        let Some(other) = Cidr::parse(text) else {
            return false;
        };
        other.prefix >= self.prefix && self.contains(other.network)
    }

    fn contains(&self, address: IpAddr) -> bool {
        // Compare the leading `prefix` bits; the families must agree (an IPv4 block does not
        // match an IPv6 address, as in IAM).
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}
