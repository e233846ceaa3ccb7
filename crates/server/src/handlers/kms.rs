//! The KMS actions (`TrentService.*`): each takes its validated wire request, calls the
//! service, and renders KMS's response. Keys and aliases live in `coffer_core::service::kms`.

use std::collections::BTreeMap;

use coffer_core::kms::{alias_arn, KeyState, KmsAlias, KmsKeyRecord};
use coffer_core::service::{CreateKeyInput, CryptoOutput, DataKeyReturn};
use coffer_core::Error;
use coffer_protocol::kms::*;
use coffer_protocol::sensitive::SensitiveBlob;

use super::{epoch, Ctx};

/// The only encryption algorithm coffer's keys have.
const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// A key's metadata as DescribeKey shows it.
pub fn key_metadata(key: &KmsKeyRecord) -> KeyMetadata {
    let pending = key.state == KeyState::PendingDeletion;
    KeyMetadata {
        aws_account_id: Some(key.scope.account.as_str().to_owned()),
        key_id: Some(key.key_id.clone()),
        arn: Some(key.arn()),
        creation_date: Some(epoch(key.created)),
        enabled: Some(key.state == KeyState::Enabled),
        description: Some(key.description.clone()),
        key_usage: Some("ENCRYPT_DECRYPT".to_owned()),
        key_state: Some(key.state.as_str().to_owned()),
        deletion_date: key.deletion_date.filter(|_| pending).map(epoch),
        origin: Some("AWS_KMS".to_owned()),
        key_manager: Some("CUSTOMER".to_owned()),
        customer_master_key_spec: Some(SYMMETRIC_DEFAULT.to_owned()),
        key_spec: Some(SYMMETRIC_DEFAULT.to_owned()),
        encryption_algorithms: Some(vec![SYMMETRIC_DEFAULT.to_owned()]),
        multi_region: Some(false),
        pending_deletion_window_in_days: key.pending_window_days.filter(|_| pending),
    }
}

fn alias_entry(alias: KmsAlias) -> AliasListEntry {
    AliasListEntry {
        alias_arn: Some(alias_arn(&alias.scope, &alias.name)),
        alias_name: Some(alias.name),
        target_key_id: Some(alias.target_key_id),
        creation_date: Some(epoch(alias.created)),
        last_updated_date: Some(epoch(alias.updated)),
    }
}

fn required(value: Option<&String>) -> &str {
    // Validation has refused a request without its required members.
    value.map_or("", String::as_str)
}

/// An algorithm other than SYMMETRIC_DEFAULT names an asymmetric key's algorithm.
fn check_algorithm(algorithm: Option<&String>) -> Result<(), Error> {
    match algorithm.map(String::as_str) {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(Error::Kms(
            coffer_core::error::KmsErrorKind::InvalidKeyUsage,
            format!("The encryption algorithm {other} is not supported by a symmetric key; use SYMMETRIC_DEFAULT."),
        )),
    }
}

/// `CreateKey`.
pub async fn create_key(ctx: &Ctx<'_>, r: CreateKeyRequest) -> Result<KeyMetadataResponse, Error> {
    let input = CreateKeyInput {
        description: r.description,
        policy: r.policy,
        key_usage: r.key_usage,
        key_spec: r.key_spec.or(r.customer_master_key_spec),
        origin: r.origin,
        key_store: r.custom_key_store_id.is_some() || r.xks_key_id.is_some(),
        multi_region: r.multi_region.unwrap_or(false),
        tags: r
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                (
                    t.tag_key.unwrap_or_default(),
                    t.tag_value.unwrap_or_default(),
                )
            })
            .collect(),
    };
    let key = ctx.service.create_key(ctx.caller, input).await?;
    Ok(KeyMetadataResponse {
        key_metadata: Some(key_metadata(&key)),
    })
}

/// `DescribeKey`.
pub async fn describe_key(ctx: &Ctx<'_>, r: KeyIdRequest) -> Result<KeyMetadataResponse, Error> {
    let key = ctx
        .service
        .describe_key(ctx.caller, required(r.key_id.as_ref()))
        .await?;
    Ok(KeyMetadataResponse {
        key_metadata: Some(key_metadata(&key)),
    })
}

/// `ListKeys`.
pub async fn list_keys(ctx: &Ctx<'_>, r: ListRequest) -> Result<ListKeysResponse, Error> {
    let page = ctx
        .service
        .list_keys(ctx.caller, r.limit, r.marker.as_deref())
        .await?;
    Ok(ListKeysResponse {
        keys: Some(
            page.items
                .iter()
                .map(|key| KeyListEntry {
                    key_id: Some(key.key_id.clone()),
                    key_arn: Some(key.arn()),
                })
                .collect(),
        ),
        truncated: Some(page.next_marker.is_some()),
        next_marker: page.next_marker,
    })
}

/// `CreateAlias`.
pub async fn create_alias(ctx: &Ctx<'_>, r: AliasRequest) -> Result<EmptyResponse, Error> {
    ctx.service
        .create_alias(
            ctx.caller,
            required(r.alias_name.as_ref()),
            required(r.target_key_id.as_ref()),
        )
        .await?;
    Ok(EmptyResponse {})
}

/// `UpdateAlias`.
pub async fn update_alias(ctx: &Ctx<'_>, r: AliasRequest) -> Result<EmptyResponse, Error> {
    ctx.service
        .update_alias(
            ctx.caller,
            required(r.alias_name.as_ref()),
            required(r.target_key_id.as_ref()),
        )
        .await?;
    Ok(EmptyResponse {})
}

/// `DeleteAlias`.
pub async fn delete_alias(ctx: &Ctx<'_>, r: AliasRequest) -> Result<EmptyResponse, Error> {
    ctx.service
        .delete_alias(ctx.caller, required(r.alias_name.as_ref()))
        .await?;
    Ok(EmptyResponse {})
}

/// `ListAliases`.
pub async fn list_aliases(ctx: &Ctx<'_>, r: ListRequest) -> Result<ListAliasesResponse, Error> {
    let page = ctx
        .service
        .list_aliases(
            ctx.caller,
            r.key_id.as_deref(),
            r.limit,
            r.marker.as_deref(),
        )
        .await?;
    Ok(ListAliasesResponse {
        aliases: Some(page.items.into_iter().map(alias_entry).collect()),
        truncated: Some(page.next_marker.is_some()),
        next_marker: page.next_marker,
    })
}

/// `EnableKey` and `DisableKey`.
pub async fn set_key_enabled(
    ctx: &Ctx<'_>,
    r: KeyIdRequest,
    enable: bool,
) -> Result<EmptyResponse, Error> {
    ctx.service
        .set_key_enabled(ctx.caller, required(r.key_id.as_ref()), enable)
        .await?;
    Ok(EmptyResponse {})
}

/// `ScheduleKeyDeletion`.
pub async fn schedule_key_deletion(
    ctx: &Ctx<'_>,
    r: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, Error> {
    let key = ctx
        .service
        .schedule_key_deletion(
            ctx.caller,
            required(r.key_id.as_ref()),
            r.pending_window_in_days,
        )
        .await?;
    Ok(ScheduleKeyDeletionResponse {
        key_id: Some(key.arn()),
        deletion_date: key.deletion_date.map(epoch),
        key_state: Some(key.state.as_str().to_owned()),
        pending_window_in_days: key.pending_window_days,
    })
}

/// `CancelKeyDeletion`.
pub async fn cancel_key_deletion(
    ctx: &Ctx<'_>,
    r: KeyIdRequest,
) -> Result<CancelKeyDeletionResponse, Error> {
    let key = ctx
        .service
        .cancel_key_deletion(ctx.caller, required(r.key_id.as_ref()))
        .await?;
    Ok(CancelKeyDeletionResponse {
        key_id: Some(key.arn()),
    })
}

/// `RotateKeyOnDemand`.
pub async fn rotate_key_on_demand(
    ctx: &Ctx<'_>,
    r: KeyIdRequest,
) -> Result<RotateKeyOnDemandResponse, Error> {
    let key = ctx
        .service
        .rotate_key_on_demand(ctx.caller, required(r.key_id.as_ref()))
        .await?;
    Ok(RotateKeyOnDemandResponse {
        key_id: Some(key.arn()),
    })
}

/// `TagResource`.
pub async fn tag_resource(ctx: &Ctx<'_>, r: TagResourceRequest) -> Result<EmptyResponse, Error> {
    let tags: Vec<(String, String)> = r
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t.tag_key.unwrap_or_default(),
                t.tag_value.unwrap_or_default(),
            )
        })
        .collect();
    ctx.service
        .change_key_tags(ctx.caller, required(r.key_id.as_ref()), &tags, &[])
        .await?;
    Ok(EmptyResponse {})
}

/// `UntagResource`.
pub async fn untag_resource(
    ctx: &Ctx<'_>,
    r: UntagResourceRequest,
) -> Result<EmptyResponse, Error> {
    let remove = r.tag_keys.unwrap_or_default();
    ctx.service
        .change_key_tags(ctx.caller, required(r.key_id.as_ref()), &[], &remove)
        .await?;
    Ok(EmptyResponse {})
}

/// `ListResourceTags`.
pub async fn list_resource_tags(
    ctx: &Ctx<'_>,
    r: ListRequest,
) -> Result<ListResourceTagsResponse, Error> {
    let page = ctx
        .service
        .list_key_tags(
            ctx.caller,
            required(r.key_id.as_ref()),
            r.limit,
            r.marker.as_deref(),
        )
        .await?;
    Ok(ListResourceTagsResponse {
        tags: Some(
            page.items
                .into_iter()
                .map(|(k, v)| KmsTag {
                    tag_key: Some(k),
                    tag_value: Some(v),
                })
                .collect(),
        ),
        truncated: Some(page.next_marker.is_some()),
        next_marker: page.next_marker,
    })
}

/// `GetKeyPolicy`.
pub async fn get_key_policy(
    ctx: &Ctx<'_>,
    r: KeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, Error> {
    let policy = ctx
        .service
        .key_policy(
            ctx.caller,
            required(r.key_id.as_ref()),
            r.policy_name.as_deref(),
            None,
        )
        .await?;
    Ok(GetKeyPolicyResponse {
        policy: Some(policy),
        policy_name: Some("default".to_owned()),
    })
}

/// `PutKeyPolicy`.
pub async fn put_key_policy(ctx: &Ctx<'_>, r: KeyPolicyRequest) -> Result<EmptyResponse, Error> {
    let Some(policy) = r.policy.as_deref() else {
        return Err(Error::Kms(
            coffer_core::error::KmsErrorKind::Validation,
            "1 validation error detected: Value null at 'policy' failed to satisfy constraint: \
             Member must not be null"
                .to_owned(),
        ));
    };
    ctx.service
        .key_policy(
            ctx.caller,
            required(r.key_id.as_ref()),
            r.policy_name.as_deref(),
            Some(policy),
        )
        .await?;
    Ok(EmptyResponse {})
}

fn blob(bytes: Option<Vec<u8>>) -> Option<SensitiveBlob> {
    bytes.map(SensitiveBlob::new)
}

fn plaintext(output: &mut CryptoOutput) -> Option<SensitiveBlob> {
    output
        .plaintext
        .take()
        .map(|p| SensitiveBlob::new(p.to_vec()))
}

/// `Encrypt`.
pub async fn encrypt(ctx: &Ctx<'_>, r: EncryptRequest) -> Result<EncryptResponse, Error> {
    check_algorithm(r.encryption_algorithm.as_ref())?;
    let input = r.plaintext.as_ref().map_or(&[][..], |p| p.expose());
    let output = ctx
        .service
        .kms_encrypt(
            ctx.caller,
            required(r.key_id.as_ref()),
            input,
            &r.encryption_context.unwrap_or_default(),
            r.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(EncryptResponse {
        ciphertext_blob: blob(output.ciphertext),
        key_id: Some(output.key_arn),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
    })
}

/// `Decrypt`.
pub async fn decrypt(ctx: &Ctx<'_>, r: DecryptRequest) -> Result<DecryptResponse, Error> {
    check_algorithm(r.encryption_algorithm.as_ref())?;
    let ciphertext = r.ciphertext_blob.as_ref().map_or(&[][..], |b| b.expose());
    let mut output = ctx
        .service
        .kms_decrypt(
            ctx.caller,
            ciphertext,
            &r.encryption_context.unwrap_or_default(),
            r.key_id.as_deref(),
            r.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(DecryptResponse {
        plaintext: plaintext(&mut output),
        key_id: Some(output.key_arn),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.to_owned()),
    })
}

/// `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext`.
pub async fn generate_data_key(
    ctx: &Ctx<'_>,
    r: GenerateDataKeyRequest,
    returned: DataKeyReturn,
) -> Result<GenerateDataKeyResponse, Error> {
    let context: BTreeMap<String, String> = r.encryption_context.unwrap_or_default();
    let mut output = ctx
        .service
        .generate_data_key(
            ctx.caller,
            required(r.key_id.as_ref()),
            &context,
            r.number_of_bytes,
            r.key_spec.as_deref(),
            returned,
            r.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(GenerateDataKeyResponse {
        plaintext: plaintext(&mut output),
        ciphertext_blob: blob(output.ciphertext),
        key_id: Some(output.key_arn),
    })
}
