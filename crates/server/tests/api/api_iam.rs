//! Identities and access control through the real server: IAM users, keys and policies made
//! over the awsQuery wire, then Secrets Manager calls through the official SDK with each
//! principal's credentials, allowed and denied exactly as the policies say; roles assumed
//! through STS; resource policies; cross-account access.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use crate::common::iam::{allow, xml_text, Creds};
use crate::common::*;
use aws_sdk_secretsmanager::Client;
use chrono::{Duration, Utc};
use coffer_core::clock::ManualClock;

/// AWS's AccessDenied text for a caller without an identity policy allowing the action.
fn no_identity(principal: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {principal} is not authorized to perform: {action} on resource: {resource} \
         because no identity-based policy allows the {action} action"
    )
}

/// Asserts an awsQuery error: status, code and message.
#[track_caller]
fn assert_query_error(r: &RawResponse, status: u16, code: &str, message: &str) {
    let xml = r.text();
    assert_eq!(r.status, status, "{xml}");
    assert_eq!(xml_text(&xml, "Code").as_deref(), Some(code), "{xml}");
    assert_eq!(xml_text(&xml, "Message").as_deref(), Some(message), "{xml}");
}

fn user_arn(s: &TestServer, name: &str) -> String {
    format!("arn:aws:iam::{}:user/{name}", s.account)
}

async fn value(c: &Client, id: &str) -> Result<String, ApiErr> {
    c.get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map(|r| r.secret_string().unwrap().to_owned())
        .map_err(api_err)
}

#[tokio::test]
async fn a_user_is_allowed_and_denied_exactly_as_its_policy_says() {
    let s = start().await;
    let root = s.client();
    let (db, _) = create(&root, "app/db", "db-value").await;
    let (other, _) = create(&root, "other", "other-value").await;

    let app = s.user("app", None).await;
    let c = s.client_for(&app);
    let action = "secretsmanager:GetSecretValue";
    // No policy: every read is refused with AWS's wording, and the value never leaves.
    assert_eq!(
        value(&c, "app/db").await,
        Err(ApiErr {
            status: 400,
            code: "AccessDeniedException".into(),
            message: no_identity(&user_arn(&s, "app"), action, &db),
        })
    );
    // A policy for one secret (by a wildcard over its suffix).
    s.put_user_policy(
        "app",
        "read-db",
        &allow(
            r#""secretsmanager:GetSecretValue""#,
            "arn:aws:secretsmanager:*:*:secret:app/*",
        ),
    )
    .await;
    assert_eq!(value(&c, "app/db").await.as_deref(), Ok("db-value"));
    assert_eq!(value(&c, &db).await.as_deref(), Ok("db-value"));
    assert_eq!(
        value(&c, "other").await.unwrap_err().message,
        no_identity(&user_arn(&s, "app"), action, &other)
    );
    // The policy grants reading only: describing and writing are refused.
    let err = api_err(
        c.describe_secret()
            .secret_id("app/db")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err.message,
        no_identity(&user_arn(&s, "app"), "secretsmanager:DescribeSecret", &db)
    );
    let err = api_err(
        c.put_secret_value()
            .secret_id("app/db")
            .secret_string("overwritten")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, "AccessDeniedException");
    assert_eq!(value(&root, "app/db").await.as_deref(), Ok("db-value"));
    // A secret that does not exist is AccessDenied when the caller could not read it anyway
    // (no probing), and ResourceNotFound when it could.
    assert_eq!(
        value(&c, "nothing-here").await.unwrap_err().message,
        no_identity(
            &user_arn(&s, "app"),
            action,
            &format!(
                "arn:aws:secretsmanager:us-east-1:{}:secret:nothing-here",
                s.account
            )
        )
    );
    assert_eq!(
        value(&c, "app/nothing").await.unwrap_err(),
        ApiErr {
            status: 400,
            code: "ResourceNotFoundException".into(),
            message: MSG_NOT_FOUND.into(),
        }
    );
    // An explicit Deny beside the Allow wins, with its own wording.
    s.put_user_policy(
        "app",
        "deny-db",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}]}"#,
    )
    .await;
    assert_eq!(
        value(&c, "app/db").await.unwrap_err().message,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {db} with an explicit deny in an identity-based policy",
            user_arn(&s, "app")
        )
    );
    // ListSecrets has no resource: AWS leaves the "on resource" part out.
    let err = api_err(c.list_secrets().send().await.unwrap_err());
    assert_eq!(
        err.message,
        format!(
            "User: {} is not authorized to perform: secretsmanager:ListSecrets with an explicit deny in an identity-based policy",
            user_arn(&s, "app")
        )
    );
    // The root user is not bound by identity policies.
    assert_eq!(value(&root, "app/db").await.as_deref(), Ok("db-value"));
}

#[tokio::test]
async fn iam_answers_with_iam_codes_statuses_and_messages() {
    let s = start().await;
    let root = s.root();
    let r = s
        .iam(
            &root,
            &[
                ("Action", "CreateUser"),
                ("UserName", "dev"),
                ("Path", "/team/"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let xml = r.text();
    assert_eq!(
        xml_text(&xml, "Arn"),
        Some(format!("arn:aws:iam::{}:user/team/dev", s.account))
    );
    assert_eq!(xml_text(&xml, "Path").as_deref(), Some("/team/"));
    assert!(xml_text(&xml, "UserId").unwrap().starts_with("AIDA"));

    // Names are unique ignoring case.
    let r = s
        .iam(&root, &[("Action", "CreateUser"), ("UserName", "DEV")])
        .await;
    assert_query_error(
        &r,
        409,
        "EntityAlreadyExists",
        "User with name DEV already exists.",
    );
    let r = s
        .iam(&root, &[("Action", "GetUser"), ("UserName", "ghost")])
        .await;
    assert_query_error(
        &r,
        404,
        "NoSuchEntity",
        "The user with name ghost cannot be found.",
    );
    let r = s
        .iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "p"),
                ("PolicyDocument", "{not json"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        xml_text(&r.text(), "Code").as_deref(),
        Some("MalformedPolicyDocument")
    );
    let r = s
        .iam(
            &root,
            &[
                ("Action", "GetUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "p"),
            ],
        )
        .await;
    assert_query_error(
        &r,
        404,
        "NoSuchEntity",
        "The user policy with name p cannot be found.",
    );

    // A user with a policy or a key cannot be deleted until they are gone.
    s.put_user_policy("dev", "p", &allow(r#""secretsmanager:ListSecrets""#, "*"))
        .await;
    let r = s
        .iam(&root, &[("Action", "DeleteUser"), ("UserName", "dev")])
        .await;
    assert_query_error(
        &r,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    );
    let r = s
        .iam(
            &root,
            &[
                ("Action", "GetUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "p"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let xml = r.text();
    // IAM returns the document URL-encoded.
    assert_eq!(
        xml_text(&xml, "PolicyDocument").map(|d| percent_decode(&d)),
        Some(allow(r#""secretsmanager:ListSecrets""#, "*"))
    );
    // The inline policies of a user may total 2,048 characters, whitespace not counted.
    let padded = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}}]}}"#,
            "A".repeat(n)
        )
    };
    let base = padded(0).len();
    // "p", already attached, counts too.
    let taken = allow(r#""secretsmanager:ListSecrets""#, "*").len();
    let r = s
        .iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "big"),
                ("PolicyDocument", &padded(2048 - taken - base + 1)),
            ],
        )
        .await;
    assert_query_error(
        &r,
        409,
        "LimitExceeded",
        "Maximum policy size of 2048 bytes exceeded for user dev",
    );
    let r = s
        .iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "big"),
                ("PolicyDocument", &padded(2048 - taken - base)),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .iam(
            &root,
            &[
                ("Action", "DeleteUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "big"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .iam(
            &root,
            &[
                ("Action", "DeleteUserPolicy"),
                ("UserName", "dev"),
                ("PolicyName", "p"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    for _ in 0..2 {
        let r = s
            .iam(&root, &[("Action", "CreateAccessKey"), ("UserName", "dev")])
            .await;
        assert_eq!(r.status, 200);
    }
    let r = s
        .iam(&root, &[("Action", "CreateAccessKey"), ("UserName", "dev")])
        .await;
    assert_query_error(
        &r,
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    let r = s
        .iam(&root, &[("Action", "DeleteUser"), ("UserName", "dev")])
        .await;
    assert_query_error(
        &r,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    );
    let r = s
        .iam(&root, &[("Action", "ListAccessKeys"), ("UserName", "dev")])
        .await;
    let xml = r.text();
    assert_eq!(xml.matches("<AccessKeyId>").count(), 2, "{xml}");
    assert!(!xml.contains("SecretAccessKey"), "{xml}");
    // One key a page: the marker continues where the first page stopped, in key id order.
    let mut all: Vec<String> = xml
        .split("<AccessKeyId>")
        .skip(1)
        .map(|p| p.split('<').next().unwrap().to_owned())
        .collect();
    all.sort();
    let r = s
        .iam(
            &root,
            &[
                ("Action", "ListAccessKeys"),
                ("UserName", "dev"),
                ("MaxItems", "1"),
            ],
        )
        .await;
    let first = r.text();
    assert_eq!(
        xml_text(&first, "IsTruncated").as_deref(),
        Some("true"),
        "{first}"
    );
    assert_eq!(xml_text(&first, "AccessKeyId"), Some(all[0].clone()));
    let marker = xml_text(&first, "Marker").unwrap();
    let r = s
        .iam(
            &root,
            &[
                ("Action", "ListAccessKeys"),
                ("UserName", "dev"),
                ("MaxItems", "1"),
                ("Marker", &marker),
            ],
        )
        .await;
    let second = r.text();
    assert_eq!(
        xml_text(&second, "IsTruncated").as_deref(),
        Some("false"),
        "{second}"
    );
    assert_eq!(xml_text(&second, "AccessKeyId"), Some(all[1].clone()));
    for id in xml
        .split("<AccessKeyId>")
        .skip(1)
        .map(|p| p.split('<').next().unwrap().to_owned())
    {
        let r = s
            .iam(
                &root,
                &[
                    ("Action", "DeleteAccessKey"),
                    ("UserName", "dev"),
                    ("AccessKeyId", &id),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = s
        .iam(&root, &[("Action", "DeleteUser"), ("UserName", "dev")])
        .await;
    assert_eq!(r.status, 200);
    let r = s.iam(&root, &[("Action", "ListUsers")]).await;
    assert!(
        !r.text().contains("<UserName>dev</UserName>"),
        "{}",
        r.text()
    );

    // An action IAM has but coffer does not; a parameter that breaks the model.
    let r = s.iam(&root, &[("Action", "CreateInstanceProfile")]).await;
    assert_eq!(
        (r.status, xml_text(&r.text(), "Code").as_deref()),
        (400, Some("InvalidAction"))
    );
    let r = s
        .iam(
            &root,
            &[("Action", "CreateUser"), ("UserName", "bad name!")],
        )
        .await;
    assert_eq!(
        (r.status, xml_text(&r.text(), "Code").as_deref()),
        (400, Some("ValidationError"))
    );
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn only_root_or_principals_allowed_iam_actions_manage_identities() {
    let s = start().await;
    let plain = s.user("plain", None).await;
    let r = s
        .iam(&plain, &[("Action", "CreateUser"), ("UserName", "sneaky")])
        .await;
    assert_query_error(
        &r,
        403,
        "AccessDenied",
        &no_identity(
            &user_arn(&s, "plain"),
            "iam:CreateUser",
            &user_arn(&s, "sneaky"),
        ),
    );
    // Nor may it give itself a policy.
    let r = s
        .iam(
            &plain,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "plain"),
                ("PolicyName", "x"),
                ("PolicyDocument", &allow(r#""*""#, "*")),
            ],
        )
        .await;
    assert_eq!(
        (r.status, xml_text(&r.text(), "Code").as_deref()),
        (403, Some("AccessDenied"))
    );
    // An administrator allowed iam:* may.
    let admin = s.user("admin", Some(&allow(r#""iam:*""#, "*"))).await;
    let r = s
        .iam(
            &admin,
            &[("Action", "CreateUser"), ("UserName", "made-by-admin")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // STS tells each caller who it is.
    let r = s.sts(&plain, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(xml_text(&r.text(), "Arn"), Some(user_arn(&s, "plain")));
    assert!(xml_text(&r.text(), "UserId").unwrap().starts_with("AIDA"));
}

#[tokio::test]
async fn inactive_and_deleted_keys_stop_working_at_once_and_change_nothing() {
    let s = start().await;
    let root = s.client();
    create(&root, "k", "v").await;
    let app = s
        .user(
            "app",
            Some(&allow(
                r#"["secretsmanager:GetSecretValue","secretsmanager:PutSecretValue"]"#,
                "*",
            )),
        )
        .await;
    let c = s.client_for(&app);
    assert_eq!(value(&c, "k").await.as_deref(), Ok("v"));
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &app.akid),
                ("Status", "Inactive"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let unrecognized = ApiErr {
        status: 400,
        code: "UnrecognizedClientException".into(),
        message: MSG_UNRECOGNIZED.into(),
    };
    assert_eq!(value(&c, "k").await, Err(unrecognized.clone()));
    let put = c
        .put_secret_value()
        .secret_id("k")
        .secret_string("changed")
        .send()
        .await;
    assert_eq!(put.map_err(api_err).unwrap_err(), unrecognized);
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &app.akid),
                ("Status", "Active"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(value(&c, "k").await.as_deref(), Ok("v"));
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &app.akid),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(value(&c, "k").await, Err(unrecognized));
    assert_eq!(value(&root, "k").await.as_deref(), Ok("v"));
    // Another user's key cannot be managed through the wrong user name.
    let other = s.user("other", None).await;
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &other.akid),
            ],
        )
        .await;
    assert_query_error(
        &r,
        404,
        "NoSuchEntity",
        &format!("The Access Key with id {} cannot be found.", other.akid),
    );
}

fn trust_user(s: &TestServer, user: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
        user_arn(s, user)
    )
}

async fn create_role(s: &TestServer, name: &str, trust: &str, policy: Option<&str>) -> String {
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "CreateRole"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", trust),
                ("MaxSessionDuration", "7200"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    if let Some(policy) = policy {
        let r = s
            .iam(
                &s.root(),
                &[
                    ("Action", "PutRolePolicy"),
                    ("RoleName", name),
                    ("PolicyName", "p"),
                    ("PolicyDocument", policy),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    xml_text(&r.text(), "Arn").unwrap_or_else(|| format!("arn:aws:iam::{}:role/{name}", s.account))
}

#[tokio::test]
async fn a_role_is_assumed_and_its_credentials_work_until_they_expire() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let s = start_clocked(|_| {}, clock.clone()).await;
    let root = s.client();
    create(&root, "shared", "shared-value").await;
    create(&root, "private", "private-value").await;
    let role_arn = format!("arn:aws:iam::{}:role/reader", s.account);
    create_role(
        &s,
        "reader",
        &trust_user(&s, "app"),
        Some(&allow(
            r#""secretsmanager:GetSecretValue""#,
            "arn:aws:secretsmanager:*:*:secret:shared-*",
        )),
    )
    .await;
    let app = s.user("app", None).await;
    let stranger = s.user("stranger", None).await;

    // Only the principal the trust policy names may assume the role.
    let r = s
        .sts(
            &stranger,
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "xx"),
            ],
        )
        .await;
    assert_query_error(
        &r,
        403,
        "AccessDenied",
        &format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            user_arn(&s, "stranger")
        ),
    );
    // Root users may not assume roles, as on AWS.
    let r = s
        .sts(
            &s.root(),
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "xx"),
            ],
        )
        .await;
    assert_query_error(
        &r,
        403,
        "AccessDenied",
        "Roles may not be assumed by root accounts.",
    );
    // Longer than the role allows.
    let r = s
        .sts(
            &app,
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "xx"),
                ("DurationSeconds", "7201"),
            ],
        )
        .await;
    assert_query_error(
        &r,
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );

    let session = s
        .assume(&app, &role_arn, &[("DurationSeconds", "900")])
        .await;
    assert!(session.akid.starts_with("ASIA"), "{}", session.akid);
    let c = s.client_for(&session);
    assert_eq!(value(&c, "shared").await.as_deref(), Ok("shared-value"));
    let session_arn = format!("arn:aws:sts::{}:assumed-role/reader/s1", s.account);
    let private_arn = root
        .describe_secret()
        .secret_id("private")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    assert_eq!(
        value(&c, "private").await.unwrap_err().message,
        no_identity(&session_arn, "secretsmanager:GetSecretValue", &private_arn)
    );
    let r = s.sts(&session, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(xml_text(&r.text(), "Arn"), Some(session_arn));

    // Just before the expiry it works; at the expiry it is ExpiredTokenException.
    clock.advance(Duration::seconds(899));
    assert_eq!(value(&c, "shared").await.as_deref(), Ok("shared-value"));
    clock.advance(Duration::seconds(1));
    assert_eq!(
        value(&c, "shared").await,
        Err(ApiErr {
            status: 400,
            code: "ExpiredTokenException".into(),
            message: "The security token included in the request is expired".into(),
        })
    );
    let r = s.sts(&session, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(
        (r.status, xml_text(&r.text(), "Code").as_deref()),
        (400, Some("ExpiredToken"))
    );
}

#[tokio::test]
async fn forged_tampered_or_orphaned_session_tokens_are_refused() {
    let s = start().await;
    create(&s.client(), "shared", "v").await;
    let role_arn = create_role(
        &s,
        "r",
        &trust_user(&s, "app"),
        Some(&allow(r#""secretsmanager:*""#, "*")),
    )
    .await;
    let app = s.user("app", None).await;
    let session = s.assume(&app, &role_arn, &[]).await;
    assert_eq!(
        value(&s.client_for(&session), "shared").await.as_deref(),
        Ok("v")
    );
    let unrecognized = Err(ApiErr {
        status: 400,
        code: "UnrecognizedClientException".into(),
        message: MSG_UNRECOGNIZED.into(),
    });
    let token = session.token.clone().unwrap();
    // One character of the token changed (and the request signed with it).
    let mut flipped = token.clone().into_bytes();
    let at = flipped.len() / 2;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    let forged = Creds {
        token: Some(String::from_utf8(flipped).unwrap()),
        ..session.clone()
    };
    assert_eq!(value(&s.client_for(&forged), "shared").await, unrecognized);
    // Another session's token with this key, and this token with a made-up key.
    let other = s.assume(&app, &role_arn, &[]).await;
    let swapped = Creds {
        token: other.token.clone(),
        ..session.clone()
    };
    assert_eq!(value(&s.client_for(&swapped), "shared").await, unrecognized);
    let made_up = Creds {
        akid: "ASIAAAAAAAAAAAAAAAAA".into(),
        ..session.clone()
    };
    assert_eq!(value(&s.client_for(&made_up), "shared").await, unrecognized);
    // Garbage.
    let garbage = Creds {
        token: Some("not-a-token".into()),
        ..session.clone()
    };
    assert_eq!(value(&s.client_for(&garbage), "shared").await, unrecognized);
    // A long-term key with a token.
    let with_token = Creds {
        token: Some(token.clone()),
        ..app.clone()
    };
    assert_eq!(
        value(&s.client_for(&with_token), "shared").await,
        unrecognized
    );
    // The role deleted: its sessions stop.
    for params in [
        vec![
            ("Action", "DeleteRolePolicy"),
            ("RoleName", "r"),
            ("PolicyName", "p"),
        ],
        vec![("Action", "DeleteRole"), ("RoleName", "r")],
    ] {
        let r = s.iam(&s.root(), &params).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(value(&s.client_for(&session), "shared").await, unrecognized);
}

#[tokio::test]
async fn resource_policy_operations() {
    let s = start().await;
    let c = s.client();
    let (arn, _) = create(&c, "with-policy", "v").await;
    let got = c
        .get_resource_policy()
        .secret_id("with-policy")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (got.arn(), got.name(), got.resource_policy()),
        (Some(arn.as_str()), Some("with-policy"), None)
    );
    // The pinned SDK predates ListResourcePolicies and PolicyName: raw requests for those.
    let r = s
        .raw_json(
            "ListResourcePolicies",
            &serde_json::json!({"SecretId": "with-policy"}),
        )
        .send()
        .await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"ResourcePolicies": []}))
    );

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/app"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#,
        s.account
    );
    let put = c
        .put_resource_policy()
        .secret_id("with-policy")
        .resource_policy(&policy)
        .block_public_policy(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (put.arn(), put.name()),
        (Some(arn.as_str()), Some("with-policy"))
    );
    let got = c
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.resource_policy(), Some(policy.as_str()));
    let r = s
        .raw_json(
            "ListResourcePolicies",
            &serde_json::json!({"SecretId": "with-policy"}),
        )
        .send()
        .await;
    assert_eq!(
        r.json(),
        serde_json::json!({"ResourcePolicies": [{"PolicyName": "default"}]})
    );

    // Bad JSON and bad grammar.
    assert_code(
        c.put_resource_policy()
            .secret_id("with-policy")
            .resource_policy("{nope")
            .send()
            .await,
        "MalformedPolicyDocumentException",
    );
    assert_code(
        c.put_resource_policy()
            .secret_id("with-policy")
            .resource_policy(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .send()
            .await,
        "MalformedPolicyDocumentException",
    );
    // Public, blocked; the same allowed without the flag.
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    assert_err(
        c.put_resource_policy()
            .secret_id("with-policy")
            .resource_policy(public)
            .block_public_policy(true)
            .send()
            .await,
        "PublicPolicyException",
        coffer_core::policy::PUBLIC_ACCESS_MESSAGE,
    );
    assert_eq!(
        c.get_resource_policy()
            .secret_id(&arn)
            .send()
            .await
            .unwrap()
            .resource_policy(),
        Some(policy.as_str())
    );
    c.put_resource_policy()
        .secret_id("with-policy")
        .resource_policy(public)
        .send()
        .await
        .unwrap();

    // Validation reports, and does not attach.
    let v = c
        .validate_resource_policy()
        .secret_id("with-policy")
        .resource_policy(public)
        .send()
        .await
        .unwrap();
    assert!(!v.policy_validation_passed());
    assert_eq!(
        v.validation_errors()
            .iter()
            .map(|e| (e.check_name().unwrap(), e.error_message().unwrap()))
            .collect::<Vec<_>>(),
        vec![(
            coffer_core::policy::CHECK_PUBLIC_ACCESS,
            coffer_core::policy::PUBLIC_ACCESS_MESSAGE
        )]
    );
    let v = c
        .validate_resource_policy()
        .resource_policy(&policy)
        .send()
        .await
        .unwrap();
    assert!(v.policy_validation_passed());
    assert!(v.validation_errors().is_empty());
    let v = c
        .validate_resource_policy()
        .resource_policy("[1,2")
        .send()
        .await
        .unwrap();
    assert!(!v.policy_validation_passed());
    assert_eq!(
        v.validation_errors()[0].check_name(),
        Some(coffer_core::policy::CHECK_SYNTAX)
    );

    let deleted = c
        .delete_resource_policy()
        .secret_id("with-policy")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.name(), Some("with-policy"));
    assert_eq!(
        c.get_resource_policy()
            .secret_id(&arn)
            .send()
            .await
            .unwrap()
            .resource_policy(),
        None
    );
    // Only the default policy exists.
    let r = s
        .raw_json("PutResourcePolicy", &serde_json::json!({"SecretId": "with-policy", "ResourcePolicy": policy, "PolicyName": "other"}))
        .send()
        .await;
    r.assert_error(
        "InvalidParameterException",
        Some("The policy name other is not valid. You can only modify the default policy."),
    );
    assert_err(
        c.get_resource_policy().secret_id("missing").send().await,
        "ResourceNotFoundException",
        MSG_NOT_FOUND,
    );
}

#[tokio::test]
async fn resource_policies_deny_over_identity_allow_and_grant_within_the_account() {
    let s = start().await;
    let root = s.client();
    let (arn, _) = create(&root, "guarded", "g").await;
    let reader = s
        .user(
            "reader",
            Some(&allow(r#""secretsmanager:GetSecretValue""#, "*")),
        )
        .await;
    let granted = s.user("granted", None).await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Deny","Principal":{{"AWS":"{}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}},
            {{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#,
        user_arn(&s, "reader"),
        user_arn(&s, "granted")
    );
    root.put_resource_policy()
        .secret_id("guarded")
        .resource_policy(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        value(&s.client_for(&reader), "guarded").await.unwrap_err().message,
        format!(
            "User: {} is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} with an explicit deny in a resource-based policy",
            user_arn(&s, "reader")
        )
    );
    // Named in the resource policy: no identity policy needed in the same account.
    assert_eq!(
        value(&s.client_for(&granted), "guarded").await.as_deref(),
        Ok("g")
    );
    // The deny names only `reader`: the root user still reads.
    assert_eq!(value(&root, "guarded").await.as_deref(), Ok("g"));
    // A resource policy's Deny binds the root user too.
    let root_arn = format!("arn:aws:iam::{}:root", s.account);
    let deny_root = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"{root_arn}"}},"Action":"secretsmanager:DeleteSecret","Resource":"*"}}]}}"#
    );
    root.put_resource_policy()
        .secret_id("guarded")
        .resource_policy(&deny_root)
        .send()
        .await
        .unwrap();
    assert_err(
        root.delete_secret().secret_id("guarded").send().await,
        "AccessDeniedException",
        &format!(
            "User: {root_arn} is not authorized to perform: secretsmanager:DeleteSecret on resource: {arn} with an explicit deny in a resource-based policy"
        ),
    );
    assert_eq!(value(&root, "guarded").await.as_deref(), Ok("g"));
    // aws:SecureTransport is false over plain HTTP (tls.rs shows the same policy over HTTPS).
    // Last: this policy locks every plain-HTTP caller out, root included.
    root.put_resource_policy()
        .secret_id("guarded")
        .resource_policy(common::iam::DENY_INSECURE_TRANSPORT)
        .send()
        .await
        .unwrap();
    let insecure = value(&root, "guarded").await.unwrap_err();
    assert_eq!(
        insecure.message,
        format!(
            "User: arn:aws:iam::{}:root is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} with an explicit deny in a resource-based policy",
            s.account
        )
    );
}

#[tokio::test]
async fn cross_account_access_needs_both_sides_and_a_full_arn() {
    let s = start().await;
    let owner = s.client();
    let (arn, _) = create(&owner, "shared", "cross").await;
    // A second account, made in-process as `coffer admin` would.
    let other = coffer_core::names::AccountId::parse("210987654321").unwrap();
    let other_root = s.server.service.create_access_key(&other).await.unwrap();
    let other_creds = Creds {
        akid: other_root.access_key_id.clone(),
        secret: other_root.secret_access_key.to_string(),
        token: None,
    };
    let c = s.client_for(&other_creds);
    let other_arn = "arn:aws:iam::210987654321:root";
    assert_eq!(
        value(&c, &arn).await.unwrap_err().message,
        format!(
            "User: {other_arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} \
             because no resource-based policy allows the secretsmanager:GetSecretValue action"
        )
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    owner
        .put_resource_policy()
        .secret_id("shared")
        .resource_policy(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(value(&c, &arn).await.as_deref(), Ok("cross"));
    // By name or partial ARN, another account's secret is not found there.
    assert_eq!(
        value(&c, "shared").await.unwrap_err().code,
        "ResourceNotFoundException"
    );
    let partial = arn.rsplit_once('-').unwrap().0.to_owned();
    assert_eq!(
        value(&c, &partial).await.unwrap_err().code,
        "AccessDeniedException"
    );
    // Only what the resource policy grants: not DescribeSecret.
    let err = api_err(
        c.describe_secret()
            .secret_id(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, "AccessDeniedException");
    // A user of the other account needs its own identity policy as well.
    let r = s
        .iam(
            &other_creds,
            &[("Action", "CreateUser"), ("UserName", "visitor")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .iam(
            &other_creds,
            &[("Action", "CreateAccessKey"), ("UserName", "visitor")],
        )
        .await;
    let visitor = Creds {
        akid: xml_text(&r.text(), "AccessKeyId").unwrap(),
        secret: xml_text(&r.text(), "SecretAccessKey").unwrap(),
        token: None,
    };
    let vc = s.client_for(&visitor);
    assert_eq!(
        value(&vc, &arn).await.unwrap_err().message,
        no_identity(
            "arn:aws:iam::210987654321:user/visitor",
            "secretsmanager:GetSecretValue",
            &arn
        )
    );
    let r = s
        .iam(
            &other_creds,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "visitor"),
                ("PolicyName", "p"),
                (
                    "PolicyDocument",
                    &allow(r#""secretsmanager:GetSecretValue""#, "*"),
                ),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(value(&vc, &arn).await.as_deref(), Ok("cross"));
}

#[tokio::test]
async fn batch_get_reports_each_denial_in_errors() {
    let s = start().await;
    let root = s.client();
    create(&root, "team/a", "a").await;
    let (b, _) = create(&root, "other/b", "b").await;
    let app = s
        .user(
            "app",
            Some(&allow(
                r#"["secretsmanager:GetSecretValue","secretsmanager:BatchGetSecretValue"]"#,
                "arn:aws:secretsmanager:*:*:secret:team/*",
            )),
        )
        .await;
    let c = s.client_for(&app);
    // BatchGetSecretValue itself has resource *: the user's policy does not cover it.
    let err = api_err(
        c.batch_get_secret_value()
            .secret_id_list("team/a")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, "AccessDeniedException");
    s.put_user_policy(
        "app",
        "batch",
        &allow(r#""secretsmanager:BatchGetSecretValue""#, "*"),
    )
    .await;
    let out = c
        .batch_get_secret_value()
        .secret_id_list("team/a")
        .secret_id_list("other/b")
        .send()
        .await
        .unwrap();
    let values: Vec<_> = out
        .secret_values()
        .iter()
        .map(|v| v.secret_string().unwrap())
        .collect();
    assert_eq!(values, vec!["a"]);
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.secret_id().unwrap(),
                e.error_code().unwrap(),
                e.message().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![(
            "other/b",
            "AccessDeniedException",
            no_identity(&user_arn(&s, "app"), "secretsmanager:GetSecretValue", &b)
        )]
    );
}

/// A third of the evaluator's table, through the server: each case a user with an identity
/// policy (and maybe a resource policy on the secret), one SDK call, the expected outcome.
#[tokio::test]
async fn policy_cases_through_the_server() {
    let s = start().await;
    let root = s.client();
    let (arn, _) = create(&root, "cases/secret", "v").await;
    root.tag_resource()
        .secret_id("cases/secret")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("team")
                .value("blue")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let st = |effect: &str, action: &str, resource: &str, condition: &str| {
        format!(r#"{{"Effect":"{effect}","Action":{action},"Resource":{resource}{condition}}}"#)
    };
    let doc = |statements: &[String]| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    };
    let get = r#""secretsmanager:GetSecretValue""#;
    let any = r#""*""#;
    let cond = |c: &str| format!(r#","Condition":{c}"#);
    // (identity policy, resource policy, call, allowed)
    let cases: Vec<(String, Option<String>, &str, bool)> = vec![
        (doc(&[st("Allow", get, any, "")]), None, "get", true),
        (
            doc(&[st("Allow", r#""secretsmanager:Get*""#, any, "")]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st("Allow", r#""SecretsManager:getsecretvalue""#, any, "")]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st("Allow", r#""secretsmanager:Describe*""#, any, "")]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st("Allow", r#""secretsmanager:GetSecretValu?""#, any, "")]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st("Allow", get, &format!(r#""{arn}""#), "")]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                r#""arn:aws:secretsmanager:*:*:secret:cases/*""#,
                "",
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                r#""arn:aws:secretsmanager:*:*:secret:other/*""#,
                "",
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[
                r#"{"Effect":"Allow","NotAction":"secretsmanager:DeleteSecret","Resource":"*"}"#
                    .to_string(),
            ]),
            None,
            "get",
            true,
        ),
        (
            doc(&[
                r#"{"Effect":"Allow","NotAction":"secretsmanager:GetSecretValue","Resource":"*"}"#
                    .to_string(),
            ]),
            None,
            "get",
            false,
        ),
        (
            doc(&[format!(
                r#"{{"Effect":"Allow","Action":{get},"NotResource":"arn:aws:secretsmanager:*:*:secret:other/*"}}"#
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st("Allow", any, any, ""), st("Deny", get, any, "")]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEquals":{"aws:ResourceTag/team":"blue"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEquals":{"secretsmanager:ResourceTag/team":"red"}}"#),
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEqualsIgnoreCase":{"aws:ResourceTag/TEAM":"BLUE"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringLike":{"secretsmanager:SecretId":"*cases/*"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringNotLike":{"secretsmanager:SecretId":"*cases/*"}}"#),
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[
                st("Allow", get, any, ""),
                st(
                    "Deny",
                    get,
                    any,
                    &cond(r#"{"Bool":{"aws:SecureTransport":"false"}}"#),
                ),
            ]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#),
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT"}}"#),
            )]),
            None,
            "get-current",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT"}}"#),
            )]),
            None,
            "get",
            false,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"StringEqualsIfExists":{"secretsmanager:VersionStage":"AWSCURRENT"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"Null":{"secretsmanager:VersionStage":"true"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                get,
                any,
                &cond(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/case-*"}}"#),
            )]),
            None,
            "get",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                r#""secretsmanager:TagResource""#,
                any,
                &cond(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}"#),
            )]),
            None,
            "tag-env",
            true,
        ),
        (
            doc(&[st(
                "Allow",
                r#""secretsmanager:TagResource""#,
                any,
                &cond(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner"]}}"#),
            )]),
            None,
            "tag-env",
            false,
        ),
        (
            doc(&[st("Allow", r#""secretsmanager:DescribeSecret""#, any, "")]),
            Some("deny-user".into()),
            "describe",
            true,
        ),
        (
            doc(&[st("Allow", get, any, "")]),
            Some("deny-user".into()),
            "get",
            false,
        ),
        ("".into(), Some("allow-user".into()), "get", true),
        ("".into(), None, "get", false),
    ];
    for (n, (identity, resource, call, allowed)) in cases.into_iter().enumerate() {
        let name = format!("case-{n}");
        let creds = s
            .user(&name, (!identity.is_empty()).then_some(identity.as_str()))
            .await;
        let principal = user_arn(&s, &name);
        match resource.as_deref() {
            None => {
                root.delete_resource_policy()
                    .secret_id("cases/secret")
                    .send()
                    .await
                    .unwrap();
            }
            Some(kind) => {
                let effect = if kind == "deny-user" { "Deny" } else { "Allow" };
                let policy = format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":{{"AWS":"{principal}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
                );
                root.put_resource_policy()
                    .secret_id("cases/secret")
                    .resource_policy(policy)
                    .send()
                    .await
                    .unwrap();
            }
        }
        let c = s.client_for(&creds);
        let outcome: Result<(), ApiErr> = match call {
            "get" => c
                .get_secret_value()
                .secret_id("cases/secret")
                .send()
                .await
                .map(|_| ())
                .map_err(api_err),
            "get-current" => c
                .get_secret_value()
                .secret_id("cases/secret")
                .version_stage("AWSCURRENT")
                .send()
                .await
                .map(|_| ())
                .map_err(api_err),
            "describe" => c
                .describe_secret()
                .secret_id("cases/secret")
                .send()
                .await
                .map(|_| ())
                .map_err(api_err),
            "tag-env" => c
                .tag_resource()
                .secret_id("cases/secret")
                .tags(
                    aws_sdk_secretsmanager::types::Tag::builder()
                        .key("env")
                        .value("x")
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(api_err),
            other => panic!("unknown call {other}"),
        };
        match (allowed, outcome) {
            (true, Ok(())) => {}
            (false, Err(e)) => {
                assert_eq!(
                    (e.status, e.code.as_str()),
                    (400, "AccessDeniedException"),
                    "case {n}"
                );
                assert!(
                    e.message
                        .starts_with(&format!("User: {principal} is not authorized to perform: ")),
                    "case {n}: {}",
                    e.message
                );
            }
            (expected, got) => {
                panic!("case {n} ({call}): expected allowed={expected}, got {got:?}")
            }
        }
    }
}
