//! IAM groups: the group itself, its members, and its inline policies (its attached managed
//! policies are in `managed.rs`). Every call is authorized as `iam:<Action>` on the group's
//! ARN (ListGroupsForUser on the user's).

use super::access::Authority;
use super::iam::{check_policy, page, IamPage};
use super::identity::iam_id;
use super::Service;
use crate::error::{Error, Result};
use crate::managed::{
    GroupRecord, IamLink, IamObject, IamObjectKind, LinkFilter, LinkKind, LinkOutcome, ManagedError,
};
use crate::model::{PrincipalKind, PrincipalRecord};
use crate::policy::PolicyKind;

/// IAM's limit on the total size of a group's inline policies (characters, whitespace not
/// counted).
pub const GROUP_INLINE_POLICY_CHARS: usize = 5120;

/// The most groups a user may be in, as on AWS.
pub const GROUPS_PER_USER: usize = 10;

fn group_arn(account: &crate::names::AccountId, name: &str) -> String {
    format!("arn:aws:iam::{account}:group/{name}")
}

impl Service {
    /// Finds a group, authorizing `action` on it; `GroupNotFound` when absent (after
    /// authorizing on the ARN it would have).
    pub(super) async fn group_find(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        name: &str,
    ) -> Result<GroupRecord> {
        let account = &who.scope().account;
        match self
            .store
            .find_iam_object(account, IamObjectKind::Group, name)
            .await?
        {
            Some(IamObject::Group(group)) => {
                self.iam_authorize(who, action, &group.arn())?;
                Ok(group)
            }
            _ => {
                self.iam_authorize(who, action, &group_arn(account, name))?;
                Err(ManagedError::GroupNotFound(name.to_owned()).into())
            }
        }
    }

    /// CreateGroup.
    pub async fn create_group(
        &self,
        who: &(impl Authority + ?Sized),
        name: &str,
        path: Option<&str>,
    ) -> Result<GroupRecord> {
        let account = who.scope().account.clone();
        let record = GroupRecord {
            account: account.clone(),
            name: name.to_owned(),
            path: path.unwrap_or("/").to_owned(),
            id: iam_id("AGPA")?,
            created: self.now(),
            inline_policies: Vec::new(),
        };
        self.iam_authorize(who, "iam:CreateGroup", &record.arn())?;
        self.store.ensure_account(&account, self.now()).await?;
        if !self
            .store
            .insert_iam_object(&IamObject::Group(record.clone()))
            .await?
        {
            return Err(ManagedError::GroupExists(name.to_owned()).into());
        }
        Ok(record)
    }

    /// The users in a group, by name.
    async fn members(&self, group: &GroupRecord) -> Result<Vec<PrincipalRecord>> {
        let keys: std::collections::HashSet<String> = self
            .store
            .list_iam_links(&group.account, LinkFilter::To(LinkKind::Group, &group.name))
            .await?
            .into_iter()
            .filter(|l| l.source_kind == LinkKind::User)
            .map(|l| l.source)
            .collect();
        Ok(self
            .store
            .list_principals(&group.account, PrincipalKind::User)
            .await?
            .into_iter()
            .filter(|u| keys.contains(&u.name.to_lowercase()))
            .collect())
    }

    /// GetGroup: the group and one page of its users.
    pub async fn get_group(
        &self,
        who: &(impl Authority + ?Sized),
        name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<(GroupRecord, IamPage<PrincipalRecord>)> {
        let group = self.group_find(who, "iam:GetGroup", name).await?;
        let users = self.members(&group).await?;
        let listed = page(users, |u| u.name.to_lowercase(), marker, max_items);
        Ok((group, listed))
    }

    /// ListGroups, optionally under a path prefix.
    pub async fn list_groups(
        &self,
        who: &(impl Authority + ?Sized),
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<GroupRecord>> {
        let account = &who.scope().account;
        self.iam_authorize(
            who,
            "iam:ListGroups",
            &format!("arn:aws:iam::{account}:group/*"),
        )?;
        let prefix = path_prefix.unwrap_or("/");
        let groups: Vec<GroupRecord> = self
            .store
            .list_iam_objects(account, IamObjectKind::Group)
            .await?
            .into_iter()
            .filter_map(|o| match o {
                IamObject::Group(g) if g.path.starts_with(prefix) => Some(g),
                _ => None,
            })
            .collect();
        Ok(page(groups, |g| g.name.to_lowercase(), marker, max_items))
    }

    /// DeleteGroup: refused while it has members, inline policies or attached policies.
    pub async fn delete_group(&self, who: &(impl Authority + ?Sized), name: &str) -> Result<()> {
        let group = self.group_find(who, "iam:DeleteGroup", name).await?;
        let deleted = self
            .store
            .delete_iam_object(
                &group.account,
                IamObjectKind::Group,
                &group.name,
                Box::new(|object, links| {
                    if links.iter().any(|l| l.target_kind == LinkKind::Group) {
                        return Err(ManagedError::MustRemoveUsers.into());
                    }
                    if matches!(object, IamObject::Group(g) if !g.inline_policies.is_empty()) {
                        return Err(Error::MustDeletePolicies);
                    }
                    if links.iter().any(|l| l.source_kind == LinkKind::Group) {
                        return Err(ManagedError::MustDetachPolicies.into());
                    }
                    Ok(())
                }),
            )
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(ManagedError::GroupNotFound(name.to_owned()).into())
        }
    }

    /// AddUserToGroup: adding a member again changes nothing and succeeds.
    pub async fn add_user_to_group(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        user_name: &str,
    ) -> Result<()> {
        let group = self
            .group_find(who, "iam:AddUserToGroup", group_name)
            .await?;
        let account = &group.account;
        let user = self
            .store
            .find_principal(account, PrincipalKind::User, user_name)
            .await?
            .ok_or_else(|| Error::PrincipalNotFound(PrincipalKind::User, user_name.into()))?;
        let groups = self
            .store
            .list_iam_links(account, LinkFilter::From(LinkKind::User, &user.name))
            .await?
            .into_iter()
            .filter(|l| l.target_kind == LinkKind::Group)
            .collect::<Vec<_>>();
        let key = group.name.to_lowercase();
        if !groups.iter().any(|l| l.target == key) && groups.len() >= GROUPS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
            )));
        }
        let link = IamLink::new(
            LinkKind::User,
            &user.name,
            LinkKind::Group,
            &group.name,
            self.now(),
        );
        match self.store.link_iam(account, &link).await? {
            LinkOutcome::Linked | LinkOutcome::AlreadyLinked => Ok(()),
            LinkOutcome::SourceMissing => Err(Error::PrincipalNotFound(
                PrincipalKind::User,
                user_name.into(),
            )),
            LinkOutcome::TargetMissing => {
                Err(ManagedError::GroupNotFound(group_name.into()).into())
            }
        }
    }

    /// RemoveUserFromGroup: a user who is not in the group is NoSuchEntity, as on AWS.
    pub async fn remove_user_from_group(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        user_name: &str,
    ) -> Result<()> {
        let group = self
            .group_find(who, "iam:RemoveUserFromGroup", group_name)
            .await?;
        let link = IamLink::new(
            LinkKind::User,
            user_name,
            LinkKind::Group,
            &group.name,
            self.now(),
        );
        if self.store.unlink_iam(&group.account, &link).await? {
            Ok(())
        } else {
            Err(Error::PrincipalNotFound(
                PrincipalKind::User,
                user_name.into(),
            ))
        }
    }

    /// The groups a user is in, unauthorized: for authorization and ListGroupsForUser.
    pub(super) async fn groups_of(
        &self,
        account: &crate::names::AccountId,
        user_name: &str,
    ) -> Result<Vec<GroupRecord>> {
        let keys: std::collections::HashSet<String> = self
            .store
            .list_iam_links(account, LinkFilter::From(LinkKind::User, user_name))
            .await?
            .into_iter()
            .filter(|l| l.target_kind == LinkKind::Group)
            .map(|l| l.target)
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .list_iam_objects(account, IamObjectKind::Group)
            .await?
            .into_iter()
            .filter_map(|o| match o {
                IamObject::Group(g) if keys.contains(&g.name.to_lowercase()) => Some(g),
                _ => None,
            })
            .collect())
    }

    /// ListGroupsForUser.
    pub async fn list_groups_for_user(
        &self,
        who: &(impl Authority + ?Sized),
        user_name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<GroupRecord>> {
        let user = self
            .iam_find(who, "iam:ListGroupsForUser", PrincipalKind::User, user_name)
            .await?;
        let groups = self.groups_of(&user.account, &user.name).await?;
        Ok(page(groups, |g| g.name.to_lowercase(), marker, max_items))
    }

    /// PutGroupPolicy.
    pub async fn put_group_policy(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        let group = self
            .group_find(who, "iam:PutGroupPolicy", group_name)
            .await?;
        check_policy(document, PolicyKind::Identity)?;
        let (policy_name, document, name) = (
            policy_name.to_owned(),
            document.to_owned(),
            group.name.clone(),
        );
        self.store
            .update_iam_object(
                &group.account,
                IamObjectKind::Group,
                &group.name,
                Box::new(move |object| {
                    let IamObject::Group(g) = object else {
                        return Err(Error::Internal("not a group".into()));
                    };
                    let size = |text: &str| text.chars().filter(|c| !c.is_whitespace()).count();
                    let others: usize = g
                        .inline_policies
                        .iter()
                        .filter(|(n, _)| *n != policy_name)
                        .map(|(_, text)| size(text))
                        .sum();
                    if others + size(&document) > GROUP_INLINE_POLICY_CHARS {
                        return Err(ManagedError::GroupPolicySize(name.clone()).into());
                    }
                    match g
                        .inline_policies
                        .iter_mut()
                        .find(|(n, _)| *n == policy_name)
                    {
                        Some(entry) => entry.1 = document.clone(),
                        None => {
                            g.inline_policies
                                .push((policy_name.clone(), document.clone()));
                            g.inline_policies.sort_by(|a, b| a.0.cmp(&b.0));
                        }
                    }
                    Ok(())
                }),
            )
            .await?
            .ok_or_else(|| ManagedError::GroupNotFound(group_name.to_owned()))?;
        Ok(())
    }

    /// GetGroupPolicy: the group's name as stored, and the document.
    pub async fn get_group_policy(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        policy_name: &str,
    ) -> Result<(String, String)> {
        let group = self
            .group_find(who, "iam:GetGroupPolicy", group_name)
            .await?;
        group
            .inline_policies
            .into_iter()
            .find(|(n, _)| n == policy_name)
            .map(|(_, document)| (group.name.clone(), document))
            .ok_or_else(|| ManagedError::GroupPolicyNotFound(policy_name.to_owned()).into())
    }

    /// DeleteGroupPolicy.
    pub async fn delete_group_policy(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        policy_name: &str,
    ) -> Result<()> {
        let group = self
            .group_find(who, "iam:DeleteGroupPolicy", group_name)
            .await?;
        let wanted = policy_name.to_owned();
        self.store
            .update_iam_object(
                &group.account,
                IamObjectKind::Group,
                &group.name,
                Box::new(move |object| {
                    let IamObject::Group(g) = object else {
                        return Err(Error::Internal("not a group".into()));
                    };
                    let before = g.inline_policies.len();
                    g.inline_policies.retain(|(n, _)| *n != wanted);
                    if g.inline_policies.len() == before {
                        return Err(ManagedError::GroupPolicyNotFound(wanted.clone()).into());
                    }
                    Ok(())
                }),
            )
            .await?
            .ok_or_else(|| ManagedError::GroupNotFound(group_name.to_owned()))?;
        Ok(())
    }

    /// ListGroupPolicies: policy names, in order.
    pub async fn list_group_policies(
        &self,
        who: &(impl Authority + ?Sized),
        group_name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<String>> {
        let group = self
            .group_find(who, "iam:ListGroupPolicies", group_name)
            .await?;
        let names = group.inline_policies.into_iter().map(|(n, _)| n).collect();
        Ok(page(names, Clone::clone, marker, max_items))
    }
}
