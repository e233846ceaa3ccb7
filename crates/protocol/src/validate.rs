//! Request parsing and model-constraint validation.
//!
//! The server calls [`parse_request`] on the body and then [`Validate::validate`] on the result,
//! before any handler runs. Together they reproduce what AWS's request layer answers before the
//! service itself sees a request:
//!
//! - a body that is not a JSON object of the right member types: `SerializationException`;
//! - a violated model constraint (required member, length, range, pattern, enum):
//!   `ValidationException` with AWS's wording, every violation listed in member order, e.g.
//!   `1 validation error detected: Value 'abc' at 'name' failed to satisfy constraint: Member must
//!   have length less than or equal to 512`;
//! - the handful of stateless checks the service performs itself (both `SecretString` and
//!   `SecretBinary`, `RecoveryWindowInDays` out of range, …), with the code and message AWS uses
//!   for each. Each one cites where its wording comes from.
//!
//! No message ever contains a sensitive member's value: AWS itself writes `Value at 'secretString'`
//! without the value for members the model marks sensitive, and so do we. Non-sensitive values
//! are echoed, as AWS echoes them.

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::constraint::{Length, NumberShape, Pattern, StringShape, Violations, UNBOUNDED};
use crate::error::{ApiError, ErrorCode};
use crate::sensitive::{SensitiveBlob, SensitiveString};
use crate::shapes::*;

/// Parses an awsJson 1.1 request body into an operation's request type.
///
/// An empty body (no bytes, or only JSON whitespace) is read as `{}`, as AWS reads it. Anything
/// that is not a JSON object whose members have the model's JSON types is refused with
/// `SerializationException`. The message is fixed per failure class and never quotes the body:
/// serde's own messages echo values (`invalid type: string "s3cr3t"`), and the body may hold a
/// secret.
pub fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let trimmed = trim_json_whitespace(body);
    if trimmed.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|_| wrong_type());
    }
    // Anything that does not start like an object is either another JSON value or not JSON at
    // all; the two get different messages so a client author can tell them apart.
    if trimmed.first() != Some(&b'{') {
        return Err(match serde_json::from_slice::<IgnoredAny>(trimmed) {
            Ok(_) => serialization("The request body must be a JSON object."),
            Err(_) => not_json(),
        });
    }
    serde_json::from_slice(trimmed).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => wrong_type(),
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => not_json(),
    })
}

/// The body without leading and trailing JSON whitespace (space, tab, line feed, carriage
/// return; RFC 8259 section 2), which is all a body may hold and still count as empty.
fn trim_json_whitespace(body: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = body.iter().position(|b| !is_space(b)).unwrap_or(body.len());
    let end = body
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |last| last + 1);
    body.get(start..end).unwrap_or_default()
}

/// A `SerializationException` with a fixed message.
fn serialization(message: &str) -> ApiError {
    ApiError::new(ErrorCode::SerializationException, message)
}

/// The body is not well-formed JSON.
fn not_json() -> ApiError {
    serialization("The request body is not valid JSON.")
}

/// The body is a JSON object, but a member has the wrong JSON type or an undecodable value
/// (a blob that is not base64, a fractional integer, a member given twice).
fn wrong_type() -> ApiError {
    serialization(
        "The request body does not match the operation's input: a member has the wrong JSON type \
         or an invalid value.",
    )
}

/// Checks every constraint the service model declares on a request, then the stateless rules
/// the service applies itself.
///
/// Implemented for every `<Operation>Request`. `Ok(())` means the request may reach its handler;
/// rules that depend on stored state (does the secret exist, is the label attached) are the
/// handler's.
pub trait Validate {
    /// Returns the error AWS would answer for this request before looking at any stored state,
    /// or `Ok(())`.
    fn validate(&self) -> Result<(), ApiError>;
}

// ---------------------------------------------------------------------------------------------
// Collecting violations: the awsJson members, read into the shared checks of `constraint`.

impl Violations {
    /// A member the model marks required.
    fn required<T>(&mut self, path: &str, value: &Option<T>) {
        if value.is_none() {
            self.null(path);
        }
    }

    /// A plain string member; lengths count characters.
    fn string(&mut self, path: &str, value: &Option<String>, shape: &StringShape) {
        if let Some(value) = value {
            self.check_string(path, value, value.chars().count(), true, shape);
        }
    }

    /// A sensitive string member other than the secret value; lengths count characters and the
    /// value is never shown.
    fn sensitive_string(
        &mut self,
        path: &str,
        value: &Option<SensitiveString>,
        shape: &StringShape,
    ) {
        if let Some(value) = value {
            let text = value.expose();
            self.check_string(path, text, text.chars().count(), false, shape);
        }
    }

    /// `SecretString`. Its length counts UTF-8 bytes, not characters: AWS's quota for a secret
    /// value is 65,536 bytes (Secrets Manager quotas page; AWS-BEHAVIOUR.md, Limits), so a value of
    /// fewer characters but more bytes is refused with the same message as an over-long one.
    fn secret_string(&mut self, path: &str, value: &Option<SensitiveString>, shape: &StringShape) {
        if let Some(value) = value {
            self.check_string(path, value.expose(), value.len(), false, shape);
        }
    }

    /// `SecretBinary`, the only blob member; lengths count decoded bytes and the value is never
    /// shown.
    fn blob(&mut self, path: &str, value: &Option<SensitiveBlob>, length: &Length) {
        if let Some(blob) = value {
            self.check_list_length(path, blob.len(), length, None);
        }
    }

    /// An integer or long member with a range.
    fn number(&mut self, path: &str, value: Option<i64>, shape: &NumberShape) {
        if let Some(value) = value {
            self.check_number(path, value, shape);
        }
    }

    /// A list of strings: its length, then its elements (see `Violations::check_strings`).
    fn string_list(
        &mut self,
        path: &str,
        value: &Option<Vec<String>>,
        length: &Length,
        element: &StringShape,
    ) {
        if let Some(list) = value {
            self.check_strings(path, list, length, element);
        }
    }

    /// A nested structure member: its members are checked under `path.member`.
    fn structure<T: Check>(&mut self, path: &str, value: &Option<T>) {
        if let Some(structure) = value {
            structure.check(self, path);
        }
    }

    /// A list of structures: its length, then each element under `path.N.member` (1-based, the
    /// form AWS uses, e.g. `tags.1.member.key`).
    fn structure_list<T: Check>(&mut self, path: &str, value: &Option<Vec<T>>, length: &Length) {
        let Some(list) = value else { return };
        self.check_structure_count(path, list.len(), length);
        for (index, item) in list.iter().enumerate() {
            item.check(self, &format!("{path}.{}.member", index + 1));
        }
    }

    /// The `ValidationException` listing every violation, or `Ok(())` when there is none.
    fn finish(mut self) -> Result<(), ApiError> {
        match self.take_message() {
            Some(message) => Err(ApiError::new(ErrorCode::ValidationException, message)),
            None => Ok(()),
        }
    }
}

/// Validation of a structure nested in a request, under the path of the member holding it.
trait Check {
    /// Records the violations of this structure's members, each under `path.memberName`.
    fn check(&self, v: &mut Violations, path: &str);
}

/// Hand-written equivalents of the model's `pattern` traits. Each matches the whole value, as
/// AWS does.
mod patterns {
    /// `[0-9]+h`: one or more digits, then `h`.
    pub(super) fn is_duration(value: &str) -> bool {
        value
            .strip_suffix('h')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    }

    /// `^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$`. The optional leading `!` is also in the character
    /// class, so the pattern amounts to "every character is in the class".
    pub(super) fn is_filter_value(value: &str) -> bool {
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" :_@/+=.-!".contains(&b))
    }

    /// `^([a-z]+-)+\d+$`: lowercase words each followed by `-`, then digits (`us-east-1`).
    pub(super) fn is_region(value: &str) -> bool {
        let words = value.trim_end_matches(|c: char| c.is_ascii_digit());
        if words.len() == value.len() {
            return false;
        }
        // `words` must now be one or more `[a-z]+-` groups: it ends with `-`, and splitting the
        // rest on `-` gives only non-empty lowercase words.
        words.strip_suffix('-').is_some_and(|body| {
            body.split('-')
                .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
        })
    }

    /// `[0-9A-Za-z\-\_]+`.
    pub(super) fn is_policy_name(value: &str) -> bool {
        !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// `^[a-zA-Z0-9\-]+$`.
    pub(super) fn is_rotation_token(value: &str) -> bool {
        !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    /// `[0-9A-Za-z\(\)#\?\*\-\/, ]+`.
    pub(super) fn is_schedule_expression(value: &str) -> bool {
        !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"()#?*-/, ".contains(&b))
    }
}

// ---------------------------------------------------------------------------------------------
// The model's constrained shapes reachable from requests.

/// `AddReplicaRegionListType` in the model.
const ADD_REPLICA_REGION_LIST: Length = Length::new(Some(1), None);

/// `AutomaticallyRotateAfterDaysType` in the model.
const AUTOMATICALLY_ROTATE_AFTER_DAYS: NumberShape = NumberShape {
    min: Some(1),
    max: Some(1000),
};

/// `ClientRequestTokenType` in the model.
const CLIENT_REQUEST_TOKEN: StringShape = StringShape::length(Some(32), Some(64));

/// `DescriptionType` in the model.
const DESCRIPTION: StringShape = StringShape::length(None, Some(2048));

/// `DurationType` in the model.
const DURATION: StringShape = StringShape::length(Some(2), Some(3)).with_pattern(Pattern {
    source: r"[0-9]+h",
    matches: patterns::is_duration,
});

/// `ExcludeCharactersType` in the model.
const EXCLUDE_CHARACTERS: StringShape = StringShape::length(Some(0), Some(4096));

/// `ExternalSecretRotationMetadataItemKeyType` in the model.
const EXTERNAL_SECRET_ROTATION_METADATA_ITEM_KEY: StringShape =
    StringShape::length(Some(1), Some(256));

/// `ExternalSecretRotationMetadataItemValueType` in the model.
const EXTERNAL_SECRET_ROTATION_METADATA_ITEM_VALUE: StringShape =
    StringShape::length(Some(1), Some(2048));

/// `FilterNameStringType` in the model.
const FILTER_NAME_STRING: StringShape = StringShape::one_of(&[
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
]);

/// `FilterValueStringType` in the model.
const FILTER_VALUE_STRING: StringShape =
    StringShape::length(None, Some(512)).with_pattern(Pattern {
        source: r"^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$",
        matches: patterns::is_filter_value,
    });

/// `FilterValuesStringList` in the model.
const FILTER_VALUES_STRING_LIST: Length = Length::new(Some(1), Some(10));

/// `FiltersListType` in the model.
const FILTERS_LIST: Length = Length::new(None, Some(10));

/// `KmsKeyIdType` in the model.
const KMS_KEY_ID: StringShape = StringShape::length(Some(0), Some(2048));

/// `MaxResultsBatchType` in the model.
const MAX_RESULTS_BATCH: NumberShape = NumberShape {
    min: Some(1),
    max: Some(20),
};

/// `MaxResultsType` in the model.
const MAX_RESULTS: NumberShape = NumberShape {
    min: Some(1),
    max: Some(100),
};

/// `MedeaTypeType` in the model.
const MEDEA_TYPE: StringShape = StringShape::length(Some(0), Some(256));

/// `NameType` in the model.
const NAME: StringShape = StringShape::length(Some(1), Some(512));

/// `NextTokenType` in the model.
const NEXT_TOKEN: StringShape = StringShape::length(Some(1), Some(4096));

/// `NonEmptyResourcePolicyType` in the model.
const NON_EMPTY_RESOURCE_POLICY: StringShape = StringShape::length(Some(1), Some(20480));

/// `PasswordLengthType` in the model.
const PASSWORD_LENGTH: NumberShape = NumberShape {
    min: Some(1),
    max: Some(4096),
};

/// `RegionType` in the model.
const REGION: StringShape = StringShape::length(Some(1), Some(128)).with_pattern(Pattern {
    source: r"^([a-z]+-)+\d+$",
    matches: patterns::is_region,
});

/// `RemoveReplicaRegionListType` in the model.
const REMOVE_REPLICA_REGION_LIST: Length = Length::new(Some(1), None);

/// `ReplicaRestrictionType` in the model.
const REPLICA_RESTRICTION: StringShape = StringShape::one_of(&["SameOrg", "NoRestriction"]);

/// `ResourcePolicyNameType` in the model.
const RESOURCE_POLICY_NAME: StringShape =
    StringShape::length(Some(1), Some(64)).with_pattern(Pattern {
        source: r"[0-9A-Za-z\-\_]+",
        matches: patterns::is_policy_name,
    });

/// `RoleARNType` in the model.
const ROLE_ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `RotationLambdaARNType` in the model.
const ROTATION_LAMBDA_ARN: StringShape = StringShape::length(Some(0), Some(2048));

/// `RotationTokenType` in the model.
const ROTATION_TOKEN: StringShape =
    StringShape::length(Some(36), Some(256)).with_pattern(Pattern {
        source: r"^[a-zA-Z0-9\-]+$",
        matches: patterns::is_rotation_token,
    });

/// `ScheduleExpressionType` in the model.
const SCHEDULE_EXPRESSION: StringShape =
    StringShape::length(Some(1), Some(256)).with_pattern(Pattern {
        source: r"[0-9A-Za-z\(\)#\?\*\-\/, ]+",
        matches: patterns::is_schedule_expression,
    });

/// `SecretARNType` in the model.
const SECRET_ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `SecretBinaryType` in the model.
const SECRET_BINARY: Length = Length::new(Some(1), Some(65536));

/// `SecretIdListType` in the model.
const SECRET_ID_LIST: Length = Length::new(Some(1), Some(20));

/// `SecretIdType` in the model.
const SECRET_ID: StringShape = StringShape::length(Some(1), Some(2048));

/// `SecretStringType` in the model.
const SECRET_STRING: StringShape = StringShape::length(Some(1), Some(65536));

/// `SecretVersionIdType` in the model.
const SECRET_VERSION_ID: StringShape = StringShape::length(Some(32), Some(64));

/// `SecretVersionStageType` in the model.
const SECRET_VERSION_STAGE: StringShape = StringShape::length(Some(1), Some(256));

/// `SecretVersionStagesType` in the model.
const SECRET_VERSION_STAGES: Length = Length::new(Some(1), Some(20));

/// `SortByType` in the model.
const SORT_BY: StringShape = StringShape::one_of(&[
    "created-date",
    "last-accessed-date",
    "last-changed-date",
    "name",
]);

/// `SortOrderType` in the model.
const SORT_ORDER: StringShape = StringShape::one_of(&["asc", "desc"]);

/// `TagKeyType` in the model.
const TAG_KEY: StringShape = StringShape::length(Some(1), Some(128));

/// `TagValueType` in the model.
const TAG_VALUE: StringShape = StringShape::length(Some(0), Some(256));

// ---------------------------------------------------------------------------------------------
// One implementation per request, generated from the model once and kept in model member order.

impl Validate for AssociateCrossAccountReplicaRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("crossAccountReplicaARN", &self.cross_account_replica_arn);
        v.string(
            "crossAccountReplicaARN",
            &self.cross_account_replica_arn,
            &SECRET_ARN,
        );
        v.string(
            "replicaRestriction",
            &self.replica_restriction,
            &REPLICA_RESTRICTION,
        );
        v.string("replicationRoleARN", &self.replication_role_arn, &ROLE_ARN);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for BatchGetSecretValueRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.string_list(
            "secretIdList",
            &self.secret_id_list,
            &SECRET_ID_LIST,
            &SECRET_ID,
        );
        v.structure_list("filters", &self.filters, &FILTERS_LIST);
        v.number("maxResults", self.max_results, &MAX_RESULTS_BATCH);
        v.string("nextToken", &self.next_token, &NEXT_TOKEN);
        v.finish()?;
        batch_get_secret_value_rules(self)
    }
}

impl Validate for CancelRotateSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for CreateSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("name", &self.name);
        v.string("name", &self.name, &NAME);
        v.string(
            "clientRequestToken",
            &self.client_request_token,
            &CLIENT_REQUEST_TOKEN,
        );
        v.string("description", &self.description, &DESCRIPTION);
        v.string("kmsKeyId", &self.kms_key_id, &KMS_KEY_ID);
        v.blob("secretBinary", &self.secret_binary, &SECRET_BINARY);
        v.secret_string("secretString", &self.secret_string, &SECRET_STRING);
        v.structure_list("tags", &self.tags, &UNBOUNDED);
        v.structure_list(
            "addReplicaRegions",
            &self.add_replica_regions,
            &ADD_REPLICA_REGION_LIST,
        );
        v.string("type", &self.r#type, &MEDEA_TYPE);
        v.string(
            "crossAccountPrimaryARN",
            &self.cross_account_primary_arn,
            &SECRET_ARN,
        );
        v.finish()?;
        create_secret_rules(self)
    }
}

impl Validate for DeleteResourcePolicyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string("policyName", &self.policy_name, &RESOURCE_POLICY_NAME);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for DeleteSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.finish()?;
        delete_secret_rules(self)
    }
}

impl Validate for DescribeSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for DisassociateCrossAccountReplicaRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("crossAccountReplicaARN", &self.cross_account_replica_arn);
        v.string(
            "crossAccountReplicaARN",
            &self.cross_account_replica_arn,
            &SECRET_ARN,
        );
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for GetRandomPasswordRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.number("passwordLength", self.password_length, &PASSWORD_LENGTH);
        v.string(
            "excludeCharacters",
            &self.exclude_characters,
            &EXCLUDE_CHARACTERS,
        );
        v.finish()?;
        Ok(())
    }
}

impl Validate for GetResourcePolicyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string("policyName", &self.policy_name, &RESOURCE_POLICY_NAME);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for GetSecretValueRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string("versionId", &self.version_id, &SECRET_VERSION_ID);
        v.string("versionStage", &self.version_stage, &SECRET_VERSION_STAGE);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for ListResourcePoliciesRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.number("maxResults", self.max_results, &MAX_RESULTS);
        v.string("nextToken", &self.next_token, &NEXT_TOKEN);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for ListSecretVersionIdsRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.number("maxResults", self.max_results, &MAX_RESULTS);
        v.string("nextToken", &self.next_token, &NEXT_TOKEN);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for ListSecretsRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.number("maxResults", self.max_results, &MAX_RESULTS);
        v.string("nextToken", &self.next_token, &NEXT_TOKEN);
        v.structure_list("filters", &self.filters, &FILTERS_LIST);
        v.string("sortOrder", &self.sort_order, &SORT_ORDER);
        v.string("sortBy", &self.sort_by, &SORT_BY);
        v.finish()?;
        Ok(())
    }
}

impl Validate for PutResourcePolicyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("resourcePolicy", &self.resource_policy);
        v.string(
            "resourcePolicy",
            &self.resource_policy,
            &NON_EMPTY_RESOURCE_POLICY,
        );
        v.string("policyName", &self.policy_name, &RESOURCE_POLICY_NAME);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for PutSecretValueRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string(
            "clientRequestToken",
            &self.client_request_token,
            &CLIENT_REQUEST_TOKEN,
        );
        v.blob("secretBinary", &self.secret_binary, &SECRET_BINARY);
        v.secret_string("secretString", &self.secret_string, &SECRET_STRING);
        v.string_list(
            "versionStages",
            &self.version_stages,
            &SECRET_VERSION_STAGES,
            &SECRET_VERSION_STAGE,
        );
        v.sensitive_string("rotationToken", &self.rotation_token, &ROTATION_TOKEN);
        v.finish()?;
        put_secret_value_rules(self)
    }
}

impl Validate for RemoveRegionsFromReplicationRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("removeReplicaRegions", &self.remove_replica_regions);
        v.string_list(
            "removeReplicaRegions",
            &self.remove_replica_regions,
            &REMOVE_REPLICA_REGION_LIST,
            &REGION,
        );
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for ReplicateSecretToRegionsRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("addReplicaRegions", &self.add_replica_regions);
        v.structure_list(
            "addReplicaRegions",
            &self.add_replica_regions,
            &ADD_REPLICA_REGION_LIST,
        );
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for RestoreSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for RotateSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string(
            "clientRequestToken",
            &self.client_request_token,
            &CLIENT_REQUEST_TOKEN,
        );
        v.string(
            "rotationLambdaARN",
            &self.rotation_lambda_arn,
            &ROTATION_LAMBDA_ARN,
        );
        v.structure("rotationRules", &self.rotation_rules);
        v.structure_list(
            "externalSecretRotationMetadata",
            &self.external_secret_rotation_metadata,
            &UNBOUNDED,
        );
        v.string(
            "externalSecretRotationRoleArn",
            &self.external_secret_rotation_role_arn,
            &ROLE_ARN,
        );
        v.finish()?;
        rotate_secret_rules(self)
    }
}

impl Validate for StopReplicationToReplicaRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for TagResourceRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("tags", &self.tags);
        v.structure_list("tags", &self.tags, &UNBOUNDED);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for UntagResourceRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("tagKeys", &self.tag_keys);
        v.string_list("tagKeys", &self.tag_keys, &UNBOUNDED, &TAG_KEY);
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for UpdateSecretRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.string(
            "clientRequestToken",
            &self.client_request_token,
            &CLIENT_REQUEST_TOKEN,
        );
        v.string("description", &self.description, &DESCRIPTION);
        v.string("kmsKeyId", &self.kms_key_id, &KMS_KEY_ID);
        v.blob("secretBinary", &self.secret_binary, &SECRET_BINARY);
        v.secret_string("secretString", &self.secret_string, &SECRET_STRING);
        v.string("type", &self.r#type, &MEDEA_TYPE);
        v.finish()?;
        update_secret_rules(self)
    }
}

impl Validate for UpdateSecretVersionStageRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("secretId", &self.secret_id);
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("versionStage", &self.version_stage);
        v.string("versionStage", &self.version_stage, &SECRET_VERSION_STAGE);
        v.string(
            "removeFromVersionId",
            &self.remove_from_version_id,
            &SECRET_VERSION_ID,
        );
        v.string(
            "moveToVersionId",
            &self.move_to_version_id,
            &SECRET_VERSION_ID,
        );
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Validate for ValidateResourcePolicyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.string("secretId", &self.secret_id, &SECRET_ID);
        v.required("resourcePolicy", &self.resource_policy);
        v.string(
            "resourcePolicy",
            &self.resource_policy,
            &NON_EMPTY_RESOURCE_POLICY,
        );
        v.finish()?;
        check_secret_id_characters(self.secret_id.as_deref())
    }
}

impl Check for Tag {
    fn check(&self, v: &mut Violations, path: &str) {
        v.string(&format!("{path}.key"), &self.key, &TAG_KEY);
        v.string(&format!("{path}.value"), &self.value, &TAG_VALUE);
    }
}

impl Check for Filter {
    fn check(&self, v: &mut Violations, path: &str) {
        v.string(&format!("{path}.key"), &self.key, &FILTER_NAME_STRING);
        v.string_list(
            &format!("{path}.values"),
            &self.values,
            &FILTER_VALUES_STRING_LIST,
            &FILTER_VALUE_STRING,
        );
    }
}

impl Check for RotationRules {
    fn check(&self, v: &mut Violations, path: &str) {
        v.number(
            &format!("{path}.automaticallyAfterDays"),
            self.automatically_after_days,
            &AUTOMATICALLY_ROTATE_AFTER_DAYS,
        );
        v.string(&format!("{path}.duration"), &self.duration, &DURATION);
        v.string(
            &format!("{path}.scheduleExpression"),
            &self.schedule_expression,
            &SCHEDULE_EXPRESSION,
        );
    }
}

impl Check for ReplicaRegion {
    fn check(&self, v: &mut Violations, path: &str) {
        v.string(&format!("{path}.region"), &self.region, &REGION);
        v.string(&format!("{path}.kmsKeyId"), &self.kms_key_id, &KMS_KEY_ID);
    }
}

impl Check for ExternalSecretRotationMetadataItem {
    fn check(&self, v: &mut Violations, path: &str) {
        v.string(
            &format!("{path}.key"),
            &self.key,
            &EXTERNAL_SECRET_ROTATION_METADATA_ITEM_KEY,
        );
        v.string(
            &format!("{path}.value"),
            &self.value,
            &EXTERNAL_SECRET_ROTATION_METADATA_ITEM_VALUE,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Stateless rules the service applies itself, after the model's constraints pass.

/// The characters AWS allows in a secret name besides ASCII letters and digits.
const NAME_PUNCTUATION: &[u8] = b"/_+=.@-";

/// Whether every character of a secret name is one AWS allows: ASCII letters, digits, `/_+=.@-`
/// (CreateSecret API reference, `Name`; AWS-BEHAVIOUR.md, Limits).
fn is_valid_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(&b))
}

/// The `ValidationException` AWS answers for a name with a character it does not allow. The
/// message lists `!` although the character is not accepted; it is AWS's text, recorded in
/// AWS-BEHAVIOUR.md.
fn invalid_name() -> ApiError {
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
fn check_secret_id_characters(secret_id: Option<&str>) -> Result<(), ApiError> {
    match secret_id {
        Some(id) if !id.starts_with("arn:") && !is_valid_name(id) => Err(invalid_name()),
        _ => Ok(()),
    }
}

/// `InvalidParameterException` when a request carries both kinds of value (API reference:
/// "either SecretString or SecretBinary, but not both"). The wording is AWS's as the project
/// brief gives it; the Kotlin and Java Secrets Manager mocks that mirror AWS assert the same text.
fn check_one_value_kind(
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
fn check_client_request_token(token: &Option<String>) -> Result<(), ApiError> {
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
fn create_secret_rules(request: &CreateSecretRequest) -> Result<(), ApiError> {
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
fn put_secret_value_rules(request: &PutSecretValueRequest) -> Result<(), ApiError> {
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
fn update_secret_rules(request: &UpdateSecretRequest) -> Result<(), ApiError> {
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
fn delete_secret_rules(request: &DeleteSecretRequest) -> Result<(), ApiError> {
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
fn batch_get_secret_value_rules(request: &BatchGetSecretValueRequest) -> Result<(), ApiError> {
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
fn rotate_secret_rules(request: &RotateSecretRequest) -> Result<(), ApiError> {
    check_secret_id_characters(request.secret_id.as_deref())?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let error =
            parse_request::<ListSecretsRequest>(b"\x0c").expect_err("form feed is not JSON");
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
        let request: GetSecretValueRequest = parse_request(
            br#"{"SecretId": "app", "Unknown": {"deep": [1, 2]}, "VersionId": null}"#,
        )
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
        assert_valid::<ListSecretsRequest>(
            r#"{"SortOrder": "desc", "SortBy": "last-changed-date"}"#,
        );
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
            &format!(
                r#"{{"SecretId": "app", "ClientRequestToken": "{TOKEN}", "SecretString": ""}}"#
            ),
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
        let both = format!(
            r#""SecretString": "s", "SecretBinary": "AAE=", "ClientRequestToken": "{TOKEN}""#
        );
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
        let message =
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.";
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
        assert_valid::<DeleteSecretRequest>(
            r#"{"SecretId": "a", "ForceDeleteWithoutRecovery": true}"#,
        );
    }

    #[test]
    fn batch_get_secret_value_takes_ids_or_filters() {
        let either = "Either 'SecretIdList' or 'Filters' must be provided, but not both.";
        assert_error::<BatchGetSecretValueRequest>(
            "{}",
            ErrorCode::InvalidParameterException,
            either,
        );
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
            r#"{"SecretId": "a", "RotationRules": {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"}}"#,
            ErrorCode::InvalidParameterException,
            "You cannot specify both rotation frequency and schedule expression together.",
        );
        assert_valid::<RotateSecretRequest>(
            r#"{"SecretId": "a", "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}}"#,
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
        assert_valid::<TagResourceRequest>(
            r#"{"SecretId": "a", "Tags": [{"Key": "k", "Value": ""}]}"#,
        );
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
        assert_valid::<RotateSecretRequest>(r#"{"SecretId": "a"}"#);
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
}
