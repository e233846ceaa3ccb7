//! The built-in rotators: the same four steps as a function, run in-process through the
//! service as a trusted caller of the secret's own account (no policy applies, as for the
//! purge job). Every step converges when run twice: createSecret writes the pending value
//! only when the run's version has none, finishSecret moves AWSCURRENT only when it is not
//! there yet.

use coffer_core::model::SecretValue;
use coffer_core::names::{AWSCURRENT, AWSPENDING};
use coffer_core::password::PasswordSpec;
use coffer_core::rotation::Step;
use coffer_core::service::{Claim, PutSecretValueInput, Service, UpdateSecretVersionStageInput};
use coffer_core::Error;
use zeroize::Zeroizing;

use super::functions::Builtin;

/// Runs one step of a built-in rotator; the failure as one line of text.
pub async fn run(
    service: &Service,
    builtin: Builtin,
    claim: &Claim,
    step: Step,
) -> Result<(), String> {
    match builtin {
        Builtin::Random => random(service, claim, step)
            .await
            .map_err(|e| format!("{e}")),
        Builtin::PostgresSingleUser => {
            super::builtin_postgres::run(
                service,
                super::builtin_postgres::Scheme::SingleUser,
                claim,
                step,
            )
            .await
        }
        Builtin::PostgresAlternating => {
            super::builtin_postgres::run(
                service,
                super::builtin_postgres::Scheme::Alternating,
                claim,
                step,
            )
            .await
        }
    }
}

/// The `random` rotator: createSecret draws a password with GetRandomPassword's defaults
/// (32 characters, every type) minus the characters AWS's templates exclude (`:/@"'\`); a
/// current value that is a JSON object with a `password` key keeps every other key.
async fn random(service: &Service, claim: &Claim, step: Step) -> Result<(), Error> {
    let scope = &claim.scope;
    let record = service.describe_secret(scope, &claim.secret_arn).await?;
    if record
        .version(&claim.token)
        .is_some_and(|v| v.has_stage(AWSCURRENT))
    {
        // Already finished (a step run again after a crash).
        return Ok(());
    }
    match step {
        Step::CreateSecret => {
            if record.version(&claim.token).is_some() {
                return Ok(());
            }
            let spec = PasswordSpec {
                exclude_characters: ":/@\"'\\".to_owned(),
                ..PasswordSpec::default()
            };
            let password = coffer_core::password::generate(&spec)?;
            let current = if record.version_with_stage(AWSCURRENT).is_some() {
                Some(
                    service
                        .get_secret_value(
                            scope,
                            &coffer_core::service::GetSecretValueInput {
                                secret_id: claim.secret_arn.clone(),
                                version_id: None,
                                version_stage: Some(AWSCURRENT.to_owned()),
                            },
                        )
                        .await?
                        .value,
                )
            } else {
                None
            };
            let value = new_value(current.as_ref(), &password);
            service
                .put_secret_value(
                    scope,
                    PutSecretValueInput {
                        secret_id: claim.secret_arn.clone(),
                        client_request_token: Some(claim.token.clone()),
                        value: Some(value),
                        version_stages: Some(vec![AWSPENDING.to_owned()]),
                        rotation_token: Some(Zeroizing::new(claim.rotation_token.to_string())),
                    },
                )
                .await?;
            Ok(())
        }
        Step::SetSecret | Step::TestSecret => Ok(()),
        Step::FinishSecret => {
            let current = record
                .version_with_stage(AWSCURRENT)
                .map(|v| v.version_id.clone());
            service
                .update_secret_version_stage(
                    scope,
                    &UpdateSecretVersionStageInput {
                        secret_id: claim.secret_arn.clone(),
                        version_stage: AWSCURRENT.to_owned(),
                        move_to_version_id: Some(claim.token.clone()),
                        remove_from_version_id: current,
                    },
                )
                .await?;
            Ok(())
        }
    }
}

/// The pending value: the current JSON object with `password` replaced, or the password.
fn new_value(current: Option<&SecretValue>, password: &str) -> SecretValue {
    if let Some(SecretValue::String(text)) = current {
        if let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_str::<serde_json::Value>(text)
        {
            if map.contains_key("password") {
                map.insert(
                    "password".to_owned(),
                    serde_json::Value::String(password.to_owned()),
                );
                if let Ok(text) = serde_json::to_string(&map) {
                    // The parsed copy held the old password: it is dropped here; serde_json's
                    // map is not zeroized (docs/rotation.md).
                    return SecretValue::String(Zeroizing::new(text));
                }
            }
        }
    }
    SecretValue::String(Zeroizing::new(password.to_owned()))
}
