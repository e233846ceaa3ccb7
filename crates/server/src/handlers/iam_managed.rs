//! IAM managed policies and groups: wire request → service call → wire response. Every call
//! is authorized in the service as `iam:<Action>`.

use coffer_core::managed::GroupRecord;
use coffer_core::service::{
    AttachedPolicyInfo, CreatePolicyInput, EntityKind, ListPoliciesInput, PolicyInfo, PolicyScope,
    PolicyVersionInfo, Service,
};
use coffer_core::Error;
use coffer_protocol::iam::{
    self, EntityType, IamAction, ManagedRequest as Rq, ManagedResponse as Rs,
};

use super::iam::{marker_in, page, page_size, tags_of, user, wire_tags};
use crate::auth::Caller;

fn policy(info: &PolicyInfo) -> iam::Policy {
    iam::Policy {
        policy_name: info.name.clone(),
        policy_id: info.id.clone(),
        arn: info.arn.clone(),
        path: info.path.clone(),
        default_version_id: info.default_version.clone(),
        attachment_count: info.attachment_count,
        description: info.description.clone(),
        create_date: info.created,
        update_date: info.updated,
        tags: wire_tags(&info.tags),
    }
}

fn version(info: &PolicyVersionInfo, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: with_document.then(|| info.document.clone()),
        version_id: info.version_id.clone(),
        is_default_version: info.is_default,
        create_date: info.created,
    }
}

fn attached(info: &AttachedPolicyInfo) -> iam::AttachedPolicy {
    iam::AttachedPolicy {
        policy_name: info.name.clone(),
        policy_arn: info.arn.clone(),
    }
}

fn group(record: &GroupRecord) -> iam::Group {
    iam::Group {
        path: record.path.clone(),
        group_name: record.name.clone(),
        group_id: record.id.clone(),
        arn: record.arn(),
        create_date: record.created,
    }
}

fn entity(kind: EntityType) -> EntityKind {
    match kind {
        EntityType::User => EntityKind::User,
        EntityType::Role => EntityKind::Role,
        EntityType::Group => EntityKind::Group,
    }
}

/// Runs one managed-policy or group action.
pub async fn managed_call(service: &Service, caller: &Caller, request: Rq) -> Result<Rs, Error> {
    let action = request.action();
    Ok(match request {
        Rq::CreatePolicy {
            policy_name,
            path,
            policy_document,
            description,
            tags,
        } => {
            let created = service
                .create_policy(
                    caller,
                    CreatePolicyInput {
                        policy_name,
                        path,
                        policy_document,
                        description,
                        tags: tags_of(tags),
                    },
                )
                .await?;
            Rs::Policy(action, policy(&created))
        }
        Rq::GetPolicy { policy_arn } => Rs::Policy(
            action,
            policy(&service.get_policy(caller, &policy_arn).await?),
        ),
        Rq::ListPolicies {
            scope,
            only_attached,
            path_prefix,
            usage,
            paging,
        } => {
            let marker = marker_in(&paging)?;
            // coffer has no permissions boundaries: no policy is used as one.
            if usage.as_deref() == Some("PermissionsBoundary") {
                return Ok(Rs::ListPolicies(iam::Page {
                    items: Vec::new(),
                    marker: None,
                }));
            }
            let input = ListPoliciesInput {
                scope: match scope.as_deref() {
                    Some("AWS") => PolicyScope::Aws,
                    Some("Local") => PolicyScope::Local,
                    _ => PolicyScope::All,
                },
                only_attached,
                path_prefix,
            };
            let found = service
                .list_policies(caller, &input, marker.as_deref(), page_size(&paging))
                .await?;
            Rs::ListPolicies(page(found, policy))
        }
        Rq::DeletePolicy { policy_arn } => {
            service.delete_policy(caller, &policy_arn).await?;
            Rs::Empty(action)
        }
        Rq::CreatePolicyVersion {
            policy_arn,
            policy_document,
            set_as_default,
        } => {
            let created = service
                .create_policy_version(caller, &policy_arn, policy_document, set_as_default)
                .await?;
            Rs::PolicyVersion(action, version(&created, false))
        }
        Rq::PolicyVersion {
            action,
            policy_arn,
            version_id,
        } => match action {
            IamAction::GetPolicyVersion => {
                let found = service
                    .get_policy_version(caller, &policy_arn, &version_id)
                    .await?;
                Rs::PolicyVersion(action, version(&found, true))
            }
            IamAction::DeletePolicyVersion => {
                service
                    .delete_policy_version(caller, &policy_arn, &version_id)
                    .await?;
                Rs::Empty(action)
            }
            _ => {
                service
                    .set_default_policy_version(caller, &policy_arn, &version_id)
                    .await?;
                Rs::Empty(action)
            }
        },
        Rq::ListPolicyVersions { policy_arn, paging } => {
            let marker = marker_in(&paging)?;
            let found = service
                .list_policy_versions(caller, &policy_arn, marker.as_deref(), page_size(&paging))
                .await?;
            Rs::ListPolicyVersions(page(found, |v| version(v, false)))
        }
        Rq::AttachPolicy(r) => {
            service
                .attach_policy(caller, entity(r.entity), &r.name, &r.policy_arn)
                .await?;
            Rs::Empty(action)
        }
        Rq::DetachPolicy(r) => {
            service
                .detach_policy(caller, entity(r.entity), &r.name, &r.policy_arn)
                .await?;
            Rs::Empty(action)
        }
        Rq::ListAttachedPolicies {
            entity: kind,
            name,
            path_prefix,
            paging,
        } => {
            let marker = marker_in(&paging)?;
            let found = service
                .list_attached_policies(
                    caller,
                    entity(kind),
                    &name,
                    path_prefix.as_deref(),
                    marker.as_deref(),
                    page_size(&paging),
                )
                .await?;
            Rs::AttachedPolicies(action, page(found, attached))
        }
        Rq::CreateGroup { group_name, path } => Rs::CreateGroup(group(
            &service
                .create_group(caller, &group_name, path.as_deref())
                .await?,
        )),
        Rq::GetGroup { group_name, paging } => {
            let marker = marker_in(&paging)?;
            let (found, users) = service
                .get_group(caller, &group_name, marker.as_deref(), page_size(&paging))
                .await?;
            // GetGroup lists its users without their tags, as IAM does.
            Rs::GetGroup(
                group(&found),
                page(users, |u| iam::User {
                    tags: Vec::new(),
                    ..user(u)
                }),
            )
        }
        Rq::ListGroups {
            path_prefix,
            paging,
        } => {
            let marker = marker_in(&paging)?;
            let found = service
                .list_groups(
                    caller,
                    path_prefix.as_deref(),
                    marker.as_deref(),
                    page_size(&paging),
                )
                .await?;
            Rs::Groups(action, page(found, group))
        }
        Rq::DeleteGroup { group_name } => {
            service.delete_group(caller, &group_name).await?;
            Rs::Empty(action)
        }
        Rq::Membership {
            action,
            group_name,
            user_name,
        } => {
            if action == IamAction::AddUserToGroup {
                service
                    .add_user_to_group(caller, &group_name, &user_name)
                    .await?;
            } else {
                service
                    .remove_user_from_group(caller, &group_name, &user_name)
                    .await?;
            }
            Rs::Empty(action)
        }
        Rq::ListGroupsForUser { user_name, paging } => {
            let marker = marker_in(&paging)?;
            let found = service
                .list_groups_for_user(caller, &user_name, marker.as_deref(), page_size(&paging))
                .await?;
            Rs::Groups(action, page(found, group))
        }
        Rq::PutGroupPolicy {
            group_name,
            policy_name,
            policy_document,
        } => {
            service
                .put_group_policy(caller, &group_name, &policy_name, &policy_document)
                .await?;
            Rs::Empty(action)
        }
        Rq::GroupPolicy {
            action,
            group_name,
            policy_name,
        } => {
            if action == IamAction::GetGroupPolicy {
                let (name, document) = service
                    .get_group_policy(caller, &group_name, &policy_name)
                    .await?;
                Rs::GetGroupPolicy(name, policy_name, document)
            } else {
                service
                    .delete_group_policy(caller, &group_name, &policy_name)
                    .await?;
                Rs::Empty(action)
            }
        }
        Rq::ListGroupPolicies { group_name, paging } => {
            let marker = marker_in(&paging)?;
            let found = service
                .list_group_policies(caller, &group_name, marker.as_deref(), page_size(&paging))
                .await?;
            Rs::ListGroupPolicies(page(found, Clone::clone))
        }
    })
}
