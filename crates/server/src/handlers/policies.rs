//! Resource-policy handlers: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
//! ValidateResourcePolicy, ListResourcePolicies. A secret has at most one policy, named
//! `default`, as the model describes; any other PolicyName is refused.

use coffer_core::Error;
use coffer_protocol::shapes::*;

use super::Ctx;

/// The one policy name a secret's policy may have.
const DEFAULT_POLICY: &str = "default";

/// Refuses a PolicyName other than `default`, as the model says AWS does.
fn check_policy_name(name: Option<&str>) -> Result<(), Error> {
    match name {
        None | Some(DEFAULT_POLICY) => Ok(()),
        Some(other) => Err(Error::InvalidParameter(format!(
            "The policy name {other} is not valid. You can only modify the default policy."
        ))),
    }
}

/// PutResourcePolicy.
pub async fn put_resource_policy(
    ctx: &Ctx<'_>,
    request: PutResourcePolicyRequest,
) -> Result<PutResourcePolicyResponse, Error> {
    check_policy_name(request.policy_name.as_deref())?;
    let out = ctx
        .service
        .put_resource_policy(
            ctx.caller,
            request.secret_id.as_deref().unwrap_or_default(),
            request.resource_policy.as_deref().unwrap_or_default(),
            request.block_public_policy.unwrap_or(false),
        )
        .await?;
    Ok(PutResourcePolicyResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        policy_name: Some(DEFAULT_POLICY.to_owned()),
    })
}

/// GetResourcePolicy.
pub async fn get_resource_policy(
    ctx: &Ctx<'_>,
    request: GetResourcePolicyRequest,
) -> Result<GetResourcePolicyResponse, Error> {
    check_policy_name(request.policy_name.as_deref())?;
    let (out, policy) = ctx
        .service
        .get_resource_policy(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    Ok(GetResourcePolicyResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        policy_name: policy.as_ref().map(|_| DEFAULT_POLICY.to_owned()),
        resource_policy: policy,
    })
}

/// DeleteResourcePolicy.
pub async fn delete_resource_policy(
    ctx: &Ctx<'_>,
    request: DeleteResourcePolicyRequest,
) -> Result<DeleteResourcePolicyResponse, Error> {
    check_policy_name(request.policy_name.as_deref())?;
    let out = ctx
        .service
        .delete_resource_policy(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    Ok(DeleteResourcePolicyResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        policy_name: Some(DEFAULT_POLICY.to_owned()),
    })
}

/// ValidateResourcePolicy.
pub async fn validate_resource_policy(
    ctx: &Ctx<'_>,
    request: ValidateResourcePolicyRequest,
) -> Result<ValidateResourcePolicyResponse, Error> {
    let findings = ctx
        .service
        .validate_resource_policy(
            ctx.caller,
            request.secret_id.as_deref(),
            request.resource_policy.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(ValidateResourcePolicyResponse {
        policy_validation_passed: Some(findings.is_empty()),
        validation_errors: Some(
            findings
                .into_iter()
                .map(|f| ValidationErrorsEntry {
                    check_name: Some(f.check_name),
                    error_message: Some(f.error_message),
                })
                .collect(),
        ),
    })
}

/// ListResourcePolicies: `default` when the secret has a policy.
pub async fn list_resource_policies(
    ctx: &Ctx<'_>,
    request: ListResourcePoliciesRequest,
) -> Result<ListResourcePoliciesResponse, Error> {
    let (_, policy) = ctx
        .service
        .list_resource_policies(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    if let Some(token) = request.next_token.as_deref() {
        // One policy at most: there is never a second page to continue from.
        if !token.is_empty() {
            return Err(Error::InvalidNextToken);
        }
    }
    Ok(ListResourcePoliciesResponse {
        resource_policies: Some(
            policy
                .map(|_| ResourcePolicySummary {
                    policy_name: Some(DEFAULT_POLICY.to_owned()),
                })
                .into_iter()
                .collect(),
        ),
        next_token: None,
    })
}
