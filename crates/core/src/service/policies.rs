//! Resource policies on secrets: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
//! ValidateResourcePolicy. The policy is kept as the user wrote it, beside the secret's
//! metadata, and is evaluated on every request for the secret (see [`super::access`]).

use super::access::{Authority, Target};
use super::{SecretRefOutput, Service};
use crate::error::{Error, Result};
use crate::names::SecretId;
use crate::policy::{self, ConditionKeys, Finding, Policy, PolicyKind};

impl Service {
    /// PutResourcePolicy: attaches `policy`, refusing a malformed one and, with
    /// `block_public`, one that grants broad access.
    pub async fn put_resource_policy(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
        policy: &str,
        block_public: bool,
    ) -> Result<SecretRefOutput> {
        let parsed = Policy::parse_new(policy, PolicyKind::Resource)
            .map_err(|e| Error::MalformedPolicy(e.to_string()))?;
        let request_keys = |keys: &mut ConditionKeys| {
            keys.insert("secretsmanager:BlockPublicPolicy", block_public.to_string());
        };
        let record = self
            .update_authorized(
                who,
                "secretsmanager:PutResourcePolicy",
                &SecretId::parse(secret_id),
                &request_keys,
                &mut |record, _| {
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    if block_public && parsed.grants_public_access() {
                        return Err(Error::PublicPolicy);
                    }
                    record.resource_policy = Some(policy.to_owned());
                    Ok(())
                },
            )
            .await?;
        Ok(SecretRefOutput::of(&record, None))
    }

    /// GetResourcePolicy: the secret and its policy, if it has one.
    pub async fn get_resource_policy(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<(SecretRefOutput, Option<String>)> {
        self.read_resource_policy(who, "secretsmanager:GetResourcePolicy", secret_id)
            .await
    }

    /// ListResourcePolicies: the same facts as GetResourcePolicy, under its own action (the
    /// policy's name is the server's business).
    pub async fn list_resource_policies(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<(SecretRefOutput, Option<String>)> {
        self.read_resource_policy(who, "secretsmanager:ListResourcePolicies", secret_id)
            .await
    }

    async fn read_resource_policy(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        secret_id: &str,
    ) -> Result<(SecretRefOutput, Option<String>)> {
        let record = self
            .find_authorized(who, action, &SecretId::parse(secret_id), &|_| {})
            .await?;
        let policy = record.resource_policy.clone();
        Ok((SecretRefOutput::of(&record, None), policy))
    }

    /// DeleteResourcePolicy: removes the policy (a secret without one is left as it is).
    pub async fn delete_resource_policy(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<SecretRefOutput> {
        let record = self
            .update_authorized(
                who,
                "secretsmanager:DeleteResourcePolicy",
                &SecretId::parse(secret_id),
                &|_| {},
                &mut |record, _| {
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    record.resource_policy = None;
                    Ok(())
                },
            )
            .await?;
        Ok(SecretRefOutput::of(&record, None))
    }

    /// ValidateResourcePolicy: the findings for `policy`, for the named secret if one is
    /// given (which must exist); an empty list means it passed. Public access is reported as
    /// PutResourcePolicy with BlockPublicPolicy would refuse it.
    pub async fn validate_resource_policy(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: Option<&str>,
        policy: &str,
    ) -> Result<Vec<Finding>> {
        const ACTION: &str = "secretsmanager:ValidateResourcePolicy";
        match secret_id {
            Some(id) => {
                self.find_authorized(who, ACTION, &SecretId::parse(id), &|_| {})
                    .await?;
            }
            None => self.authorize(who, ACTION, Target::Any, |_| {})?,
        }
        Ok(policy::validate_resource_policy(policy, true))
    }
}
