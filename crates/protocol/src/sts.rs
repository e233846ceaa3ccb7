//! The STS subset coffer answers on its own endpoint, `GetCallerIdentity` and `AssumeRole`, in
//! the awsQuery protocol (a form-encoded request, an XML response; the machinery shared with
//! IAM is [`crate::query`]).
//!
//! SDKs and AWS's caching agent call `GetCallerIdentity` to check that credentials work, so its
//! response and its error shape must parse with their XML parsers exactly as real STS output
//! does.
//!
//! How an awsQuery request is read and routed: [`crate::query`].

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::constraint::{Length, Pattern, StringShape, Violations};
use crate::query::error::error_response_xml;
use crate::query::form::{string_members, tags, Params, TAG_KEY};
use crate::query::patterns::{
    is_arn_text, is_external_id, is_serial_number, is_token_code, name_star, policy_text,
};
use crate::query::xml::Xml;
use crate::query::{parse_form, parse_query_string, QueryError, QueryErrorCode, QueryForm, Tag};
use crate::sensitive::SensitiveString;

/// The STS API version every awsQuery request names and every response's namespace carries.
pub const STS_VERSION: &str = "2011-06-15";

/// The XML namespace of STS responses.
const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS request, as far as coffer understands one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsRequest {
    /// `Action=GetCallerIdentity`.
    GetCallerIdentity,
    /// Any other action, by name; answered with an error, never a panic.
    Unsupported(String),
}

/// Reads the action of an awsQuery request body, as far as STS is concerned.
///
/// Returns `None` when the body is no awsQuery request ([`parse_form`]), so that the caller
/// can treat it as not an STS request at all.
pub fn parse_action(content_type: Option<&str>, body: &[u8]) -> Option<StsRequest> {
    parse_form(content_type, body).map(StsRequest::from)
}

/// Reads the action of an awsQuery request sent in the query string, as presigned
/// `GetCallerIdentity` URLs are (the kind EKS-style tokens carry).
pub fn parse_query_action(query: Option<&str>) -> Option<StsRequest> {
    parse_query_string(query).map(StsRequest::from)
}

impl From<QueryForm> for StsRequest {
    fn from(form: QueryForm) -> Self {
        match form.action.as_str() {
            "GetCallerIdentity" => StsRequest::GetCallerIdentity,
            _ => StsRequest::Unsupported(form.action),
        }
    }
}

/// The body of a `GetCallerIdentity` response, laid out as STS lays it out.
pub fn get_caller_identity_xml(
    arn: &str,
    user_id: &str,
    account: &str,
    request_id: &str,
) -> String {
    let mut xml = Xml::new();
    xml.open_namespaced("GetCallerIdentityResponse", STS_NAMESPACE);
    xml.open("GetCallerIdentityResult");
    xml.leaf("Arn", arn);
    xml.leaf("UserId", user_id);
    xml.leaf("Account", account);
    xml.close("GetCallerIdentityResult");
    xml.response_metadata(request_id);
    xml.close("GetCallerIdentityResponse");
    xml.finish_plain()
}

/// The body of an awsQuery error response for a code outside [`QueryErrorCode`] (the
/// authentication failures answered before routing); a client error, so `Type` is `Sender`.
pub fn error_xml(code: &str, message: &str, request_id: &str) -> String {
    let mut xml = Xml::new();
    xml.open_namespaced("ErrorResponse", STS_NAMESPACE);
    xml.open("Error");
    xml.leaf("Type", "Sender");
    xml.leaf("Code", code);
    xml.leaf("Message", message);
    xml.close("Error");
    xml.leaf("RequestId", request_id);
    xml.close("ErrorResponse");
    xml.finish_plain()
}

// ---------------------------------------------------------------------------------------------
// AssumeRole.

/// The default `DurationSeconds` of an `AssumeRole` session.
pub const DEFAULT_DURATION_SECONDS: i32 = 3600;

pub(crate) const ROLE_ARN: StringShape =
    StringShape::length(Some(20), Some(2048)).with_pattern(Pattern {
        source: r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
        matches: is_arn_text,
    });

pub(crate) const SESSION_NAME: StringShape =
    StringShape::length(Some(2), Some(64)).with_pattern(Pattern {
        source: r"[\w+=,.@-]*",
        matches: name_star,
    });

const SESSION_POLICY: StringShape = StringShape::length(Some(1), None).with_pattern(Pattern {
    source: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: policy_text,
});

pub(crate) const EXTERNAL_ID: StringShape =
    StringShape::length(Some(2), Some(1224)).with_pattern(Pattern {
        source: r"[\w+=,.@:\/-]*",
        matches: is_external_id,
    });

pub(crate) const SERIAL_NUMBER: StringShape =
    StringShape::length(Some(9), Some(256)).with_pattern(Pattern {
        source: r"[\w+=/:,.@-]*",
        matches: is_serial_number,
    });

pub(crate) const TOKEN_CODE: StringShape =
    StringShape::length(Some(6), Some(6)).with_pattern(Pattern {
        source: r"[\d]*",
        matches: is_token_code,
    });

const SOURCE_IDENTITY: StringShape =
    StringShape::length(Some(2), Some(256)).with_pattern(Pattern {
        source: r"[\w+=,.@-]*",
        matches: name_star,
    });

/// The parameters of `AssumeRole`, checked against the STS model (`sts/2011-06-15`).
///
/// `PolicyArns` (managed session policies) are refused: a session carries at most one inline
/// session policy, and ignoring one would give the session more than its caller asked for. `SerialNumber` and
/// `TokenCode` are checked and carried, but coffer verifies no MFA, so a trust policy that
/// requires MFA never matches. `ProvidedContexts` and `MinimumSessionTokenSize` are not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    /// `RoleArn`, 20–2048 characters (its form as an ARN is the server's to check).
    pub role_arn: String,
    /// `RoleSessionName`, 2–64 characters of `[\w+=,.@-]`.
    pub role_session_name: String,
    /// `Policy`, an inline session policy, as sent.
    pub policy: Option<String>,
    /// `DurationSeconds`, 900–43200; 3600 when not sent. The role's own
    /// `MaxSessionDuration` is the server's to check ([`duration_exceeds_max_session_duration`]).
    pub duration_seconds: i32,
    /// `Tags`, session tags.
    pub tags: Vec<Tag>,
    /// `TransitiveTagKeys`.
    pub transitive_tag_keys: Vec<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `SerialNumber`, an MFA device.
    pub serial_number: Option<String>,
    /// `TokenCode`, an MFA code.
    pub token_code: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
}

/// Parses the parameters of an `AssumeRole` request, reporting every model constraint violated
/// in one `ValidationError` with AWS's wording, in model member order.
pub fn parse_assume_role(pairs: &[(String, String)]) -> Result<AssumeRoleRequest, QueryError> {
    let p = Params::new(pairs);
    let mut v = Violations::default();
    let role_arn = v.required_param("roleArn", p.get("RoleArn"), &ROLE_ARN);
    let role_session_name =
        v.required_param("roleSessionName", p.get("RoleSessionName"), &SESSION_NAME);
    let has_policy_arns = !p.member_indices("PolicyArns").is_empty();
    let policy = v.param("policy", p.get("Policy"), &SESSION_POLICY);
    let duration_seconds = v.integer("durationSeconds", p.get("DurationSeconds"), 900, 43200);
    let tags = tags(p, &mut v);
    let transitive_tag_keys = string_members(p, "TransitiveTagKeys");
    v.check_strings(
        "transitiveTagKeys",
        &transitive_tag_keys,
        &Length::new(None, Some(50)),
        &TAG_KEY,
    );
    let external_id = v.param("externalId", p.get("ExternalId"), &EXTERNAL_ID);
    let serial_number = v.param("serialNumber", p.get("SerialNumber"), &SERIAL_NUMBER);
    let token_code = v.param("tokenCode", p.get("TokenCode"), &TOKEN_CODE);
    let source_identity = v.param("sourceIdentity", p.get("SourceIdentity"), &SOURCE_IDENTITY);
    v.finish_query()?;
    if has_policy_arns {
        return Err(managed_session_policies_unsupported());
    }
    Ok(AssumeRoleRequest {
        role_arn,
        role_session_name,
        policy,
        duration_seconds: duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS),
        tags,
        transitive_tag_keys,
        external_id,
        serial_number,
        token_code,
        source_identity,
    })
}

/// The parameters of `GetSessionToken`, checked against the STS model. `SerialNumber` and
/// `TokenCode` are checked and then not used: coffer verifies no MFA, so a session made with
/// them is no different from one made without (`aws:MultiFactorAuthPresent` is never set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSessionTokenRequest {
    /// `DurationSeconds`, 900–129600; the server applies the caller's default and limit.
    pub duration_seconds: Option<i32>,
}

/// Parses the parameters of a `GetSessionToken` request.
pub fn parse_get_session_token(
    pairs: &[(String, String)],
) -> Result<GetSessionTokenRequest, QueryError> {
    let p = Params::new(pairs);
    let mut v = Violations::default();
    let duration_seconds = v.integer("durationSeconds", p.get("DurationSeconds"), 900, 129_600);
    v.param("serialNumber", p.get("SerialNumber"), &SERIAL_NUMBER);
    v.param("tokenCode", p.get("TokenCode"), &TOKEN_CODE);
    v.finish_query()?;
    Ok(GetSessionTokenRequest { duration_seconds })
}

/// The body of a `GetSessionToken` response: the credentials, laid out as in AssumeRole's,
/// in a zeroizing buffer reserved for the whole body up front.
pub fn get_session_token_xml(credentials: &Credentials, request_id: &str) -> Zeroizing<String> {
    let values = credentials.access_key_id.len()
        + credentials.secret_access_key.len()
        + credentials.session_token.len()
        + request_id.len();
    let mut xml = Xml::with_capacity(1024 + 6 * values);
    xml.open_namespaced("GetSessionTokenResponse", STS_NAMESPACE);
    xml.open("GetSessionTokenResult");
    xml.open("Credentials");
    xml.leaf("SessionToken", credentials.session_token.expose());
    xml.leaf("SecretAccessKey", credentials.secret_access_key.expose());
    xml.timestamp("Expiration", &credentials.expiration);
    xml.leaf("AccessKeyId", &credentials.access_key_id);
    xml.close("Credentials");
    xml.close("GetSessionTokenResult");
    xml.response_metadata(request_id);
    xml.close("GetSessionTokenResponse");
    xml.finish()
}

/// `AccessDenied`: `Cannot call GetSessionToken with session credentials` (STS's answer to a
/// role session, or a session of GetSessionToken itself).
pub fn get_session_token_with_session() -> QueryError {
    QueryError::new(
        QueryErrorCode::AccessDenied,
        "Cannot call GetSessionToken with session credentials",
    )
}

/// The temporary credentials of a session. The secret half and the token are written only
/// into a zeroizing buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`, `ASIA…`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: SensitiveString,
    /// `SessionToken`.
    pub session_token: SensitiveString,
    /// `Expiration`.
    pub expiration: DateTime<Utc>,
}

/// The assumed-role principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `AssumedRoleId`, `AROA…:<session name>`.
    pub assumed_role_id: String,
    /// `Arn`, `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`.
    pub arn: String,
}

/// What `AssumeRole` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleResponse {
    /// `Credentials`.
    pub credentials: Credentials,
    /// `AssumedRoleUser`.
    pub assumed_role_user: AssumedRoleUser,
    /// `PackedPolicySize`, the percentage of the allowed space the session policy and tags
    /// use; STS sends it when a policy or tags were given.
    pub packed_policy_size: Option<u32>,
    /// `SourceIdentity`, when one was given.
    pub source_identity: Option<String>,
}

/// The body of an `AssumeRole` response, laid out as the STS API Reference's example
/// (SourceIdentity, AssumedRoleUser, Credentials, PackedPolicySize). It holds a secret key and
/// a session token, so it is written into a zeroizing buffer reserved for the whole body up
/// front (a reallocation would free a copy without zeroing it).
pub fn assume_role_xml(response: &AssumeRoleResponse, request_id: &str) -> Zeroizing<String> {
    let credentials = &response.credentials;
    let user = &response.assumed_role_user;
    let values = credentials.access_key_id.len()
        + credentials.secret_access_key.len()
        + credentials.session_token.len()
        + user.assumed_role_id.len()
        + user.arn.len()
        + response.source_identity.as_ref().map_or(0, String::len)
        + request_id.len();
    // Escaping grows a character to at most six bytes (`&apos;`).
    let mut xml = Xml::with_capacity(2048 + 6 * values);
    xml.open_namespaced("AssumeRoleResponse", STS_NAMESPACE);
    xml.open("AssumeRoleResult");
    xml.optional_leaf("SourceIdentity", response.source_identity.as_deref());
    xml.open("AssumedRoleUser");
    xml.leaf("Arn", &user.arn);
    xml.leaf("AssumedRoleId", &user.assumed_role_id);
    xml.close("AssumedRoleUser");
    xml.open("Credentials");
    xml.leaf("SessionToken", credentials.session_token.expose());
    xml.leaf("SecretAccessKey", credentials.secret_access_key.expose());
    xml.timestamp("Expiration", &credentials.expiration);
    xml.leaf("AccessKeyId", &credentials.access_key_id);
    xml.close("Credentials");
    if let Some(size) = response.packed_policy_size {
        xml.leaf("PackedPolicySize", &size.to_string());
    }
    xml.close("AssumeRoleResult");
    xml.response_metadata(request_id);
    xml.close("AssumeRoleResponse");
    xml.finish()
}

/// The body of an STS `ErrorResponse` for a [`QueryError`]; `Type` is `Receiver` for 5xx.
pub fn query_error_xml(error: &QueryError, request_id: &str) -> String {
    error_response_xml(STS_NAMESPACE, error, request_id)
}

/// `ValidationError`: `The requested DurationSeconds exceeds the MaxSessionDuration set for
/// this role.` (real STS output quoted in kreuzwerker/awsu#27, prowler#923 and others).
pub fn duration_exceeds_max_session_duration() -> QueryError {
    QueryError::new(
        QueryErrorCode::ValidationError,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
}

/// `AccessDenied`: `User: {caller} is not authorized to perform: sts:AssumeRole on resource:
/// {role}`, STS's answer when the trust policy (or the caller's own policy) does not allow it.
pub fn assume_role_access_denied(caller_arn: &str, role_arn: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::AccessDenied,
        format!(
            "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        ),
    )
}

/// `PackedPolicyTooLarge`: `Packed policy consumes {percent}% of allotted space` (STS's
/// wording as quoted from real refusals in several projects' notes; the tags variant, `Packed
/// size of session tags consumes 112% of allotted space.`, is quoted in
/// aws/containers-roadmap#2413).
pub fn packed_policy_too_large(percent: u32) -> QueryError {
    QueryError::new(
        QueryErrorCode::PackedPolicyTooLarge,
        format!("Packed policy consumes {percent}% of allotted space"),
    )
}

/// `MalformedPolicyDocument` for a session policy, with the policy checker's message.
pub fn malformed_session_policy(message: impl Into<String>) -> QueryError {
    QueryError::new(QueryErrorCode::MalformedPolicyDocument, message)
}

/// `ValidationError` for `PolicyArns`, which coffer does not support as session policies
/// (managed policies can be attached to users, roles and groups). This wording is coffer's own.
pub fn managed_session_policies_unsupported() -> QueryError {
    QueryError::new(
        QueryErrorCode::ValidationError,
        "Managed session policies (PolicyArns) are not supported by this server.",
    )
}

/// `InvalidAction`: `Could not find operation {action} for version 2011-06-15`.
pub fn invalid_action(action: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::InvalidAction,
        format!("Could not find operation {action} for version {STS_VERSION}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_caller_identity_is_recognised_in_a_form_body() {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                body
            ),
            Some(StsRequest::GetCallerIdentity)
        );
        assert_eq!(
            parse_action(Some("Application/X-WWW-Form-Urlencoded"), body),
            Some(StsRequest::GetCallerIdentity)
        );
    }

    #[test]
    fn other_actions_are_unsupported_and_decoded() {
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded"),
                b"Version=2011-06-15&Action=Assume%52ole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
            ),
            Some(StsRequest::Unsupported("AssumeRole".to_owned()))
        );
        // A form body spells a space as `+`.
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded"),
                b"Action=Get+Caller"
            ),
            Some(StsRequest::Unsupported("Get Caller".to_owned()))
        );
    }

    #[test]
    fn no_action_or_no_form_is_not_sts() {
        let form = Some("application/x-www-form-urlencoded");
        assert_eq!(parse_action(form, b"Version=2011-06-15"), None);
        assert_eq!(parse_action(form, b""), None);
        assert_eq!(
            parse_action(
                Some("application/x-amz-json-1.1"),
                b"Action=GetCallerIdentity"
            ),
            None
        );
        assert_eq!(parse_action(None, b"Action=GetCallerIdentity"), None);
    }

    #[test]
    fn the_action_may_come_in_the_query_string() {
        assert_eq!(
            parse_query_action(Some(
                "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60"
            )),
            Some(StsRequest::GetCallerIdentity)
        );
        assert_eq!(parse_query_action(Some("X-Amz-Expires=60")), None);
        assert_eq!(parse_query_action(None), None);
    }

    #[test]
    fn get_caller_identity_xml_matches_the_sts_layout() {
        // The layout of the example response in the STS API Reference (GetCallerIdentity).
        assert_eq!(
            get_caller_identity_xml(
                "arn:aws:iam::123456789012:user/Alice",
                "AKIAI44QH8DHBEXAMPLE",
                "123456789012",
                "01234567-89ab-cdef-0123-456789abcdef"
            ),
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             \x20 <GetCallerIdentityResult>\n\
             \x20   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n\
             \x20   <UserId>AKIAI44QH8DHBEXAMPLE</UserId>\n\
             \x20   <Account>123456789012</Account>\n\
             \x20 </GetCallerIdentityResult>\n\
             \x20 <ResponseMetadata>\n\
             \x20   <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n\
             \x20 </ResponseMetadata>\n\
             </GetCallerIdentityResponse>\n"
        );
    }

    #[test]
    fn values_are_escaped() {
        let xml = get_caller_identity_xml("a<b>&\"c'", "u", "1", "r");
        assert!(
            xml.contains("<Arn>a&lt;b&gt;&amp;&quot;c&apos;</Arn>"),
            "{xml}"
        );
        let xml = error_xml("Code</Code><Code>X", "it's <bad> & \"worse\"", "r&1");
        assert!(
            xml.contains("<Code>Code&lt;/Code&gt;&lt;Code&gt;X</Code>"),
            "{xml}"
        );
        assert!(xml.contains("<Message>it&apos;s &lt;bad&gt; &amp; &quot;worse&quot;</Message>"));
        assert!(xml.contains("<RequestId>r&amp;1</RequestId>"));
    }

    #[test]
    fn error_xml_matches_the_aws_query_error_shape() {
        // The shape real STS answers with (e.g. for a missing token). Both this and the
        // GetCallerIdentity body, with escaped values, were fed to botocore 1.44.5's own parser
        // and read back exactly:
        //
        //     from botocore.parsers import QueryParser
        //     op = botocore.session.get_session().get_service_model('sts') \
        //         .operation_model('GetCallerIdentity')
        //     QueryParser().parse({'body': xml, 'headers': {}, 'status_code': 400},
        //                         op.output_shape)
        //     # {'Error': {'Type': 'Sender', 'Code': ..., 'Message': 'it\'s <bad> & "worse"'},
        //     #  'ResponseMetadata': {'RequestId': 'r&1', ...}}
        assert_eq!(
            error_xml(
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
                "89b682e5-ac18-4fac-a917-2155723ed59b"
            ),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             \x20 <Error>\n\
             \x20   <Type>Sender</Type>\n\
             \x20   <Code>MissingAuthenticationToken</Code>\n\
             \x20   <Message>Request is missing Authentication Token</Message>\n\
             \x20 </Error>\n\
             \x20 <RequestId>89b682e5-ac18-4fac-a917-2155723ed59b</RequestId>\n\
             </ErrorResponse>\n"
        );
    }

    // -----------------------------------------------------------------------------------------
    // AssumeRole.

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const ROLE: (&str, &str) = ("RoleArn", "arn:aws:iam::123456789012:role/deployer");

    fn assume_role_error(items: &[(&str, &str)]) -> String {
        match parse_assume_role(&pairs(items)) {
            Err(error) => {
                assert_eq!(error.code.as_str(), "ValidationError");
                assert_eq!(error.status(), 400);
                error.message
            }
            Ok(request) => panic!("expected a ValidationError, got {request:?}"),
        }
    }

    fn one(detail: &str) -> String {
        format!("1 validation error detected: {detail}")
    }

    #[test]
    fn assume_role_parses_with_defaults() {
        let request = parse_assume_role(&pairs(&[
            ("Action", "AssumeRole"),
            ROLE,
            ("RoleSessionName", "ci@build-42"),
        ]));
        assert_eq!(
            request,
            Ok(AssumeRoleRequest {
                role_arn: ROLE.1.to_owned(),
                role_session_name: "ci@build-42".to_owned(),
                policy: None,
                duration_seconds: 3600,
                tags: vec![],
                transitive_tag_keys: vec![],
                external_id: None,
                serial_number: None,
                token_code: None,
                source_identity: None,
            })
        );
    }

    #[test]
    fn assume_role_parses_every_member() {
        let request = parse_assume_role(&pairs(&[
            ROLE,
            ("RoleSessionName", "s1"),
            ("Policy", r#"{"Version":"2012-10-17","Statement":[]}"#),
            ("DurationSeconds", "900"),
            ("Tags.member.1.Key", "project"),
            ("Tags.member.1.Value", "coffer"),
            ("TransitiveTagKeys.member.1", "project"),
            ("ExternalId", "ext:id/1"),
            ("SerialNumber", "arn:aws:iam::123456789012:mfa/me"),
            ("TokenCode", "123456"),
            ("SourceIdentity", "alice"),
        ]));
        let request = request.map_err(|e| e.message);
        assert_eq!(
            request.as_ref().map(|r| (
                r.duration_seconds,
                r.tags.len(),
                r.transitive_tag_keys.clone(),
                r.external_id.as_deref(),
                r.source_identity.as_deref(),
                r.token_code.as_deref()
            )),
            Ok((
                900,
                1,
                vec!["project".to_owned()],
                Some("ext:id/1"),
                Some("alice"),
                Some("123456")
            ))
        );
    }

    #[test]
    fn assume_role_constraints_use_sts_s_wording() {
        assert_eq!(
            assume_role_error(&[]),
            "2 validation errors detected: \
             Value null at 'roleArn' failed to satisfy constraint: Member must not be null; \
             Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "my/service:prod (deploy)")]),
            one(
                r"Value 'my/service:prod (deploy)' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
            )
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "s")]),
            one("Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2")
        );
        let long = "s".repeat(65);
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", &long)]),
            one(&format!("Value '{long}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"))
        );
        assert_eq!(
            assume_role_error(&[("RoleArn", "arn:aws:iam::1:role"), ("RoleSessionName", "ss")]),
            one("Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("DurationSeconds", "43201")]),
            one("Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200")
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("DurationSeconds", "899")]),
            one("Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("Policy", "")]),
            "2 validation errors detected: \
             Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("ExternalId", "a b")]),
            one(
                r"Value 'a b' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*"
            )
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("SourceIdentity", "x")]),
            one("Value 'x' at 'sourceIdentity' failed to satisfy constraint: Member must have length greater than or equal to 2")
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("TokenCode", "12345a")]),
            one(
                r"Value '12345a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*"
            )
        );
        assert_eq!(
            assume_role_error(&[
                ROLE,
                ("RoleSessionName", "ss"),
                ("TransitiveTagKeys.member.1", "a*")
            ]),
            one(
                r"Value '[a*]' at 'transitiveTagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]"
            )
        );
        assert_eq!(
            assume_role_error(&[ROLE, ("RoleSessionName", "ss"), ("Tags.member.1.Value", "v")]),
            one("Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null")
        );
    }

    #[test]
    fn managed_session_policies_are_refused() {
        let error = parse_assume_role(&pairs(&[
            ROLE,
            ("RoleSessionName", "ss"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
        ]))
        .err();
        assert_eq!(error, Some(managed_session_policies_unsupported()));
    }

    #[test]
    fn assume_role_errors_have_sts_s_wording() {
        let error = duration_exceeds_max_session_duration();
        assert_eq!(
            (error.code.as_str(), error.status(), error.message.as_str()),
            (
                "ValidationError",
                400,
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        );
        let error = assume_role_access_denied(
            "arn:aws:iam::123456789012:user/app",
            "arn:aws:iam::123456789012:role/deployer",
        );
        assert_eq!(
            (error.code.as_str(), error.status(), error.message.as_str()),
            (
                "AccessDenied",
                403,
                "User: arn:aws:iam::123456789012:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/deployer"
            )
        );
        let packed = packed_policy_too_large(157);
        assert_eq!(
            (
                packed.code.as_str(),
                packed.status(),
                packed.message.as_str()
            ),
            (
                "PackedPolicyTooLarge",
                400,
                "Packed policy consumes 157% of allotted space"
            )
        );
        assert_eq!(
            malformed_session_policy("x").code.as_str(),
            "MalformedPolicyDocument"
        );
        let xml = query_error_xml(&error, "r1");
        assert!(xml
            .starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"));
        assert!(xml.contains("<Type>Sender</Type>"));
        assert!(xml.contains("<Code>AccessDenied</Code>"));
    }

    fn assume_role_response() -> AssumeRoleResponse {
        AssumeRoleResponse {
            credentials: Credentials {
                access_key_id: "ASIAIOSFODNN7EXAMPLE".to_owned(),
                secret_access_key: SensitiveString::new(
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".to_owned(),
                ),
                session_token: SensitiveString::new("FwoGZXIvYXdzEXAMPLE+/=".to_owned()),
                expiration: chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, 17, 0, 0)
                    .single()
                    .unwrap_or_default(),
            },
            assumed_role_user: AssumedRoleUser {
                assumed_role_id: "AROA3XFRBF535PLBIFPI4:s3-access-example".to_owned(),
                arn: "arn:aws:sts::123456789012:assumed-role/xaccounts3access/s3-access-example"
                    .to_owned(),
            },
            packed_policy_size: Some(6),
            source_identity: Some("Alice".to_owned()),
        }
    }

    #[test]
    fn assume_role_xml_matches_the_sts_layout() {
        let xml = assume_role_xml(
            &assume_role_response(),
            "c6104cbe-af31-11e0-8154-cbc7ccf896c7",
        );
        assert_eq!(
            xml.as_str(),
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             \x20 <AssumeRoleResult>\n\
             \x20   <SourceIdentity>Alice</SourceIdentity>\n\
             \x20   <AssumedRoleUser>\n\
             \x20     <Arn>arn:aws:sts::123456789012:assumed-role/xaccounts3access/s3-access-example</Arn>\n\
             \x20     <AssumedRoleId>AROA3XFRBF535PLBIFPI4:s3-access-example</AssumedRoleId>\n\
             \x20   </AssumedRoleUser>\n\
             \x20   <Credentials>\n\
             \x20     <SessionToken>FwoGZXIvYXdzEXAMPLE+/=</SessionToken>\n\
             \x20     <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n\
             \x20     <Expiration>2026-12-02T17:00:00Z</Expiration>\n\
             \x20     <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n\
             \x20   </Credentials>\n\
             \x20   <PackedPolicySize>6</PackedPolicySize>\n\
             \x20 </AssumeRoleResult>\n\
             \x20 <ResponseMetadata>\n\
             \x20   <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n\
             \x20 </ResponseMetadata>\n\
             </AssumeRoleResponse>\n"
        );
        // Reserved up front: the body never outgrew its buffer.
        assert!(xml.capacity() >= 2048);
        // Without a policy or a source identity, neither element appears.
        let bare = AssumeRoleResponse {
            packed_policy_size: None,
            source_identity: None,
            ..assume_role_response()
        };
        let xml = assume_role_xml(&bare, "r");
        assert!(!xml.contains("PackedPolicySize") && !xml.contains("SourceIdentity"));
        // The wire type's Debug never shows the secrets.
        let debug = format!("{:?}", assume_role_response());
        assert!(!debug.contains("EXAMPLEKEY") && !debug.contains("FwoGZXIvYXdz"));
    }

    /// Writes the sample bodies to `$COFFER_DUMP_QUERY_XML`, when set, for checking with
    /// botocore's `QueryParser`, as the GetCallerIdentity bodies were.
    #[test]
    fn dump_samples() {
        let Some(dir) = std::env::var_os("COFFER_DUMP_QUERY_XML") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let xml = assume_role_xml(&assume_role_response(), "req-1");
        std::fs::write(dir.join("sts-AssumeRole.xml"), xml.as_bytes()).ok();
    }
}
