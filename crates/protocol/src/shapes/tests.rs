//! Round-trip properties of the wire types, and the redaction of secret material in `Debug`.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::*;
use crate::sensitive::{SensitiveBlob, SensitiveString};

/// Serializes a value to JSON and reads it back.
fn round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let json = serde_json::to_vec(value).expect("wire types always serialize");
    serde_json::from_slice(&json).expect("what we serialize we can read")
}

/// Any string, including quotes, escapes and non-ASCII characters.
fn text() -> impl Strategy<Value = Option<String>> {
    option::of(any::<String>())
}

fn secret_string() -> impl Strategy<Value = Option<SensitiveString>> {
    option::of(any::<String>().prop_map(SensitiveString::new))
}

fn secret_binary() -> impl Strategy<Value = Option<SensitiveBlob>> {
    option::of(vec(any::<u8>(), 0..64).prop_map(SensitiveBlob::new))
}

fn strings() -> impl Strategy<Value = Option<Vec<String>>> {
    option::of(vec(any::<String>(), 0..4))
}

/// Epoch seconds with millisecond precision, as AWS sends them. Whole milliseconds keep the
/// decimal form short enough that JSON reads it back exactly.
fn timestamp() -> impl Strategy<Value = Option<f64>> {
    option::of((0i64..4_102_444_800_000).prop_map(|millis| millis as f64 / 1000.0))
}

fn stages_map() -> impl Strategy<Value = Option<BTreeMap<String, Vec<String>>>> {
    option::of(btree_map(any::<String>(), vec(any::<String>(), 0..3), 0..3))
}

fn tags() -> impl Strategy<Value = Option<Vec<Tag>>> {
    option::of(vec(
        (text(), text()).prop_map(|(key, value)| Tag { key, value }),
        0..3,
    ))
}

fn filters() -> impl Strategy<Value = Option<Vec<Filter>>> {
    option::of(vec(
        (text(), strings()).prop_map(|(key, values)| Filter { key, values }),
        0..3,
    ))
}

fn rotation_rules() -> impl Strategy<Value = Option<RotationRules>> {
    option::of((option::of(any::<i64>()), text(), text()).prop_map(
        |(automatically_after_days, duration, schedule_expression)| RotationRules {
            automatically_after_days,
            duration,
            schedule_expression,
        },
    ))
}

fn replication_status() -> impl Strategy<Value = Option<Vec<ReplicationStatus>>> {
    option::of(vec(
        (text(), text(), text(), text(), timestamp()).prop_map(
            |(region, kms_key_id, status, status_message, last_accessed_date)| ReplicationStatus {
                region,
                kms_key_id,
                status,
                status_message,
                last_accessed_date,
            },
        ),
        0..3,
    ))
}

prop_compose! {
    fn create_secret_request()(
        (name, client_request_token, description, kms_key_id) in (text(), text(), text(), text()),
        (secret_binary, secret_string, tags) in (secret_binary(), secret_string(), tags()),
        add_replica_regions in option::of(vec(
            (text(), text()).prop_map(|(region, kms_key_id)| ReplicaRegion { region, kms_key_id }),
            0..3,
        )),
        (force_overwrite_replica_secret, kind, cross_account_primary_arn)
            in (option::of(any::<bool>()), text(), text()),
    ) -> CreateSecretRequest {
        CreateSecretRequest {
            name,
            client_request_token,
            description,
            kms_key_id,
            secret_binary,
            secret_string,
            tags,
            add_replica_regions,
            force_overwrite_replica_secret,
            r#type: kind,
            cross_account_primary_arn,
        }
    }
}

prop_compose! {
    fn get_secret_value_response()(
        (arn, name, version_id) in (text(), text(), text()),
        (secret_binary, secret_string) in (secret_binary(), secret_string()),
        (version_stages, created_date) in (strings(), timestamp()),
    ) -> GetSecretValueResponse {
        GetSecretValueResponse {
            arn,
            name,
            version_id,
            secret_binary,
            secret_string,
            version_stages,
            created_date,
        }
    }
}

prop_compose! {
    fn describe_secret_response()(
        (arn, name, kind, description, kms_key_id) in (text(), text(), text(), text(), text()),
        (rotation_enabled, rotation_lambda_arn, rotation_rules)
            in (option::of(any::<bool>()), text(), rotation_rules()),
        external_secret_rotation_metadata in option::of(vec(
            (text(), text()).prop_map(|(key, value)| ExternalSecretRotationMetadataItem { key, value }),
            0..3,
        )),
        external_secret_rotation_role_arn in text(),
        (last_rotated_date, last_changed_date, last_accessed_date, deleted_date, next_rotation_date)
            in (timestamp(), timestamp(), timestamp(), timestamp(), timestamp()),
        (tags, version_ids_to_stages, owning_service, created_date)
            in (tags(), stages_map(), text(), timestamp()),
        (primary_region, replication_status) in (text(), replication_status()),
        cross_account_primary in option::of((text(), text(), text()).prop_map(
            |(primary_secret_arn, replication_status, status_message)| CrossAccountPrimary {
                primary_secret_arn,
                replication_status,
                status_message,
            },
        )),
        cross_account_replicas in option::of(vec(
            (text(), text(), text(), text()).prop_map(
                |(replica_secret_arn, replication_role_arn, replication_status, status_message)| {
                    CrossAccountReplicaEntry {
                        replica_secret_arn,
                        replication_role_arn,
                        replication_status,
                        status_message,
                    }
                },
            ),
            0..2,
        )),
    ) -> DescribeSecretResponse {
        DescribeSecretResponse {
            arn,
            name,
            r#type: kind,
            description,
            kms_key_id,
            rotation_enabled,
            rotation_lambda_arn,
            rotation_rules,
            external_secret_rotation_metadata,
            external_secret_rotation_role_arn,
            last_rotated_date,
            last_changed_date,
            last_accessed_date,
            deleted_date,
            next_rotation_date,
            tags,
            version_ids_to_stages,
            owning_service,
            created_date,
            primary_region,
            replication_status,
            cross_account_primary,
            cross_account_replicas,
        }
    }
}

prop_compose! {
    fn secret_list_entry()(
        (arn, name, kind, description, kms_key_id) in (text(), text(), text(), text(), text()),
        (rotation_enabled, rotation_lambda_arn, rotation_rules)
            in (option::of(any::<bool>()), text(), rotation_rules()),
        (last_rotated_date, last_changed_date, last_accessed_date, deleted_date, next_rotation_date)
            in (timestamp(), timestamp(), timestamp(), timestamp(), timestamp()),
        (tags, secret_versions_to_stages, owning_service, created_date, primary_region)
            in (tags(), stages_map(), text(), timestamp(), text()),
        external_secret_rotation_role_arn in text(),
    ) -> SecretListEntry {
        SecretListEntry {
            arn,
            name,
            r#type: kind,
            description,
            kms_key_id,
            rotation_enabled,
            rotation_lambda_arn,
            rotation_rules,
            external_secret_rotation_metadata: None,
            external_secret_rotation_role_arn,
            last_rotated_date,
            last_changed_date,
            last_accessed_date,
            deleted_date,
            next_rotation_date,
            tags,
            secret_versions_to_stages,
            owning_service,
            created_date,
            primary_region,
        }
    }
}

prop_compose! {
    fn secret_value_entry()(
        (arn, name, version_id) in (text(), text(), text()),
        (secret_binary, secret_string) in (secret_binary(), secret_string()),
        (version_stages, created_date) in (strings(), timestamp()),
    ) -> SecretValueEntry {
        SecretValueEntry { arn, name, version_id, secret_binary, secret_string, version_stages, created_date }
    }
}

prop_compose! {
    fn secret_versions_list_entry()(
        (version_id, version_stages) in (text(), strings()),
        (last_accessed_date, created_date, kms_key_ids) in (timestamp(), timestamp(), strings()),
    ) -> SecretVersionsListEntry {
        SecretVersionsListEntry { version_id, version_stages, last_accessed_date, created_date, kms_key_ids }
    }
}

proptest! {
    #[test]
    fn create_secret_request_round_trips(request in create_secret_request()) {
        prop_assert_eq!(round_trip(&request), request);
    }

    #[test]
    fn create_secret_response_round_trips(
        (arn, name, version_id) in (text(), text(), text()),
        replication_status in replication_status(),
    ) {
        let response = CreateSecretResponse { arn, name, version_id, replication_status };
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn get_secret_value_round_trips(
        (secret_id, version_id, version_stage) in (text(), text(), text()),
        response in get_secret_value_response(),
    ) {
        let request = GetSecretValueRequest { secret_id, version_id, version_stage };
        prop_assert_eq!(round_trip(&request), request);
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn put_secret_value_round_trips(
        (secret_id, client_request_token) in (text(), text()),
        (secret_binary, secret_string) in (secret_binary(), secret_string()),
        (version_stages, rotation_token) in (strings(), secret_string()),
        (arn, name, version_id, response_stages) in (text(), text(), text(), strings()),
    ) {
        let request = PutSecretValueRequest {
            secret_id, client_request_token, secret_binary, secret_string, version_stages, rotation_token,
        };
        prop_assert_eq!(round_trip(&request), request);
        let response = PutSecretValueResponse { arn, name, version_id, version_stages: response_stages };
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn describe_secret_round_trips(secret_id in text(), response in describe_secret_response()) {
        let request = DescribeSecretRequest { secret_id };
        prop_assert_eq!(round_trip(&request), request);
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn list_secrets_round_trips(
        (include_planned_deletion, max_results, next_token) in (option::of(any::<bool>()), option::of(any::<i64>()), text()),
        (filters, sort_order, sort_by) in (filters(), text(), text()),
        secret_list in option::of(vec(secret_list_entry(), 0..3)),
        response_token in text(),
    ) {
        let request = ListSecretsRequest { include_planned_deletion, max_results, next_token, filters, sort_order, sort_by };
        prop_assert_eq!(round_trip(&request), request);
        let response = ListSecretsResponse { secret_list, next_token: response_token };
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn batch_get_secret_value_round_trips(
        (secret_id_list, filters, max_results, next_token) in (strings(), filters(), option::of(any::<i64>()), text()),
        secret_values in option::of(vec(secret_value_entry(), 0..3)),
        errors in option::of(vec(
            (text(), text(), text()).prop_map(|(secret_id, error_code, message)| ApiErrorType { secret_id, error_code, message }),
            0..3,
        )),
        response_token in text(),
    ) {
        let request = BatchGetSecretValueRequest { secret_id_list, filters, max_results, next_token };
        prop_assert_eq!(round_trip(&request), request);
        let response = BatchGetSecretValueResponse { secret_values, next_token: response_token, errors };
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn list_secret_version_ids_round_trips(
        (secret_id, max_results, next_token, include_deprecated) in (text(), option::of(any::<i64>()), text(), option::of(any::<bool>())),
        versions in option::of(vec(secret_versions_list_entry(), 0..3)),
        (response_token, arn, name) in (text(), text(), text()),
    ) {
        let request = ListSecretVersionIdsRequest { secret_id, max_results, next_token, include_deprecated };
        prop_assert_eq!(round_trip(&request), request);
        let response = ListSecretVersionIdsResponse { versions, next_token: response_token, arn, name };
        prop_assert_eq!(round_trip(&response), response);
    }

    #[test]
    fn update_secret_version_stage_round_trips(
        (secret_id, version_stage, remove_from_version_id, move_to_version_id) in (text(), text(), text(), text()),
        (arn, name) in (text(), text()),
    ) {
        let request = UpdateSecretVersionStageRequest { secret_id, version_stage, remove_from_version_id, move_to_version_id };
        prop_assert_eq!(round_trip(&request), request);
        let response = UpdateSecretVersionStageResponse { arn, name };
        prop_assert_eq!(round_trip(&response), response);
    }
}

#[test]
fn absent_members_are_not_serialized() {
    let json = serde_json::to_string(&DescribeSecretResponse {
        name: Some("app".to_owned()),
        ..Default::default()
    })
    .expect("serializes");
    assert_eq!(json, r#"{"Name":"app"}"#);
    assert_eq!(
        serde_json::to_string(&TagResourceResponse {}).expect("serializes"),
        "{}"
    );
}

#[test]
fn member_names_are_the_models() {
    let response = GetSecretValueResponse {
        arn: Some("arn".to_owned()),
        secret_binary: Some(SensitiveBlob::new(vec![0, 1, 2])),
        created_date: Some(1_700_000_000.5),
        ..Default::default()
    };
    let json = serde_json::to_string(&response).expect("serializes");
    assert_eq!(
        json,
        r#"{"ARN":"arn","SecretBinary":"AAEC","CreatedDate":1700000000.5}"#
    );
    let rotation: RotateSecretRequest =
        serde_json::from_str(r#"{"RotationLambdaARN": "l", "ExternalSecretRotationRoleArn": "r"}"#)
            .expect("parses");
    assert_eq!(rotation.rotation_lambda_arn.as_deref(), Some("l"));
    assert_eq!(
        rotation.external_secret_rotation_role_arn.as_deref(),
        Some("r")
    );
    let create: CreateSecretRequest =
        serde_json::from_str(r#"{"Type": "t", "CrossAccountPrimaryARN": "p"}"#).expect("parses");
    assert_eq!(create.r#type.as_deref(), Some("t"));
    assert_eq!(create.cross_account_primary_arn.as_deref(), Some("p"));
    // Integral timestamps are accepted as well as fractional ones.
    let version: SecretVersionsListEntry =
        serde_json::from_str(r#"{"CreatedDate": 1700000000}"#).expect("parses");
    assert_eq!(version.created_date, Some(1_700_000_000.0));
}

#[test]
fn debug_output_never_shows_secret_material() {
    let secret = "s3cr3t-value";
    let request = CreateSecretRequest {
        name: Some("app".to_owned()),
        secret_string: Some(SensitiveString::new(secret.to_owned())),
        secret_binary: Some(SensitiveBlob::new(secret.as_bytes().to_vec())),
        ..Default::default()
    };
    let put = PutSecretValueRequest {
        secret_string: Some(SensitiveString::new(secret.to_owned())),
        rotation_token: Some(SensitiveString::new(secret.to_owned())),
        ..Default::default()
    };
    let value = GetSecretValueResponse {
        secret_string: Some(SensitiveString::new(secret.to_owned())),
        ..Default::default()
    };
    let batch = BatchGetSecretValueResponse {
        secret_values: Some(vec![SecretValueEntry {
            secret_string: Some(SensitiveString::new(secret.to_owned())),
            secret_binary: Some(SensitiveBlob::new(secret.as_bytes().to_vec())),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let password = GetRandomPasswordResponse {
        random_password: Some(SensitiveString::new(secret.to_owned())),
    };
    for debug in [
        format!("{request:?}"),
        format!("{request:#?}"),
        format!("{put:?}"),
        format!("{value:?}"),
        format!("{batch:?}"),
        format!("{password:?}"),
    ] {
        assert!(!debug.contains(secret), "{debug}");
        assert!(
            !debug.contains("czNjcjN0"),
            "base64 of the secret leaked: {debug}"
        );
        assert!(debug.contains("redacted"), "{debug}");
    }
}
