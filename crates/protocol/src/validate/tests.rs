use serde::de::DeserializeOwned;

use super::patterns;
use super::rules::invalid_name;
use super::{parse_request, trim_json_whitespace, Validate};
use crate::error::{ApiError, ErrorCode};
use crate::shapes::*;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Parses a JSON request and validates it, as the server does.
fn check<T: DeserializeOwned + Validate>(json: &str) -> Result<(), ApiError> {
    parse_request::<T>(json.as_bytes())?.validate()
}

/// Asserts a `ValidationException` with exactly this message.
#[track_caller]
fn assert_validation<T: DeserializeOwned + Validate>(json: &str, message: &str) {
    assert_error::<T>(json, ErrorCode::ValidationException, message);
}

/// Asserts an error with exactly this code and message.
#[track_caller]
fn assert_error<T: DeserializeOwned + Validate>(json: &str, code: ErrorCode, message: &str) {
    let error = check::<T>(json).expect_err("the request should be refused");
    assert_eq!(error.code, code, "{}", error.message);
    assert_eq!(error.message, message);
}

#[track_caller]
fn assert_valid<T: DeserializeOwned + Validate>(json: &str) {
    if let Err(error) = check::<T>(json) {
        panic!("{json} was refused: {error}");
    }
}

fn null(path: &str) -> String {
    format!("Value null at '{path}' failed to satisfy constraint: Member must not be null")
}

// --- parse_request -----------------------------------------------------------------------

#[test]
fn an_empty_body_is_an_empty_object() {
    for body in [&b""[..], b"   ", b"\n\t\r "] {
        let request: ListSecretsRequest = parse_request(body).expect("empty body parses");
        assert_eq!(request, ListSecretsRequest::default());
    }
}

#[test]
fn only_json_whitespace_counts_as_empty() {
    assert_eq!(trim_json_whitespace(b" \t{}\r\n"), b"{}");
    assert_eq!(trim_json_whitespace(b" \n "), b"");
    let error = parse_request::<ListSecretsRequest>(b"\x0c").expect_err("form feed is not JSON");
    assert_eq!(error.code, ErrorCode::SerializationException);
}

#[test]
fn invalid_json_is_a_serialization_exception() {
    for body in [
        "{",
        "{\"SecretId\": }",
        "nope",
        "{\"SecretId\": \"a\"} trailing",
        "{'a': 1}",
    ] {
        let error = parse_request::<GetSecretValueRequest>(body.as_bytes())
            .expect_err("invalid JSON is refused");
        assert_eq!(error.code, ErrorCode::SerializationException);
        assert_eq!(error.message, "The request body is not valid JSON.");
    }
}

#[test]
fn a_non_object_top_level_is_a_serialization_exception() {
    for body in ["[]", "\"GetSecretValue\"", "42", "null", "true"] {
        let error = parse_request::<GetSecretValueRequest>(body.as_bytes())
            .expect_err("a non-object is refused");
        assert_eq!(error.code, ErrorCode::SerializationException);
        assert_eq!(error.message, "The request body must be a JSON object.");
    }
}

#[test]
fn a_wrongly_typed_member_never_echoes_its_value() {
    let bodies = [
        // A secret where a number or a list belongs, and a number where a string belongs.
        r#"{"SecretId": "a", "SecretString": ["s3cr3t-value"]}"#,
        r#"{"Name": "a", "SecretString": {"nested": "s3cr3t-value"}}"#,
        r#"{"Name": "a", "Tags": "s3cr3t-value"}"#,
        r#"{"Name": "s3cr3t-value", "SecretString": 12345}"#,
        r#"{"Name": "a", "SecretBinary": "s3cr3t-value!!"}"#,
        r#"{"Name": "a", "SecretString": "s3cr3t-value", "SecretString": "s3cr3t-value"}"#,
    ];
    for body in bodies {
        let error = parse_request::<CreateSecretRequest>(body.as_bytes())
            .expect_err("a wrong type is refused");
        assert_eq!(error.code, ErrorCode::SerializationException, "{body}");
        assert!(!error.message.contains("s3cr3t"), "{}", error.message);
        assert!(!error.message.contains("12345"), "{}", error.message);
    }
    let error = parse_request::<ListSecretsRequest>(br#"{"MaxResults": "s3cr3t"}"#)
        .expect_err("a string where a number belongs is refused");
    assert_eq!(error.code.http_status(), 400);
    assert!(!error.message.contains("s3cr3t"));
    assert!(!format!("{error:?}").contains("s3cr3t"));
}

#[test]
fn unknown_members_and_nulls_are_ignored() {
    let request: GetSecretValueRequest =
        parse_request(br#"{"SecretId": "app", "Unknown": {"deep": [1, 2]}, "VersionId": null}"#)
            .expect("unknown members are ignored");
    assert_eq!(request.secret_id.as_deref(), Some("app"));
    assert_eq!(request.version_id, None);
}

// --- the generic form ----------------------------------------------------------------------

#[test]
fn a_missing_required_member() {
    assert_validation::<GetSecretValueRequest>(
        "{}",
        &format!("1 validation error detected: {}", null("secretId")),
    );
}

#[test]
fn several_violations_are_listed_in_member_order() {
    assert_validation::<UpdateSecretVersionStageRequest>(
        "{}",
        &format!(
            "2 validation errors detected: {}; {}",
            null("secretId"),
            null("versionStage")
        ),
    );
    assert_validation::<GetSecretValueRequest>(
        r#"{"SecretId": "", "VersionId": "short", "VersionStage": ""}"#,
        "3 validation errors detected: \
         Value '' at 'secretId' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value 'short' at 'versionId' failed to satisfy constraint: Member must have length greater than or equal to 32; \
         Value '' at 'versionStage' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[test]
fn string_lengths_count_characters() {
    let name = "a".repeat(513);
    assert_validation::<CreateSecretRequest>(
        &format!(r#"{{"Name": "{name}"}}"#),
        &format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy \
             constraint: Member must have length less than or equal to 512"
        ),
    );
    // 512 two-byte characters are 512 characters, within the limit; the name check then
    // refuses them as non-ASCII.
    let wide = "é".repeat(512);
    let error = check::<DescribeSecretRequest>(&format!(r#"{{"SecretId": "{wide}"}}"#))
        .expect_err("non-ASCII names are refused");
    assert_eq!(error.message, invalid_name().message);
    assert_valid::<UpdateSecretRequest>(&format!(
        r#"{{"SecretId": "a", "Description": "{}"}}"#,
        "é".repeat(2048)
    ));
}

#[test]
fn client_request_token_is_32_to_64_characters() {
    assert_validation::<PutSecretValueRequest>(
        r#"{"SecretId": "a", "SecretString": "x", "ClientRequestToken": "short"}"#,
        "1 validation error detected: Value 'short' at 'clientRequestToken' failed to \
         satisfy constraint: Member must have length greater than or equal to 32",
    );
    let long = "t".repeat(65);
    assert_validation::<RotateSecretRequest>(
        &format!(r#"{{"SecretId": "a", "ClientRequestToken": "{long}"}}"#),
        &format!(
            "1 validation error detected: Value '{long}' at 'clientRequestToken' failed to \
             satisfy constraint: Member must have length less than or equal to 64"
        ),
    );
    assert_valid::<RotateSecretRequest>(&format!(
        r#"{{"SecretId": "a", "ClientRequestToken": "{}"}}"#,
        "t".repeat(64)
    ));
}

#[test]
fn numeric_ranges() {
    assert_validation::<ListSecretsRequest>(
        r#"{"MaxResults": 0}"#,
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy \
         constraint: Member must have value greater than or equal to 1",
    );
    assert_validation::<ListSecretVersionIdsRequest>(
        r#"{"SecretId": "a", "MaxResults": 101}"#,
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy \
         constraint: Member must have value less than or equal to 100",
    );
    assert_validation::<GetRandomPasswordRequest>(
        r#"{"PasswordLength": 4097}"#,
        "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy \
         constraint: Member must have value less than or equal to 4096",
    );
    assert_validation::<GetRandomPasswordRequest>(
        r#"{"PasswordLength": -1}"#,
        "1 validation error detected: Value '-1' at 'passwordLength' failed to satisfy \
         constraint: Member must have value greater than or equal to 1",
    );
    assert_valid::<GetRandomPasswordRequest>(
        r#"{"PasswordLength": 4096, "ExcludeCharacters": ""}"#,
    );
    assert_valid::<ListResourcePoliciesRequest>(r#"{"SecretId": "a", "MaxResults": 100}"#);
}

#[test]
fn enums() {
    assert_validation::<ListSecretsRequest>(
        r#"{"SortOrder": "up", "SortBy": "size"}"#,
        "2 validation errors detected: \
         Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]; \
         Value 'size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: \
         [created-date, last-accessed-date, last-changed-date, name]",
    );
    assert_validation::<AssociateCrossAccountReplicaRequest>(
        r#"{"SecretId": "a", "CrossAccountReplicaARN": "arn:aws:secretsmanager:x", "ReplicaRestriction": "Anyone"}"#,
        "1 validation error detected: Value 'Anyone' at 'replicaRestriction' failed to \
         satisfy constraint: Member must satisfy enum value set: [SameOrg, NoRestriction]",
    );
    assert_valid::<ListSecretsRequest>(r#"{"SortOrder": "desc", "SortBy": "last-changed-date"}"#);
}

#[test]
fn nested_structures_use_dotted_paths() {
    assert_validation::<ListSecretsRequest>(
        r#"{"Filters": [{"Key": "name", "Values": ["a"]}, {"Key": "bogus", "Values": ["b"]}]}"#,
        "1 validation error detected: Value 'bogus' at 'filters.2.member.key' failed to \
         satisfy constraint: Member must satisfy enum value set: \
         [description, name, tag-key, tag-value, primary-region, owning-service, all]",
    );
    let key = "k".repeat(129);
    assert_validation::<TagResourceRequest>(
        &format!(r#"{{"SecretId": "a", "Tags": [{{"Key": "{key}", "Value": "v"}}]}}"#),
        &format!(
            "1 validation error detected: Value '{key}' at 'tags.1.member.key' failed to \
             satisfy constraint: Member must have length less than or equal to 128"
        ),
    );
    assert_validation::<RotateSecretRequest>(
        r#"{"SecretId": "a", "RotationRules": {"AutomaticallyAfterDays": 0, "Duration": "2d"}}"#,
        "2 validation errors detected: \
         Value '0' at 'rotationRules.automaticallyAfterDays' failed to satisfy constraint: \
         Member must have value greater than or equal to 1; \
         Value '2d' at 'rotationRules.duration' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [0-9]+h",
    );
    assert_validation::<RotateSecretRequest>(
        r#"{"SecretId": "a", "ExternalSecretRotationMetadata": [{"Key": "", "Value": "v"}]}"#,
        "1 validation error detected: Value '' at \
         'externalSecretRotationMetadata.1.member.key' failed to satisfy constraint: \
         Member must have length greater than or equal to 1",
    );
    assert_validation::<ReplicateSecretToRegionsRequest>(
        r#"{"SecretId": "a", "AddReplicaRegions": [{"Region": "US-EAST-1"}]}"#,
        r"1 validation error detected: Value 'US-EAST-1' at 'addReplicaRegions.1.member.region' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-)+\d+$",
    );
}

#[test]
fn a_bad_element_of_a_string_list_reports_the_whole_list() {
    assert_validation::<ListSecretsRequest>(
        r#"{"Filters": [{"Key": "name", "Values": ["ok", "a*b"]}]}"#,
        r"1 validation error detected: Value '[ok, a*b]' at 'filters.1.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 512, Member must satisfy regular expression pattern: ^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$]",
    );
    assert_validation::<UntagResourceRequest>(
        r#"{"SecretId": "a", "TagKeys": [""]}"#,
        "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: \
         Member must satisfy constraint: [Member must have length less than or equal to 128, \
         Member must have length greater than or equal to 1]",
    );
    assert_validation::<PutSecretValueRequest>(
        &format!(
            r#"{{"SecretId": "a", "SecretString": "x", "ClientRequestToken": "{TOKEN}", "VersionStages": []}}"#
        ),
        "1 validation error detected: Value '[]' at 'versionStages' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    );
    assert_valid::<ListSecretsRequest>(
        r#"{"Filters": [{"Key": "all", "Values": ["!prod/db-1", "a b:c@d=e+f.g"]}]}"#,
    );
}

#[test]
fn list_lengths() {
    let ids: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
    let json = serde_json::json!({ "SecretIdList": ids }).to_string();
    assert_validation::<BatchGetSecretValueRequest>(
        &json,
        &format!(
            "1 validation error detected: Value '[{}]' at 'secretIdList' failed to satisfy \
             constraint: Member must have length less than or equal to 20",
            ids.join(", ")
        ),
    );
    assert_validation::<RemoveRegionsFromReplicationRequest>(
        r#"{"SecretId": "a", "RemoveReplicaRegions": []}"#,
        "1 validation error detected: Value '[]' at 'removeReplicaRegions' failed to \
         satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert_validation::<ReplicateSecretToRegionsRequest>(
        r#"{"SecretId": "a", "AddReplicaRegions": []}"#,
        "1 validation error detected: Value '[]' at 'addReplicaRegions' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    );
    // Eleven filters: the list of structures is too long; its value is not shown.
    let filters: Vec<serde_json::Value> = (0..11)
        .map(|_| serde_json::json!({"Key": "name", "Values": ["a"]}))
        .collect();
    assert_validation::<ListSecretsRequest>(
        &serde_json::json!({ "Filters": filters }).to_string(),
        "1 validation error detected: Value at 'filters' failed to satisfy constraint: \
         Member must have length less than or equal to 10",
    );
}

// --- sensitive members ---------------------------------------------------------------------

#[test]
fn an_oversized_secret_string_is_refused_without_its_value() {
    let secret = "s3cr3t".repeat(11_000); // 66,000 bytes
    let error = check::<CreateSecretRequest>(&format!(
        r#"{{"Name": "app", "ClientRequestToken": "{TOKEN}", "SecretString": "{secret}"}}"#
    ))
    .expect_err("an oversized value is refused");
    assert_eq!(error.code, ErrorCode::ValidationException);
    assert_eq!(
        error.message,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: \
         Member must have length less than or equal to 65536"
    );
    assert!(!error.message.contains("s3cr3t"));
    // Exactly 65,536 bytes is allowed.
    assert_valid::<PutSecretValueRequest>(&format!(
        r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": "{}"}}"#,
        "x".repeat(65_536)
    ));
}

#[test]
fn the_secret_string_limit_counts_bytes() {
    // 40,000 two-byte characters: within 65,536 characters, but 80,000 bytes.
    let secret = "é".repeat(40_000);
    assert_validation::<UpdateSecretRequest>(
        &format!(
            r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": "{secret}"}}"#
        ),
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: \
         Member must have length less than or equal to 65536",
    );
}

#[test]
fn an_empty_secret_string_is_refused() {
    assert_validation::<PutSecretValueRequest>(
        &format!(r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": ""}}"#),
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: \
         Member must have length greater than or equal to 1",
    );
}

#[test]
fn an_oversized_secret_binary_is_refused_without_its_value() {
    use base64::Engine as _;
    let blob = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 65_537]);
    assert_validation::<PutSecretValueRequest>(
        &format!(
            r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretBinary": "{blob}"}}"#
        ),
        "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: \
         Member must have length less than or equal to 65536",
    );
    let exact = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 65_536]);
    assert_valid::<CreateSecretRequest>(&format!(
        r#"{{"Name": "app", "ClientRequestToken": "{TOKEN}", "SecretBinary": "{exact}"}}"#
    ));
}

#[test]
fn a_bad_rotation_token_is_refused_without_its_value() {
    assert_validation::<PutSecretValueRequest>(
        &format!(
            r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": "x", "RotationToken": "tok_s3cr3t"}}"#
        ),
        r"2 validation errors detected: Value at 'rotationToken' failed to satisfy constraint: Member must have length greater than or equal to 36; Value at 'rotationToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\-]+$",
    );
    assert_valid::<PutSecretValueRequest>(&format!(
        r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": "x", "RotationToken": "{}"}}"#,
        "0123abcd-".repeat(4)
    ));
}

// --- special cases -------------------------------------------------------------------------

#[test]
fn create_secret_name_characters() {
    for name in ["my secret", "a!b", "a#b", "a:b", "é", "tab\there", "a*"] {
        let json = serde_json::json!({ "Name": name }).to_string();
        assert_error::<CreateSecretRequest>(
            &json,
            ErrorCode::ValidationException,
            "Invalid name. Must be a valid name containing alphanumeric characters, or any \
             of the following: -/_+=.@!",
        );
    }
    assert_valid::<CreateSecretRequest>(r#"{"Name": "prod/db_Main+1=x.y@z-2"}"#);
}

#[test]
fn a_secret_id_that_is_not_an_arn_must_be_a_possible_name() {
    assert_error::<GetSecretValueRequest>(
        r#"{"SecretId": "my secret"}"#,
        ErrorCode::ValidationException,
        &invalid_name().message,
    );
    assert_error::<DeleteSecretRequest>(
        r#"{"SecretId": "a?b"}"#,
        ErrorCode::ValidationException,
        &invalid_name().message,
    );
    // ARNs are parsed by the handler, whatever they contain.
    assert_valid::<GetSecretValueRequest>(
        r#"{"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"}"#,
    );
    assert_valid::<DescribeSecretRequest>(r#"{"SecretId": "prod/app"}"#);
}

#[test]
fn both_kinds_of_value_are_refused() {
    let message =
        "You can't specify both a binary secret value and a string secret value in the same secret.";
    let both =
        format!(r#""SecretString": "s", "SecretBinary": "AAE=", "ClientRequestToken": "{TOKEN}""#);
    assert_error::<CreateSecretRequest>(
        &format!(r#"{{"Name": "a", {both}}}"#),
        ErrorCode::InvalidParameterException,
        message,
    );
    assert_error::<PutSecretValueRequest>(
        &format!(r#"{{"SecretId": "a", {both}}}"#),
        ErrorCode::InvalidParameterException,
        message,
    );
    assert_error::<UpdateSecretRequest>(
        &format!(r#"{{"SecretId": "a", {both}}}"#),
        ErrorCode::InvalidParameterException,
        message,
    );
}

#[test]
fn put_secret_value_needs_a_value() {
    assert_error::<PutSecretValueRequest>(
        &format!(r#"{{"SecretId": "a", "ClientRequestToken": "{TOKEN}"}}"#),
        ErrorCode::InvalidRequestException,
        "You must provide either SecretString or SecretBinary.",
    );
}

#[test]
fn a_new_version_needs_a_client_request_token() {
    let message = "You must provide a ClientRequestToken value. We recommend a UUID-type value.";
    assert_error::<PutSecretValueRequest>(
        r#"{"SecretId": "a", "SecretString": "s"}"#,
        ErrorCode::InvalidRequestException,
        message,
    );
    assert_error::<CreateSecretRequest>(
        r#"{"Name": "a", "SecretBinary": "AAE="}"#,
        ErrorCode::InvalidRequestException,
        message,
    );
    assert_error::<UpdateSecretRequest>(
        r#"{"SecretId": "a", "SecretString": "s"}"#,
        ErrorCode::InvalidRequestException,
        message,
    );
    // No value, no version, no token needed.
    assert_valid::<CreateSecretRequest>(r#"{"Name": "a", "Description": "d"}"#);
    assert_valid::<UpdateSecretRequest>(r#"{"SecretId": "a", "KmsKeyId": "alias/x"}"#);
}

#[test]
fn delete_secret_recovery_window() {
    let range = "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).";
    for days in [0, 6, 31, -7] {
        assert_error::<DeleteSecretRequest>(
            &format!(r#"{{"SecretId": "a", "RecoveryWindowInDays": {days}}}"#),
            ErrorCode::InvalidParameterException,
            range,
        );
    }
    assert_error::<DeleteSecretRequest>(
        r#"{"SecretId": "a", "RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": true}"#,
        ErrorCode::InvalidParameterException,
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    assert_valid::<DeleteSecretRequest>(r#"{"SecretId": "a", "RecoveryWindowInDays": 7}"#);
    assert_valid::<DeleteSecretRequest>(r#"{"SecretId": "a", "RecoveryWindowInDays": 30}"#);
    assert_valid::<DeleteSecretRequest>(
        r#"{"SecretId": "a", "RecoveryWindowInDays": 10, "ForceDeleteWithoutRecovery": false}"#,
    );
    assert_valid::<DeleteSecretRequest>(r#"{"SecretId": "a", "ForceDeleteWithoutRecovery": true}"#);
}

#[test]
fn batch_get_secret_value_takes_ids_or_filters() {
    let either = "Either 'SecretIdList' or 'Filters' must be provided, but not both.";
    assert_error::<BatchGetSecretValueRequest>("{}", ErrorCode::InvalidParameterException, either);
    assert_error::<BatchGetSecretValueRequest>(
        r#"{"SecretIdList": ["a"], "Filters": [{"Key": "name", "Values": ["a"]}]}"#,
        ErrorCode::InvalidParameterException,
        either,
    );
    assert_error::<BatchGetSecretValueRequest>(
        r#"{"SecretIdList": ["a"], "MaxResults": 5}"#,
        ErrorCode::InvalidParameterException,
        "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
    assert_validation::<BatchGetSecretValueRequest>(
        r#"{"Filters": [{"Key": "name", "Values": ["a"]}], "MaxResults": 21}"#,
        "1 validation error detected: Value '21' at 'maxResults' failed to satisfy \
         constraint: Member must have value less than or equal to 20",
    );
    assert_validation::<BatchGetSecretValueRequest>(
        r#"{"SecretIdList": []}"#,
        "1 validation error detected: Value '[]' at 'secretIdList' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    );
    assert_valid::<BatchGetSecretValueRequest>(r#"{"SecretIdList": ["a", "b c"]}"#);
    assert_valid::<BatchGetSecretValueRequest>(
        r#"{"Filters": [{"Key": "tag-key", "Values": ["env"]}], "MaxResults": 20}"#,
    );
}

#[test]
fn rotation_rules_take_days_or_a_schedule() {
    assert_error::<RotateSecretRequest>(
        r#"{"SecretId": "a", "ClientRequestToken": "tttttttttttttttttttttttttttttttt", "RotationRules": {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"}}"#,
        ErrorCode::InvalidParameterException,
        "You cannot specify both rotation frequency and schedule expression together.",
    );
    // Without a token, the token's error comes first (AWS checks it before anything else).
    assert_error::<RotateSecretRequest>(
        r#"{"SecretId": "a", "RotationRules": {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"}}"#,
        ErrorCode::InvalidParameterException,
        "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    );
    assert_valid::<RotateSecretRequest>(
        r#"{"SecretId": "a", "ClientRequestToken": "tttttttttttttttttttttttttttttttt", "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}}"#,
    );
    // A raw request without a token: InvalidParameterException, as recorded against AWS.
    assert_error::<RotateSecretRequest>(
        r#"{"SecretId": "a"}"#,
        ErrorCode::InvalidParameterException,
        "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    );
    assert_validation::<RotateSecretRequest>(
        r#"{"SecretId": "a", "RotationRules": {"ScheduleExpression": "rate(1 day);"}}"#,
        r"1 validation error detected: Value 'rate(1 day);' at 'rotationRules.scheduleExpression' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9A-Za-z\(\)#\?\*\-\/, ]+",
    );
}

#[test]
fn resource_policy_requests() {
    assert_validation::<PutResourcePolicyRequest>(
        r#"{"SecretId": "a", "PolicyName": "bad name"}"#,
        r"2 validation errors detected: Value null at 'resourcePolicy' failed to satisfy constraint: Member must not be null; Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9A-Za-z\-\_]+",
    );
    assert_validation::<ValidateResourcePolicyRequest>(
        "{}",
        &format!("1 validation error detected: {}", null("resourcePolicy")),
    );
    assert_valid::<ValidateResourcePolicyRequest>(r#"{"ResourcePolicy": "{}"}"#);
}

#[test]
fn tag_requests() {
    assert_validation::<TagResourceRequest>(
        "{}",
        &format!(
            "2 validation errors detected: {}; {}",
            null("secretId"),
            null("tags")
        ),
    );
    assert_validation::<UntagResourceRequest>(
        r#"{"SecretId": "a"}"#,
        &format!("1 validation error detected: {}", null("tagKeys")),
    );
    assert_valid::<TagResourceRequest>(r#"{"SecretId": "a", "Tags": [{"Key": "k", "Value": ""}]}"#);
    assert_valid::<TagResourceRequest>(r#"{"SecretId": "a", "Tags": []}"#);
}

#[test]
fn every_request_type_accepts_a_minimal_valid_request() {
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
    assert_valid::<AssociateCrossAccountReplicaRequest>(&format!(
        r#"{{"SecretId": "a", "CrossAccountReplicaARN": "{arn}"}}"#
    ));
    assert_valid::<BatchGetSecretValueRequest>(r#"{"SecretIdList": ["a"]}"#);
    assert_valid::<CancelRotateSecretRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<CreateSecretRequest>(r#"{"Name": "a"}"#);
    assert_valid::<DeleteResourcePolicyRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<DeleteSecretRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<DescribeSecretRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<DisassociateCrossAccountReplicaRequest>(&format!(
        r#"{{"SecretId": "a", "CrossAccountReplicaARN": "{arn}"}}"#
    ));
    assert_valid::<GetRandomPasswordRequest>("");
    assert_valid::<GetResourcePolicyRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<GetSecretValueRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<ListResourcePoliciesRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<ListSecretVersionIdsRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<ListSecretsRequest>("{}");
    assert_valid::<PutResourcePolicyRequest>(r#"{"SecretId": "a", "ResourcePolicy": "{}"}"#);
    assert_valid::<PutSecretValueRequest>(&format!(
        r#"{{"SecretId": "a", "SecretString": "s", "ClientRequestToken": "{TOKEN}"}}"#
    ));
    assert_valid::<RemoveRegionsFromReplicationRequest>(
        r#"{"SecretId": "a", "RemoveReplicaRegions": ["eu-west-1"]}"#,
    );
    assert_valid::<ReplicateSecretToRegionsRequest>(
        r#"{"SecretId": "a", "AddReplicaRegions": [{"Region": "ap-southeast-2", "KmsKeyId": "k"}]}"#,
    );
    assert_valid::<RestoreSecretRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<RotateSecretRequest>(
        r#"{"SecretId": "a", "ClientRequestToken": "tttttttttttttttttttttttttttttttt"}"#,
    );
    assert_valid::<StopReplicationToReplicaRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<TagResourceRequest>(r#"{"SecretId": "a", "Tags": []}"#);
    assert_valid::<UntagResourceRequest>(r#"{"SecretId": "a", "TagKeys": ["k"]}"#);
    assert_valid::<UpdateSecretRequest>(r#"{"SecretId": "a"}"#);
    assert_valid::<UpdateSecretVersionStageRequest>(
        r#"{"SecretId": "a", "VersionStage": "AWSCURRENT"}"#,
    );
    assert_valid::<ValidateResourcePolicyRequest>(r#"{"ResourcePolicy": "{}"}"#);
}

#[test]
fn missing_required_members_of_every_request() {
    // Each request type with required members, sent empty, names every one of them.
    type Case = (&'static str, fn() -> Result<(), ApiError>);
    let cases: [Case; 8] = [
        ("secretId; crossAccountReplicaARN", || {
            AssociateCrossAccountReplicaRequest::default().validate()
        }),
        ("secretId; crossAccountReplicaARN", || {
            DisassociateCrossAccountReplicaRequest::default().validate()
        }),
        ("name", || CreateSecretRequest::default().validate()),
        ("secretId; resourcePolicy", || {
            PutResourcePolicyRequest::default().validate()
        }),
        ("secretId; removeReplicaRegions", || {
            RemoveRegionsFromReplicationRequest::default().validate()
        }),
        ("secretId; addReplicaRegions", || {
            ReplicateSecretToRegionsRequest::default().validate()
        }),
        ("secretId; tagKeys", || {
            UntagResourceRequest::default().validate()
        }),
        ("secretId", || RestoreSecretRequest::default().validate()),
    ];
    for (paths, validate) in cases {
        let paths: Vec<&str> = paths.split("; ").collect();
        let expected: Vec<String> = paths.iter().map(|path| null(path)).collect();
        let count = expected.len();
        let detected = if count == 1 {
            "1 validation error detected".to_owned()
        } else {
            format!("{count} validation errors detected")
        };
        let error = validate().expect_err("required members are missing");
        assert_eq!(error.code, ErrorCode::ValidationException);
        assert_eq!(
            error.message,
            format!("{detected}: {}", expected.join("; "))
        );
    }
}

// --- pattern matchers ----------------------------------------------------------------------

#[test]
fn pattern_matchers_agree_with_the_model() {
    use patterns::*;
    for (value, expected) in [
        ("1h", true),
        ("24h", true),
        ("h", false),
        ("2d", false),
        ("2hh", false),
        ("-1h", false),
    ] {
        assert_eq!(is_duration(value), expected, "{value}");
    }
    for (value, expected) in [
        ("us-east-1", true),
        ("cn-northwest-12", true),
        ("us-gov-west-1", true),
        ("useast1", false),
        ("us-east-", false),
        ("-east-1", false),
        ("us--east-1", false),
        ("US-EAST-1", false),
        ("us-east-1a", false),
        ("", false),
    ] {
        assert_eq!(is_region(value), expected, "{value}");
    }
    for (value, expected) in [
        ("", true),
        ("!abc", true),
        ("a b:c_d@e/f+g=h.i-j!", true),
        ("a*", false),
        ("é", false),
        ("a\n", false),
    ] {
        assert_eq!(is_filter_value(value), expected, "{value:?}");
    }
    for (value, expected) in [
        ("default", true),
        ("a-b_C9", true),
        ("", false),
        ("a b", false),
        ("a.b", false),
    ] {
        assert_eq!(is_policy_name(value), expected, "{value}");
    }
    for (value, expected) in [("abc-123", true), ("", false), ("a_b", false)] {
        assert_eq!(is_rotation_token(value), expected, "{value}");
    }
    for (value, expected) in [
        ("rate(10 days)", true),
        ("cron(0 8 ? * MON-FRI#2 *)", true),
        ("cron(0/15 * * * ? *)", true),
        ("", false),
        ("rate(1 day);", false),
        ("cron(0 8 L * ? *)\t", false),
    ] {
        assert_eq!(is_schedule_expression(value), expected, "{value:?}");
    }
}
