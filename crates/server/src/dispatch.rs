//! Dispatch: the plain `match` from an [`Operation`] to its handler. Every request is parsed
//! and validated the same way before its handler runs; every response is serialized the same
//! way after.

use std::future::Future;

use bytes::Bytes;

use coffer_protocol::kms::KmsAction;
use coffer_protocol::validate::{parse_request, Validate};
use coffer_protocol::{ApiError, ErrorCode, Operation};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::{to_api_error, to_kms_error};
use crate::handlers::{kms, password, policies, rotation, secrets, unsupported, versions, Ctx};
use crate::secret_buffer::SecretBuffer;

/// Parses and validates a request, runs its handler, serializes its response into a buffer
/// that is zeroed when freed (GetSecretValue's, BatchGetSecretValue's and GetRandomPassword's
/// carry secrets; every operation's goes the same way, which costs one pass over a few KiB).
async fn call<Req, Resp, F, Fut>(
    body: &[u8],
    request_id: &str,
    handler: F,
) -> Result<Bytes, ApiError>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, coffer_core::Error>>,
{
    call_mapped(body, request_id, handler, to_api_error).await
}

/// [`call`] for a KMS action: its internal failures are KMS's `KMSInternalException`.
async fn kms_call<Req, Resp, F, Fut>(
    body: &[u8],
    request_id: &str,
    handler: F,
) -> Result<Bytes, ApiError>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, coffer_core::Error>>,
{
    call_mapped(body, request_id, handler, to_kms_error).await
}

/// [`call`], with the mapping of domain errors given.
async fn call_mapped<Req, Resp, F, Fut>(
    body: &[u8],
    request_id: &str,
    handler: F,
    map: fn(&coffer_core::Error, &str) -> ApiError,
) -> Result<Bytes, ApiError>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, coffer_core::Error>>,
{
    let request: Req = parse_request(body)?;
    request.validate()?;
    let response = handler(request).await.map_err(|e| map(&e, request_id))?;
    let mut buffer = SecretBuffer::with_capacity(RESPONSE_CAPACITY);
    serde_json::to_writer(&mut buffer, &response).map_err(|_| {
        ApiError::new(
            ErrorCode::InternalServiceError,
            "An error occurred on the server side.",
        )
    })?;
    Ok(buffer.into_bytes())
}

/// The first allocation of a response buffer: most responses fit, so most never grow.
const RESPONSE_CAPACITY: usize = 4096;

/// Runs one operation.
pub async fn dispatch(
    operation: Operation,
    ctx: &Ctx<'_>,
    body: &[u8],
    request_id: &str,
) -> Result<Bytes, ApiError> {
    use coffer_protocol::shapes::*;
    use Operation as Op;
    let todo = |op: Operation| async move { Err::<(), _>(unsupported::not_implemented(op)) };
    match operation {
        Op::CreateSecret => call(body, request_id, |r| secrets::create_secret(ctx, r)).await,
        Op::DescribeSecret => call(body, request_id, |r| secrets::describe_secret(ctx, r)).await,
        Op::UpdateSecret => call(body, request_id, |r| secrets::update_secret(ctx, r)).await,
        Op::DeleteSecret => call(body, request_id, |r| secrets::delete_secret(ctx, r)).await,
        Op::RestoreSecret => call(body, request_id, |r| secrets::restore_secret(ctx, r)).await,
        Op::ListSecrets => call(body, request_id, |r| secrets::list_secrets(ctx, r)).await,
        Op::TagResource => call(body, request_id, |r| secrets::tag_resource(ctx, r)).await,
        Op::UntagResource => call(body, request_id, |r| secrets::untag_resource(ctx, r)).await,
        Op::GetSecretValue => call(body, request_id, |r| versions::get_secret_value(ctx, r)).await,
        Op::BatchGetSecretValue => {
            call(body, request_id, |r| {
                versions::batch_get_secret_value(ctx, r)
            })
            .await
        }
        Op::PutSecretValue => call(body, request_id, |r| versions::put_secret_value(ctx, r)).await,
        Op::UpdateSecretVersionStage => {
            call(body, request_id, |r| {
                versions::update_secret_version_stage(ctx, r)
            })
            .await
        }
        Op::ListSecretVersionIds => {
            call(body, request_id, |r| {
                versions::list_secret_version_ids(ctx, r)
            })
            .await
        }
        Op::GetRandomPassword => {
            call(body, request_id, |r| async {
                password::get_random_password(ctx, r)
            })
            .await
        }
        Op::RotateSecret => call(body, request_id, |r| rotation::rotate_secret(ctx, r)).await,
        Op::CancelRotateSecret => {
            call(body, request_id, |r| rotation::cancel_rotate_secret(ctx, r)).await
        }
        Op::PutResourcePolicy => {
            call(body, request_id, |r| policies::put_resource_policy(ctx, r)).await
        }
        Op::GetResourcePolicy => {
            call(body, request_id, |r| policies::get_resource_policy(ctx, r)).await
        }
        Op::DeleteResourcePolicy => {
            call(body, request_id, |r| {
                policies::delete_resource_policy(ctx, r)
            })
            .await
        }
        Op::ValidateResourcePolicy => {
            call(body, request_id, |r| {
                policies::validate_resource_policy(ctx, r)
            })
            .await
        }
        Op::ListResourcePolicies => {
            call(body, request_id, |r| {
                policies::list_resource_policies(ctx, r)
            })
            .await
        }
        Op::ReplicateSecretToRegions => {
            call(body, request_id, |_: ReplicateSecretToRegionsRequest| {
                todo(operation)
            })
            .await
        }
        Op::RemoveRegionsFromReplication => {
            call(
                body,
                request_id,
                |_: RemoveRegionsFromReplicationRequest| todo(operation),
            )
            .await
        }
        Op::StopReplicationToReplica => {
            call(body, request_id, |_: StopReplicationToReplicaRequest| {
                todo(operation)
            })
            .await
        }
        Op::AssociateCrossAccountReplica => {
            call(
                body,
                request_id,
                |_: AssociateCrossAccountReplicaRequest| todo(operation),
            )
            .await
        }
        Op::DisassociateCrossAccountReplica => {
            call(
                body,
                request_id,
                |_: DisassociateCrossAccountReplicaRequest| todo(operation),
            )
            .await
        }
    }
}

/// Runs one KMS action.
pub async fn dispatch_kms(
    action: KmsAction,
    ctx: &Ctx<'_>,
    body: &[u8],
    request_id: &str,
) -> Result<Bytes, ApiError> {
    use coffer_core::service::DataKeyReturn;
    use KmsAction as A;
    match action {
        A::CreateKey => kms_call(body, request_id, |r| kms::create_key(ctx, r)).await,
        A::DescribeKey => kms_call(body, request_id, |r| kms::describe_key(ctx, r)).await,
        A::ListKeys => kms_call(body, request_id, |r| kms::list_keys(ctx, r)).await,
        A::CreateAlias => kms_call(body, request_id, |r| kms::create_alias(ctx, r)).await,
        A::UpdateAlias => kms_call(body, request_id, |r| kms::update_alias(ctx, r)).await,
        A::DeleteAlias => kms_call(body, request_id, |r| kms::delete_alias(ctx, r)).await,
        A::ListAliases => kms_call(body, request_id, |r| kms::list_aliases(ctx, r)).await,
        A::EnableKey => kms_call(body, request_id, |r| kms::set_key_enabled(ctx, r, true)).await,
        A::DisableKey => kms_call(body, request_id, |r| kms::set_key_enabled(ctx, r, false)).await,
        A::ScheduleKeyDeletion => {
            kms_call(body, request_id, |r| kms::schedule_key_deletion(ctx, r)).await
        }
        A::CancelKeyDeletion => {
            kms_call(body, request_id, |r| kms::cancel_key_deletion(ctx, r)).await
        }
        A::RotateKeyOnDemand => {
            kms_call(body, request_id, |r| kms::rotate_key_on_demand(ctx, r)).await
        }
        A::TagResource => kms_call(body, request_id, |r| kms::tag_resource(ctx, r)).await,
        A::UntagResource => kms_call(body, request_id, |r| kms::untag_resource(ctx, r)).await,
        A::ListResourceTags => {
            kms_call(body, request_id, |r| kms::list_resource_tags(ctx, r)).await
        }
        A::GetKeyPolicy => kms_call(body, request_id, |r| kms::get_key_policy(ctx, r)).await,
        A::PutKeyPolicy => kms_call(body, request_id, |r| kms::put_key_policy(ctx, r)).await,
        A::Encrypt => kms_call(body, request_id, |r| kms::encrypt(ctx, r)).await,
        A::Decrypt => kms_call(body, request_id, |r| kms::decrypt(ctx, r)).await,
        A::GenerateDataKey => {
            kms_call(body, request_id, |r| {
                kms::generate_data_key(ctx, r, DataKeyReturn::WithPlaintext)
            })
            .await
        }
        A::GenerateDataKeyWithoutPlaintext => {
            kms_call(body, request_id, |r| {
                kms::generate_data_key(ctx, r, DataKeyReturn::WithoutPlaintext)
            })
            .await
        }
    }
}
