//! The audit event: the record AWS CloudTrail writes for an API call (`AwsApiCall`) or for
//! something a service did by itself (`AwsServiceEvent`), field for field as CloudTrail names
//! them, so that tools that read CloudTrail's JSON read coffer's.
//!
//! An event holds only redacted data by construction: the request parameters and response
//! elements are built by [`super::redact`], which never copies a secret value, and nothing else
//! in an event comes from a request body.

use chrono::{DateTime, SecondsFormat, Utc};
use coffer_core::service::{Principal, PrincipalIdentity};
use serde::Serialize;
use serde_json::Value;

/// The CloudTrail record format version coffer writes.
pub const EVENT_VERSION: &str = "1.09";

/// The event source of Secrets Manager calls and service events.
pub const SECRETS_MANAGER_SOURCE: &str = "secretsmanager.amazonaws.com";
/// The event source of IAM calls.
pub const IAM_SOURCE: &str = "iam.amazonaws.com";
/// The event source of STS calls.
pub const STS_SOURCE: &str = "sts.amazonaws.com";
/// The event source of KMS calls.
pub const KMS_SOURCE: &str = "kms.amazonaws.com";

/// One audit event, serialized with CloudTrail's field names.
///
/// The fields of this struct and of every struct inside it are declared in the byte order of
/// their JSON names, and `Value` members are maps with sorted keys (serde_json without
/// `preserve_order`), so serde writes an event's canonical bytes (see [`super::chain`])
/// directly: [`Event::canonical`], one serialization and no intermediate tree. A test holds
/// this for every kind of event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The region the call acted in.
    pub aws_region: String,
    /// The error code the client received, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message the client received, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Always `Management`.
    pub event_category: &'static str,
    /// This event's own id.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// The operation (`GetSecretValue`) or service event (`EndSecretVersionDelete`).
    pub event_name: String,
    /// The service called (`secretsmanager.amazonaws.com`, …).
    pub event_source: &'static str,
    /// When, to the second, in UTC (`2024-05-01T12:00:00Z`).
    pub event_time: String,
    /// `AwsApiCall` or `AwsServiceEvent`.
    pub event_type: &'static str,
    /// The record format version ([`EVENT_VERSION`]).
    pub event_version: &'static str,
    /// Always `true`: every coffer event is a management event.
    pub management_event: bool,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// The account the call acted in, when known (not for a failed authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_account_id: Option<String>,
    /// The request id the client received (`x-amzn-RequestId`).
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// The request's parameters, secret values removed; `null` when there were none.
    pub request_parameters: Option<Value>,
    /// The resources a service event is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    /// What the call answered, secret values removed; `null` for reads and failures, as AWS
    /// (except a write refused by fail-closed auditing: it committed, and keeps its result).
    pub response_elements: Option<Value>,
    /// The client's address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    /// The client's User-Agent header.
    pub user_agent: Option<String>,
    /// Who made the call.
    pub user_identity: UserIdentity,
}

/// CloudTrail's `userIdentity` (fields in JSON-name order, as [`Event`]'s).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// The access key id that signed the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The principal's account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The principal's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// For a service event: the service that acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<&'static str>,
    /// The principal's unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// For a role session: the role and the session's attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    /// `Root`, `IAMUser`, `AssumedRole`, `AWSService`, or `Unknown` (a failed authentication).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// An IAM user's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// CloudTrail's `sessionContext` of an assumed-role identity.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    /// The session's attributes.
    pub attributes: SessionAttributes,
    /// The role the session was issued for.
    pub session_issuer: SessionIssuer,
}

/// CloudTrail's `sessionIssuer`: the role.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    /// The role's account.
    pub account_id: String,
    /// The role's ARN.
    pub arn: String,
    /// The role's unique id (`AROA…`).
    pub principal_id: String,
    /// Always `Role`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The role's name.
    pub user_name: String,
}

/// CloudTrail's session `attributes`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    /// When the session's credentials expire (coffer's tokens carry the expiry, not the issue
    /// time; CloudTrail has no field for it, so this is coffer's own).
    pub expiration_date: String,
    /// coffer has no MFA: always `"false"` (CloudTrail writes it as a string).
    pub mfa_authenticated: &'static str,
}

/// A resource a service event is about.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// The resource's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its account.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// Its type (`AWS::SecretsManager::Secret`).
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// CloudTrail's time format: seconds, UTC, `Z`.
pub fn event_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl UserIdentity {
    /// The identity of an authenticated caller.
    pub fn of(principal: &Principal, access_key_id: &str) -> Self {
        let account = principal.account.as_str().to_owned();
        let mut identity = Self {
            principal_id: Some(principal.user_id.clone()),
            arn: Some(principal.arn.clone()),
            account_id: Some(account.clone()),
            access_key_id: Some(access_key_id.to_owned()),
            ..Self::default()
        };
        match &principal.identity {
            PrincipalIdentity::Root => identity.kind = Some("Root"),
            PrincipalIdentity::User { name } => {
                identity.kind = Some("IAMUser");
                identity.user_name = Some(name.clone());
            }
            PrincipalIdentity::Session(session) => {
                identity.kind = Some("AssumedRole");
                identity.session_context = Some(SessionContext {
                    session_issuer: SessionIssuer {
                        kind: "Role",
                        principal_id: session.role_id.clone(),
                        arn: format!("arn:aws:iam::{account}:role/{}", session.role_name),
                        account_id: account,
                        user_name: session.role_name.clone(),
                    },
                    attributes: SessionAttributes {
                        mfa_authenticated: "false",
                        expiration_date: event_time(session.expires),
                    },
                });
            }
        }
        identity
    }

    /// The identity of a request whose authentication failed: only the access key id it was
    /// signed with, when the signature could be read that far.
    pub fn unknown(access_key_id: Option<String>) -> Self {
        Self {
            kind: Some("Unknown"),
            access_key_id,
            ..Self::default()
        }
    }

    /// The identity of a service acting on its own (the purge job).
    pub fn service(account: &str) -> Self {
        Self {
            kind: Some("AWSService"),
            account_id: Some(account.to_owned()),
            invoked_by: Some(SECRETS_MANAGER_SOURCE),
            ..Self::default()
        }
    }
}

impl Event {
    /// An `AwsApiCall` event with the fields every call has; the caller fills in the rest.
    #[allow(clippy::too_many_arguments)]
    pub fn api_call(
        source: &'static str,
        name: String,
        time: DateTime<Utc>,
        region: String,
        identity: UserIdentity,
        request_id: String,
        read_only: bool,
    ) -> Self {
        Self {
            event_version: EVENT_VERSION,
            recipient_account_id: identity.account_id.clone(),
            user_identity: identity,
            event_time: event_time(time),
            event_source: source,
            event_name: name,
            aws_region: region,
            source_ip_address: None,
            user_agent: None,
            error_code: None,
            error_message: None,
            request_parameters: None,
            response_elements: None,
            request_id,
            event_id: uuid::Uuid::new_v4().to_string(),
            read_only,
            resources: None,
            event_type: "AwsApiCall",
            management_event: true,
            event_category: "Management",
        }
    }

    /// The service event the purge writes for a secret deleted at the end of its recovery
    /// window: AWS's `EndSecretVersionDelete`, invoked by Secrets Manager itself.
    pub fn end_secret_version_delete(arn: &str, time: DateTime<Utc>) -> Self {
        Self::service_event("EndSecretVersionDelete", arn, time)
    }

    /// A rotation's service event (`RotationStarted`, `RotationSucceeded`, `RotationFailed`,
    /// `RotationAbandoned`): the secret, the rotation's version id in `requestParameters`,
    /// and for a failure what the function reported as the error message. Never a value.
    pub fn rotation_event(
        name: &str,
        arn: &str,
        version_id: &str,
        error: Option<&str>,
        time: DateTime<Utc>,
    ) -> Self {
        let mut event = Self::service_event(name, arn, time);
        let mut parameters = serde_json::Map::new();
        parameters.insert("versionId".to_owned(), Value::String(version_id.to_owned()));
        event.request_parameters = Some(Value::Object(parameters));
        if let Some(error) = error {
            event.error_code = Some("RotationFailed".to_owned());
            event.error_message = Some(error.to_owned());
        }
        event
    }

    /// A service event about one secret, invoked by Secrets Manager itself.
    fn service_event(name: &str, arn: &str, time: DateTime<Utc>) -> Self {
        // arn:aws:secretsmanager:<region>:<account>:secret:<name>
        let mut fields = arn.split(':');
        let region = fields.nth(3).unwrap_or_default().to_owned();
        let account = fields.next().unwrap_or_default().to_owned();
        Self {
            event_version: EVENT_VERSION,
            user_identity: UserIdentity::service(&account),
            event_time: event_time(time),
            event_source: SECRETS_MANAGER_SOURCE,
            event_name: name.to_owned(),
            aws_region: region,
            source_ip_address: Some(SECRETS_MANAGER_SOURCE.to_owned()),
            user_agent: Some(SECRETS_MANAGER_SOURCE.to_owned()),
            error_code: None,
            error_message: None,
            request_parameters: None,
            response_elements: None,
            request_id: uuid::Uuid::new_v4().to_string(),
            event_id: uuid::Uuid::new_v4().to_string(),
            read_only: false,
            resources: Some(vec![Resource {
                arn: arn.to_owned(),
                account_id: account.clone(),
                kind: "AWS::SecretsManager::Secret",
            }]),
            event_type: "AwsServiceEvent",
            management_event: true,
            recipient_account_id: Some(account),
            event_category: "Management",
        }
    }

    /// The event's canonical bytes (keys sorted at every depth, no whitespace), what the hash
    /// chain digests: serde's own output, because the fields are declared in key order.
    pub fn canonical(&self) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(768);
        serde_json::to_writer(&mut out, self)?;
        Ok(out)
    }

    /// Turns the event of a call whose response fail-closed auditing refused into the record
    /// of what the client received instead: the service's internal error. A write's result
    /// (`responseElements`, already without secret members) stays: the change is committed
    /// even though the client was not told, and the trail must show it; reads record none.
    pub fn refuse(&mut self) {
        let (code, message) = refusal(self.event_source);
        self.error_code = Some(code.to_owned());
        self.error_message = Some(message.to_owned());
        if self.read_only {
            self.response_elements = None;
        }
    }
}

/// The error a call refused by fail-closed auditing is answered, and recorded, with: each
/// service's own internal-error code (HTTP 500 for all three).
pub fn refusal(source: &str) -> (&'static str, &'static str) {
    match source {
        IAM_SOURCE => (
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        STS_SOURCE => ("InternalFailure", "An error occurred on the server side."),
        KMS_SOURCE => ("KMSInternalException", ""),
        _ => (
            "InternalServiceError",
            "An error occurred on the server side.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use coffer_core::names::AccountId;
    use coffer_core::service::SessionInfo;

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// Every optional member set, nested maps included, for each kind of identity.
    fn events() -> Vec<Event> {
        let Some(account) = AccountId::parse("123456789012") else {
            panic!("a valid account id");
        };
        let principal = |identity| Principal {
            account: account.clone(),
            arn: "arn:aws:iam::123456789012:user/a\"b".into(),
            user_id: "AIDAEXAMPLE".into(),
            identity,
            own_session: false,
        };
        let session = PrincipalIdentity::Session(SessionInfo {
            role_id: "AROAEXAMPLE".into(),
            role_name: "deploy".into(),
            session_name: "s".into(),
            expires: time(),
            session_policy: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
        });
        let identities = [
            UserIdentity::of(&principal(PrincipalIdentity::Root), "AKIAROOT"),
            UserIdentity::of(
                &principal(PrincipalIdentity::User {
                    name: "alice".into(),
                }),
                "AKIAUSER",
            ),
            UserIdentity::of(&principal(session), "ASIASESSION"),
            UserIdentity::unknown(Some("AKIA\u{e9}\n".into())),
            UserIdentity::service("123456789012"),
        ];
        let mut all: Vec<Event> = identities
            .into_iter()
            .map(|identity| {
                let mut event = Event::api_call(
                    SECRETS_MANAGER_SOURCE,
                    "PutSecretValue".into(),
                    time(),
                    "eu-west-1".into(),
                    identity,
                    "req".into(),
                    false,
                );
                event.source_ip_address = Some("127.0.0.1".into());
                event.user_agent = Some("aws-cli/2 \"quoted\" \u{1f511}".into());
                event.error_code = Some("ResourceNotFoundException".into());
                event.error_message = Some("Secrets Manager can't find it.".into());
                event.request_parameters = Some(serde_json::json!({
                    "versionStages": ["AWSCURRENT", {"z": 1, "a": [true, null, 1.5]}],
                    "secretId": "s",
                    "clientRequestToken": "t",
                }));
                event.response_elements = Some(serde_json::json!({"name": "s", "aRN": "x"}));
                event
            })
            .collect();
        all.push(Event::end_secret_version_delete(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf",
            time(),
        ));
        all
    }

    #[test]
    fn serde_writes_the_canonical_bytes() {
        for event in events() {
            let value = serde_json::to_value(&event).unwrap_or_default();
            let canonical = event.canonical().unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&canonical),
                String::from_utf8_lossy(&super::super::chain::canonical(&value)),
            );
        }
    }
}
