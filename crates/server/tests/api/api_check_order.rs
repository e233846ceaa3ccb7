//! The order of checks (issue 15 item 9), as a table: each row sends one request that breaks
//! several rules at once and asserts which one coffer reports, with AWS's exact code and
//! message. The layers, first to last:
//!
//! (a) authentication: a bad or missing signature beats everything, an unknown operation and a
//!     body that is not JSON included;
//! (b) the operation and the body: an unknown `X-Amz-Target`, then a body that is not JSON or
//!     not of the model's types (`SerializationException`);
//! (c) the model's constraints (`ValidationException`: required members, lengths, ranges,
//!     enums), all of them listed in member order;
//! (d) the stateless rules of the service (`InvalidParameterException`,
//!     `InvalidRequestException`, the `Invalid name` check of a SecretId) that need no secret;
//! (e) authorization, then the lookup (`AccessDeniedException` for a caller that could not have
//!     acted, `ResourceNotFoundException` for one that could);
//! (f) the secret's state: scheduled for deletion, then what the request asks of its versions.
//!
//! The operations coffer does not implement yet are parsed and validated like any other (layers
//! a to d), then answered with their `not supported` error before any authorization or lookup.
//! docs/compatibility.md ("Order of checks") carries the same table and says, row by row,
//! whether the order comes from the model, from AWS's recorded answers, or is coffer's choice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::iam::Creds;
use crate::common::*;
use serde_json::{json, Value};

/// The live secret every state row uses, with one version (token [`LIVE_VERSION`]).
const LIVE: &str = "order/live";
/// The version id of [`LIVE`]'s only version (AWSCURRENT).
const LIVE_VERSION: &str = "11111111-1111-4111-8111-111111111111";
/// A secret scheduled for deletion, with one version (token [`GONE_VERSION`]).
const GONE: &str = "order/gone";
/// The version id of [`GONE`]'s only version.
const GONE_VERSION: &str = "22222222-2222-4222-8222-222222222222";
/// A name no secret has.
const MISSING: &str = "order/missing";
/// A well-formed version id no version has.
const NO_VERSION: &str = "33333333-3333-4333-8333-333333333333";
/// A ClientRequestToken of 10 characters (the model's minimum is 32).
const SHORT_TOKEN: &str = "0123456789";

/// Who signs a row's request.
#[derive(Clone, Copy, Debug)]
enum Caller {
    /// The account's root user (the harness's key).
    Root,
    /// An IAM user with no policy at all.
    Nobody,
    /// The root's key id signed with the wrong secret key.
    BadSignature,
    /// No signature at all.
    Unsigned,
}

/// A row's body: JSON, or bytes that are not.
enum Body {
    Json(Value),
    Text(&'static str),
}

/// One row of the table.
struct Row {
    /// The operation (the `X-Amz-Target` suffix).
    operation: &'static str,
    /// The faults the request combines, first the one that must win.
    faults: &'static str,
    caller: Caller,
    body: Body,
    /// The expected `__type`.
    code: &'static str,
    /// The expected `Message`.
    message: String,
}

fn row(
    operation: &'static str,
    faults: &'static str,
    body: Value,
    code: &'static str,
    message: impl Into<String>,
) -> Row {
    Row {
        operation,
        faults,
        caller: Caller::Root,
        body: Body::Json(body),
        code,
        message: message.into(),
    }
}

impl Row {
    fn by(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }
}

/// A row whose body is not JSON.
fn text_row(
    operation: &'static str,
    faults: &'static str,
    body: &'static str,
    code: &'static str,
    message: impl Into<String>,
) -> Row {
    Row {
        body: Body::Text(body),
        ..row(operation, faults, Value::Null, code, message)
    }
}

/// AWS's ValidationException text for one violation.
fn invalid(value: &str, member: &str, constraint: &str) -> String {
    format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
         constraint: Member must {constraint}"
    )
}

/// AWS's ValidationException text for a required member that is missing.
fn missing(member: &str) -> String {
    format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: \
         Member must not be null"
    )
}

/// AWS's text for an operation coffer does not implement yet.
fn unsupported(operation: &str) -> String {
    format!("{operation} is not supported by this version of coffer.")
}

/// AWS's AccessDenied text for a caller no identity policy allows.
fn denied(user_arn: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {user_arn} is not authorized to perform: secretsmanager:{action} on resource: \
         {resource} because no identity-based policy allows the secretsmanager:{action} action"
    )
}

/// AWS's AccessDenied text for an action on `*` (no "on resource" part).
fn denied_star(user_arn: &str, action: &str) -> String {
    format!(
        "User: {user_arn} is not authorized to perform: secretsmanager:{action} because no \
         identity-based policy allows the secretsmanager:{action} action"
    )
}

const MSG_NOT_JSON: &str = "The request body is not valid JSON.";
const MSG_WRONG_TYPE: &str = "The request body does not match the operation's input: a member has \
                              the wrong JSON type or an invalid value.";
const MSG_BOTH_VALUES: &str =
    "You can't specify both a binary secret value and a string secret value in the same secret.";
const MSG_FORCE_WITH_WINDOW: &str =
    "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.";
const MSG_IDS_OR_FILTERS: &str =
    "Either 'SecretIdList' or 'Filters' must be provided, but not both.";
const MSG_NEEDS_A_VALUE: &str = "You must provide either SecretString or SecretBinary.";

/// The table. `live_arn` is [`LIVE`]'s full ARN, `gone_arn` [`GONE`]'s, `user_arn` the ARN of
/// the [`Caller::Nobody`] user, `account` the account id.
fn rows(live_arn: &str, gone_arn: &str, user_arn: &str, account: &str) -> Vec<Row> {
    let long_id = "a".repeat(2049);
    let id_too_long = invalid(
        &long_id,
        "secretId",
        "have length less than or equal to 2048",
    );
    let id_empty = invalid("", "secretId", "have length greater than or equal to 1");
    let token_too_short = invalid(
        SHORT_TOKEN,
        "clientRequestToken",
        "have length greater than or equal to 32",
    );
    let long_name = "n".repeat(513);
    let long_stage = "s".repeat(257);
    let missing_arn = format!("arn:aws:secretsmanager:us-east-1:{account}:secret:{MISSING}");
    let other_arn =
        format!("arn:aws:secretsmanager:us-east-1:210987654321:secret:{MISSING}-AbCdEf");
    vec![
        // (a) Authentication first.
        text_row(
            "NoSuchOperation",
            "bad signature > unknown operation > not JSON",
            "{",
            "InvalidSignatureException",
            MSG_BAD_SIGNATURE,
        )
        .by(Caller::BadSignature),
        row(
            "GetSecretValue",
            "bad signature > model (SecretId 2049) > not found",
            json!({"SecretId": long_id}),
            "InvalidSignatureException",
            MSG_BAD_SIGNATURE,
        )
        .by(Caller::BadSignature),
        text_row(
            "PutSecretValue",
            "no signature > not JSON",
            "{\"SecretId\":",
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        )
        .by(Caller::Unsigned),
        // (b) The operation, then the body.
        text_row(
            "NoSuchOperation",
            "unknown operation > not JSON",
            "{",
            "UnknownOperationException",
            "",
        ),
        text_row(
            "GetSecretValue",
            "not JSON > not found",
            "{\"SecretId\": \"order/missing\"",
            "SerializationException",
            MSG_NOT_JSON,
        ),
        row(
            "CreateSecret",
            "wrong JSON type > model (Name 513, token 10)",
            json!({"Name": long_name, "ClientRequestToken": SHORT_TOKEN, "Description": 7}),
            "SerializationException",
            MSG_WRONG_TYPE,
        ),
        row(
            "RotateSecret",
            "wrong JSON type > no token",
            json!({"SecretId": MISSING, "RotateImmediately": "yes"}),
            "SerializationException",
            MSG_WRONG_TYPE,
        ),
        row(
            "DeleteSecret",
            "wrong JSON type > force with window",
            json!({"SecretId": GONE, "RecoveryWindowInDays": "7", "ForceDeleteWithoutRecovery": true}),
            "SerializationException",
            MSG_WRONG_TYPE,
        ),
        // (c) The model's constraints.
        row(
            "GetSecretValue",
            "model (SecretId 2049) > not found",
            json!({"SecretId": long_id}),
            "ValidationException",
            id_too_long.clone(),
        ),
        row(
            "DescribeSecret",
            "model (SecretId missing)",
            json!({}),
            "ValidationException",
            missing("secretId"),
        ),
        row(
            "PutSecretValue",
            "model (token 10) > marked for deletion",
            json!({"SecretId": GONE, "SecretString": "v", "ClientRequestToken": SHORT_TOKEN}),
            "ValidationException",
            token_too_short.clone(),
        ),
        row(
            "PutSecretValue",
            "model (token 10) > both values",
            json!({"SecretId": MISSING, "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": SHORT_TOKEN}),
            "ValidationException",
            token_too_short.clone(),
        ),
        row(
            "CreateSecret",
            "model (Name 513) > both values > name exists",
            json!({"Name": long_name, "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": LIVE_VERSION}),
            "ValidationException",
            invalid(&long_name, "name", "have length less than or equal to 512"),
        ),
        row(
            "UpdateSecret",
            "model (token 10) > both values > marked for deletion",
            json!({"SecretId": GONE, "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": SHORT_TOKEN}),
            "ValidationException",
            token_too_short.clone(),
        ),
        row(
            "ListSecrets",
            "model (MaxResults 0) > bad NextToken",
            json!({"MaxResults": 0, "NextToken": "garbage"}),
            "ValidationException",
            invalid("0", "maxResults", "have value greater than or equal to 1"),
        ),
        row(
            "ListSecrets",
            "model (SortOrder enum) > bad NextToken",
            json!({"SortOrder": "up", "NextToken": "garbage"}),
            "ValidationException",
            invalid("up", "sortOrder", "satisfy enum value set: [asc, desc]"),
        ),
        row(
            "ListSecretVersionIds",
            "model (MaxResults 101) > not found",
            json!({"SecretId": MISSING, "MaxResults": 101}),
            "ValidationException",
            invalid("101", "maxResults", "have value less than or equal to 100"),
        ),
        row(
            "UpdateSecretVersionStage",
            "model (VersionStage 257, MoveToVersionId 10) > not found",
            json!({"SecretId": MISSING, "VersionStage": long_stage, "MoveToVersionId": SHORT_TOKEN}),
            "ValidationException",
            format!(
                "2 validation errors detected: Value '{long_stage}' at 'versionStage' failed to \
                 satisfy constraint: Member must have length less than or equal to 256; Value \
                 '{SHORT_TOKEN}' at 'moveToVersionId' failed to satisfy constraint: Member must \
                 have length greater than or equal to 32"
            ),
        ),
        row(
            "DeleteSecret",
            "model (SecretId empty) > window out of range",
            json!({"SecretId": "", "RecoveryWindowInDays": 3}),
            "ValidationException",
            id_empty.clone(),
        ),
        row(
            "RestoreSecret",
            "model (SecretId 2049) > not found",
            json!({"SecretId": long_id}),
            "ValidationException",
            id_too_long.clone(),
        ),
        row(
            "BatchGetSecretValue",
            "model (SecretIdList empty) > ids and filters",
            json!({"SecretIdList": [], "Filters": [{"Key": "name", "Values": ["a"]}]}),
            "ValidationException",
            "1 validation error detected: Value '[]' at 'secretIdList' failed to satisfy \
             constraint: Member must have length greater than or equal to 1",
        ),
        row(
            "BatchGetSecretValue",
            "model (MaxResults 21) > MaxResults without filters",
            json!({"SecretIdList": [MISSING], "MaxResults": 21}),
            "ValidationException",
            invalid("21", "maxResults", "have value less than or equal to 20"),
        ),
        row(
            "GetRandomPassword",
            "model (PasswordLength 0) > every kind excluded",
            json!({"PasswordLength": 0, "ExcludeNumbers": true, "ExcludePunctuation": true,
                   "ExcludeUppercase": true, "ExcludeLowercase": true}),
            "ValidationException",
            invalid(
                "0",
                "passwordLength",
                "have value greater than or equal to 1",
            ),
        ),
        row(
            "TagResource",
            "model (Tags missing) > marked for deletion",
            json!({"SecretId": GONE}),
            "ValidationException",
            missing("tags"),
        ),
        row(
            "UntagResource",
            "model (TagKeys missing) > not found",
            json!({"SecretId": MISSING}),
            "ValidationException",
            missing("tagKeys"),
        ),
        row(
            "PutResourcePolicy",
            "model (ResourcePolicy missing) > not found",
            json!({"SecretId": MISSING}),
            "ValidationException",
            missing("resourcePolicy"),
        ),
        row(
            "GetResourcePolicy",
            "model (SecretId 2049) > not found",
            json!({"SecretId": long_id}),
            "ValidationException",
            id_too_long.clone(),
        ),
        row(
            "DeleteResourcePolicy",
            "model (SecretId empty) > not found",
            json!({"SecretId": ""}),
            "ValidationException",
            id_empty.clone(),
        ),
        row(
            "ValidateResourcePolicy",
            "model (ResourcePolicy empty) > not found",
            json!({"SecretId": MISSING, "ResourcePolicy": ""}),
            "ValidationException",
            invalid(
                "",
                "resourcePolicy",
                "have length greater than or equal to 1",
            ),
        ),
        row(
            "ListResourcePolicies",
            "model (MaxResults 0) > not found",
            json!({"SecretId": MISSING, "MaxResults": 0}),
            "ValidationException",
            invalid("0", "maxResults", "have value greater than or equal to 1"),
        ),
        row(
            "CancelRotateSecret",
            "model (SecretId 2049) > not found",
            json!({"SecretId": long_id}),
            "ValidationException",
            id_too_long.clone(),
        ),
        row(
            "GetSecretValue",
            "model (SecretId 2049) > access denied",
            json!({"SecretId": long_id}),
            "ValidationException",
            id_too_long.clone(),
        )
        .by(Caller::Nobody),
        // (d) Stateless rules, before any secret is looked up.
        row(
            "ListSecretVersionIds",
            "model (MaxResults 0) > invalid name",
            json!({"SecretId": "Inv Name", "MaxResults": 0}),
            "ValidationException",
            invalid("0", "maxResults", "have value greater than or equal to 1"),
        ),
        row(
            "DeleteSecret",
            "invalid name > window out of range",
            json!({"SecretId": "Inv Name", "RecoveryWindowInDays": 3}),
            "ValidationException",
            MSG_INVALID_NAME,
        ),
        row(
            "PutSecretValue",
            "invalid name > no token",
            json!({"SecretId": "Inv Name", "SecretString": "v"}),
            "ValidationException",
            MSG_INVALID_NAME,
        ),
        row(
            "GetSecretValue",
            "invalid name > not found",
            json!({"SecretId": "Inv Name"}),
            "ValidationException",
            MSG_INVALID_NAME,
        ),
        row(
            "CreateSecret",
            "invalid name > both values",
            json!({"Name": "Inv Name", "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": NO_VERSION}),
            "ValidationException",
            MSG_INVALID_NAME,
        ),
        row(
            "CreateSecret",
            "both values > name exists",
            json!({"Name": LIVE, "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": NO_VERSION}),
            "InvalidParameterException",
            MSG_BOTH_VALUES,
        ),
        row(
            "CreateSecret",
            "no token > name scheduled for deletion",
            json!({"Name": GONE, "SecretString": "v"}),
            "InvalidRequestException",
            MSG_TOKEN_REQUIRED,
        ),
        row(
            "PutSecretValue",
            "no token > not found",
            json!({"SecretId": MISSING, "SecretString": "v"}),
            "InvalidRequestException",
            MSG_TOKEN_REQUIRED,
        ),
        row(
            "PutSecretValue",
            "no token > both values > marked for deletion",
            json!({"SecretId": GONE, "SecretString": "v", "SecretBinary": "AAE="}),
            "InvalidRequestException",
            MSG_TOKEN_REQUIRED,
        ),
        row(
            "PutSecretValue",
            "no value > not found",
            json!({"SecretId": MISSING, "ClientRequestToken": NO_VERSION}),
            "InvalidRequestException",
            MSG_NEEDS_A_VALUE,
        ),
        row(
            "UpdateSecret",
            "both values > marked for deletion",
            json!({"SecretId": GONE, "SecretString": "v", "SecretBinary": "AAE=",
                   "ClientRequestToken": NO_VERSION}),
            "InvalidParameterException",
            MSG_BOTH_VALUES,
        ),
        row(
            "DeleteSecret",
            "window out of range > force with window > not found",
            json!({"SecretId": MISSING, "RecoveryWindowInDays": 3,
                   "ForceDeleteWithoutRecovery": true}),
            "InvalidParameterException",
            MSG_RECOVERY_WINDOW,
        ),
        row(
            "DeleteSecret",
            "force with window > not found",
            json!({"SecretId": MISSING, "RecoveryWindowInDays": 7,
                   "ForceDeleteWithoutRecovery": true}),
            "InvalidParameterException",
            MSG_FORCE_WITH_WINDOW,
        ),
        row(
            "DeleteSecret",
            "window out of range > marked for deletion",
            json!({"SecretId": GONE, "RecoveryWindowInDays": 31}),
            "InvalidParameterException",
            MSG_RECOVERY_WINDOW,
        ),
        row(
            "DeleteSecret",
            "force with window > access denied",
            json!({"SecretId": LIVE, "RecoveryWindowInDays": 7,
                   "ForceDeleteWithoutRecovery": true}),
            "InvalidParameterException",
            MSG_FORCE_WITH_WINDOW,
        )
        .by(Caller::Nobody),
        row(
            "BatchGetSecretValue",
            "ids and filters > not found",
            json!({"SecretIdList": [MISSING], "Filters": [{"Key": "name", "Values": ["a"]}]}),
            "InvalidParameterException",
            MSG_IDS_OR_FILTERS,
        ),
        row(
            "BatchGetSecretValue",
            "ids and filters > access denied",
            json!({"SecretIdList": [LIVE], "Filters": [{"Key": "name", "Values": ["a"]}]}),
            "InvalidParameterException",
            MSG_IDS_OR_FILTERS,
        )
        .by(Caller::Nobody),
        row(
            "BatchGetSecretValue",
            "MaxResults without filters > not found",
            json!({"SecretIdList": [MISSING], "MaxResults": 5}),
            "InvalidParameterException",
            "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is \
             provided.",
        ),
        row(
            "PutResourcePolicy",
            "malformed policy > not found",
            json!({"SecretId": MISSING, "ResourcePolicy": "not a policy"}),
            "MalformedPolicyDocumentException",
            "This policy contains invalid Json",
        ),
        row(
            "PutResourcePolicy",
            "malformed policy > access denied",
            json!({"SecretId": LIVE, "ResourcePolicy": "not a policy"}),
            "MalformedPolicyDocumentException",
            "This policy contains invalid Json",
        )
        .by(Caller::Nobody),
        row(
            "RotateSecret",
            "rotation frequency and schedule > not found",
            json!({"SecretId": MISSING, "ClientRequestToken": NO_VERSION,
                   "RotationRules": {"AutomaticallyAfterDays": 7,
                   "ScheduleExpression": "rate(7 days)"}}),
            "InvalidParameterException",
            "You cannot specify both rotation frequency and schedule expression together.",
        ),
        // AWS answers a raw RotateSecret without a token with InvalidParameterException, even
        // for a missing secret and before the rules (AWS-BEHAVIOUR.md): a stateless rule.
        row(
            "RotateSecret",
            "no token > rotation frequency and schedule > not found",
            json!({"SecretId": MISSING, "RotationRules": {"AutomaticallyAfterDays": 7,
                   "ScheduleExpression": "rate(7 days)"}}),
            "InvalidParameterException",
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        ),
        row(
            "RotateSecret",
            "bad schedule > not found",
            json!({"SecretId": MISSING, "ClientRequestToken": NO_VERSION,
                   "RotationRules": {"ScheduleExpression": "rate(3 hours)"}}),
            "InvalidParameterException",
            "A rate expression in hours must be between 4 and 23 hours; use days for longer intervals.",
        ),
        row(
            "CancelRotateSecret",
            "marked for deletion > no function",
            json!({"SecretId": GONE}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        // The operations not built yet: after validation, before authorization and lookup.
        row(
            "ReplicateSecretToRegions",
            "not supported > access denied",
            json!({"SecretId": LIVE, "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
            "InvalidRequestException",
            unsupported("ReplicateSecretToRegions"),
        )
        .by(Caller::Nobody),
        row(
            "RemoveRegionsFromReplication",
            "not supported > not found",
            json!({"SecretId": MISSING, "RemoveReplicaRegions": ["eu-west-1"]}),
            "InvalidRequestException",
            unsupported("RemoveRegionsFromReplication"),
        ),
        row(
            "StopReplicationToReplica",
            "not supported > not found",
            json!({"SecretId": MISSING}),
            "InvalidRequestException",
            unsupported("StopReplicationToReplica"),
        ),
        row(
            "AssociateCrossAccountReplica",
            "not supported > not found",
            json!({"SecretId": MISSING, "CrossAccountReplicaARN": other_arn}),
            "InvalidRequestException",
            unsupported("AssociateCrossAccountReplica"),
        ),
        row(
            "DisassociateCrossAccountReplica",
            "not supported > not found",
            json!({"SecretId": MISSING, "CrossAccountReplicaARN": other_arn}),
            "InvalidRequestException",
            unsupported("DisassociateCrossAccountReplica"),
        ),
        // (e) Authorization, then the lookup.
        row(
            "GetSecretValue",
            "access denied > not found",
            json!({"SecretId": MISSING}),
            "AccessDeniedException",
            denied(user_arn, "GetSecretValue", &missing_arn),
        )
        .by(Caller::Nobody),
        row(
            "PutSecretValue",
            "access denied > marked for deletion > token in use",
            json!({"SecretId": GONE, "SecretString": "other", "ClientRequestToken": GONE_VERSION}),
            "AccessDeniedException",
            denied(user_arn, "PutSecretValue", gone_arn),
        )
        .by(Caller::Nobody),
        row(
            "GetSecretValue",
            "not found",
            json!({"SecretId": MISSING}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "DescribeSecret",
            "access denied (another account's ARN) > not found",
            json!({"SecretId": other_arn}),
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{account}:root is not authorized to perform: \
                 secretsmanager:DescribeSecret on resource: {other_arn} because no \
                 resource-based policy allows the secretsmanager:DescribeSecret action"
            ),
        ),
        row(
            "GetRandomPassword",
            "access denied > every kind excluded",
            json!({"ExcludeNumbers": true, "ExcludePunctuation": true,
                   "ExcludeUppercase": true, "ExcludeLowercase": true}),
            "AccessDeniedException",
            denied_star(user_arn, "GetRandomPassword"),
        )
        .by(Caller::Nobody),
        row(
            "GetRandomPassword",
            "every kind excluded",
            json!({"ExcludeNumbers": true, "ExcludePunctuation": true,
                   "ExcludeUppercase": true, "ExcludeLowercase": true}),
            "InvalidParameterException",
            "All characters have been excluded from selection.",
        ),
        row(
            "ListSecrets",
            "access denied > bad NextToken",
            json!({"NextToken": "garbage"}),
            "AccessDeniedException",
            denied_star(user_arn, "ListSecrets"),
        )
        .by(Caller::Nobody),
        row(
            "GetSecretValue",
            "access denied > marked for deletion",
            json!({"SecretId": GONE}),
            "AccessDeniedException",
            denied(user_arn, "GetSecretValue", gone_arn),
        )
        .by(Caller::Nobody),
        row(
            "PutSecretValue",
            "not found > custom stages",
            json!({"SecretId": MISSING, "SecretString": "v", "ClientRequestToken": NO_VERSION,
                   "VersionStages": ["AWSPENDING"]}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "UpdateSecretVersionStage",
            "not found > no version to move to",
            json!({"SecretId": MISSING, "VersionStage": "AWSCURRENT", "MoveToVersionId": NO_VERSION}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "ListSecretVersionIds",
            "not found > bad NextToken",
            json!({"SecretId": MISSING, "NextToken": "garbage"}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "TagResource",
            "not found",
            json!({"SecretId": MISSING, "Tags": [{"Key": "k", "Value": "v"}]}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "RestoreSecret",
            "not found",
            json!({"SecretId": MISSING}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "ListResourcePolicies",
            "not found > bad NextToken",
            json!({"SecretId": MISSING, "NextToken": "garbage"}),
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        ),
        row(
            "ListSecrets",
            "bad NextToken",
            json!({"NextToken": "garbage"}),
            "InvalidNextTokenException",
            "The NextToken value is invalid.",
        ),
        // (f) The secret's state.
        row(
            "GetSecretValue",
            "marked for deletion > unknown VersionId and stage",
            json!({"SecretId": GONE, "VersionId": NO_VERSION, "VersionStage": "AWSPREVIOUS"}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "PutSecretValue",
            "marked for deletion > token in use",
            json!({"SecretId": GONE, "SecretString": "other", "ClientRequestToken": GONE_VERSION}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "UpdateSecret",
            "marked for deletion > token in use",
            json!({"SecretId": gone_arn, "SecretString": "other", "ClientRequestToken": GONE_VERSION}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "UpdateSecretVersionStage",
            "marked for deletion > no version to move to",
            json!({"SecretId": GONE, "VersionStage": "AWSCURRENT", "MoveToVersionId": NO_VERSION}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "UntagResource",
            "marked for deletion",
            json!({"SecretId": GONE, "TagKeys": ["k"]}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "TagResource",
            "marked for deletion",
            json!({"SecretId": GONE, "Tags": [{"Key": "k", "Value": "v"}]}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "CreateSecret",
            "name scheduled for deletion > token in use",
            json!({"Name": GONE, "SecretString": "other", "ClientRequestToken": GONE_VERSION}),
            "InvalidRequestException",
            MSG_NAME_SCHEDULED_FOR_DELETION,
        ),
        row(
            "CreateSecret",
            "token in use (name exists)",
            json!({"Name": LIVE, "SecretString": "other", "ClientRequestToken": LIVE_VERSION}),
            "ResourceExistsException",
            msg_token_in_use(LIVE_VERSION, live_arn),
        ),
        row(
            "CreateSecret",
            "name exists (token new)",
            json!({"Name": LIVE, "SecretString": "other", "ClientRequestToken": NO_VERSION}),
            "ResourceExistsException",
            msg_already_exists(LIVE),
        ),
        row(
            "PutSecretValue",
            "token in use",
            json!({"SecretId": LIVE, "SecretString": "other", "ClientRequestToken": LIVE_VERSION}),
            "ResourceExistsException",
            msg_token_in_use(LIVE_VERSION, live_arn),
        ),
        row(
            "DeleteSecret",
            "marked for deletion (again)",
            json!({"SecretId": GONE}),
            "InvalidRequestException",
            MSG_MARKED_FOR_DELETION,
        ),
        row(
            "ListSecretVersionIds",
            "bad NextToken (listing a secret marked for deletion)",
            json!({"SecretId": GONE, "NextToken": "garbage"}),
            "InvalidNextTokenException",
            "The NextToken value is invalid.",
        ),
        row(
            "UpdateSecretVersionStage",
            "unknown version to remove and to move to",
            json!({"SecretId": LIVE, "VersionStage": "AWSCURRENT",
                   "RemoveFromVersionId": NO_VERSION, "MoveToVersionId": NO_VERSION}),
            "ResourceNotFoundException",
            msg_no_value_for_version(NO_VERSION),
        ),
        row(
            "GetSecretValue",
            "stage not on version",
            json!({"SecretId": LIVE, "VersionId": LIVE_VERSION, "VersionStage": "AWSPREVIOUS"}),
            "InvalidRequestException",
            MSG_STAGE_NOT_ON_VERSION,
        ),
        row(
            "GetSecretValue",
            "unknown VersionId > stage",
            json!({"SecretId": LIVE, "VersionId": NO_VERSION, "VersionStage": "AWSPREVIOUS"}),
            "ResourceNotFoundException",
            msg_no_value_for_version(NO_VERSION),
        ),
    ]
}

#[tokio::test]
async fn each_combination_of_faults_answers_the_first_layer() {
    let s = start().await;
    let client = s.client();
    let live = client
        .create_secret()
        .name(LIVE)
        .secret_string("live-value")
        .client_request_token(LIVE_VERSION)
        .send()
        .await
        .expect("create live");
    let gone = client
        .create_secret()
        .name(GONE)
        .secret_string("gone-value")
        .client_request_token(GONE_VERSION)
        .send()
        .await
        .expect("create gone");
    client
        .delete_secret()
        .secret_id(GONE)
        .send()
        .await
        .expect("delete gone");
    let nobody: Creds = s.user("nobody", None).await;
    let user_arn = format!("arn:aws:iam::{}:user/nobody", s.account);

    let table = rows(
        live.arn().expect("arn"),
        gone.arn().expect("arn"),
        &user_arn,
        &s.account,
    );
    let mut wrong = Vec::new();
    for row in &table {
        let body = match &row.body {
            Body::Json(value) => serde_json::to_vec(value).expect("json"),
            Body::Text(text) => text.as_bytes().to_vec(),
        };
        let raw = s.raw(row.operation, body);
        let raw = match row.caller {
            Caller::Root => raw,
            Caller::Nobody => raw.signing(|g| {
                g.access_key_id = nobody.akid.clone();
                g.secret_access_key = nobody.secret.clone();
            }),
            Caller::BadSignature => raw.signing(|g| g.secret_access_key = "wrong".into()),
            Caller::Unsigned => raw.unsigned(),
        };
        let response = raw.send().await;
        let answer = response.json();
        let got = (
            response.status,
            answer["__type"].as_str().unwrap_or_default(),
            answer["Message"].as_str().unwrap_or_default(),
        );
        if got != (400, row.code, row.message.as_str()) {
            wrong.push(format!(
                "{} [{}] ({:?}): expected {} {:?}, got {} {} {:?}",
                row.operation, row.faults, row.caller, row.code, row.message, got.0, got.1, got.2
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Nothing any row sent changed a secret: the live one still has its one version, the
    // scheduled one is still scheduled.
    assert_eq!(
        stages(&client, LIVE).await,
        stage_map(&[(LIVE_VERSION, &["AWSCURRENT"])])
    );
    let described = client
        .describe_secret()
        .secret_id(GONE)
        .send()
        .await
        .expect("describe");
    assert!(described.deleted_date().is_some());
}
