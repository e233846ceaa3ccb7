//! Version-level handlers: GetSecretValue, BatchGetSecretValue, PutSecretValue,
//! UpdateSecretVersionStage, ListSecretVersionIds.

use coffer_core::service::{
    BatchGetInput, GetSecretValueInput, ListSecretVersionIdsInput, PutSecretValueInput,
    SecretValueOutput, UpdateSecretVersionStageInput,
};
use coffer_core::Error;
use coffer_protocol::shapes::*;

use super::{epoch, filters_of, page_size, value_of, wire_value, Ctx};

/// GetSecretValue.
pub async fn get_secret_value(
    ctx: &Ctx<'_>,
    request: GetSecretValueRequest,
) -> Result<GetSecretValueResponse, Error> {
    let out = ctx
        .service
        .get_secret_value(
            ctx.caller,
            &GetSecretValueInput {
                secret_id: request.secret_id.unwrap_or_default(),
                version_id: request.version_id,
                version_stage: request.version_stage,
            },
        )
        .await?;
    let (secret_string, secret_binary) = wire_value(&out.value);
    Ok(GetSecretValueResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: Some(out.version_id),
        secret_binary,
        secret_string,
        version_stages: Some(out.version_stages),
        created_date: Some(epoch(out.created)),
    })
}

fn value_entry(out: &SecretValueOutput) -> SecretValueEntry {
    let (secret_string, secret_binary) = wire_value(&out.value);
    SecretValueEntry {
        arn: Some(out.arn.clone()),
        name: Some(out.name.clone()),
        version_id: Some(out.version_id.clone()),
        secret_binary,
        secret_string,
        version_stages: Some(out.version_stages.clone()),
        created_date: Some(epoch(out.created)),
    }
}

/// BatchGetSecretValue.
pub async fn batch_get_secret_value(
    ctx: &Ctx<'_>,
    request: BatchGetSecretValueRequest,
) -> Result<BatchGetSecretValueResponse, Error> {
    let out = ctx
        .service
        .batch_get_secret_value(
            ctx.caller,
            &BatchGetInput {
                secret_ids: request.secret_id_list.unwrap_or_default(),
                filters: filters_of(request.filters.as_ref())?,
                max_results: page_size(request.max_results),
                next_token: request.next_token,
            },
        )
        .await?;
    let errors = out
        .errors
        .iter()
        .map(|item| {
            // Per-secret errors use the same mapping as whole-call errors.
            let api = crate::errors::to_api_error(&item.error, "batch");
            ApiErrorType {
                secret_id: Some(item.secret_id.clone()),
                error_code: Some(api.code.as_str().to_owned()),
                message: Some(api.message),
            }
        })
        .collect();
    Ok(BatchGetSecretValueResponse {
        secret_values: Some(out.values.iter().map(value_entry).collect()),
        next_token: out.next_token,
        errors: Some(errors),
    })
}

/// PutSecretValue.
pub async fn put_secret_value(
    ctx: &Ctx<'_>,
    request: PutSecretValueRequest,
) -> Result<PutSecretValueResponse, Error> {
    let (out, stages) = ctx
        .service
        .put_secret_value(
            ctx.caller,
            PutSecretValueInput {
                secret_id: request.secret_id.unwrap_or_default(),
                client_request_token: request.client_request_token,
                value: value_of(
                    request.secret_string.as_ref(),
                    request.secret_binary.as_ref(),
                ),
                version_stages: request.version_stages,
                rotation_token: request
                    .rotation_token
                    .as_ref()
                    .map(|t| zeroize::Zeroizing::new(t.expose().to_owned())),
            },
        )
        .await?;
    Ok(PutSecretValueResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: out.version_id,
        version_stages: Some(stages),
    })
}

/// UpdateSecretVersionStage.
pub async fn update_secret_version_stage(
    ctx: &Ctx<'_>,
    request: UpdateSecretVersionStageRequest,
) -> Result<UpdateSecretVersionStageResponse, Error> {
    let out = ctx
        .service
        .update_secret_version_stage(
            ctx.caller,
            &UpdateSecretVersionStageInput {
                secret_id: request.secret_id.unwrap_or_default(),
                version_stage: request.version_stage.unwrap_or_default(),
                move_to_version_id: request.move_to_version_id,
                remove_from_version_id: request.remove_from_version_id,
            },
        )
        .await?;
    Ok(UpdateSecretVersionStageResponse {
        arn: Some(out.arn),
        name: Some(out.name),
    })
}

/// ListSecretVersionIds.
pub async fn list_secret_version_ids(
    ctx: &Ctx<'_>,
    request: ListSecretVersionIdsRequest,
) -> Result<ListSecretVersionIdsResponse, Error> {
    let out = ctx
        .service
        .list_secret_version_ids(
            ctx.caller,
            &ListSecretVersionIdsInput {
                secret_id: request.secret_id.unwrap_or_default(),
                max_results: page_size(request.max_results),
                next_token: request.next_token,
                include_deprecated: request.include_deprecated.unwrap_or(false),
            },
        )
        .await?;
    Ok(ListSecretVersionIdsResponse {
        versions: Some(
            out.versions
                .iter()
                .map(|v| SecretVersionsListEntry {
                    version_id: Some(v.version_id.clone()),
                    // A version without labels (IncludeDeprecated) has no VersionStages key.
                    version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
                    last_accessed_date: v.last_accessed.map(epoch),
                    created_date: Some(epoch(v.created)),
                    // AWS names the default key this way; a customer key by the id it was given.
                    kms_key_ids: Some(vec![v
                        .kms_key_id
                        .clone()
                        .unwrap_or_else(|| "DefaultEncryptionKey".to_owned())]),
                })
                .collect(),
        ),
        next_token: out.next_token,
        arn: Some(out.secret.arn()),
        name: Some(out.secret.name.clone()),
    })
}
