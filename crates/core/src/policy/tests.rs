//! The acceptance table for the policy language: every case is (policies, principal,
//! action, resource, request keys) → the exact outcome of [`authorize`]. Then the grammar,
//! hostile inputs, public access, ValidateResourcePolicy and AccessDenied messages.

use super::document::*;
use super::*;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
const GET: &str = "secretsmanager:GetSecretValue";
const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";
const READER_ROLE: &str = "arn:aws:iam::111122223333:role/Reader";
const READER_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Reader/sess1";
const BOB_ARN: &str = "arn:aws:iam::444455556666:user/bob";
const X_ROLE: &str = "arn:aws:iam::444455556666:role/Ops";
const X_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Ops/job";

/// The callers the table uses.
#[derive(Debug, Clone, Copy, Default)]
enum Who {
    /// An IAM user in the resource's account.
    #[default]
    Alice,
    /// The root user of the resource's account.
    Root,
    /// A session of the role Reader in the resource's account.
    Session,
    /// An IAM user in another account.
    Bob,
    /// The root user of the other account.
    OtherRoot,
    /// A session of the role Ops in the other account.
    OtherSession,
}

impl Who {
    fn context(self) -> PrincipalContext {
        let user = |arn: &str, account: &str, name: &str, id: &str| PrincipalContext {
            arn: arn.to_owned(),
            account: account.to_owned(),
            role_arn: None,
            is_root: false,
            user_name: Some(name.to_owned()),
            user_id: id.to_owned(),
        };
        let root = |account: &str| PrincipalContext {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
            role_arn: None,
            is_root: true,
            user_name: None,
            user_id: account.to_owned(),
        };
        let session = |arn: &str, role: &str, account: &str, id: &str| PrincipalContext {
            arn: arn.to_owned(),
            account: account.to_owned(),
            role_arn: Some(role.to_owned()),
            is_root: false,
            user_name: None,
            user_id: id.to_owned(),
        };
        match self {
            Who::Alice => user(ALICE_ARN, ACCOUNT, "alice", "AIDAALICE0000000000"),
            Who::Root => root(ACCOUNT),
            Who::Session => session(
                READER_SESSION,
                READER_ROLE,
                ACCOUNT,
                "AROAREADER000000000:sess1",
            ),
            Who::Bob => user(BOB_ARN, OTHER, "bob", "AIDABOB000000000000"),
            Who::OtherRoot => root(OTHER),
            Who::OtherSession => session(X_SESSION, X_ROLE, OTHER, "AROAOPS0000000000000:job"),
        }
    }

    fn is_root(self) -> bool {
        matches!(self, Who::Root | Who::OtherRoot)
    }
}

/// One row of the table. `identity` lists identity policies (ignored for root callers,
/// whose identity side is [`Identity::Root`]); `resource_policy` is parsed as a resource
/// policy unless `trust` is set.
struct Case {
    name: &'static str,
    who: Who,
    identity: Vec<String>,
    session: Option<String>,
    resource_policy: Option<String>,
    trust: bool,
    action: &'static str,
    resource: &'static str,
    keys: Vec<(&'static str, Vec<&'static str>)>,
    expect: Result<(), DenialReason>,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            name: "",
            who: Who::Alice,
            identity: Vec::new(),
            session: None,
            resource_policy: None,
            trust: false,
            action: GET,
            resource: SECRET,
            keys: Vec::new(),
            expect: Ok(()),
        }
    }
}

/// A 2012-10-17 document around the given statements (comma-separated JSON objects).
fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// An identity policy with one Allow statement.
fn allow(action: &str, resource: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#
    ))
}

/// An identity policy with one Deny statement.
fn deny(action: &str, resource: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Deny","Action":"{action}","Resource":"{resource}"}}"#
    ))
}

/// An identity policy allowing everything under the given Condition block.
fn allow_if(condition: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}"#
    ))
}

/// A resource policy with one statement for the given principal element.
fn grant(effect: &str, principal: &str, action: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"*"}}"#
    ))
}

fn aws(principal: &str) -> String {
    format!(r#"{{"AWS":"{principal}"}}"#)
}

use DenialReason::*;

fn no_identity() -> Result<(), DenialReason> {
    Err(NoIdentityAllow)
}

fn cases() -> Vec<Case> {
    let prod_star = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/*";
    let home = "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/x-AbCdEf";
    let ip = |name, condition: &str, value: &'static str, expect| Case {
        name,
        identity: vec![allow_if(condition)],
        keys: vec![("aws:SourceIp", vec![value])],
        expect,
        ..Case::default()
    };
    // A condition case: identity allows everything under `condition`, given these keys.
    let cond = |name, condition: &str, keys: Vec<(&'static str, Vec<&'static str>)>, expect| Case {
        name,
        identity: vec![allow_if(condition)],
        keys,
        expect,
        ..Case::default()
    };
    let team = |v: &'static str| vec![("aws:PrincipalTag/team", vec![v])];
    let tags = |v: Vec<&'static str>| vec![("aws:TagKeys", v)];
    vec![
        // --- Identity policies: actions ---
        Case { name: "exact action and resource", identity: vec![allow(GET, SECRET)], ..Case::default() },
        Case { name: "no policies at all", expect: no_identity(), ..Case::default() },
        Case { name: "other action allowed", identity: vec![allow("secretsmanager:PutSecretValue", "*")], expect: no_identity(), ..Case::default() },
        Case { name: "action star", identity: vec![allow("*", "*")], ..Case::default() },
        Case { name: "service star", identity: vec![allow("secretsmanager:*", "*")], ..Case::default() },
        Case { name: "Get* matches GetSecretValue", identity: vec![allow("secretsmanager:Get*", "*")], ..Case::default() },
        Case { name: "Get* misses PutSecretValue", identity: vec![allow("secretsmanager:Get*", "*")], action: "secretsmanager:PutSecretValue", expect: no_identity(), ..Case::default() },
        Case { name: "action match ignores case", identity: vec![allow("SecretsManager:getsecretVALUE", "*")], ..Case::default() },
        Case { name: "question mark is one character", identity: vec![allow("secretsmanager:GetSecretValu?", "*")], ..Case::default() },
        Case { name: "question mark is exactly one character", identity: vec![allow("secretsmanager:GetSecret?", "*")], expect: no_identity(), ..Case::default() },
        Case { name: "wildcard vendor", identity: vec![allow("*:GetSecretValue", "*")], ..Case::default() },
        Case { name: "other service's action", identity: vec![allow("kms:GetSecretValue", "*")], expect: no_identity(), ..Case::default() },
        Case {
            name: "action list, one matches",
            identity: vec![doc(r#"{"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Resource":"*"}"#)],
            ..Case::default()
        },
        Case {
            name: "NotAction allows what it does not list",
            identity: vec![doc(r#"{"Effect":"Allow","NotAction":"secretsmanager:Delete*","Resource":"*"}"#)],
            ..Case::default()
        },
        Case {
            name: "NotAction does not allow what it lists",
            identity: vec![doc(r#"{"Effect":"Allow","NotAction":"secretsmanager:Delete*","Resource":"*"}"#)],
            action: "secretsmanager:DeleteSecret",
            expect: no_identity(),
            ..Case::default()
        },
        // --- Identity policies: resources ---
        Case { name: "resource prefix wildcard", identity: vec![allow(GET, prod_star)], ..Case::default() },
        Case { name: "resource other prefix", identity: vec![allow(GET, "arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/*")], expect: no_identity(), ..Case::default() },
        Case { name: "resource match is case-sensitive", identity: vec![allow(GET, "arn:aws:secretsmanager:us-east-1:111122223333:secret:PROD/*")], expect: no_identity(), ..Case::default() },
        Case { name: "resource star spans colons", identity: vec![allow(GET, "arn:aws:secretsmanager:*")], ..Case::default() },
        Case { name: "resource question marks for the suffix", identity: vec![allow(GET, "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-??????")], ..Case::default() },
        Case { name: "resource too few question marks", identity: vec![allow(GET, "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-?????")], expect: no_identity(), ..Case::default() },
        Case { name: "resource in another region", identity: vec![allow(GET, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:*")], expect: no_identity(), ..Case::default() },
        Case {
            name: "NotResource allows what it does not list",
            identity: vec![doc(r#"{"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/*"}"#)],
            ..Case::default()
        },
        Case {
            name: "NotResource does not allow what it lists",
            identity: vec![doc(r#"{"Effect":"Allow","Action":"*","NotResource":["arn:aws:secretsmanager:*:*:secret:prod/*"]}"#)],
            expect: no_identity(),
            ..Case::default()
        },
        Case { name: "resource-less action with Resource *", identity: vec![allow("secretsmanager:ListSecrets", "*")], action: "secretsmanager:ListSecrets", resource: "*", ..Case::default() },
        Case { name: "resource-less action with an ARN Resource", identity: vec![allow("secretsmanager:ListSecrets", SECRET)], action: "secretsmanager:ListSecrets", resource: "*", expect: no_identity(), ..Case::default() },
        // --- Identity policies: deny ---
        Case { name: "deny beats allow", identity: vec![doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#)], expect: Err(ExplicitDenyIdentity), ..Case::default() },
        Case { name: "deny of another action", identity: vec![allow("*", "*"), deny("secretsmanager:DeleteSecret", "*")], ..Case::default() },
        Case { name: "deny in a second policy", identity: vec![allow(GET, SECRET), deny("secretsmanager:*", prod_star)], expect: Err(ExplicitDenyIdentity), ..Case::default() },
        Case { name: "allow in the second policy", identity: vec![allow("kms:Decrypt", "*"), allow(GET, "*")], ..Case::default() },
        Case { name: "deny alone", identity: vec![deny("*", "*")], expect: Err(ExplicitDenyIdentity), ..Case::default() },
        Case {
            name: "Deny NotAction spares the listed action",
            identity: vec![allow("*", "*"), doc(r#"{"Effect":"Deny","NotAction":"secretsmanager:GetSecretValue","Resource":"*"}"#)],
            ..Case::default()
        },
        Case {
            name: "Deny NotAction hits other actions",
            identity: vec![allow("*", "*"), doc(r#"{"Effect":"Deny","NotAction":"secretsmanager:Get*","Resource":"*"}"#)],
            action: "secretsmanager:DeleteSecret",
            expect: Err(ExplicitDenyIdentity),
            ..Case::default()
        },
        Case {
            name: "Deny NotResource hits other resources",
            identity: vec![allow("*", "*"), doc(r#"{"Effect":"Deny","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:dev/*"}"#)],
            expect: Err(ExplicitDenyIdentity),
            ..Case::default()
        },
        // --- String conditions ---
        cond("StringEquals matches", r#"{"StringEquals":{"aws:PrincipalTag/team":"blue"}}"#, team("blue"), Ok(())),
        cond("StringEquals differs", r#"{"StringEquals":{"aws:PrincipalTag/team":"blue"}}"#, team("red"), no_identity()),
        cond("StringEquals missing key", r#"{"StringEquals":{"aws:PrincipalTag/team":"blue"}}"#, vec![], no_identity()),
        cond("StringEquals is case-sensitive", r#"{"StringEquals":{"aws:PrincipalTag/team":"Blue"}}"#, team("blue"), no_identity()),
        cond("StringEqualsIgnoreCase", r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}"#, team("blue"), Ok(())),
        cond("StringNotEquals differs", r#"{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}"#, team("red"), Ok(())),
        cond("StringNotEquals same", r#"{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}"#, team("blue"), no_identity()),
        cond("StringNotEquals missing key is true", r#"{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}"#, vec![], Ok(())),
        cond("StringNotEqualsIgnoreCase same but case", r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}"#, team("blue"), no_identity()),
        cond("StringLike matches", r#"{"StringLike":{"secretsmanager:Name":"prod/*"}}"#, vec![("secretsmanager:Name", vec!["prod/db"])], Ok(())),
        cond("StringLike misses", r#"{"StringLike":{"secretsmanager:Name":"prod/*"}}"#, vec![("secretsmanager:Name", vec!["dev/db"])], no_identity()),
        cond("StringNotLike misses", r#"{"StringNotLike":{"secretsmanager:Name":"prod/*"}}"#, vec![("secretsmanager:Name", vec!["dev/db"])], Ok(())),
        cond("StringNotLike matches", r#"{"StringNotLike":{"secretsmanager:Name":"prod/*"}}"#, vec![("secretsmanager:Name", vec!["prod/db"])], no_identity()),
        cond("StringNotLike missing key is true", r#"{"StringNotLike":{"secretsmanager:Name":"prod/*"}}"#, vec![], Ok(())),
        cond("StringEquals has no wildcards", r#"{"StringEquals":{"secretsmanager:Name":"prod/*"}}"#, vec![("secretsmanager:Name", vec!["prod/db"])], no_identity()),
        cond("values are ORed", r#"{"StringEquals":{"aws:PrincipalTag/team":["red","blue"]}}"#, team("blue"), Ok(())),
        cond("keys are ANDed", r#"{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:PrincipalTag/env":"prod"}}"#, team("blue"), no_identity()),
        cond(
            "operators are ANDed",
            r#"{"StringEquals":{"aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}"#,
            vec![("aws:PrincipalTag/team", vec!["blue"]), ("aws:SecureTransport", vec!["false"])],
            no_identity(),
        ),
        cond("negated values are NORed: one equal", r#"{"StringNotEquals":{"aws:PrincipalTag/team":["red","blue"]}}"#, team("blue"), no_identity()),
        cond("negated values are NORed: none equal", r#"{"StringNotEquals":{"aws:PrincipalTag/team":["red","blue"]}}"#, team("green"), Ok(())),
        cond("condition key names ignore case", r#"{"StringEquals":{"AWS:PRINCIPALTAG/Team":"blue"}}"#, vec![("aws:principaltag/team", vec!["blue"])], Ok(())),
        // --- Numeric ---
        cond("NumericEquals", r#"{"NumericEquals":{"s3:max-keys":"5"}}"#, vec![("s3:max-keys", vec!["5"])], Ok(())),
        cond("NumericEquals compares numbers", r#"{"NumericEquals":{"s3:max-keys":"5"}}"#, vec![("s3:max-keys", vec!["5.0"])], Ok(())),
        cond("NumericNotEquals", r#"{"NumericNotEquals":{"s3:max-keys":"5"}}"#, vec![("s3:max-keys", vec!["6"])], Ok(())),
        cond("NumericLessThan", r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, vec![("s3:max-keys", vec!["3"])], Ok(())),
        cond("NumericLessThan equal", r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, vec![("s3:max-keys", vec!["10"])], no_identity()),
        cond("NumericLessThanEquals equal", r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, vec![("s3:max-keys", vec!["10"])], Ok(())),
        cond("NumericGreaterThan", r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, vec![("s3:max-keys", vec!["11"])], Ok(())),
        cond("NumericGreaterThanEquals below", r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#, vec![("s3:max-keys", vec!["9"])], no_identity()),
        cond("Numeric request value not a number", r#"{"NumericEquals":{"s3:max-keys":"5"}}"#, vec![("s3:max-keys", vec!["five"])], no_identity()),
        cond("Numeric JSON number value", r#"{"NumericGreaterThanEquals":{"s3:max-keys":10}}"#, vec![("s3:max-keys", vec!["10"])], Ok(())),
        cond("Numeric exponent", r#"{"NumericEquals":{"s3:max-keys":1.5e2}}"#, vec![("s3:max-keys", vec!["150"])], Ok(())),
        cond("Numeric overflow is not a number", r#"{"NumericGreaterThan":{"s3:max-keys":"1"}}"#, vec![("s3:max-keys", vec!["1e999"])], no_identity()),
        cond("Numeric NaN is not a number", r#"{"NumericNotEquals":{"s3:max-keys":"NaN"}}"#, vec![("s3:max-keys", vec!["NaN"])], Ok(())),
        // --- Dates ---
        cond("DateLessThan", r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#, vec![("aws:CurrentTime", vec!["2025-06-01T12:00:00Z"])], Ok(())),
        cond("DateGreaterThan", r#"{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#, vec![("aws:CurrentTime", vec!["2025-06-01T12:00:00Z"])], no_identity()),
        cond("DateEquals epoch against ISO", r#"{"DateEquals":{"aws:CurrentTime":"1700000000"}}"#, vec![("aws:CurrentTime", vec!["2023-11-14T22:13:20Z"])], Ok(())),
        cond("DateNotEquals", r#"{"DateNotEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}"#, vec![("aws:CurrentTime", vec!["2023-11-14T22:13:21Z"])], Ok(())),
        cond("DateLessThanEquals equal with offset", r#"{"DateLessThanEquals":{"aws:CurrentTime":"2023-11-15T00:13:20+02:00"}}"#, vec![("aws:CurrentTime", vec!["2023-11-14T22:13:20Z"])], Ok(())),
        cond("DateGreaterThanEquals epoch key, date value", r#"{"DateGreaterThanEquals":{"aws:EpochTime":"2025-01-01"}}"#, vec![("aws:EpochTime", vec!["1800000000"])], Ok(())),
        cond("Date missing key", r#"{"DateLessThan":{"aws:TokenIssueTime":"2030-01-01"}}"#, vec![], no_identity()),
        // --- Bool, Binary ---
        cond("Bool true", r#"{"Bool":{"aws:SecureTransport":"true"}}"#, vec![("aws:SecureTransport", vec!["true"])], Ok(())),
        cond("Bool JSON true", r#"{"Bool":{"aws:SecureTransport":true}}"#, vec![("aws:SecureTransport", vec!["true"])], Ok(())),
        cond("Bool false against true", r#"{"Bool":{"aws:SecureTransport":"false"}}"#, vec![("aws:SecureTransport", vec!["true"])], no_identity()),
        cond("Bool missing key", r#"{"Bool":{"aws:SecureTransport":"false"}}"#, vec![], no_identity()),
        cond("BinaryEquals", r#"{"BinaryEquals":{"aws:Binary":"QmluYXJ5"}}"#, vec![("aws:Binary", vec!["QmluYXJ5"])], Ok(())),
        cond("BinaryEquals differs", r#"{"BinaryEquals":{"aws:Binary":"QmluYXJ5"}}"#, vec![("aws:Binary", vec!["QmluYXJy"])], no_identity()),
        // --- IP addresses ---
        ip("IpAddress 203.0.113.0/24 vs 203.0.113.7", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, "203.0.113.7", Ok(())),
        ip("IpAddress 203.0.113.0/24 vs 198.51.100.1", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, "198.51.100.1", no_identity()),
        ip("IpAddress 203.0.113.7 vs 203.0.113.7", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, "203.0.113.7", Ok(())),
        ip("IpAddress 2001:db8::/32 vs 2001:db8:1::5", r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#, "2001:db8:1::5", Ok(())),
        ip("IpAddress 2001:db8::/32 vs 2001:db9::1", r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#, "2001:db9::1", no_identity()),
        ip("IpAddress 0.0.0.0/0 vs 2001:db8::1", r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, "2001:db8::1", no_identity()),
        ip("NotIpAddress 10.0.0.0/8 vs 192.0.2.1", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, "192.0.2.1", Ok(())),
        ip("NotIpAddress 10.0.0.0/8 vs 10.1.2.3", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, "10.1.2.3", no_identity()),
        ip("IpAddress 0.0.0.0/0 vs 192.0.2.1", r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, "192.0.2.1", Ok(())),
        ip("IpAddress [10.0.0.0/8,192.0.2.0/28] vs 192.0.2.15", r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/28"]}}"#, "192.0.2.15", Ok(())),
        ip("IpAddress 192.0.2.0/28 vs 192.0.2.16", r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/28"}}"#, "192.0.2.16", no_identity()),
        cond("NotIpAddress missing key is true", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, vec![], Ok(())),
        // --- ARNs ---
        cond("ArnEquals", r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Reader"}}"#, vec![("aws:PrincipalArn", vec![READER_ROLE])], Ok(())),
        cond("ArnLike role path", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#, vec![("aws:PrincipalArn", vec![READER_ROLE])], Ok(())),
        cond("ArnLike any account", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Reader"}}"#, vec![("aws:PrincipalArn", vec![READER_ROLE])], Ok(())),
        cond("ArnLike star stays in its component", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:*:role/Reader"}}"#, vec![("aws:PrincipalArn", vec![READER_ROLE])], no_identity()),
        cond("ArnLike not an ARN", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#, vec![("aws:PrincipalArn", vec!["Reader"])], no_identity()),
        cond("ArnNotEquals differs", r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:111122223333:function:rotate"}}"#, vec![("aws:SourceArn", vec!["arn:aws:lambda:us-east-1:111122223333:function:other"])], Ok(())),
        cond("ArnNotLike matches", r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:lambda:*:111122223333:function:*"}}"#, vec![("aws:SourceArn", vec!["arn:aws:lambda:us-east-1:111122223333:function:rotate"])], no_identity()),
        cond("ArnNotLike missing key is true", r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:lambda:*:*:function:*"}}"#, vec![], Ok(())),
        // --- Null, IfExists ---
        cond("Null true, key absent", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, vec![], Ok(())),
        cond("Null true, key present", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, vec![("aws:TokenIssueTime", vec!["2025-01-01T00:00:00Z"])], no_identity()),
        cond("Null false, key present", r#"{"Null":{"aws:TokenIssueTime":false}}"#, vec![("aws:TokenIssueTime", vec!["2025-01-01T00:00:00Z"])], Ok(())),
        cond("Null false, key absent", r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, vec![], no_identity()),
        cond("IfExists, key absent", r#"{"StringEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}"#, vec![], Ok(())),
        cond("IfExists, key differs", r#"{"StringEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}"#, team("red"), no_identity()),
        cond("NumericLessThanIfExists, key absent", r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#, vec![], Ok(())),
        cond("NotIpAddressIfExists, inside", r#"{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, vec![("aws:SourceIp", vec!["10.0.0.1"])], no_identity()),
        // --- Set operators ---
        cond("ForAnyValue overlap", r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}"#, tags(vec!["a", "b"]), Ok(())),
        cond("ForAnyValue missing key", r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}"#, vec![], no_identity()),
        cond("ForAnyValue no overlap", r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}"#, tags(vec!["a", "d"]), no_identity()),
        cond("ForAllValues subset", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}"#, tags(vec!["a", "b"]), Ok(())),
        cond("ForAllValues not a subset", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}"#, tags(vec!["a", "d"]), no_identity()),
        cond("ForAllValues missing key is true", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#, vec![], Ok(())),
        cond("ForAllValues empty set is true", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#, tags(vec![]), Ok(())),
        cond("ForAnyValue:StringNotEquals one outside", r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#, tags(vec!["a", "b"]), Ok(())),
        cond("ForAnyValue:StringNotEquals all inside", r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#, tags(vec!["a"]), no_identity()),
        cond("ForAllValues:StringNotEquals none inside", r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#, tags(vec!["c", "d"]), Ok(())),
        cond("ForAllValues:StringNotEquals one inside", r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#, tags(vec!["a", "c"]), no_identity()),
        cond("ForAllValues:StringNotEquals missing key", r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a"]}}"#, vec![], Ok(())),
        cond("ForAnyValue:StringNotEquals missing key", r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}"#, vec![], no_identity()),
        cond("ForAllValues:StringLike", r#"{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}"#, tags(vec!["CreatedBy", "CreatedAt"]), Ok(())),
        cond("plain operator on a multivalued key", r#"{"StringEquals":{"aws:TagKeys":"b"}}"#, tags(vec!["a", "b"]), Ok(())),
        cond("plain negated operator on a multivalued key", r#"{"StringNotEquals":{"aws:TagKeys":"b"}}"#, tags(vec!["a", "b"]), no_identity()),
        cond("ForAnyValue with IfExists, key absent", r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}"#, vec![], Ok(())),
        // --- Policy variables ---
        Case { name: "username in Resource", identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*")], resource: home, ..Case::default() },
        Case { name: "username is unresolvable for a role session", who: Who::Session, identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*")], resource: home, expect: no_identity(), ..Case::default() },
        Case {
            name: "username as a condition value",
            identity: vec![allow_if(r#"{"StringEquals":{"secretsmanager:ResourceTag/owner":"${aws:username}"}}"#)],
            keys: vec![("secretsmanager:ResourceTag/owner", vec!["alice"])],
            ..Case::default()
        },
        Case {
            name: "principal tag in Resource",
            identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*")],
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:blue/x",
            keys: team("blue"),
            ..Case::default()
        },
        Case {
            name: "unresolvable variable in Resource",
            identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*")],
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:blue/x",
            expect: no_identity(),
            ..Case::default()
        },
        Case {
            name: "variable default value",
            identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team, 'none'}/*")],
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:none/x",
            ..Case::default()
        },
        Case { name: "${*} is a literal star", identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:star${*}")], resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:starX", expect: no_identity(), ..Case::default() },
        Case { name: "${*} matches a star", identity: vec![allow(GET, "arn:aws:secretsmanager:*:*:secret:star${*}${?}${$}")], resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:star*?$", ..Case::default() },
        Case {
            name: "variables are literal before 2012-10-17",
            identity: vec![r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}}"#.to_owned()],
            resource: home,
            expect: no_identity(),
            ..Case::default()
        },
        Case {
            name: "variables are literal without a Version",
            identity: vec![r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}}"#.to_owned()],
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/${aws:username}/x",
            ..Case::default()
        },
        Case {
            name: "userid variable",
            identity: vec![allow_if(r#"{"StringEquals":{"secretsmanager:Description":"${aws:userid}"}}"#)],
            keys: vec![("secretsmanager:Description", vec!["AIDAALICE0000000000"])],
            ..Case::default()
        },
        Case { name: "PrincipalAccount variable", identity: vec![allow(GET, "arn:aws:secretsmanager:us-east-1:${aws:PrincipalAccount}:secret:*")], ..Case::default() },
        Case {
            name: "request key as a variable",
            identity: vec![allow_if(r#"{"StringEquals":{"aws:ResourceTag/env":"${aws:RequestTag/env}"}}"#)],
            keys: vec![("aws:RequestTag/env", vec!["prod"]), ("aws:ResourceTag/env", vec!["prod"])],
            ..Case::default()
        },
        Case {
            name: "unresolvable variable under a negated operator",
            identity: vec![allow_if(r#"{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:PrincipalTag/x}"}}"#)],
            keys: vec![("aws:ResourceTag/owner", vec!["alice"])],
            expect: no_identity(),
            ..Case::default()
        },
        // --- Resource policies, same account ---
        Case { name: "resource policy names the user", resource_policy: Some(grant("Allow", &aws(ALICE_ARN), GET)), ..Case::default() },
        Case { name: "resource policy names the account id", resource_policy: Some(grant("Allow", &aws(ACCOUNT), GET)), expect: no_identity(), ..Case::default() },
        Case { name: "resource policy names the account root", resource_policy: Some(grant("Allow", &aws("arn:aws:iam::111122223333:root"), GET)), expect: no_identity(), ..Case::default() },
        Case { name: "account grant suffices for root", who: Who::Root, resource_policy: Some(grant("Allow", &aws(ACCOUNT), GET)), ..Case::default() },
        Case { name: "resource deny binds root", who: Who::Root, resource_policy: Some(grant("Deny", r#""*""#, "*")), expect: Err(ExplicitDenyResource), ..Case::default() },
        Case { name: "resource deny beats identity allow", identity: vec![allow("*", "*")], resource_policy: Some(grant("Deny", &aws(ALICE_ARN), GET)), expect: Err(ExplicitDenyResource), ..Case::default() },
        Case { name: "resource policy for everyone", resource_policy: Some(grant("Allow", r#""*""#, GET)), ..Case::default() },
        Case { name: "resource policy for {AWS: *}", resource_policy: Some(grant("Allow", &aws("*"), "secretsmanager:*")), ..Case::default() },
        Case { name: "identity allows, resource names another", identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws(READER_ROLE), GET)), ..Case::default() },
        Case { name: "resource policy names the role of the session", who: Who::Session, resource_policy: Some(grant("Allow", &aws(READER_ROLE), GET)), ..Case::default() },
        Case { name: "resource policy names the session", who: Who::Session, resource_policy: Some(grant("Allow", &aws(READER_SESSION), GET)), ..Case::default() },
        Case { name: "resource policy names another role", who: Who::Session, resource_policy: Some(grant("Allow", &aws("arn:aws:iam::111122223333:role/Writer"), GET)), expect: no_identity(), ..Case::default() },
        Case { name: "resource policy names the user id", resource_policy: Some(grant("Allow", &aws("AIDAALICE0000000000"), GET)), ..Case::default() },
        Case { name: "resource policy for another action", resource_policy: Some(grant("Allow", &aws(ALICE_ARN), "secretsmanager:DescribeSecret")), expect: no_identity(), ..Case::default() },
        Case { name: "resource policy with a Service principal", resource_policy: Some(grant("Allow", r#"{"Service":"lambda.amazonaws.com"}"#, GET)), expect: no_identity(), ..Case::default() },
        Case {
            name: "resource policy for everyone in the org",
            resource_policy: Some(doc(r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#)),
            keys: vec![("aws:PrincipalOrgID", vec!["o-abc123"])],
            ..Case::default()
        },
        Case {
            name: "resource deny when not through the VPC endpoint",
            identity: vec![allow("*", "*")],
            resource_policy: Some(doc(r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c"}}}"#)),
            expect: Err(ExplicitDenyResource),
            ..Case::default()
        },
        Case {
            name: "resource deny spared through the VPC endpoint",
            identity: vec![allow("*", "*")],
            resource_policy: Some(doc(r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c"}}}"#)),
            keys: vec![("aws:SourceVpce", vec!["vpce-1a2b3c"])],
            ..Case::default()
        },
        Case { name: "NotPrincipal deny spares the listed user", identity: vec![allow("*", "*")], resource_policy: Some(doc(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ALICE_ARN}"}},"Action":"*","Resource":"*"}}"#))), ..Case::default() },
        Case { name: "NotPrincipal deny hits others", identity: vec![allow("*", "*")], resource_policy: Some(doc(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":"{BOB_ARN}"}},"Action":"*","Resource":"*"}}"#))), expect: Err(ExplicitDenyResource), ..Case::default() },
        Case { name: "NotPrincipal deny listing the account spares its users", identity: vec![allow("*", "*")], resource_policy: Some(doc(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ACCOUNT}"}},"Action":"*","Resource":"*"}}"#))), ..Case::default() },
        Case { name: "NotPrincipal allow for everyone else", resource_policy: Some(doc(&format!(r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"{BOB_ARN}"}},"Action":"*","Resource":"*"}}"#))), ..Case::default() },
        Case { name: "resource policy whose Resource misses", resource_policy: Some(doc(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE_ARN}"}},"Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"}}"#))), expect: no_identity(), ..Case::default() },
        // --- Session policies ---
        Case { name: "session policy allows too", who: Who::Session, identity: vec![allow("*", "*")], session: Some(allow(GET, "*")), ..Case::default() },
        Case { name: "session policy does not allow", who: Who::Session, identity: vec![allow("*", "*")], session: Some(allow("secretsmanager:DescribeSecret", "*")), expect: Err(NoSessionAllow), ..Case::default() },
        Case { name: "session policy denies", who: Who::Session, identity: vec![allow("*", "*")], session: Some(doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#)), expect: Err(ExplicitDenySession), ..Case::default() },
        Case { name: "session policy alone grants nothing", who: Who::Session, session: Some(allow("*", "*")), expect: no_identity(), ..Case::default() },
        Case { name: "identity deny reported before session deny", who: Who::Session, identity: vec![deny("*", "*")], session: Some(deny("*", "*")), expect: Err(ExplicitDenyIdentity), ..Case::default() },
        Case { name: "role named in resource policy, session policy disagrees", who: Who::Session, session: Some(allow("secretsmanager:DescribeSecret", "*")), resource_policy: Some(grant("Allow", &aws(READER_ROLE), GET)), expect: no_identity(), ..Case::default() },
        Case { name: "role named in resource policy, session policy agrees", who: Who::Session, session: Some(allow(GET, "*")), resource_policy: Some(grant("Allow", &aws(READER_ROLE), GET)), ..Case::default() },
        Case { name: "session named in resource policy, session policy not consulted", who: Who::Session, session: Some(allow("secretsmanager:DescribeSecret", "*")), resource_policy: Some(grant("Allow", &aws(READER_SESSION), GET)), ..Case::default() },
        // --- Cross account ---
        Case { name: "cross-account: both allow (account grant)", who: Who::Bob, identity: vec![allow(GET, SECRET)], resource_policy: Some(grant("Allow", &aws(OTHER), GET)), ..Case::default() },
        Case { name: "cross-account: both allow (user grant)", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws(BOB_ARN), GET)), ..Case::default() },
        Case { name: "cross-account: account root ARN grant", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws("arn:aws:iam::444455556666:root"), GET)), ..Case::default() },
        Case { name: "cross-account: no resource policy", who: Who::Bob, identity: vec![allow(GET, "*")], expect: Err(NoResourceAllow), ..Case::default() },
        Case { name: "cross-account: resource policy for someone else", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws(ALICE_ARN), GET)), expect: Err(NoResourceAllow), ..Case::default() },
        Case { name: "cross-account: resource policy for the resource's own account", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws(ACCOUNT), GET)), expect: Err(NoResourceAllow), ..Case::default() },
        Case { name: "cross-account: only the resource policy allows", who: Who::Bob, resource_policy: Some(grant("Allow", &aws(BOB_ARN), GET)), expect: no_identity(), ..Case::default() },
        Case { name: "cross-account: public resource policy", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", r#""*""#, GET)), ..Case::default() },
        Case { name: "cross-account: other root with account grant", who: Who::OtherRoot, resource_policy: Some(grant("Allow", &aws(OTHER), GET)), ..Case::default() },
        Case { name: "cross-account: other root without resource policy", who: Who::OtherRoot, expect: Err(NoResourceAllow), ..Case::default() },
        Case { name: "cross-account: session of a named role", who: Who::OtherSession, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Allow", &aws(X_ROLE), GET)), ..Case::default() },
        Case { name: "cross-account: session policy denies", who: Who::OtherSession, identity: vec![allow(GET, "*")], session: Some(deny("*", "*")), resource_policy: Some(grant("Allow", &aws(X_ROLE), GET)), expect: Err(ExplicitDenySession), ..Case::default() },
        Case { name: "cross-account: session policy does not allow", who: Who::OtherSession, identity: vec![allow(GET, "*")], session: Some(allow("kms:*", "*")), resource_policy: Some(grant("Allow", &aws(X_SESSION), GET)), expect: Err(NoSessionAllow), ..Case::default() },
        Case { name: "cross-account: identity deny", who: Who::Bob, identity: vec![deny(GET, "*")], resource_policy: Some(grant("Allow", &aws(BOB_ARN), GET)), expect: Err(ExplicitDenyIdentity), ..Case::default() },
        Case { name: "cross-account: resource deny", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(grant("Deny", &aws(OTHER), "*")), expect: Err(ExplicitDenyResource), ..Case::default() },
        Case { name: "cross-account: NotPrincipal allow", who: Who::Bob, identity: vec![allow(GET, "*")], resource_policy: Some(doc(&format!(r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"{ALICE_ARN}"}},"Action":"*","Resource":"*"}}"#))), ..Case::default() },
        Case { name: "cross-account: resource policy for another action", who: Who::Bob, identity: vec![allow("*", "*")], resource_policy: Some(grant("Allow", &aws(OTHER), "secretsmanager:DescribeSecret")), expect: Err(NoResourceAllow), ..Case::default() },
        // --- Trust policies ---
        Case {
            name: "trust: other account may assume",
            who: Who::Bob,
            identity: vec![allow("sts:AssumeRole", READER_ROLE)],
            resource_policy: Some(doc(r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}"#)),
            trust: true,
            action: "sts:AssumeRole",
            resource: READER_ROLE,
            ..Case::default()
        },
        Case {
            name: "trust: same-account user named",
            resource_policy: Some(doc(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":["{ALICE_ARN}"]}},"Action":"sts:AssumeRole"}}"#))),
            trust: true,
            action: "sts:AssumeRole",
            resource: READER_ROLE,
            ..Case::default()
        },
        Case {
            name: "trust: same-account grant to the account needs an identity allow",
            resource_policy: Some(doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#)),
            trust: true,
            action: "sts:AssumeRole",
            resource: READER_ROLE,
            expect: no_identity(),
            ..Case::default()
        },
        Case {
            name: "trust: other account not trusted",
            who: Who::Bob,
            identity: vec![allow("sts:AssumeRole", "*")],
            resource_policy: Some(doc(r#"{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"sts:AssumeRole"}"#)),
            trust: true,
            action: "sts:AssumeRole",
            resource: READER_ROLE,
            expect: Err(NoResourceAllow),
            ..Case::default()
        },
        // --- Root ---
        Case { name: "root in its own account", who: Who::Root, ..Case::default() },
        Case { name: "root may do anything in its account", who: Who::Root, action: "iam:CreateUser", resource: "*", ..Case::default() },
        Case { name: "root with a resource policy naming others", who: Who::Root, resource_policy: Some(grant("Allow", &aws(BOB_ARN), GET)), ..Case::default() },
    ]
}

#[test]
fn authorization_table() {
    let cases = cases();
    assert!(cases.len() >= 100, "the table has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let parse = |text: &str, kind| match Policy::parse(text, kind) {
            Ok(policy) => policy,
            Err(error) => panic!("{}: policy does not parse ({error}): {text}", case.name),
        };
        let identity_policies: Vec<Policy> = case
            .identity
            .iter()
            .map(|t| parse(t, PolicyKind::Identity))
            .collect();
        let session = case
            .session
            .as_deref()
            .map(|t| parse(t, PolicyKind::Identity));
        let resource_kind = if case.trust {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        };
        let resource_policy = case
            .resource_policy
            .as_deref()
            .map(|t| parse(t, resource_kind));
        let principal = case.who.context();
        let mut keys = ConditionKeys::default();
        for (key, values) in &case.keys {
            keys.insert_all(key, values.iter().copied());
        }
        let request = Request {
            action: case.action,
            resource: case.resource,
            principal: &principal,
            resource_account: ACCOUNT,
            keys: &keys,
        };
        let identity = if case.who.is_root() {
            Identity::Root
        } else {
            Identity::Policies(&identity_policies)
        };
        let got = authorize(
            identity,
            session.as_ref(),
            resource_policy.as_ref(),
            &request,
        )
        .map_err(|d| d.reason);
        if got != case.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.name, case.expect, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// --- Policy::evaluate alone ---

#[test]
fn evaluate_one_policy() {
    let principal = Who::Alice.context();
    let keys = ConditionKeys::default();
    let request = Request {
        action: GET,
        resource: SECRET,
        principal: &principal,
        resource_account: ACCOUNT,
        keys: &keys,
    };
    let decide =
        |text: &str| Policy::parse(text, PolicyKind::Identity).map(|p| p.evaluate(&request));
    assert_eq!(decide(&allow(GET, "*")), Ok(Decision::Allow));
    assert_eq!(decide(&deny("*", "*")), Ok(Decision::Deny));
    assert_eq!(decide(&allow("kms:*", "*")), Ok(Decision::NotApplicable));
    let both = doc(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}"#,
    );
    assert_eq!(decide(&both), Ok(Decision::Deny));
    // Duplicate member names: the last one wins.
    let duplicate = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}}"#;
    assert_eq!(decide(duplicate), Ok(Decision::Allow));
}

// --- Grammar and AWS's messages ---

fn parse_error(text: &str, kind: PolicyKind) -> String {
    match Policy::parse(text, kind) {
        Ok(_) => panic!("parsed, but should not have: {text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn malformed_documents() {
    use PolicyKind::{Identity as I, Resource as R, Trust as T};
    let s = |statement: &str| doc(statement);
    let owned = |t: &str| t.to_owned();
    let table: Vec<(String, PolicyKind, String)> = vec![
        (owned(""), I, owned(INVALID_JSON)),
        (owned("   "), I, owned(INVALID_JSON)),
        (owned("[]"), I, owned(INVALID_JSON)),
        (owned("\"policy\""), I, owned(INVALID_JSON)),
        (owned("null"), I, owned(NOT_A_POLICY)),
        (owned("{"), I, owned(INVALID_JSON)),
        (owned("{}"), I, owned(MISSING_STATEMENT)),
        (
            owned(r#"{"Version":"2012-10-17"}"#),
            I,
            owned(MISSING_STATEMENT),
        ),
        (owned(r#"{"Statement":[]}"#), I, owned(EMPTY_STATEMENT)),
        (format!("{} x", allow("*", "*")), I, owned(INVALID_JSON)),
        (format!("{}{{}}", allow("*", "*")), I, owned(INVALID_JSON)),
        (
            owned(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},]}"#),
            I,
            owned(INVALID_JSON),
        ),
        (
            owned(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*",}}"#),
            I,
            owned(INVALID_JSON),
        ),
        (owned("{/* c */\"Statement\":[]}"), I, owned(INVALID_JSON)),
        (
            owned(r#"{"Statement":{"Sid":"\x","Effect":"Allow","Action":"*","Resource":"*"}}"#),
            I,
            owned(INVALID_JSON),
        ),
        (owned(r#"{"Statement":{"Sid":"abc"#), I, owned(INVALID_JSON)),
        (
            owned(r#"{"Id":"\ud800","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
            R,
            owned(INVALID_JSON),
        ),
        (
            owned(r#"{"Id":"\udc00","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
            R,
            owned(INVALID_JSON),
        ),
        (
            owned(
                r#"{"Id":"\ud800\u0041","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            ),
            R,
            owned(INVALID_JSON),
        ),
        (
            owned(r#"{"Id":"\u12G4","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
            R,
            owned(INVALID_JSON),
        ),
        (
            owned("{\"Id\":\"a\u{1}b\",\"Statement\":[]}"),
            I,
            owned(INVALID_JSON),
        ),
        (
            format!("\u{feff}{}", allow("*", "*")),
            I,
            owned(INVALID_JSON),
        ),
        (owned(r#"{"Id":01,"Statement":[]}"#), I, owned(INVALID_JSON)),
        (owned(r#"{"Id":1.,"Statement":[]}"#), I, owned(INVALID_JSON)),
        (owned(r#"{"Id":-,"Statement":[]}"#), I, owned(INVALID_JSON)),
        (owned(r#"{"Id":.5,"Statement":[]}"#), I, owned(INVALID_JSON)),
        (
            owned(r#"{"Id":tru,"Statement":[]}"#),
            I,
            owned(INVALID_JSON),
        ),
        (owned(r#"{'Statement':[]}"#), I, owned(INVALID_JSON)),
        (
            owned(r#"{"Version":"2012-10-17","Foo":1,"Statement":[]}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            owned(
                r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            owned(
                r#"{"Version":20121017,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            owned(r#"{"Id":5,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            owned(r#"{"Statement":"Allow everything"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (owned(r#"{"Statement":["Allow"]}"#), I, owned(SYNTAX_ERRORS)),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Action":"*","Resource":"*"}"#),
            I,
            owned(MISSING_EFFECT),
        ),
        (
            s(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#),
            I,
            owned(LEGACY_PARSING),
        ),
        (
            s(r#"{"Effect":"Permit","Action":"*","Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":true,"Action":"*","Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Resource":"*"}"#),
            I,
            owned(MISSING_ACTIONS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
            I,
            owned(MISSING_ACTIONS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":5,"Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":["s3:Get",3],"Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":{"a":"b"},"Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"GetSecretValue","Resource":"*"}"#),
            I,
            owned(VENDOR_REQUIRED),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"a:b:c","Resource":"*"}"#),
            I,
            owned(ONE_COLON),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"secrets manager:Get","Resource":"*"}"#),
            I,
            owned("Vendor secrets manager is not valid"),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*"}"#),
            I,
            owned(MISSING_RESOURCES),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":[]}"#),
            I,
            owned(MISSING_RESOURCES),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"my-secret"}"#),
            I,
            owned(r#"Resource my-secret must be in ARN format or "*"."#),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"arn::secretsmanager"}"#),
            I,
            owned(r#"Resource arn::secretsmanager must be in ARN format or "*"."#),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#),
            I,
            owned(NO_PRINCIPAL_ALLOWED),
        ),
        (
            s(
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}"#,
            ),
            I,
            owned(NO_PRINCIPAL_ALLOWED),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#),
            R,
            owned(MISSING_PRINCIPAL),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#),
            T,
            owned(MISSING_PRINCIPAL),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}"#),
            T,
            owned(PROHIBITED_RESOURCE),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":"*"}"#),
            T,
            owned(PROHIBITED_RESOURCE),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(r#"Invalid principal in policy: "arn:aws:iam::111122223333:root""#),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(r#"Invalid principal in policy: "AWS":"arn:aws:iam::*:root""#),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":{"AWS":["111122223333","bob"]},"Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(r#"Invalid principal in policy: "AWS":"bob""#),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/"},"Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(r#"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/""#),
        ),
        (
            s(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1111:root"},"Action":"*","Resource":"*"}"#,
            ),
            R,
            owned(r#"Invalid principal in policy: "AWS":"arn:aws:iam::1111:root""#),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":{"Service":""},"Action":"*","Resource":"*"}"#),
            R,
            owned(r#"Invalid principal in policy: "Service":"""#),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"*","Resource":"*"}"#),
            R,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}"#),
            R,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*","Resource":"*"}"#),
            R,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Principal":5,"Action":"*","Resource":"*"}"#),
            R,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"aws:username":"a"}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:username":"a"}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":"b"}}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":[["a"]]}}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"aws:username"}}"#,
            ),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":"always"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}"#,
            ),
            I,
            owned(VENDOR_REQUIRED),
        ),
        (
            s(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}"#,
            ),
            I,
            owned(LEGACY_PARSING),
        ),
        (
            s(r#"{"Sid":"Allow all","Effect":"Allow","Action":"*","Resource":"*"}"#),
            I,
            owned(SID_ALPHANUMERIC),
        ),
        (
            s(r#"{"Sid":7,"Effect":"Allow","Action":"*","Resource":"*"}"#),
            I,
            owned(SYNTAX_ERRORS),
        ),
    ];
    for (text, kind, expected) in &table {
        assert_eq!(&parse_error(text, *kind), expected, "document: {text}");
    }
}

#[test]
fn well_formed_documents() {
    let accepted = [
        (allow("*", "*"), PolicyKind::Identity),
        // Statement as a single object, no Version, Sid with any characters in a resource policy.
        (r#"{"Statement":{"Sid":"Let the app in","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/path/App","arn:aws:sts::111122223333:assumed-role/App/s","AIDAEXAMPLE000000000"]},"Action":"secretsmanager:*","Resource":"*"}}"#.to_owned(), PolicyKind::Resource),
        (r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Deny","NotPrincipal":{"Service":"lambda.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"},"NotAction":"*","NotResource":"*"}]}"#.to_owned(), PolicyKind::Resource),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#.to_owned(), PolicyKind::Trust),
        // A surrogate pair, escapes, whitespace of every kind, numbers and booleans as condition values.
        ("{\r\n\t\"Id\" : \"\\ud83d\\ude00 \\\"q\\\" \\/ \\u00e9\",\n \"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":{\"s3:max-keys\":[1.5e2,-3]},\"Bool\":{\"aws:SecureTransport\":[true,\"false\"]}}}}".to_owned(), PolicyKind::Identity),
        // Every operator with IfExists and both set prefixes.
        (allow_if(r#"{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"a*"},"ForAllValues:ArnNotLikeIfExists":{"aws:SourceArn":"arn:*:*:*:*:*"},"DateGreaterThanEqualsIfExists":{"aws:CurrentTime":"2020-01-01T00:00Z"},"BinaryEqualsIfExists":{"x:y":"AA=="}}"#), PolicyKind::Identity),
    ];
    for (text, kind) in &accepted {
        if let Err(error) = Policy::parse(text, *kind) {
            panic!("refused ({error}): {text}");
        }
    }
    let policy = Policy::parse(&accepted[2].0, PolicyKind::Resource).map_err(|e| e.to_string());
    assert_eq!(policy.as_ref().map(Policy::kind), Ok(PolicyKind::Resource));
    assert_eq!(policy.as_ref().ok().and_then(Policy::id), Some("x"));
}

#[test]
fn every_operator_parses() {
    let names = [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
    ];
    for name in names {
        for full in [
            name.to_owned(),
            format!("{name}IfExists"),
            format!("ForAnyValue:{name}"),
            format!("ForAllValues:{name}IfExists"),
        ] {
            let value = if name.starts_with("Date") {
                "2020-01-01"
            } else {
                "1"
            };
            let text = allow_if(&format!(r#"{{"{full}":{{"x:y":"{value}"}}}}"#));
            assert!(Policy::parse(&text, PolicyKind::Identity).is_ok(), "{full}");
        }
    }
    assert!(Policy::parse(
        &allow_if(r#"{"Null":{"x:y":"true"}}"#),
        PolicyKind::Identity
    )
    .is_ok());
}

// --- Hostile input ---

#[test]
fn deep_nesting_is_refused_without_overflow() {
    for depth in [65, 1_000, 100_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(parse_error(&text, PolicyKind::Identity), INVALID_JSON);
        let text = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        assert_eq!(parse_error(&text, PolicyKind::Identity), INVALID_JSON);
        // Unclosed, as a truncated upload would be.
        assert_eq!(
            parse_error(&"[".repeat(depth), PolicyKind::Identity),
            INVALID_JSON
        );
    }
    // Sixty-four levels are still JSON (the policy grammar then refuses the shape).
    let text = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(super::json::parse(&text).is_ok());
    let text = format!(r#"{{"Statement":{}{}}}"#, "[".repeat(63), "]".repeat(63));
    assert_eq!(parse_error(&text, PolicyKind::Identity), SYNTAX_ERRORS);
}

#[test]
fn huge_values_are_handled() {
    let long = "a".repeat(1 << 20);
    let text = doc(&format!(
        r#"{{"Effect":"Allow","Action":"secretsmanager:{long}","Resource":"*"}}"#
    ));
    assert!(Policy::parse(&text, PolicyKind::Identity).is_ok());
    let text = format!(r#"{{"Id":"{long}"#);
    assert_eq!(parse_error(&text, PolicyKind::Identity), INVALID_JSON);
    let many = vec![r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#; 5_000].join(",");
    assert!(Policy::parse(&doc(&many), PolicyKind::Identity).is_ok());
}

#[test]
fn pathological_wildcards_stay_fast() {
    // A backtracking matcher without the single-star rule is exponential here.
    let pattern = super::matching::compile_plain(&format!("{}b", "*a".repeat(30)));
    let text = "a".repeat(5_000);
    let start = std::time::Instant::now();
    assert!(!super::matching::matches(&pattern, &text, false));
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn json_values_decode() {
    use super::json::{parse, Value};
    assert_eq!(
        parse(r#""\u00e9\ud83d\ude00\n\t\\\/\"""#),
        Ok(Value::String("é😀\n\t\\/\"".to_owned()))
    );
    assert_eq!(parse(" 1.50e+3 "), Ok(Value::Number("1.50e+3".to_owned())));
    assert_eq!(parse("-0"), Ok(Value::Number("-0".to_owned())));
    assert_eq!(
        parse("[true,false,null]"),
        Ok(Value::Array(vec![
            Value::Bool(true),
            Value::Bool(false),
            Value::Null
        ]))
    );
    assert_eq!(parse("\"é\""), Ok(Value::String("é".to_owned())));
    for bad in [
        "",
        "nul",
        "[1,]",
        "{\"a\"}",
        "{\"a\":}",
        "{1:2}",
        "[1 2]",
        "\"\\u00\"",
        "\"\\",
        "1e",
        "1e+",
        "--1",
        "+1",
        "\u{a0}1",
        "0x10",
        "Infinity",
        "NaN",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn cidr_parsing() {
    use super::condition::Cidr;
    for good in [
        "10.0.0.0/8",
        "192.0.2.1",
        "::/0",
        "2001:db8::/128",
        "0.0.0.0/0",
    ] {
        assert!(Cidr::parse(good).is_some(), "{good}");
    }
    for bad in [
        "10.0.0.0/33",
        "2001:db8::/129",
        "10.0.0/8",
        "10.0.0.0/",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "example.com",
        "1.2.3.4/0008",
    ] {
        assert!(Cidr::parse(bad).is_none(), "{bad}");
    }
}

// --- Public access ---

#[test]
fn public_access() {
    let public = |statement: &str| {
        let text = doc(statement);
        match Policy::parse(&text, PolicyKind::Resource) {
            Ok(policy) => policy.grants_public_access(),
            Err(error) => panic!("{error}: {text}"),
        }
    };
    let with = |condition: &str| {
        format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{condition}}}"#
        )
    };
    assert!(public(
        r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#
    ));
    assert!(public(
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}"#
    ));
    assert!(public(
        r#"{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"*","Resource":"*"}"#
    ));
    assert!(public(
        r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}"#
    ));
    assert!(!public(
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}"#
    ));
    assert!(!public(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/App"},"Action":"*","Resource":"*"}"#
    ));
    assert!(!public(
        r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#
    ));
    assert!(!public(&with(
        r#"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#
    )));
    assert!(!public(&with(
        r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#
    )));
    assert!(!public(&with(
        r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App"}}"#
    )));
    assert!(!public(&with(
        r#"{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}"#
    )));
    assert!(!public(&with(
        r#"{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}"#
    )));
    assert!(!public(&with(
        r#"{"ForAnyValue:StringEquals":{"aws:PrincipalOrgPaths":"o-a/r-b/ou-c/"}}"#
    )));
    assert!(!public(&with(
        r#"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:userid":"AIDAEXAMPLE000000000"}}"#
    )));
    assert!(public(&with(
        r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/App"}}"#
    )));
    assert!(public(&with(
        r#"{"StringEquals":{"aws:PrincipalAccount":["111122223333","*"]}}"#
    )));
    assert!(public(&with(
        r#"{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#
    )));
    assert!(public(&with(
        r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#
    )));
    assert!(public(&with(
        r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#
    )));
    assert!(public(&with(
        r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#
    )));
    assert!(public(&with(
        r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
    )));
    assert!(public(&with(r#"{"Bool":{"aws:SecureTransport":"true"}}"#)));
    assert!(public(&with(
        r#"{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT"}}"#
    )));
}

// --- ValidateResourcePolicy ---

#[test]
fn validate_resource_policy_findings() {
    let finding = |check: &str, message: &str| Finding {
        check_name: check.to_owned(),
        error_message: message.to_owned(),
    };
    let public = grant("Allow", r#""*""#, GET);
    assert_eq!(
        validate_resource_policy("{", true),
        vec![finding(CHECK_SYNTAX, INVALID_JSON)]
    );
    assert_eq!(
        validate_resource_policy(&allow("*", "*"), true),
        vec![finding(CHECK_SYNTAX, MISSING_PRINCIPAL)]
    );
    assert_eq!(
        validate_resource_policy(&public, true),
        vec![finding(CHECK_PUBLIC_ACCESS, PUBLIC_ACCESS_MESSAGE)]
    );
    assert_eq!(validate_resource_policy(&public, false), vec![]);
    assert_eq!(
        validate_resource_policy(&grant("Allow", &aws(OTHER), GET), true),
        vec![]
    );
    let lockout = grant("Deny", r#""*""#, "secretsmanager:*");
    assert_eq!(
        validate_resource_policy(&lockout, true),
        vec![finding(CHECK_LOCKOUT, LOCKOUT_MESSAGE)]
    );
    let both = doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"*"},"NotAction":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    );
    assert_eq!(
        validate_resource_policy(&both, true),
        vec![
            finding(CHECK_PUBLIC_ACCESS, PUBLIC_ACCESS_MESSAGE),
            finding(CHECK_LOCKOUT, LOCKOUT_MESSAGE)
        ]
    );
    // A deny for everyone with a condition leaves a way in, and so does one that spares a principal.
    let conditional = doc(
        r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}"#,
    );
    assert_eq!(validate_resource_policy(&conditional, true), vec![]);
    let spares = doc(
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"*","Resource":"*"}"#,
    );
    assert_eq!(validate_resource_policy(&spares, true), vec![]);
    let only_reads = grant("Deny", r#""*""#, "secretsmanager:GetSecretValue");
    assert_eq!(validate_resource_policy(&only_reads, true), vec![]);
}

// --- AccessDenied messages ---

#[test]
fn denial_messages() {
    let alice = Who::Alice.context();
    let session = Who::Session.context();
    let keys = ConditionKeys::default();
    let on_secret = Request {
        action: GET,
        resource: SECRET,
        principal: &alice,
        resource_account: ACCOUNT,
        keys: &keys,
    };
    let message = |reason| Denial { reason }.message(&on_secret);
    let prefix = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
    assert_eq!(message(NoIdentityAllow), format!("{prefix} because no identity-based policy allows the secretsmanager:GetSecretValue action"));
    assert_eq!(message(NoResourceAllow), format!("{prefix} because no resource-based policy allows the secretsmanager:GetSecretValue action"));
    assert_eq!(
        message(NoSessionAllow),
        format!(
            "{prefix} because no session policy allows the secretsmanager:GetSecretValue action"
        )
    );
    assert_eq!(
        message(ExplicitDenyIdentity),
        format!("{prefix} with an explicit deny in an identity-based policy")
    );
    assert_eq!(
        message(ExplicitDenyResource),
        format!("{prefix} with an explicit deny in a resource-based policy")
    );
    assert_eq!(
        message(ExplicitDenySession),
        format!("{prefix} with an explicit deny in a session policy")
    );

    let list = Request {
        action: "secretsmanager:ListSecrets",
        resource: "*",
        principal: &session,
        resource_account: ACCOUNT,
        keys: &keys,
    };
    assert_eq!(
        Denial { reason: NoIdentityAllow }.message(&list),
        "User: arn:aws:sts::111122223333:assumed-role/Reader/sess1 is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"
    );
}

#[test]
fn condition_keys_ignore_case() {
    let mut keys = ConditionKeys::default();
    keys.insert("aws:ResourceTag/Project", "Apollo");
    assert_eq!(
        keys.get("AWS:resourcetag/project"),
        Some(&["Apollo".to_owned()][..])
    );
    keys.insert_all("aws:TagKeys", ["a", "b"]);
    keys.insert("aws:tagkeys", "c");
    assert_eq!(keys.get("aws:TagKeys"), Some(&["c".to_owned()][..]));
    assert_eq!(keys.get("aws:SourceIp"), None);
}

// --- Properties ---

mod properties {
    use super::super::{json, Policy, PolicyKind};
    use proptest::prelude::*;

    /// Fragments that make random text look like a policy often enough to reach the grammar.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just(":".to_owned()),
            Just("\"Statement\"".to_owned()),
            Just("\"Effect\"".to_owned()),
            Just("\"Allow\"".to_owned()),
            Just("\"Action\"".to_owned()),
            Just("\"Resource\"".to_owned()),
            Just("\"Principal\"".to_owned()),
            Just("\"Condition\"".to_owned()),
            Just("\"StringLike\"".to_owned()),
            Just("\"*\"".to_owned()),
            Just("\"\\ud800\"".to_owned()),
            Just("\"${aws:username}\"".to_owned()),
            Just("1e999".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
            for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
                let _ = Policy::parse(&text, kind);
            }
            let _ = json::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_policy_shaped_text(parts in proptest::collection::vec(fragment(), 0..64)) {
            let text = parts.concat();
            for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
                let _ = Policy::parse(&text, kind);
            }
        }
    }
}

/// A policy being put may not use a condition key coffer can never know; stored policies
/// still parse (they are read with `Policy::parse`).
#[test]
fn unknowable_condition_keys_are_refused_when_a_policy_is_put() {
    let text = |key: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*","Condition":{{"StringEquals":{{"{key}":"x"}}}}}}]}}"#
        )
    };
    for key in [
        "aws:PrincipalOrgID",
        "AWS:principalorgid",
        "aws:SourceVpce",
        "aws:ResourceOrgPaths",
    ] {
        let error = Policy::parse_new(&text(key), PolicyKind::Identity)
            .expect_err("an unknowable key is refused");
        let canonical = super::UNKNOWABLE_CONDITION_KEYS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(key))
            .expect("listed");
        assert_eq!(
            error.message(),
            format!(
                "The condition key {canonical} is not supported by coffer: it has no AWS \
                 Organizations or VPCs, so the condition could never be evaluated. Remove the \
                 condition or use a key coffer supports."
            )
        );
        assert!(Policy::parse(&text(key), PolicyKind::Identity).is_ok());
    }
    assert!(Policy::parse_new(&text("aws:SourceIp"), PolicyKind::Identity).is_ok());
    assert!(Policy::parse_new(&text("aws:PrincipalTag/team"), PolicyKind::Identity).is_ok());
}
