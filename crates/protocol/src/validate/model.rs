//! The model's constrained shapes reachable from Secrets Manager requests, one constant per
//! shape of the botocore model (`secretsmanager/2017-10-17`), named after it. The matchers of
//! their `pattern` traits are in `patterns.rs`.

use super::patterns;
use crate::constraint::{Length, NumberShape, Pattern, StringShape};

// ---------------------------------------------------------------------------------------------
// The model's constrained shapes reachable from requests.

/// `AddReplicaRegionListType` in the model.
pub(super) const ADD_REPLICA_REGION_LIST: Length = Length::new(Some(1), None);

/// `AutomaticallyRotateAfterDaysType` in the model.
pub(super) const AUTOMATICALLY_ROTATE_AFTER_DAYS: NumberShape = NumberShape {
    min: Some(1),
    max: Some(1000),
};

/// `ClientRequestTokenType` in the model.
pub(super) const CLIENT_REQUEST_TOKEN: StringShape = StringShape::length(Some(32), Some(64));

/// `DescriptionType` in the model.
pub(super) const DESCRIPTION: StringShape = StringShape::length(None, Some(2048));

/// `DurationType` in the model.
pub(crate) const DURATION: StringShape =
    StringShape::length(Some(2), Some(3)).with_pattern(Pattern {
        source: r"[0-9]+h",
        matches: patterns::is_duration,
    });

/// `ExcludeCharactersType` in the model.
pub(super) const EXCLUDE_CHARACTERS: StringShape = StringShape::length(Some(0), Some(4096));

/// `ExternalSecretRotationMetadataItemKeyType` in the model.
pub(super) const EXTERNAL_SECRET_ROTATION_METADATA_ITEM_KEY: StringShape =
    StringShape::length(Some(1), Some(256));

/// `ExternalSecretRotationMetadataItemValueType` in the model.
pub(super) const EXTERNAL_SECRET_ROTATION_METADATA_ITEM_VALUE: StringShape =
    StringShape::length(Some(1), Some(2048));

/// `FilterNameStringType` in the model.
pub(super) const FILTER_NAME_STRING: StringShape = StringShape::one_of(&[
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
]);

/// `FilterValueStringType` in the model.
pub(crate) const FILTER_VALUE_STRING: StringShape = StringShape::length(None, Some(512))
    .with_pattern(Pattern {
        source: r"^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$",
        matches: patterns::is_filter_value,
    });

/// `FilterValuesStringList` in the model.
pub(super) const FILTER_VALUES_STRING_LIST: Length = Length::new(Some(1), Some(10));

/// `FiltersListType` in the model.
pub(super) const FILTERS_LIST: Length = Length::new(None, Some(10));

/// `KmsKeyIdType` in the model.
pub(super) const KMS_KEY_ID: StringShape = StringShape::length(Some(0), Some(2048));

/// `MaxResultsBatchType` in the model.
pub(super) const MAX_RESULTS_BATCH: NumberShape = NumberShape {
    min: Some(1),
    max: Some(20),
};

/// `MaxResultsType` in the model.
pub(super) const MAX_RESULTS: NumberShape = NumberShape {
    min: Some(1),
    max: Some(100),
};

/// `MedeaTypeType` in the model.
pub(super) const MEDEA_TYPE: StringShape = StringShape::length(Some(0), Some(256));

/// `NameType` in the model.
pub(super) const NAME: StringShape = StringShape::length(Some(1), Some(512));

/// `NextTokenType` in the model.
pub(super) const NEXT_TOKEN: StringShape = StringShape::length(Some(1), Some(4096));

/// `NonEmptyResourcePolicyType` in the model.
pub(super) const NON_EMPTY_RESOURCE_POLICY: StringShape = StringShape::length(Some(1), Some(20480));

/// `PasswordLengthType` in the model.
pub(super) const PASSWORD_LENGTH: NumberShape = NumberShape {
    min: Some(1),
    max: Some(4096),
};

/// `RegionType` in the model.
pub(crate) const REGION: StringShape =
    StringShape::length(Some(1), Some(128)).with_pattern(Pattern {
        source: r"^([a-z]+-)+\d+$",
        matches: patterns::is_region,
    });

/// `RemoveReplicaRegionListType` in the model.
pub(super) const REMOVE_REPLICA_REGION_LIST: Length = Length::new(Some(1), None);

/// `ReplicaRestrictionType` in the model.
pub(super) const REPLICA_RESTRICTION: StringShape =
    StringShape::one_of(&["SameOrg", "NoRestriction"]);

/// `ResourcePolicyNameType` in the model.
pub(crate) const RESOURCE_POLICY_NAME: StringShape = StringShape::length(Some(1), Some(64))
    .with_pattern(Pattern {
        source: r"[0-9A-Za-z\-\_]+",
        matches: patterns::is_policy_name,
    });

/// `RoleARNType` in the model.
pub(super) const ROLE_ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `RotationLambdaARNType` in the model.
pub(super) const ROTATION_LAMBDA_ARN: StringShape = StringShape::length(Some(0), Some(2048));

/// `RotationTokenType` in the model.
pub(crate) const ROTATION_TOKEN: StringShape = StringShape::length(Some(36), Some(256))
    .with_pattern(Pattern {
        source: r"^[a-zA-Z0-9\-]+$",
        matches: patterns::is_rotation_token,
    });

/// `ScheduleExpressionType` in the model.
pub(crate) const SCHEDULE_EXPRESSION: StringShape = StringShape::length(Some(1), Some(256))
    .with_pattern(Pattern {
        source: r"[0-9A-Za-z\(\)#\?\*\-\/, ]+",
        matches: patterns::is_schedule_expression,
    });

/// `SecretARNType` in the model.
pub(super) const SECRET_ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `SecretBinaryType` in the model.
pub(super) const SECRET_BINARY: Length = Length::new(Some(1), Some(65536));

/// `SecretIdListType` in the model.
pub(super) const SECRET_ID_LIST: Length = Length::new(Some(1), Some(20));

/// `SecretIdType` in the model.
pub(super) const SECRET_ID: StringShape = StringShape::length(Some(1), Some(2048));

/// `SecretStringType` in the model.
pub(super) const SECRET_STRING: StringShape = StringShape::length(Some(1), Some(65536));

/// `SecretVersionIdType` in the model.
pub(super) const SECRET_VERSION_ID: StringShape = StringShape::length(Some(32), Some(64));

/// `SecretVersionStageType` in the model.
pub(super) const SECRET_VERSION_STAGE: StringShape = StringShape::length(Some(1), Some(256));

/// `SecretVersionStagesType` in the model.
pub(super) const SECRET_VERSION_STAGES: Length = Length::new(Some(1), Some(20));

/// `SortByType` in the model.
pub(super) const SORT_BY: StringShape = StringShape::one_of(&[
    "created-date",
    "last-accessed-date",
    "last-changed-date",
    "name",
]);

/// `SortOrderType` in the model.
pub(super) const SORT_ORDER: StringShape = StringShape::one_of(&["asc", "desc"]);

/// `TagKeyType` in the model.
pub(super) const TAG_KEY: StringShape = StringShape::length(Some(1), Some(128));

/// `TagValueType` in the model.
pub(super) const TAG_VALUE: StringShape = StringShape::length(Some(0), Some(256));
