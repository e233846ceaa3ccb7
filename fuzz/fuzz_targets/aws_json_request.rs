//! The awsJson 1.1 request layer: the first byte picks one of the 26 operations, the rest is
//! the body, read by `parse_request` and then `Validate`, exactly as the server's dispatch
//! does. Neither may panic, and every refusal must be a client error (HTTP 400) whose JSON body
//! is well formed.
#![no_main]

use coffer_protocol::shapes::*;
use coffer_protocol::validate::{parse_request, Validate};
use coffer_protocol::{ApiError, Operation};
use libfuzzer_sys::fuzz_target;

fn check<T: serde::de::DeserializeOwned + Validate>(body: &[u8]) {
    let outcome = parse_request::<T>(body).and_then(|request| request.validate());
    if let Err(error) = outcome {
        assert_client_error(&error);
    }
}

fn assert_client_error(error: &ApiError) {
    assert_eq!(error.code.http_status(), 400, "{}", error.code.as_str());
    let body = error.to_json();
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    // The X-Amz-Target parser sees the body too, as text.
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = Operation::from_target(text);
    }
    use Operation as Op;
    match Operation::ALL[usize::from(selector) % Operation::ALL.len()] {
        Op::AssociateCrossAccountReplica => check::<AssociateCrossAccountReplicaRequest>(body),
        Op::BatchGetSecretValue => check::<BatchGetSecretValueRequest>(body),
        Op::CancelRotateSecret => check::<CancelRotateSecretRequest>(body),
        Op::CreateSecret => check::<CreateSecretRequest>(body),
        Op::DeleteResourcePolicy => check::<DeleteResourcePolicyRequest>(body),
        Op::DeleteSecret => check::<DeleteSecretRequest>(body),
        Op::DescribeSecret => check::<DescribeSecretRequest>(body),
        Op::DisassociateCrossAccountReplica => {
            check::<DisassociateCrossAccountReplicaRequest>(body)
        }
        Op::GetRandomPassword => check::<GetRandomPasswordRequest>(body),
        Op::GetResourcePolicy => check::<GetResourcePolicyRequest>(body),
        Op::GetSecretValue => check::<GetSecretValueRequest>(body),
        Op::ListResourcePolicies => check::<ListResourcePoliciesRequest>(body),
        Op::ListSecretVersionIds => check::<ListSecretVersionIdsRequest>(body),
        Op::ListSecrets => check::<ListSecretsRequest>(body),
        Op::PutResourcePolicy => check::<PutResourcePolicyRequest>(body),
        Op::PutSecretValue => check::<PutSecretValueRequest>(body),
        Op::RemoveRegionsFromReplication => check::<RemoveRegionsFromReplicationRequest>(body),
        Op::ReplicateSecretToRegions => check::<ReplicateSecretToRegionsRequest>(body),
        Op::RestoreSecret => check::<RestoreSecretRequest>(body),
        Op::RotateSecret => check::<RotateSecretRequest>(body),
        Op::StopReplicationToReplica => check::<StopReplicationToReplicaRequest>(body),
        Op::TagResource => check::<TagResourceRequest>(body),
        Op::UntagResource => check::<UntagResourceRequest>(body),
        Op::UpdateSecret => check::<UpdateSecretRequest>(body),
        Op::UpdateSecretVersionStage => check::<UpdateSecretVersionStageRequest>(body),
        Op::ValidateResourcePolicy => check::<ValidateResourcePolicyRequest>(body),
    }
});
