//! Who signs requests: the principal an access key or session token belongs to. Authorization
//! (`access`) reads it and credentials (`identity`) make it, so it sits below both.

use chrono::{DateTime, Utc};

use crate::names::AccountId;

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account the principal belongs to.
    pub account: AccountId,
    /// The principal's ARN (`arn:aws:iam::<account>:root`, `…:user/<path><name>`,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`).
    pub arn: String,
    /// STS's UserId for the principal (the account id for a root user, `AIDA…` for a user,
    /// `AROA…:<session>` for a role session).
    pub user_id: String,
    /// What kind of principal it is.
    pub identity: PrincipalIdentity,
    /// Whether it signs with temporary credentials of its own (GetSessionToken's, for an IAM
    /// user or the root user): the same identity and policies, but IAM refuses such a session
    /// (coffer has no MFA) and STS refuses it another GetSessionToken.
    pub own_session: bool,
}

/// The kinds of principal that sign requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalIdentity {
    /// The account's root user.
    Root,
    /// An IAM user.
    User {
        /// The user's name.
        name: String,
    },
    /// A session of an assumed role.
    Session(SessionInfo),
}

/// What a session token says.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The role's name.
    pub role_name: String,
    /// The role's unique id (`AROA…`): a role deleted and created again is another role.
    pub role_id: String,
    /// The RoleSessionName.
    pub session_name: String,
    /// When the credentials expire.
    pub expires: DateTime<Utc>,
    /// The session policy passed to AssumeRole, if any.
    pub session_policy: Option<String>,
    /// Session tags (AssumeRole's `Tags`, and the transitive tags of the session that assumed
    /// the role): `aws:PrincipalTag/<key>`, over the role's own tags of the same key.
    pub tags: Vec<(String, String)>,
    /// The keys of the tags that pass to the sessions this one assumes (role chaining).
    pub transitive_tag_keys: Vec<String>,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("role_name", &self.role_name)
            .field("session_name", &self.session_name)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Principal {
    /// The root user of an account.
    pub fn root(account: AccountId) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.as_str().to_owned(),
            account,
            identity: PrincipalIdentity::Root,
            own_session: false,
        }
    }
}
