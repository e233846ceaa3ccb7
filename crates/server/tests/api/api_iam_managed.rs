//! Managed policies and groups through the real server, on either engine (the suite runs again
//! with `COFFER_TEST_STORE=postgres`): made over the awsQuery wire, then enforced on Secrets
//! Manager calls through the official SDK. The boto3 suite (`tests/python/test_iam_managed.py`)
//! checks every response field and error message; this one checks that the engines' locked
//! read-modify-writes, links and delete checks hold end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::iam::{allow, xml_text, Creds};
use crate::common::*;

#[track_caller]
fn assert_code(r: &RawResponse, status: u16, code: &str) {
    let xml = r.text();
    assert_eq!(
        (r.status, xml_text(&xml, "Code").as_deref()),
        (status, Some(code)),
        "{xml}"
    );
}

async fn ok(s: &TestServer, params: &[(&str, &str)]) -> String {
    let r = s.iam(&s.root(), params).await;
    assert_eq!(r.status, 200, "{params:?}: {}", r.text());
    r.text()
}

async fn reads(s: &TestServer, creds: &Creds, id: &str) -> bool {
    s.client_for(creds)
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn managed_policies_and_groups_are_stored_and_enforced_on_every_engine() {
    let s = start().await;
    create(&s.client(), "app/db", "db-value").await;
    let user = s.user("dave", None).await;
    assert!(!reads(&s, &user, "app/db").await);

    let read = allow(r#""secretsmanager:GetSecretValue""#, "*");
    let deny = read.replace("Allow", "Deny");
    let xml = ok(
        &s,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "read"),
            ("PolicyDocument", &read),
        ],
    )
    .await;
    let arn = xml_text(&xml, "Arn").unwrap();
    assert_eq!(arn, format!("arn:aws:iam::{}:policy/read", s.account));
    assert_eq!(xml_text(&xml, "DefaultVersionId").as_deref(), Some("v1"));

    // Group membership and an attached policy grant; a new default version that denies
    // takes effect at once, and the old one again when it is made the default.
    ok(&s, &[("Action", "CreateGroup"), ("GroupName", "app")]).await;
    ok(
        &s,
        &[
            ("Action", "AttachGroupPolicy"),
            ("GroupName", "app"),
            ("PolicyArn", &arn),
        ],
    )
    .await;
    ok(
        &s,
        &[
            ("Action", "AddUserToGroup"),
            ("GroupName", "app"),
            ("UserName", "dave"),
        ],
    )
    .await;
    assert!(reads(&s, &user, "app/db").await);
    let xml = ok(
        &s,
        &[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", &arn),
            ("PolicyDocument", &deny),
            ("SetAsDefault", "true"),
        ],
    )
    .await;
    assert_eq!(xml_text(&xml, "VersionId").as_deref(), Some("v2"));
    assert!(!reads(&s, &user, "app/db").await);
    ok(
        &s,
        &[
            ("Action", "SetDefaultPolicyVersion"),
            ("PolicyArn", &arn),
            ("VersionId", "v1"),
        ],
    )
    .await;
    assert!(reads(&s, &user, "app/db").await);

    // The version limit is checked under the policy's row lock.
    for _ in 0..3 {
        ok(
            &s,
            &[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", &arn),
                ("PolicyDocument", &read),
            ],
        )
        .await;
    }
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", &arn),
                ("PolicyDocument", &read),
            ],
        )
        .await;
    assert_code(&r, 409, "LimitExceeded");

    // Deletes are refused while links remain, in the delete's own transaction.
    for (params, code) in [
        (
            vec![("Action", "DeletePolicy"), ("PolicyArn", arn.as_str())],
            "DeleteConflict",
        ),
        (
            vec![("Action", "DeleteGroup"), ("GroupName", "app")],
            "DeleteConflict",
        ),
    ] {
        let r = s.iam(&s.root(), &params).await;
        assert_code(&r, 409, code);
    }
    ok(
        &s,
        &[
            ("Action", "RemoveUserFromGroup"),
            ("GroupName", "app"),
            ("UserName", "dave"),
        ],
    )
    .await;
    assert!(!reads(&s, &user, "app/db").await);
    ok(
        &s,
        &[
            ("Action", "DetachGroupPolicy"),
            ("GroupName", "app"),
            ("PolicyArn", &arn),
        ],
    )
    .await;
    ok(&s, &[("Action", "DeleteGroup"), ("GroupName", "app")]).await;
    for version in ["v2", "v3", "v4", "v5"] {
        ok(
            &s,
            &[
                ("Action", "DeletePolicyVersion"),
                ("PolicyArn", &arn),
                ("VersionId", version),
            ],
        )
        .await;
    }
    ok(&s, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await;
    let r = s
        .iam(&s.root(), &[("Action", "GetPolicy"), ("PolicyArn", &arn)])
        .await;
    assert_code(&r, 404, "NoSuchEntity");
}
