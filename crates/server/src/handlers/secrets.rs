//! Secret-level handlers: CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret,
//! RestoreSecret, ListSecrets, TagResource, UntagResource.

use std::collections::BTreeMap;

use coffer_core::model::SecretRecord;
use coffer_core::service::{
    CreateSecretInput, ListSecretsInput, SortBy, SortOrder, UpdateSecretInput,
};
use coffer_core::Error;
use coffer_protocol::shapes::*;

use super::{epoch, filters_of, page_size, tags_of, value_of, wire_tags, Ctx};

/// The labelled versions of a secret, as VersionIdsToStages / SecretVersionsToStages show them:
/// versions without labels are deprecated and not listed.
pub fn versions_to_stages(record: &SecretRecord) -> Option<BTreeMap<String, Vec<String>>> {
    let mut map: BTreeMap<String, Vec<String>> = record
        .versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.version_id.clone(), v.stages.clone()))
        .collect();
    // A rotation's value-less placeholder shows with its label (it has no value, so it is in
    // no other listing).
    if let Some(p) = record
        .rotation
        .as_ref()
        .and_then(|r| r.placeholder.as_ref())
    {
        map.entry(p.version_id.clone())
            .or_insert_with(|| vec![coffer_core::names::AWSPENDING.to_owned()]);
    }
    (!map.is_empty()).then_some(map)
}

/// CreateSecret.
pub async fn create_secret(
    ctx: &Ctx<'_>,
    request: CreateSecretRequest,
) -> Result<CreateSecretResponse, Error> {
    if request
        .add_replica_regions
        .as_ref()
        .is_some_and(|r| !r.is_empty())
    {
        return Err(Error::NotImplemented("Replication (AddReplicaRegions)"));
    }
    let out = ctx
        .service
        .create_secret(
            ctx.caller,
            CreateSecretInput {
                name: request.name.unwrap_or_default(),
                client_request_token: request.client_request_token,
                description: request.description,
                kms_key_id: request.kms_key_id,
                value: value_of(
                    request.secret_string.as_ref(),
                    request.secret_binary.as_ref(),
                ),
                tags: tags_of(request.tags.as_ref()),
            },
        )
        .await?;
    Ok(CreateSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: out.version_id,
        replication_status: None,
    })
}

/// A secret's Description as AWS shows it: an empty one is no Description (the key is absent
/// from DescribeSecret and ListSecrets entries, as when none was ever set).
fn wire_description(record: &SecretRecord) -> Option<String> {
    record.description.clone().filter(|d| !d.is_empty())
}

/// A secret's Tags as AWS shows them: absent on a secret never tagged, `[]` on one whose last
/// tag was removed.
fn wire_secret_tags(record: &SecretRecord) -> Option<Vec<Tag>> {
    (record.tagged || !record.tags.is_empty()).then(|| wire_tags(&record.tags))
}

/// DescribeSecret.
pub async fn describe_secret(
    ctx: &Ctx<'_>,
    request: DescribeSecretRequest,
) -> Result<DescribeSecretResponse, Error> {
    let record = ctx
        .service
        .describe_secret(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    let rotation = super::rotation::rotation_fields(&record);
    Ok(DescribeSecretResponse {
        arn: Some(record.arn()),
        name: Some(record.name.clone()),
        description: wire_description(&record),
        kms_key_id: record.kms_key_id.clone(),
        last_changed_date: Some(epoch(record.last_changed)),
        last_accessed_date: record.last_accessed.map(epoch),
        deleted_date: record.deleted.map(epoch),
        tags: wire_secret_tags(&record),
        version_ids_to_stages: versions_to_stages(&record),
        created_date: Some(epoch(record.created)),
        rotation_enabled: rotation.enabled,
        rotation_lambda_arn: rotation.lambda_arn,
        rotation_rules: rotation.rules,
        last_rotated_date: rotation.last_rotated,
        next_rotation_date: rotation.next_rotation,
        external_secret_rotation_metadata: rotation.external_metadata,
        external_secret_rotation_role_arn: rotation.external_role_arn,
        ..DescribeSecretResponse::default()
    })
}

/// UpdateSecret.
pub async fn update_secret(
    ctx: &Ctx<'_>,
    request: UpdateSecretRequest,
) -> Result<UpdateSecretResponse, Error> {
    let out = ctx
        .service
        .update_secret(
            ctx.caller,
            UpdateSecretInput {
                secret_id: request.secret_id.unwrap_or_default(),
                client_request_token: request.client_request_token,
                description: request.description,
                kms_key_id: request.kms_key_id,
                value: value_of(
                    request.secret_string.as_ref(),
                    request.secret_binary.as_ref(),
                ),
            },
        )
        .await?;
    Ok(UpdateSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: out.version_id,
    })
}

/// DeleteSecret.
pub async fn delete_secret(
    ctx: &Ctx<'_>,
    request: DeleteSecretRequest,
) -> Result<DeleteSecretResponse, Error> {
    let out = ctx
        .service
        .delete_secret(
            ctx.caller,
            request.secret_id.as_deref().unwrap_or_default(),
            request.recovery_window_in_days,
            request.force_delete_without_recovery.unwrap_or(false),
        )
        .await?;
    Ok(DeleteSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        deletion_date: Some(epoch(out.deletion_date)),
    })
}

/// RestoreSecret.
pub async fn restore_secret(
    ctx: &Ctx<'_>,
    request: RestoreSecretRequest,
) -> Result<RestoreSecretResponse, Error> {
    let out = ctx
        .service
        .restore_secret(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    Ok(RestoreSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
    })
}

/// One ListSecrets entry.
fn list_entry(record: &SecretRecord) -> SecretListEntry {
    let rotation = super::rotation::rotation_fields(record);
    SecretListEntry {
        arn: Some(record.arn()),
        name: Some(record.name.clone()),
        description: wire_description(record),
        kms_key_id: record.kms_key_id.clone(),
        last_changed_date: Some(epoch(record.last_changed)),
        last_accessed_date: record.last_accessed.map(epoch),
        deleted_date: record.deleted.map(epoch),
        tags: wire_secret_tags(record),
        secret_versions_to_stages: versions_to_stages(record),
        created_date: Some(epoch(record.created)),
        rotation_enabled: rotation.enabled,
        rotation_lambda_arn: rotation.lambda_arn,
        rotation_rules: rotation.rules,
        last_rotated_date: rotation.last_rotated,
        next_rotation_date: rotation.next_rotation,
        external_secret_rotation_metadata: rotation.external_metadata,
        external_secret_rotation_role_arn: rotation.external_role_arn,
        ..SecretListEntry::default()
    }
}

/// ListSecrets.
pub async fn list_secrets(
    ctx: &Ctx<'_>,
    request: ListSecretsRequest,
) -> Result<ListSecretsResponse, Error> {
    let input = ListSecretsInput {
        include_planned_deletion: request.include_planned_deletion.unwrap_or(false),
        max_results: page_size(request.max_results),
        next_token: request.next_token,
        filters: filters_of(request.filters.as_ref())?,
        sort_by: request
            .sort_by
            .as_deref()
            .and_then(SortBy::parse)
            .unwrap_or_default(),
        sort_order: request
            .sort_order
            .as_deref()
            .and_then(SortOrder::parse)
            .unwrap_or_default(),
    };
    let out = ctx.service.list_secrets(ctx.caller, &input).await?;
    Ok(ListSecretsResponse {
        secret_list: Some(out.secrets.iter().map(list_entry).collect()),
        next_token: out.next_token,
    })
}

/// TagResource.
pub async fn tag_resource(
    ctx: &Ctx<'_>,
    request: TagResourceRequest,
) -> Result<TagResourceResponse, Error> {
    ctx.service
        .tag_resource(
            ctx.caller,
            request.secret_id.as_deref().unwrap_or_default(),
            &tags_of(request.tags.as_ref()),
        )
        .await?;
    Ok(TagResourceResponse {})
}

/// UntagResource.
pub async fn untag_resource(
    ctx: &Ctx<'_>,
    request: UntagResourceRequest,
) -> Result<UntagResourceResponse, Error> {
    ctx.service
        .untag_resource(
            ctx.caller,
            request.secret_id.as_deref().unwrap_or_default(),
            &request.tag_keys.unwrap_or_default(),
        )
        .await?;
    Ok(UntagResourceResponse {})
}
