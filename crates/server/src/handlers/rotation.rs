//! Rotation handlers: RotateSecret and CancelRotateSecret, and the rotation fields
//! DescribeSecret and ListSecrets show.

use coffer_core::model::SecretRecord;
use coffer_core::names::{Candidate, SecretId};
use coffer_core::rotation::RotationRules as DomainRules;
use coffer_core::service::RotateSecretInput;
use coffer_core::Error;
use coffer_protocol::shapes::{
    CancelRotateSecretRequest, CancelRotateSecretResponse, ExternalSecretRotationMetadataItem,
    RotateSecretRequest, RotateSecretResponse, RotationRules,
};

use super::{epoch, Ctx};

/// RotateSecret: saves the configuration and queues the run in one transaction, then starts
/// the run (to its end first in synchronous mode, in the background otherwise).
pub async fn rotate_secret(
    ctx: &Ctx<'_>,
    request: RotateSecretRequest,
) -> Result<RotateSecretResponse, Error> {
    let input = RotateSecretInput {
        secret_id: request.secret_id.unwrap_or_default(),
        client_request_token: request.client_request_token,
        rotation_lambda_arn: request.rotation_lambda_arn,
        rotation_rules: request.rotation_rules.map(|r| DomainRules {
            automatically_after_days: r.automatically_after_days,
            duration: r.duration,
            schedule_expression: r.schedule_expression,
        }),
        rotate_immediately: request.rotate_immediately,
        external_metadata: request.external_secret_rotation_metadata.map(|items| {
            items
                .into_iter()
                .map(|i| (i.key.unwrap_or_default(), i.value.unwrap_or_default()))
                .collect()
        }),
        external_role_arn: request.external_secret_rotation_role_arn,
    };
    let rotation = ctx.rotation.clone();
    let out = ctx
        .service
        .rotate_secret(ctx.caller, &input, &|arn| rotation.invocable(arn))
        .await?;
    // The run is claimed by exact name and suffix: the secret the call changed.
    if let Some((name, suffix)) = out.arn.rsplit_once(":secret:").and_then(|(_, rest)| {
        rest.rsplit_once('-')
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
    }) {
        let (scope, _) =
            SecretId::parse(&out.arn).resolve(coffer_core::service::Authority::scope(ctx.caller));
        ctx.rotation
            .start(
                scope,
                Candidate {
                    name,
                    suffix: Some(suffix),
                },
            )
            .await;
    }
    Ok(RotateSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: out.version_id,
    })
}

/// CancelRotateSecret.
pub async fn cancel_rotate_secret(
    ctx: &Ctx<'_>,
    request: CancelRotateSecretRequest,
) -> Result<CancelRotateSecretResponse, Error> {
    let out = ctx
        .service
        .cancel_rotate_secret(ctx.caller, request.secret_id.as_deref().unwrap_or_default())
        .await?;
    Ok(CancelRotateSecretResponse {
        arn: Some(out.arn),
        name: Some(out.name),
        version_id: out.version_id,
    })
}

/// The rotation fields of DescribeSecret and of a ListSecrets entry, present exactly when AWS
/// shows them: nothing for a secret never configured; RotationEnabled and the configuration
/// once configured; LastRotatedDate after a success; NextRotationDate while enabled.
pub struct RotationFields {
    /// RotationEnabled.
    pub enabled: Option<bool>,
    /// RotationLambdaARN.
    pub lambda_arn: Option<String>,
    /// RotationRules, as given (with the AutomaticallyAfterDays AWS computes beside a
    /// ScheduleExpression).
    pub rules: Option<RotationRules>,
    /// LastRotatedDate.
    pub last_rotated: Option<f64>,
    /// ExternalSecretRotationMetadata, when some was given.
    pub external_metadata: Option<Vec<ExternalSecretRotationMetadataItem>>,
    /// ExternalSecretRotationRoleArn, when given.
    pub external_role_arn: Option<String>,
    /// NextRotationDate.
    pub next_rotation: Option<f64>,
}

/// The rotation fields of a record.
pub fn rotation_fields(record: &SecretRecord) -> RotationFields {
    let Some(rotation) = &record.rotation else {
        return RotationFields {
            enabled: None,
            lambda_arn: None,
            rules: None,
            last_rotated: None,
            next_rotation: None,
            external_metadata: None,
            external_role_arn: None,
        };
    };
    RotationFields {
        enabled: Some(rotation.enabled),
        lambda_arn: rotation.lambda_arn.clone(),
        rules: rotation.rules.as_ref().map(|r| RotationRules {
            automatically_after_days: r.automatically_after_days.or_else(|| {
                r.schedule_expression
                    .as_ref()
                    .and_then(|_| r.schedule().ok())
                    .and_then(|s| s.computed_days())
            }),
            duration: r.duration.clone(),
            schedule_expression: r.schedule_expression.clone(),
        }),
        last_rotated: rotation.last_rotated.map(epoch),
        next_rotation: rotation.next_rotation_date().map(epoch),
        external_metadata: (!rotation.external_metadata.is_empty()).then(|| {
            rotation
                .external_metadata
                .iter()
                .map(|(k, v)| ExternalSecretRotationMetadataItem {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        }),
        external_role_arn: rotation.external_role_arn.clone(),
    }
}
