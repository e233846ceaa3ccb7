//! The IAM subset and STS AssumeRole: wire request → service call → wire response. Every
//! call is authorized in the service as `iam:<Action>` (or `sts:AssumeRole`).

use base64::Engine as _;
use coffer_core::model::{AccessKeyRecord, PrincipalKind, PrincipalRecord};
use coffer_core::service::{
    AssumeRoleInput, CreateRoleInput, IamPage, PrincipalIdentity, Service, MUST_SPECIFY_USER_NAME,
};
use coffer_core::Error;
use coffer_protocol::iam::{self, AccessKeyStatus, IamRequest as Rq, IamResponse as Rs, Tag};
use coffer_protocol::sensitive::SensitiveString;
use coffer_protocol::sts;

use crate::auth::Caller;

pub(super) fn tags_of(tags: Vec<Tag>) -> Vec<(String, String)> {
    tags.into_iter().map(|t| (t.key, t.value)).collect()
}

pub(super) fn wire_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

pub(super) fn user(record: &PrincipalRecord) -> iam::User {
    iam::User {
        path: record.path.clone(),
        user_name: record.name.clone(),
        user_id: record.id.clone(),
        arn: record.arn(),
        create_date: record.created,
        tags: wire_tags(&record.tags),
    }
}

fn role(record: &PrincipalRecord) -> iam::Role {
    iam::Role {
        path: record.path.clone(),
        role_name: record.name.clone(),
        role_id: record.id.clone(),
        arn: record.arn(),
        create_date: record.created,
        assume_role_policy_document: record.trust_policy.clone().unwrap_or_default(),
        description: record.description.clone(),
        max_session_duration: record.max_session_secs.and_then(|n| i32::try_from(n).ok()),
        tags: wire_tags(&record.tags),
        role_last_used: None,
    }
}

fn key_metadata(owner: &str, key: &AccessKeyRecord) -> iam::AccessKeyMetadata {
    iam::AccessKeyMetadata {
        user_name: owner.to_owned(),
        access_key_id: key.access_key_id.clone(),
        status: if key.active {
            AccessKeyStatus::Active
        } else {
            AccessKeyStatus::Inactive
        },
        create_date: key.created,
    }
}

/// A marker is the last item's sort key, base64-encoded so that any name survives the trip.
pub(super) fn marker_in(paging: &iam::Paging) -> Result<Option<String>, Error> {
    paging
        .marker
        .as_deref()
        .map(|m| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| Error::Validation("Invalid Marker.".into()))
        })
        .transpose()
}

pub(super) fn page<T, U>(page: IamPage<T>, map: impl Fn(&T) -> U) -> iam::Page<U> {
    iam::Page {
        items: page.items.iter().map(map).collect(),
        marker: page
            .marker
            .map(|m| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m)),
    }
}

pub(super) fn page_size(paging: &iam::Paging) -> usize {
    usize::try_from(paging.page_size()).unwrap_or(100)
}

/// The name AWS reports for the owner of a key listed without a UserName: the caller's.
fn caller_name(caller: &Caller) -> String {
    match &caller.principal.identity {
        PrincipalIdentity::User { name } => name.clone(),
        _ => caller.principal.account.as_str().to_owned(),
    }
}

/// Runs one IAM action.
pub async fn iam_call(service: &Service, caller: &Caller, request: Rq) -> Result<Rs, Error> {
    use PrincipalKind::{Role, User};
    Ok(match request {
        Rq::CreateUser(r) => Rs::CreateUser(user(
            &service
                .create_user(caller, &r.user_name, r.path.as_deref(), tags_of(r.tags))
                .await?,
        )),
        Rq::GetUser(r) => {
            let name = match (r.user_name, &caller.principal.identity) {
                (Some(name), _) => name,
                (None, PrincipalIdentity::User { name }) => name.clone(),
                (None, PrincipalIdentity::Root) => {
                    // The root user has no IAM user record; AWS describes it like this.
                    return Ok(Rs::GetUser(iam::User {
                        path: "/".into(),
                        user_name: caller.principal.account.as_str().to_owned(),
                        user_id: caller.principal.user_id.clone(),
                        arn: caller.principal.arn.clone(),
                        create_date: chrono::DateTime::UNIX_EPOCH,
                        tags: Vec::new(),
                    }));
                }
                (None, PrincipalIdentity::Session(_)) => {
                    return Err(Error::Validation(MUST_SPECIFY_USER_NAME.to_owned()))
                }
            };
            Rs::GetUser(user(&service.get_principal(caller, User, &name).await?))
        }
        Rq::ListUsers(r) => {
            let marker = marker_in(&r.paging)?;
            let found = service
                .list_principals(
                    caller,
                    User,
                    r.path_prefix.as_deref(),
                    marker.as_deref(),
                    page_size(&r.paging),
                )
                .await?;
            // IAM's listings leave tags out ("does not return … Tags").
            Rs::ListUsers(page(found, |u| iam::User {
                tags: Vec::new(),
                ..user(u)
            }))
        }
        Rq::DeleteUser(r) => {
            service.delete_principal(caller, User, &r.user_name).await?;
            Rs::DeleteUser
        }
        Rq::CreateAccessKey(r) => {
            let (owner, credentials, created) = service
                .create_user_access_key(caller, r.user_name.as_deref())
                .await?;
            Rs::CreateAccessKey(iam::AccessKey {
                user_name: owner.unwrap_or_else(|| caller_name(caller)),
                access_key_id: credentials.access_key_id.clone(),
                status: AccessKeyStatus::Active,
                secret_access_key: SensitiveString::new(
                    credentials.secret_access_key.as_str().to_owned(),
                ),
                create_date: created,
            })
        }
        Rq::ListAccessKeys(r) => {
            let marker = marker_in(&r.paging)?;
            let (owner, keys) = service
                .list_user_access_keys(
                    caller,
                    r.user_name.as_deref(),
                    marker.as_deref(),
                    page_size(&r.paging),
                )
                .await?;
            let owner = owner.unwrap_or_else(|| caller_name(caller));
            Rs::ListAccessKeys(page(keys, |k| key_metadata(&owner, k)))
        }
        Rq::UpdateAccessKey(r) => {
            let active = match r.status {
                AccessKeyStatus::Active => true,
                AccessKeyStatus::Inactive => false,
                AccessKeyStatus::Expired => {
                    return Err(Error::Validation(
                        "1 validation error detected: Value 'Expired' at 'status' failed to satisfy constraint: \
                         Member must satisfy enum value set: [Active, Inactive]"
                            .into(),
                    ))
                }
            };
            service
                .update_access_key(caller, r.user_name.as_deref(), &r.access_key_id, active)
                .await?;
            Rs::UpdateAccessKey
        }
        Rq::DeleteAccessKey(r) => {
            service
                .delete_user_access_key(caller, r.user_name.as_deref(), &r.access_key_id)
                .await?;
            Rs::DeleteAccessKey
        }
        Rq::PutUserPolicy(r) => {
            service
                .put_inline_policy(
                    caller,
                    User,
                    &r.user_name,
                    &r.policy_name,
                    &r.policy_document,
                )
                .await?;
            Rs::PutUserPolicy
        }
        Rq::GetUserPolicy(r) => {
            let (entity, document) = service
                .get_inline_policy(caller, User, &r.user_name, &r.policy_name)
                .await?;
            Rs::GetUserPolicy(iam::InlinePolicy {
                entity_name: entity,
                policy_name: r.policy_name,
                policy_document: document,
            })
        }
        Rq::DeleteUserPolicy(r) => {
            service
                .delete_inline_policy(caller, User, &r.user_name, &r.policy_name)
                .await?;
            Rs::DeleteUserPolicy
        }
        Rq::ListUserPolicies(r) => {
            let marker = marker_in(&r.paging)?;
            let found = service
                .list_inline_policies(
                    caller,
                    User,
                    &r.user_name,
                    marker.as_deref(),
                    page_size(&r.paging),
                )
                .await?;
            Rs::ListUserPolicies(page(found, Clone::clone))
        }
        Rq::CreateRole(r) => Rs::CreateRole(role(
            &service
                .create_role(
                    caller,
                    CreateRoleInput {
                        role_name: r.role_name,
                        path: r.path,
                        assume_role_policy_document: r.assume_role_policy_document,
                        description: r.description,
                        max_session_duration: r
                            .max_session_duration
                            .and_then(|n| u32::try_from(n).ok()),
                        tags: tags_of(r.tags),
                    },
                )
                .await?,
        )),
        Rq::GetRole(r) => Rs::GetRole(role(
            &service.get_principal(caller, Role, &r.role_name).await?,
        )),
        Rq::DeleteRole(r) => {
            service.delete_principal(caller, Role, &r.role_name).await?;
            Rs::DeleteRole
        }
        Rq::ListRoles(r) => {
            let marker = marker_in(&r.paging)?;
            let found = service
                .list_principals(
                    caller,
                    Role,
                    r.path_prefix.as_deref(),
                    marker.as_deref(),
                    page_size(&r.paging),
                )
                .await?;
            Rs::ListRoles(page(found, |r| iam::Role {
                tags: Vec::new(),
                ..role(r)
            }))
        }
        Rq::PutRolePolicy(r) => {
            service
                .put_inline_policy(
                    caller,
                    Role,
                    &r.role_name,
                    &r.policy_name,
                    &r.policy_document,
                )
                .await?;
            Rs::PutRolePolicy
        }
        Rq::GetRolePolicy(r) => {
            let (entity, document) = service
                .get_inline_policy(caller, Role, &r.role_name, &r.policy_name)
                .await?;
            Rs::GetRolePolicy(iam::InlinePolicy {
                entity_name: entity,
                policy_name: r.policy_name,
                policy_document: document,
            })
        }
        Rq::DeleteRolePolicy(r) => {
            service
                .delete_inline_policy(caller, Role, &r.role_name, &r.policy_name)
                .await?;
            Rs::DeleteRolePolicy
        }
        Rq::ListRolePolicies(r) => {
            let marker = marker_in(&r.paging)?;
            let found = service
                .list_inline_policies(
                    caller,
                    Role,
                    &r.role_name,
                    marker.as_deref(),
                    page_size(&r.paging),
                )
                .await?;
            Rs::ListRolePolicies(page(found, Clone::clone))
        }
        Rq::CreateLoginProfile(_)
        | Rq::UpdateLoginProfile(_)
        | Rq::DeleteLoginProfile(_)
        | Rq::GetLoginProfile(_) => {
            return super::login::login_profile_call(service, caller, request).await
        }
        Rq::Managed(r) => Rs::Managed(super::iam_managed::managed_call(service, caller, r).await?),
    })
}

/// STS AssumeRole.
pub async fn assume_role(
    service: &Service,
    caller: &Caller,
    request: sts::AssumeRoleRequest,
) -> Result<sts::AssumeRoleResponse, Error> {
    let assumed = service
        .assume_role(
            caller,
            &caller.principal,
            &AssumeRoleInput {
                role_arn: request.role_arn,
                role_session_name: request.role_session_name,
                duration_seconds: u32::try_from(request.duration_seconds).ok(),
                policy: request.policy.clone(),
                external_id: request.external_id,
                source_identity: request.source_identity.clone(),
                tags: tags_of(request.tags.clone()),
                transitive_tag_keys: request.transitive_tag_keys.clone(),
            },
        )
        .await?;
    Ok(sts::AssumeRoleResponse {
        credentials: sts::Credentials {
            access_key_id: assumed.credentials.access_key_id.clone(),
            secret_access_key: SensitiveString::new(
                assumed.credentials.secret_access_key.as_str().to_owned(),
            ),
            session_token: SensitiveString::new(assumed.session_token.as_str().to_owned()),
            expiration: assumed.expiration,
        },
        assumed_role_user: sts::AssumedRoleUser {
            assumed_role_id: assumed.assumed_role_id,
            arn: assumed.arn,
        },
        // The session policy travels inside the token; report how much of AWS's packed
        // allowance (2,048 bytes) it takes, as STS does.
        packed_policy_size: (request.policy.is_some() || !request.tags.is_empty()).then(|| {
            let size = request.policy.as_ref().map_or(0, String::len)
                + request
                    .tags
                    .iter()
                    .map(|t| t.key.len() + t.value.len())
                    .sum::<usize>();
            u32::try_from(size * 100 / 2048).unwrap_or(100)
        }),
        source_identity: request.source_identity,
    })
}
