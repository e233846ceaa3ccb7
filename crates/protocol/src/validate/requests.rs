//! One [`Validate`] implementation per request, generated from the model once and kept in
//! model member order, and one [`Check`] per structure nested in a request.

use super::model::*;
use super::rules::*;
use super::{Check, Validate};
use crate::constraint::{Violations, UNBOUNDED};
use crate::error::ApiError;
use crate::shapes::*;

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
