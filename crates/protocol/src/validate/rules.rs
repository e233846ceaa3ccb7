//! Stateless rules the service applies itself, after the model's constraints pass, each with
//! the code and message AWS answers and where that wording comes from.

use crate::error::{ApiError, ErrorCode};
use crate::sensitive::{SensitiveBlob, SensitiveString};
use crate::shapes::*;

/// The characters AWS allows in a secret name besides ASCII letters and digits.
const NAME_PUNCTUATION: &[u8] = b"/_+=.@-";

/// Whether every character of a secret name is one AWS allows: ASCII letters, digits, `/_+=.@-`
/// (CreateSecret API reference, `Name`; AWS-BEHAVIOUR.md, Limits).
pub(super) fn is_valid_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(&b))
}

/// The `ValidationException` AWS answers for a name with a character it does not allow. The
/// message lists `!` although the character is not accepted; it is AWS's text, recorded in
/// AWS-BEHAVIOUR.md.
pub(super) fn invalid_name() -> ApiError {
    ApiError::new(
        ErrorCode::ValidationException,
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the \
         following: -/_+=.@!",
    )
}

/// A `SecretId` that is not an ARN is a name, and AWS refuses one with a character no name can
/// hold with the same "Invalid name" error instead of looking it up. ARNs (full or partial, both
/// starting with `arn:`) are left to the handler, which parses them. Source: LocalStack's
/// Secrets Manager provider (`_raise_if_invalid_secret_id`, checked against AWS by its snapshot
/// tests) applies exactly this rule to every operation's `SecretId`; ECS users report the same
/// error from AWS for a malformed secret reference.
pub(super) fn check_secret_id_characters(secret_id: Option<&str>) -> Result<(), ApiError> {
    match secret_id {
        Some(id) if !id.starts_with("arn:") && !is_valid_name(id) => Err(invalid_name()),
        _ => Ok(()),
    }
}

/// `InvalidParameterException` when a request carries both kinds of value (API reference:
/// "either SecretString or SecretBinary, but not both"). The wording is AWS's as the project
/// brief gives it; the Kotlin and Java Secrets Manager mocks that mirror AWS assert the same text.
pub(super) fn check_one_value_kind(
    secret_string: &Option<SensitiveString>,
    secret_binary: &Option<SensitiveBlob>,
) -> Result<(), ApiError> {
    if secret_string.is_some() && secret_binary.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterException,
            "You can't specify both a binary secret value and a string secret value in the same \
             secret.",
        ));
    }
    Ok(())
}

/// A write that creates a version needs a `ClientRequestToken`. SDKs always generate one; a raw
/// request without it gets `InvalidRequestException` (AWS-BEHAVIOUR.md, Idempotency; LocalStack's
/// `_raise_if_missing_client_req_token` answers the same).
pub(super) fn check_client_request_token(token: &Option<String>) -> Result<(), ApiError> {
    if token.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequestException,
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        ));
    }
    Ok(())
}

/// `CreateSecret`: the name's characters, one kind of value, and a token when a value (and so a
/// first version) is given.
pub(super) fn create_secret_rules(request: &CreateSecretRequest) -> Result<(), ApiError> {
    if request
        .name
        .as_deref()
        .is_some_and(|name| !is_valid_name(name))
    {
        return Err(invalid_name());
    }
    check_one_value_kind(&request.secret_string, &request.secret_binary)?;
    if request.secret_string.is_some() || request.secret_binary.is_some() {
        check_client_request_token(&request.client_request_token)?;
    }
    Ok(())
}

/// `PutSecretValue`: it always creates a version, so it needs a token and exactly one kind of
/// value. With neither, AWS answers `InvalidRequestException: You must provide either
/// SecretString or SecretBinary.` (reported by Terraform users against AWS, asserted by moto's
/// and LocalStack's tests).
pub(super) fn put_secret_value_rules(request: &PutSecretValueRequest) -> Result<(), ApiError> {
    check_secret_id_characters(request.secret_id.as_deref())?;
    check_client_request_token(&request.client_request_token)?;
    check_one_value_kind(&request.secret_string, &request.secret_binary)?;
    if request.secret_string.is_none() && request.secret_binary.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequestException,
            "You must provide either SecretString or SecretBinary.",
        ));
    }
    Ok(())
}

/// `UpdateSecret`: one kind of value, and a token when a value (and so a new version) is given;
/// a metadata-only update needs none.
pub(super) fn update_secret_rules(request: &UpdateSecretRequest) -> Result<(), ApiError> {
    check_secret_id_characters(request.secret_id.as_deref())?;
    check_one_value_kind(&request.secret_string, &request.secret_binary)?;
    if request.secret_string.is_some() || request.secret_binary.is_some() {
        check_client_request_token(&request.client_request_token)?;
    }
    Ok(())
}

/// `DeleteSecret`: the recovery window is 7 to 30 days and cannot be combined with
/// `ForceDeleteWithoutRecovery=true`. The model declares no range on `RecoveryWindowInDays`; the
/// service checks it and answers `InvalidParameterException`. Both messages and their order
/// (range first) are moto's, which records AWS's answers.
pub(super) fn delete_secret_rules(request: &DeleteSecretRequest) -> Result<(), ApiError> {
    check_secret_id_characters(request.secret_id.as_deref())?;
    if let Some(days) = request.recovery_window_in_days {
        if !(7..=30).contains(&days) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterException,
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            ));
        }
        if request.force_delete_without_recovery == Some(true) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterException,
                "You can't use ForceDeleteWithoutRecovery in conjunction with \
                 RecoveryWindowInDays.",
            ));
        }
    }
    Ok(())
}

/// `BatchGetSecretValue`: exactly one of `SecretIdList` and `Filters`, and `MaxResults` only
/// with `Filters` (API reference). Messages as moto records them; for "neither", whose wording we
/// found no record of, the same "Either …" message is used, since it states the rule.
pub(super) fn batch_get_secret_value_rules(
    request: &BatchGetSecretValueRequest,
) -> Result<(), ApiError> {
    if request.secret_id_list.is_some() == request.filters.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterException,
            "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
        ));
    }
    if request.max_results.is_some() && request.filters.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterException,
            "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is \
             provided.",
        ));
    }
    Ok(())
}

/// `RotateSecret`: `RotationRules` may give `AutomaticallyAfterDays` or `ScheduleExpression`,
/// not both. AWS's answer, quoted in terraform-provider-aws issues #30540 and #33329 and PR
/// #31915: `InvalidParameterException: You cannot specify both rotation frequency and schedule
/// expression together.`
///
/// A raw request without `ClientRequestToken` gets `InvalidParameterException` (not the
/// `InvalidRequestException` of the writes that create a version), even when the secret does not
/// exist, as recorded against AWS (AWS-BEHAVIOUR.md, Field presence).
pub(super) fn rotate_secret_rules(request: &RotateSecretRequest) -> Result<(), ApiError> {
    check_secret_id_characters(request.secret_id.as_deref())?;
    // The token first: AWS answers its absence before anything else about the request.
    if request.client_request_token.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterException,
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        ));
    }
    if let Some(rules) = &request.rotation_rules {
        if rules.automatically_after_days.is_some() && rules.schedule_expression.is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterException,
                "You cannot specify both rotation frequency and schedule expression together.",
            ));
        }
    }
    Ok(())
}
