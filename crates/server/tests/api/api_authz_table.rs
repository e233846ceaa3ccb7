//! Negative authorization, as a table: every Secrets Manager operation, every IAM action
//! coffer implements and STS AssumeRole/GetCallerIdentity, called by four kinds of caller that
//! must be refused: (a) a user without any policy, (b) a user whose Allow of everything sits
//! beside a Deny of everything, (c) an administrator of another account, (d) an assumed-role
//! session past its expiry. Each case asserts AWS's exact status, code and message, and every
//! refused write is checked to have changed nothing. The regression tests of issue 13's
//! authorization holes come first.
//!
//! Decisions the table encodes:
//! - The operations coffer does not implement yet (rotation, replication) answer their typed
//!   `InvalidRequestException` "<Operation> is not supported by this version of coffer." before
//!   any authorization: nothing is read or changed and the answer is the same for every caller
//!   (it tells nothing about the secret), so there is nothing to authorize yet. Authentication
//!   still comes first, so an expired session gets ExpiredTokenException.
//! - Across accounts, the operations that act only in the caller's own account (CreateSecret,
//!   ListSecrets, GetRandomPassword, ValidateResourcePolicy without a SecretId, IAM's creates
//!   and lists) are not cross-account requests at all: the table has no (c) case for them. The
//!   IAM actions that name an entity look it up in the caller's account, so another account's
//!   administrator gets IAM's NoSuchEntity for this account's user or role, as on AWS.
//! - GetCallerIdentity needs no permission, as on AWS: (a), (b) and (c) succeed and are told
//!   who they are.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::common::iam::{allow, xml_text, Creds};
use crate::common::*;
use chrono::{Duration, Utc};
use coffer_core::clock::ManualClock;
use serde_json::{json, Value};

/// The region every request is signed for.
const REGION: &str = "us-east-1";
/// The second account's id.
const OTHER_ACCOUNT: &str = "210987654321";
/// Allows every action on everything.
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// Denies every action on everything.
const DENY_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
/// AWS's text for an expired session token.
const MSG_EXPIRED: &str = "The security token included in the request is expired";

/// AWS's AccessDenied text for a caller no identity policy allows (`resource` `None` for an
/// action without a resource, where AWS leaves the "on resource" part out).
fn no_identity(principal: &str, action: &str, resource: Option<&str>) -> String {
    format!(
        "User: {principal} is not authorized to perform: {action}{} \
         because no identity-based policy allows the {action} action",
        on(resource)
    )
}

/// AWS's AccessDenied text for an explicit Deny in an identity policy.
fn explicit_deny(principal: &str, action: &str, resource: Option<&str>) -> String {
    format!(
        "User: {principal} is not authorized to perform: {action}{} \
         with an explicit deny in an identity-based policy",
        on(resource)
    )
}

/// AWS's AccessDenied text for a cross-account request no resource policy allows.
fn no_resource_policy(principal: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {principal} is not authorized to perform: {action} on resource: {resource} \
         because no resource-based policy allows the {action} action"
    )
}

fn on(resource: Option<&str>) -> String {
    resource
        .map(|r| format!(" on resource: {r}"))
        .unwrap_or_default()
}

/// Asserts an awsQuery error: status, code and message.
#[track_caller]
fn assert_query_error(r: &RawResponse, status: u16, code: &str, message: &str) {
    let xml = r.text();
    assert_eq!(r.status, status, "{xml}");
    assert_eq!(xml_text(&xml, "Code").as_deref(), Some(code), "{xml}");
    assert_eq!(xml_text(&xml, "Message").as_deref(), Some(message), "{xml}");
}

/// A Secrets Manager call signed with `creds`.
async fn sm(s: &TestServer, creds: &Creds, operation: &str, body: &Value) -> RawResponse {
    s.raw_json(operation, body)
        .signing(|signing| {
            signing.access_key_id = creds.akid.clone();
            signing.secret_access_key = creds.secret.clone();
            signing.session_token = creds.token.clone();
        })
        .send()
        .await
}

/// Creates a role (as root) with a trust policy and, if given, an inline policy; its ARN.
async fn role(s: &TestServer, name: &str, trust: &str, policy: Option<&str>) -> String {
    let root = s.root();
    let r = s
        .iam(
            &root,
            &[
                ("Action", "CreateRole"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", trust),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    if let Some(policy) = policy {
        let r = s
            .iam(
                &root,
                &[
                    ("Action", "PutRolePolicy"),
                    ("RoleName", name),
                    ("PolicyName", "rp"),
                    ("PolicyDocument", policy),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    format!("arn:aws:iam::{}:role/{name}", s.account)
}

/// A trust policy naming one user of the server's account.
fn trust(s: &TestServer, user: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/{user}"}},"Action":"sts:AssumeRole"}}]}}"#,
        s.account
    )
}

fn user_arn(s: &TestServer, name: &str) -> String {
    format!("arn:aws:iam::{}:user/{name}", s.account)
}

// ---------------------------------------------------------------------------------------------
// Regression tests for issue 13's authorization holes.
// ---------------------------------------------------------------------------------------------

/// Issue 13, hole 1: an assumed-role session allowed `iam:CreateAccessKey` on `*` (a
/// key-rotation job) was handed a key of the account's root user by CreateAccessKey without a
/// UserName. Every "the caller's own user" path now answers IAM's ValidationError to a
/// session, before any authorization; an IAM user still acts on itself, and only with the
/// action allowed on its own ARN.
#[tokio::test]
async fn a_role_session_cannot_manage_root_keys_and_a_user_acts_on_itself() {
    let s = start().await;
    let root = s.root();
    let rotator_arn = role(
        &s,
        "rotator",
        &trust(&s, "ops"),
        Some(&allow(r#""iam:*""#, "*")),
    )
    .await;
    let powerless_arn = role(&s, "powerless", &trust(&s, "ops"), None).await;
    let ops = s
        .user("ops", Some(&allow(r#""sts:AssumeRole""#, "*")))
        .await;
    let before = root_keys(&s).await;
    assert_eq!(before, vec![root.akid.clone()]);

    let rotator = s.assume(&ops, &rotator_arn, &[]).await;
    let powerless = s.assume(&ops, &powerless_arn, &[]).await;
    let actions: [&[(&str, &str)]; 5] = [
        &[("Action", "CreateAccessKey")],
        &[("Action", "ListAccessKeys")],
        &[
            ("Action", "UpdateAccessKey"),
            ("AccessKeyId", &root.akid),
            ("Status", "Inactive"),
        ],
        &[("Action", "DeleteAccessKey"), ("AccessKeyId", &root.akid)],
        &[("Action", "GetUser")],
    ];
    for session in [&rotator, &powerless] {
        for params in actions {
            let r = s.iam(session, params).await;
            assert_query_error(
                &r,
                400,
                "ValidationError",
                "Must specify userName when calling with non-User credentials",
            );
            assert!(r.text().contains("<Type>Sender</Type>"), "{}", r.text());
        }
    }
    assert_eq!(root_keys(&s).await, before, "the root's keys changed");
    // The root key still works, Active.
    let r = s.iam(&root, &[("Action", "ListAccessKeys")]).await;
    assert!(r.text().contains("<Status>Active</Status>"), "{}", r.text());
    // Naming a user, the session acts on it as its policy allows.
    let r = s
        .iam(
            &rotator,
            &[("Action", "CreateAccessKey"), ("UserName", "ops")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(xml_text(&r.text(), "UserName").as_deref(), Some("ops"));

    // An IAM user without UserName acts on itself: refused without the action on its own ARN,
    // and its own key (never the root's) when allowed.
    let worker = s.user("worker", None).await;
    let r = s.iam(&worker, &[("Action", "CreateAccessKey")]).await;
    assert_query_error(
        &r,
        403,
        "AccessDenied",
        &no_identity(
            &user_arn(&s, "worker"),
            "iam:CreateAccessKey",
            Some(&user_arn(&s, "worker")),
        ),
    );
    let other = s.user("other", None).await;
    s.put_user_policy(
        "worker",
        "self",
        &allow(r#""iam:CreateAccessKey""#, &user_arn(&s, "worker")),
    )
    .await;
    let r = s.iam(&worker, &[("Action", "CreateAccessKey")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(xml_text(&r.text(), "UserName").as_deref(), Some("worker"));
    let new_key = xml_text(&r.text(), "AccessKeyId").unwrap();
    let r = s
        .iam(
            &root,
            &[("Action", "ListAccessKeys"), ("UserName", "worker")],
        )
        .await;
    assert!(r.text().contains(&new_key), "{}", r.text());
    assert_eq!(root_keys(&s).await, before, "the root's keys changed");
    // Allowed on its own ARN only: another user's keys stay out of reach.
    let r = s
        .iam(
            &worker,
            &[("Action", "CreateAccessKey"), ("UserName", "other")],
        )
        .await;
    assert_query_error(
        &r,
        403,
        "AccessDenied",
        &no_identity(
            &user_arn(&s, "worker"),
            "iam:CreateAccessKey",
            Some(&user_arn(&s, "other")),
        ),
    );
    let r = s
        .iam(
            &root,
            &[("Action", "ListAccessKeys"), ("UserName", "other")],
        )
        .await;
    assert!(r.text().contains(&other.akid), "{}", r.text());
    assert_eq!(r.text().matches("<AccessKeyId>").count(), 1, "{}", r.text());
}

/// Issue 13, hole 6: the idempotent-retry path of CreateSecret, PutSecretValue and
/// UpdateSecret compared the request's value with the stored one, so a caller without
/// GetSecretValue could confirm guesses (wrong guess ResourceExistsException, right guess
/// 200). The comparison now needs GetSecretValue on the secret: without it, right and wrong
/// guesses get the same refusal.
#[tokio::test]
async fn an_idempotent_retry_is_not_a_value_oracle() {
    let s = start().await;
    let root = s.client();
    let (arn, version) = create(&root, "db/password", "hunter2").await;
    let writer = s
        .user(
            "writer",
            Some(&allow(
                r#"["secretsmanager:CreateSecret","secretsmanager:DescribeSecret","secretsmanager:PutSecretValue","secretsmanager:UpdateSecret"]"#,
                "*",
            )),
        )
        .await;
    let refusal = no_identity(
        &user_arn(&s, "writer"),
        "secretsmanager:GetSecretValue",
        Some(&arn),
    );
    let calls = |guess: &str| {
        let guess = guess.to_owned();
        let version = version.clone();
        [
            (
                "CreateSecret",
                json!({"Name": "db/password", "SecretString": guess, "ClientRequestToken": version}),
            ),
            (
                "PutSecretValue",
                json!({"SecretId": "db/password", "SecretString": guess, "ClientRequestToken": version}),
            ),
            (
                "UpdateSecret",
                json!({"SecretId": "db/password", "SecretString": guess, "ClientRequestToken": version,
                       "Description": "set by a refused retry"}),
            ),
        ]
    };
    let versions_before = all_version_ids(&root, "db/password").await;
    for guess in ["wrong", "hunter2"] {
        for (operation, body) in calls(guess) {
            let r = sm(&s, &writer, operation, &body).await;
            r.assert_error("AccessDeniedException", Some(&refusal));
        }
    }
    assert_eq!(all_version_ids(&root, "db/password").await, versions_before);
    // The refused UpdateSecret wrote nothing, not even its Description.
    let described = root
        .describe_secret()
        .secret_id("db/password")
        .send()
        .await
        .unwrap();
    assert_eq!(described.description(), None);

    // With GetSecretValue, the retry behaves as before: the same value answers as the first
    // call did, another value is a conflict.
    s.put_user_policy(
        "writer",
        "read",
        &allow(r#""secretsmanager:GetSecretValue""#, "*"),
    )
    .await;
    for (operation, body) in calls("hunter2") {
        let r = sm(&s, &writer, operation, &body).await;
        assert_eq!(r.status, 200, "{operation}: {}", r.text());
        assert_eq!(r.json()["VersionId"].as_str(), Some(version.as_str()));
    }
    for (operation, body) in calls("wrong") {
        let r = sm(&s, &writer, operation, &body).await;
        assert_eq!(r.status, 400, "{operation}: {}", r.text());
        assert_eq!(
            r.json()["__type"].as_str(),
            Some("ResourceExistsException"),
            "{operation}"
        );
    }
    assert_eq!(all_version_ids(&root, "db/password").await, versions_before);
    let value = root
        .get_secret_value()
        .secret_id("db/password")
        .send()
        .await
        .unwrap();
    assert_eq!(value.secret_string(), Some("hunter2"));
}

/// Issue 13, hole 7: GetRandomPassword was never authorized, so an explicit Deny was ignored.
/// It is authorized on `*`, as on AWS.
#[tokio::test]
async fn get_random_password_is_authorized() {
    let s = start().await;
    let nobody = s.user("nobody", None).await;
    let denied = s
        .user("denied", Some(&allow(r#""secretsmanager:*""#, "*")))
        .await;
    s.put_user_policy(
        "denied",
        "deny",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:GetRandomPassword","Resource":"*"}]}"#,
    )
    .await;
    let allowed = s
        .user(
            "allowed",
            Some(&allow(r#""secretsmanager:GetRandomPassword""#, "*")),
        )
        .await;
    let action = "secretsmanager:GetRandomPassword";
    let r = sm(&s, &nobody, "GetRandomPassword", &json!({})).await;
    r.assert_error(
        "AccessDeniedException",
        Some(&no_identity(&user_arn(&s, "nobody"), action, None)),
    );
    let r = sm(&s, &denied, "GetRandomPassword", &json!({})).await;
    r.assert_error(
        "AccessDeniedException",
        Some(&explicit_deny(&user_arn(&s, "denied"), action, None)),
    );
    let r = sm(&s, &allowed, "GetRandomPassword", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["RandomPassword"].as_str().map(str::len), Some(32));
}

/// The access key ids of the account's root user, as the root lists them.
async fn root_keys(s: &TestServer) -> Vec<String> {
    let r = s.iam(&s.root(), &[("Action", "ListAccessKeys")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
        .split("<AccessKeyId>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The negative-authorization table.
// ---------------------------------------------------------------------------------------------

/// How an operation travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// Secrets Manager, awsJson 1.1.
    Json,
    /// IAM, awsQuery.
    Iam,
    /// STS, awsQuery.
    Sts,
}

/// What the resource part of an AccessDenied message names.
#[derive(Debug, Clone)]
enum Resource {
    /// No resource (`*`): AWS leaves "on resource" out.
    Star,
    /// This ARN. Six `?` stand for the random suffix of a secret about to be created.
    Arn(String),
    /// The caller's own ARN (the IAM access-key actions without UserName).
    Caller,
}

/// What another account's administrator gets.
#[derive(Debug, Clone)]
enum Cross {
    /// The operation acts only in the caller's own account: no cross-account case.
    OwnAccountOnly,
    /// AccessDenied: the secret's account has no resource policy allowing it.
    NoResourcePolicy,
    /// IAM looks the user up in the caller's account: NoSuchEntity.
    NoSuchUser(&'static str),
    /// IAM looks the role up in the caller's account: NoSuchEntity.
    NoSuchRole(&'static str),
    /// The access key is not the caller's own: NoSuchEntity.
    NoSuchAccessKey,
    /// The trust policy does not name it: STS's AccessDenied.
    AssumeRoleDenied,
    /// GetCallerIdentity: answered.
    Answered,
    /// BatchGetSecretValue: the call is answered, the secret is an entry of `Errors`.
    BatchItemDenied,
}

/// One operation of the table.
#[derive(Debug, Clone)]
struct Op {
    /// The operation or action name.
    name: &'static str,
    wire: Wire,
    /// The JSON body (awsJson) or form pairs without Action (awsQuery).
    json: Value,
    form: Vec<(&'static str, String)>,
    /// The IAM action authorized (`None`: GetCallerIdentity, AssumeRole's own wording).
    action: Option<String>,
    resource: Resource,
    /// Whether it would change state if allowed: its refusal is checked to change nothing.
    write: bool,
    cross: Cross,
    /// Not built yet in coffer: answers its typed not-supported error.
    unsupported: bool,
}

fn json_op(name: &'static str, body: Value, resource: Resource, write: bool, cross: Cross) -> Op {
    Op {
        name,
        wire: Wire::Json,
        json: body,
        form: Vec::new(),
        action: Some(format!("secretsmanager:{name}")),
        resource,
        write,
        cross,
        unsupported: false,
    }
}

fn unsupported_op(name: &'static str, body: Value) -> Op {
    Op {
        unsupported: true,
        ..json_op(name, body, Resource::Star, true, Cross::OwnAccountOnly)
    }
}

fn iam_op(
    name: &'static str,
    form: &[(&'static str, &str)],
    resource: Resource,
    write: bool,
    cross: Cross,
) -> Op {
    Op {
        name,
        wire: Wire::Iam,
        json: Value::Null,
        form: form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        action: Some(format!("iam:{name}")),
        resource,
        write,
        cross,
        unsupported: false,
    }
}

/// The four callers that must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// (a) an IAM user without any policy.
    Nobody,
    /// (b) an IAM user allowed everything and denied everything.
    Denied,
    /// (c) an administrator (allowed everything) of another account.
    Outsider,
    /// (d) an assumed-role session past its expiry (its role allowed everything).
    Expired,
}

/// What a case must answer.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// An error: HTTP status, code (`__type` or `<Code>`), message.
    Error(u16, String, String),
    /// GetCallerIdentity's answer naming this ARN.
    CallerIs(String),
    /// BatchGetSecretValue's 200 with this secret's AccessDenied entry in `Errors`.
    BatchDenied(String, String),
}

/// Whether `actual` equals `expected`, where a run of six `?` in `expected` stands for six
/// alphanumeric characters (a new secret's random ARN suffix).
fn same_message(actual: &str, expected: &str) -> bool {
    match expected.split_once("??????") {
        None => actual == expected,
        Some((before, after)) => {
            actual.len() == expected.len()
                && actual.starts_with(before)
                && actual.ends_with(after)
                && actual[before.len()..before.len() + 6]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
        }
    }
}

/// The table's fixture: one account with a secret, a user, a role and the refused callers,
/// and a second account with its administrator.
struct Fixture {
    s: TestServer,
    clock: Arc<ManualClock>,
    secret_arn: String,
    victim_role_arn: String,
    nobody: Creds,
    denied: Creds,
    outsider: Creds,
    session: Creds,
}

impl Fixture {
    async fn new() -> Self {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let s = start_clocked(|_| {}, clock.clone()).await;
        let root = s.root();
        let r = sm(
            &s,
            &root,
            "CreateSecret",
            &json!({"Name": "t/secret", "SecretString": "the-value", "ClientRequestToken": token(),
                    "Tags": [{"Key": "keep", "Value": "1"}]}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let secret_arn = r.json()["ARN"].as_str().unwrap().to_owned();
        // A resource policy that applies to none of the callers, so that DeleteResourcePolicy
        // has something to delete and the cross-account denial is the resource side's.
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"{}"}},"Action":"secretsmanager:PutSecretValue","Resource":"*"}}]}}"#,
            user_arn(&s, "victim")
        );
        let r = sm(
            &s,
            &root,
            "PutResourcePolicy",
            &json!({"SecretId": secret_arn, "ResourcePolicy": policy}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());

        s.user(
            "victim",
            Some(&allow(r#""secretsmanager:DescribeSecret""#, "*")),
        )
        .await;
        let sessioner = s
            .user("sessioner", Some(&allow(r#""sts:AssumeRole""#, "*")))
            .await;
        let victim_role_arn = role(
            &s,
            "victim-role",
            &trust(&s, "sessioner"),
            Some(&allow(r#""secretsmanager:DescribeSecret""#, "*")),
        )
        .await;
        let session_role_arn =
            role(&s, "session-role", &trust(&s, "sessioner"), Some(ALLOW_ALL)).await;
        let nobody = s.user("nobody", None).await;
        let denied = s.user("denied", Some(ALLOW_ALL)).await;
        s.put_user_policy("denied", "deny", DENY_ALL).await;
        let session = s
            .assume(&sessioner, &session_role_arn, &[("DurationSeconds", "900")])
            .await;

        // The other account, made in-process as `coffer admin` would, and its administrator.
        let other = coffer_core::names::AccountId::parse(OTHER_ACCOUNT).unwrap();
        let other_root = s.server.service.create_access_key(&other).await.unwrap();
        let other_root = Creds {
            akid: other_root.access_key_id.clone(),
            secret: other_root.secret_access_key.to_string(),
            token: None,
        };
        for params in [
            vec![("Action", "CreateUser"), ("UserName", "outsider")],
            vec![
                ("Action", "PutUserPolicy"),
                ("UserName", "outsider"),
                ("PolicyName", "admin"),
                ("PolicyDocument", ALLOW_ALL),
            ],
        ] {
            let r = s.iam(&other_root, &params).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let r = s
            .iam(
                &other_root,
                &[("Action", "CreateAccessKey"), ("UserName", "outsider")],
            )
            .await;
        let outsider = Creds {
            akid: xml_text(&r.text(), "AccessKeyId").unwrap(),
            secret: xml_text(&r.text(), "SecretAccessKey").unwrap(),
            token: None,
        };
        Self {
            s,
            clock,
            secret_arn,
            victim_role_arn,
            nobody,
            denied,
            outsider,
            session,
        }
    }

    fn creds(&self, who: Who) -> &Creds {
        match who {
            Who::Nobody => &self.nobody,
            Who::Denied => &self.denied,
            Who::Outsider => &self.outsider,
            Who::Expired => &self.session,
        }
    }

    fn arn(&self, who: Who) -> String {
        match who {
            Who::Nobody => user_arn(&self.s, "nobody"),
            Who::Denied => user_arn(&self.s, "denied"),
            Who::Outsider => format!("arn:aws:iam::{OTHER_ACCOUNT}:user/outsider"),
            Who::Expired => format!(
                "arn:aws:sts::{}:assumed-role/session-role/s1",
                self.s.account
            ),
        }
    }

    /// The victim user's access key id (listed by the root).
    async fn victim_key(&self) -> String {
        let r = self
            .s
            .iam(
                &self.s.root(),
                &[("Action", "ListAccessKeys"), ("UserName", "victim")],
            )
            .await;
        xml_text(&r.text(), "AccessKeyId").unwrap()
    }

    /// Every operation, with requests that would change or reveal the fixture if allowed.
    async fn operations(&self) -> Vec<Op> {
        use Cross::*;
        let account = &self.s.account;
        let id = json!({"SecretId": self.secret_arn});
        let with = |extra: Value| {
            let mut body = id.clone();
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let secret = || Resource::Arn(self.secret_arn.clone());
        let user = |name: &str| Resource::Arn(format!("arn:aws:iam::{account}:user/{name}"));
        let role_res = |name: &str| Resource::Arn(format!("arn:aws:iam::{account}:role/{name}"));
        let version = sm(&self.s, &self.s.root(), "DescribeSecret", &id)
            .await
            .json()["VersionIdsToStages"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        // What an attacker would like to install: a grant to its own account.
        let grant = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
        );
        let key = self.victim_key().await;
        let trust_doc = trust(&self.s, "nobody");
        vec![
            // Secrets Manager: all 26 operations of the model.
            json_op(
                "CreateSecret",
                json!({"Name": "t/new", "SecretString": "x", "ClientRequestToken": token()}),
                Resource::Arn(format!(
                    "arn:aws:secretsmanager:{REGION}:{account}:secret:t/new-??????"
                )),
                true,
                OwnAccountOnly,
            ),
            json_op(
                "DescribeSecret",
                id.clone(),
                secret(),
                false,
                NoResourcePolicy,
            ),
            json_op(
                "UpdateSecret",
                with(json!({"Description": "changed"})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op("DeleteSecret", id.clone(), secret(), true, NoResourcePolicy),
            json_op(
                "RestoreSecret",
                id.clone(),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "ListSecrets",
                json!({}),
                Resource::Star,
                false,
                OwnAccountOnly,
            ),
            json_op(
                "TagResource",
                with(json!({"Tags": [{"Key": "k", "Value": "v"}]})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "UntagResource",
                with(json!({"TagKeys": ["keep"]})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "GetSecretValue",
                id.clone(),
                secret(),
                false,
                NoResourcePolicy,
            ),
            json_op(
                "BatchGetSecretValue",
                json!({"SecretIdList": [self.secret_arn]}),
                Resource::Star,
                false,
                BatchItemDenied,
            ),
            json_op(
                "PutSecretValue",
                with(json!({"SecretString": "x", "ClientRequestToken": token()})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "UpdateSecretVersionStage",
                with(json!({"VersionStage": "STAGE", "MoveToVersionId": version})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "ListSecretVersionIds",
                id.clone(),
                secret(),
                false,
                NoResourcePolicy,
            ),
            json_op(
                "GetRandomPassword",
                json!({}),
                Resource::Star,
                false,
                OwnAccountOnly,
            ),
            json_op(
                "RotateSecret",
                with(json!({"ClientRequestToken": "t".repeat(32)})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "CancelRotateSecret",
                id.clone(),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "PutResourcePolicy",
                with(json!({"ResourcePolicy": grant})),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "GetResourcePolicy",
                id.clone(),
                secret(),
                false,
                NoResourcePolicy,
            ),
            json_op(
                "DeleteResourcePolicy",
                id.clone(),
                secret(),
                true,
                NoResourcePolicy,
            ),
            json_op(
                "ValidateResourcePolicy",
                with(json!({"ResourcePolicy": grant})),
                secret(),
                false,
                NoResourcePolicy,
            ),
            json_op(
                "ListResourcePolicies",
                id.clone(),
                secret(),
                false,
                NoResourcePolicy,
            ),
            unsupported_op(
                "ReplicateSecretToRegions",
                with(json!({"AddReplicaRegions": [{"Region": "eu-west-1"}]})),
            ),
            unsupported_op(
                "RemoveRegionsFromReplication",
                with(json!({"RemoveReplicaRegions": ["eu-west-1"]})),
            ),
            unsupported_op("StopReplicationToReplica", id.clone()),
            unsupported_op(
                "AssociateCrossAccountReplica",
                with(
                    json!({"CrossAccountReplicaARN": format!("arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:copy-AbCdEf")}),
                ),
            ),
            unsupported_op(
                "DisassociateCrossAccountReplica",
                with(
                    json!({"CrossAccountReplicaARN": format!("arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:copy-AbCdEf")}),
                ),
            ),
            // IAM: every action coffer implements, on this account's entities.
            iam_op(
                "CreateUser",
                &[("UserName", "intruder")],
                user("intruder"),
                true,
                OwnAccountOnly,
            ),
            iam_op(
                "GetUser",
                &[("UserName", "victim")],
                user("victim"),
                false,
                NoSuchUser("victim"),
            ),
            iam_op(
                "ListUsers",
                &[],
                Resource::Arn(format!("arn:aws:iam::{account}:user/*")),
                false,
                OwnAccountOnly,
            ),
            iam_op(
                "DeleteUser",
                &[("UserName", "victim")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "CreateAccessKey",
                &[("UserName", "victim")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "CreateAccessKey",
                &[],
                Resource::Caller,
                true,
                OwnAccountOnly,
            ),
            iam_op(
                "ListAccessKeys",
                &[("UserName", "victim")],
                user("victim"),
                false,
                NoSuchUser("victim"),
            ),
            iam_op(
                "UpdateAccessKey",
                &[
                    ("UserName", "victim"),
                    ("AccessKeyId", &key),
                    ("Status", "Inactive"),
                ],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "UpdateAccessKey",
                &[("AccessKeyId", &key), ("Status", "Inactive")],
                Resource::Caller,
                true,
                NoSuchAccessKey,
            ),
            iam_op(
                "DeleteAccessKey",
                &[("UserName", "victim"), ("AccessKeyId", &key)],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "DeleteAccessKey",
                &[("AccessKeyId", &key)],
                Resource::Caller,
                true,
                NoSuchAccessKey,
            ),
            iam_op(
                "PutUserPolicy",
                &[
                    ("UserName", "victim"),
                    ("PolicyName", "p"),
                    ("PolicyDocument", ALLOW_ALL),
                ],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "GetUserPolicy",
                &[("UserName", "victim"), ("PolicyName", "p")],
                user("victim"),
                false,
                NoSuchUser("victim"),
            ),
            iam_op(
                "DeleteUserPolicy",
                &[("UserName", "victim"), ("PolicyName", "p")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "ListUserPolicies",
                &[("UserName", "victim")],
                user("victim"),
                false,
                NoSuchUser("victim"),
            ),
            iam_op(
                "CreateRole",
                &[
                    ("RoleName", "intruder-role"),
                    ("AssumeRolePolicyDocument", &trust_doc),
                ],
                role_res("intruder-role"),
                true,
                OwnAccountOnly,
            ),
            iam_op(
                "GetRole",
                &[("RoleName", "victim-role")],
                role_res("victim-role"),
                false,
                NoSuchRole("victim-role"),
            ),
            iam_op(
                "DeleteRole",
                &[("RoleName", "victim-role")],
                role_res("victim-role"),
                true,
                NoSuchRole("victim-role"),
            ),
            iam_op(
                "ListRoles",
                &[],
                Resource::Arn(format!("arn:aws:iam::{account}:role/*")),
                false,
                OwnAccountOnly,
            ),
            iam_op(
                "PutRolePolicy",
                &[
                    ("RoleName", "victim-role"),
                    ("PolicyName", "rp"),
                    ("PolicyDocument", ALLOW_ALL),
                ],
                role_res("victim-role"),
                true,
                NoSuchRole("victim-role"),
            ),
            iam_op(
                "GetRolePolicy",
                &[("RoleName", "victim-role"), ("PolicyName", "rp")],
                role_res("victim-role"),
                false,
                NoSuchRole("victim-role"),
            ),
            iam_op(
                "DeleteRolePolicy",
                &[("RoleName", "victim-role"), ("PolicyName", "rp")],
                role_res("victim-role"),
                true,
                NoSuchRole("victim-role"),
            ),
            iam_op(
                "ListRolePolicies",
                &[("RoleName", "victim-role")],
                role_res("victim-role"),
                false,
                NoSuchRole("victim-role"),
            ),
            // Console passwords (login profiles), on the victim user.
            iam_op(
                "CreateLoginProfile",
                &[("UserName", "victim"), ("Password", "Corr3ct-horse!")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "UpdateLoginProfile",
                &[("UserName", "victim"), ("Password", "Corr3ct-horse!")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "DeleteLoginProfile",
                &[("UserName", "victim")],
                user("victim"),
                true,
                NoSuchUser("victim"),
            ),
            iam_op(
                "GetLoginProfile",
                &[("UserName", "victim")],
                user("victim"),
                false,
                NoSuchUser("victim"),
            ),
            // STS.
            Op {
                wire: Wire::Sts,
                action: None,
                ..iam_op(
                    "AssumeRole",
                    &[
                        ("RoleArn", &self.victim_role_arn),
                        ("RoleSessionName", "xx"),
                    ],
                    Resource::Arn(self.victim_role_arn.clone()),
                    false,
                    AssumeRoleDenied,
                )
            },
            Op {
                wire: Wire::Sts,
                action: None,
                ..iam_op("GetCallerIdentity", &[], Resource::Star, false, Answered)
            },
        ]
    }

    /// What `who` must get for `op`; `None` when the case does not exist (see the module
    /// documentation).
    fn expect(&self, op: &Op, who: Who) -> Option<Expect> {
        let arn = self.arn(who);
        let json = op.wire == Wire::Json;
        let denied = |message: String| {
            Some(if json {
                Expect::Error(400, "AccessDeniedException".into(), message)
            } else {
                Expect::Error(403, "AccessDenied".into(), message)
            })
        };
        if who == Who::Expired {
            return Some(if json {
                Expect::Error(400, "ExpiredTokenException".into(), MSG_EXPIRED.into())
            } else {
                Expect::Error(400, "ExpiredToken".into(), MSG_EXPIRED.into())
            });
        }
        if op.unsupported {
            return Some(Expect::Error(
                400,
                "InvalidRequestException".into(),
                format!("{} is not supported by this version of coffer.", op.name),
            ));
        }
        match (op.name, &op.cross) {
            ("GetCallerIdentity", _) => return Some(Expect::CallerIs(arn)),
            ("AssumeRole", _) => {
                return denied(format!(
                    "User: {arn} is not authorized to perform: sts:AssumeRole on resource: {}",
                    self.victim_role_arn
                ))
            }
            _ => {}
        }
        let action = op.action.as_deref().unwrap();
        let resource = match &op.resource {
            Resource::Star => None,
            Resource::Arn(resource) => Some(resource.clone()),
            Resource::Caller => Some(arn.clone()),
        };
        match who {
            Who::Nobody => denied(no_identity(&arn, action, resource.as_deref())),
            Who::Denied => denied(explicit_deny(&arn, action, resource.as_deref())),
            Who::Outsider => match &op.cross {
                Cross::OwnAccountOnly => None,
                Cross::NoResourcePolicy => {
                    denied(no_resource_policy(&arn, action, &resource.unwrap()))
                }
                Cross::NoSuchUser(name) => Some(Expect::Error(
                    404,
                    "NoSuchEntity".into(),
                    format!("The user with name {name} cannot be found."),
                )),
                Cross::NoSuchRole(name) => Some(Expect::Error(
                    404,
                    "NoSuchEntity".into(),
                    format!("The role with name {name} cannot be found."),
                )),
                Cross::NoSuchAccessKey => Some(Expect::Error(
                    404,
                    "NoSuchEntity".into(),
                    format!(
                        "The Access Key with id {} cannot be found.",
                        op.form.iter().find(|(k, _)| *k == "AccessKeyId").unwrap().1
                    ),
                )),
                Cross::BatchItemDenied => Some(Expect::BatchDenied(
                    self.secret_arn.clone(),
                    no_resource_policy(&arn, "secretsmanager:GetSecretValue", &self.secret_arn),
                )),
                Cross::AssumeRoleDenied | Cross::Answered => unreachable!("handled above"),
            },
            Who::Expired => unreachable!("handled above"),
        }
    }

    /// Sends `op` signed by `who`.
    async fn send(&self, op: &Op, who: Who) -> RawResponse {
        let creds = self.creds(who);
        match op.wire {
            Wire::Json => sm(&self.s, creds, op.name, &op.json).await,
            Wire::Iam | Wire::Sts => {
                let mut form: Vec<(&str, &str)> = vec![("Action", op.name)];
                form.extend(op.form.iter().map(|(k, v)| (*k, v.as_str())));
                let service = if op.wire == Wire::Iam { "iam" } else { "sts" };
                self.s.query_raw(service, creds, &form).send().await
            }
        }
    }

    /// Everything a refused call could have changed, as the root user sees it: the secret
    /// (metadata, tags, labels, every version's value, resource policy), every user's and
    /// role's existence, inline policies and access keys, and the root's keys.
    async fn state(&self) -> String {
        let s = &self.s;
        let root = s.root();
        let mut out = Vec::new();
        let id = json!({"SecretId": self.secret_arn, "IncludeDeprecated": true});
        for (operation, body) in [
            ("ListSecrets", json!({"IncludePlannedDeletion": true})),
            ("DescribeSecret", json!({"SecretId": self.secret_arn})),
            ("ListSecretVersionIds", id.clone()),
            ("GetResourcePolicy", json!({"SecretId": self.secret_arn})),
        ] {
            let r = sm(s, &root, operation, &body).await;
            assert_eq!(r.status, 200, "{operation}: {}", r.text());
            let mut value = r.json();
            strip(&mut value, "LastAccessedDate");
            out.push(format!("{operation}: {value}"));
        }
        let versions = sm(s, &root, "ListSecretVersionIds", &id).await.json();
        for version in versions["Versions"].as_array().unwrap() {
            let r = sm(
                s,
                &root,
                "GetSecretValue",
                &json!({"SecretId": self.secret_arn, "VersionId": version["VersionId"]}),
            )
            .await;
            out.push(format!("value: {}", r.json()["SecretString"]));
        }
        let mut queries: Vec<Vec<(&str, &str)>> = vec![
            vec![("Action", "ListUsers")],
            vec![("Action", "ListRoles")],
            vec![("Action", "ListAccessKeys")],
            vec![
                ("Action", "GetRolePolicy"),
                ("RoleName", "victim-role"),
                ("PolicyName", "rp"),
            ],
            vec![("Action", "ListRolePolicies"), ("RoleName", "victim-role")],
            vec![
                ("Action", "GetUserPolicy"),
                ("UserName", "victim"),
                ("PolicyName", "p"),
            ],
        ];
        for user in ["victim", "nobody", "denied", "sessioner"] {
            queries.push(vec![("Action", "ListAccessKeys"), ("UserName", user)]);
            queries.push(vec![("Action", "ListUserPolicies"), ("UserName", user)]);
        }
        for params in queries {
            let r = s.iam(&root, &params).await;
            assert_eq!(r.status, 200, "{params:?}: {}", r.text());
            let text = r.text();
            // The request id is the only part that differs between two reads.
            let kept = match (text.find("<RequestId>"), text.find("</RequestId>")) {
                (Some(start), Some(end)) => format!("{}{}", &text[..start], &text[end..]),
                _ => text,
            };
            out.push(kept);
        }
        out.join("\n")
    }
}

/// Removes `key` from every object in `value`.
fn strip(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}

/// Checks one case; a description of the mismatch when it fails.
fn check(r: &RawResponse, wire: Wire, expected: &Expect) -> Result<(), String> {
    let text = r.text();
    let (status, code, message) = match wire {
        Wire::Json => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            (
                r.status,
                body["__type"].as_str().map(str::to_owned),
                body["Message"].as_str().map(str::to_owned),
            )
        }
        Wire::Iam | Wire::Sts => (
            r.status,
            xml_text(&text, "Code"),
            xml_text(&text, "Message"),
        ),
    };
    let ok = match expected {
        Expect::Error(want_status, want_code, want_message) => {
            status == *want_status
                && code.as_deref() == Some(want_code.as_str())
                && message
                    .as_deref()
                    .is_some_and(|m| same_message(m, want_message))
        }
        Expect::CallerIs(arn) => {
            status == 200 && xml_text(&text, "Arn").as_deref() == Some(arn.as_str())
        }
        Expect::BatchDenied(secret, want_message) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            status == 200
                && body["SecretValues"] == json!([])
                && body["Errors"]
                    == json!([{"SecretId": secret, "ErrorCode": "AccessDeniedException",
                               "Message": want_message}])
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expected:?}\n     got {status}: {text}"))
    }
}

/// The table: every operation × the four refused callers, exact answers, no state change.
#[tokio::test]
async fn every_operation_refuses_every_unauthorized_caller() {
    let f = Fixture::new().await;
    let operations = f.operations().await;
    let original = f.state().await;
    // What the state must still be; a change is reported once, then becomes the reference,
    // so that each later case is judged on its own.
    let mut reference = original.clone();
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut skipped = 0;
    // The expired session goes last: its clock moves past the session's end (900 s), while
    // every request stays signed with the real time.
    for who in [Who::Nobody, Who::Denied, Who::Outsider, Who::Expired] {
        if who == Who::Expired {
            f.clock.advance(Duration::seconds(900));
        }
        for op in &operations {
            let Some(expected) = f.expect(op, who) else {
                skipped += 1;
                continue;
            };
            cases += 1;
            let r = f.send(op, who).await;
            if let Err(mismatch) = check(&r, op.wire, &expected) {
                failures.push(format!("{who:?} {}: {mismatch}", op.name));
            }
            if op.write {
                let now = f.state().await;
                if now != reference {
                    failures.push(format!(
                        "{who:?} {}: the refused call changed state",
                        op.name
                    ));
                    reference = now;
                }
            }
        }
    }
    println!(
        "{} operations, {cases} cases ({skipped} without a case: own-account only)",
        operations.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Secrets Manager, IAM (the login-profile actions last), STS.
    assert_eq!(operations.len(), 26 + 23 + 4 + 2);
    assert_eq!(cases, 212);
    assert_eq!(f.state().await, original);
}
