//! IAM and STS through the wire, for the access-control tests: form-encoded awsQuery requests
//! signed for `iam` or `sts` by the raw helper, SDK clients for any credentials (temporary ones
//! included), and the small XML reading the tests need.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::Client;
use chrono::Utc;

use super::{Raw, RawResponse, Signing, TestServer};

/// A set of credentials: long-term, or temporary with a session token.
#[derive(Clone, Debug)]
pub struct Creds {
    /// The access key id.
    pub akid: String,
    /// The secret access key.
    pub secret: String,
    /// The session token of temporary credentials.
    pub token: Option<String>,
}

/// The text of the first `<tag>` element of `xml`, unescaped.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(
        xml[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

impl TestServer {
    /// The root user's credentials.
    pub fn root(&self) -> Creds {
        Creds {
            akid: self.access_key_id.clone(),
            secret: self.secret_access_key.clone(),
            token: None,
        }
    }

    /// A form-encoded awsQuery request for `service` (`iam` or `sts`), signed with `creds`.
    pub fn query_raw(&self, service: &str, creds: &Creds, params: &[(&str, &str)]) -> Raw {
        let version = if service == "iam" {
            "2010-05-08"
        } else {
            "2011-06-15"
        };
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("Version", version));
        let body = serde_urlencoded::to_string(&all).unwrap();
        let headers = vec![(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )];
        Raw {
            addr: self.server.addr,
            method: "POST".into(),
            path: "/".into(),
            query: None,
            headers,
            body: body.into_bytes(),
            signing: Some(Signing {
                access_key_id: creds.akid.clone(),
                secret_access_key: creds.secret.clone(),
                region: "us-east-1".into(),
                service: service.into(),
                time: Utc::now(),
                session_token: creds.token.clone(),
            }),
        }
    }

    /// An IAM call.
    pub async fn iam(&self, creds: &Creds, params: &[(&str, &str)]) -> RawResponse {
        self.query_raw("iam", creds, params).send().await
    }

    /// An STS call.
    pub async fn sts(&self, creds: &Creds, params: &[(&str, &str)]) -> RawResponse {
        self.query_raw("sts", creds, params).send().await
    }

    /// An SDK client for `creds`.
    pub fn client_for(&self, creds: &Creds) -> Client {
        let credentials = aws_credential_types::Credentials::new(
            &creds.akid,
            &creds.secret,
            creds.token.clone(),
            None,
            "test",
        );
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .build();
        Client::from_conf(config)
    }

    /// Creates a user (as root) with an access key and, if given, an inline policy.
    pub async fn user(&self, name: &str, policy: Option<&str>) -> Creds {
        let root = self.root();
        let r = self
            .iam(&root, &[("Action", "CreateUser"), ("UserName", name)])
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        if let Some(policy) = policy {
            self.put_user_policy(name, "p", policy).await;
        }
        let r = self
            .iam(&root, &[("Action", "CreateAccessKey"), ("UserName", name)])
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let xml = r.text();
        Creds {
            akid: xml_text(&xml, "AccessKeyId").unwrap(),
            secret: xml_text(&xml, "SecretAccessKey").unwrap(),
            token: None,
        }
    }

    /// Puts (as root) an inline policy on a user.
    pub async fn put_user_policy(&self, user: &str, policy_name: &str, document: &str) {
        let r = self
            .iam(
                &self.root(),
                &[
                    ("Action", "PutUserPolicy"),
                    ("UserName", user),
                    ("PolicyName", policy_name),
                    ("PolicyDocument", document),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    /// Assumes a role with `creds`; the temporary credentials.
    pub async fn assume(&self, creds: &Creds, role_arn: &str, extra: &[(&str, &str)]) -> Creds {
        let mut params = vec![
            ("Action", "AssumeRole"),
            ("RoleArn", role_arn),
            ("RoleSessionName", "s1"),
        ];
        params.extend_from_slice(extra);
        let r = self.sts(creds, &params).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let xml = r.text();
        Creds {
            akid: xml_text(&xml, "AccessKeyId").unwrap(),
            secret: xml_text(&xml, "SecretAccessKey").unwrap(),
            token: Some(xml_text(&xml, "SessionToken").unwrap()),
        }
    }
}

/// An identity policy allowing `actions` on `resource`.
pub fn allow(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"{resource}"}}]}}"#
    )
}

/// A resource policy that denies everyone everything over a connection without TLS.
pub const DENY_INSECURE_TRANSPORT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
