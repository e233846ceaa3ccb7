//! The facts about every action coffer answers, declared once.
//!
//! Each API (Secrets Manager's awsJson operations, IAM's and STS's awsQuery actions) is one
//! closed list written with [`actions!`]: one line per action with its name and its facts, from
//! which the macro makes the enum, `ALL`, `name`, `from_name` and the facts' accessors. The
//! server reads the facts (the audit trail's `readOnly` and fail-closed rule, the invalidation
//! of the key caches after an IAM change, the metrics' labels) instead of guessing them from a
//! name, so a new action is one line here and the compiler checks that its facts are given.
//!
//! The facts, after the action's name:
//! - `read` or `write`: whether a call only reads (CloudTrail's `readOnly`). A write's
//!   successful answer waits for its audit event on a fail-closed trail.
//! - `+ secret`: whether a successful response carries secret material (a secret value, a
//!   password, a secret access key); such a response waits for its audit event too.
//!
//! The IAM permission a call needs (`secretsmanager:GetSecretValue`) is the list's service
//! prefix and the action's name.

/// Declares one closed list of actions of one service; see the module documentation.
macro_rules! actions {
    (
        $(#[$meta:meta])*
        pub enum $list:ident in $service:literal {
            $(
                $(#[$doc:meta])*
                $variant:ident: $access:ident $(+ $secret:ident)?,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $list {
            $(
                $(#[$doc])*
                $variant,
            )*
        }

        impl $list {
            /// The service's name: the SigV4 signing name and the prefix of its IAM actions.
            pub const SERVICE: &'static str = $service;

            /// Every action, in declaration order.
            pub const ALL: [$list; [$(stringify!($variant)),*].len()] = [$($list::$variant),*];

            /// The action's name as AWS spells it, e.g. `"GetSecretValue"`.
            pub fn name(self) -> &'static str {
                match self {
                    $($list::$variant => stringify!($variant),)*
                }
            }

            /// The action a bare name (`"GetSecretValue"`) names, if it is one of this list.
            /// Names are case-sensitive, as AWS's are.
            pub fn from_name(name: &str) -> Option<$list> {
                // A few dozen entries: a linear scan is as fast as a map and needs no table.
                Self::ALL.into_iter().find(|action| action.name() == name)
            }

            /// Whether a call only reads (CloudTrail's `readOnly`).
            pub fn read_only(self) -> bool {
                match self {
                    $($list::$variant => $crate::actions::actions!(@read_only $access),)*
                }
            }

            /// Whether a successful response carries secret material.
            pub fn returns_secrets(self) -> bool {
                match self {
                    $($list::$variant => $crate::actions::actions!(@secret $($secret)?),)*
                }
            }

            /// The IAM permission a call needs, e.g. `"secretsmanager:GetSecretValue"`.
            pub fn permission(self) -> &'static str {
                match self {
                    $($list::$variant => concat!($service, ":", stringify!($variant)),)*
                }
            }
        }

        impl std::fmt::Display for $list {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
    // The facts' words: anything else is a compile error.
    (@read_only read) => { true };
    (@read_only write) => { false };
    (@secret) => { false };
    (@secret secret) => { true };
}

pub(crate) use actions;

use crate::iam::IamAction;
use crate::kms::KmsAction;
use crate::operation::Operation;

actions! {
    /// Every STS action coffer answers (awsQuery): the closed list the server matches on.
    pub enum StsAction in "sts" {
        /// `GetCallerIdentity`: who the credentials belong to.
        GetCallerIdentity: read,
        /// `AssumeRole`: temporary credentials for a role.
        AssumeRole: write + secret,
        /// `GetSessionToken`: temporary credentials for the caller itself.
        GetSessionToken: write + secret,
    }
}

/// Any action coffer answers, of any of its services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A Secrets Manager operation (awsJson).
    SecretsManager(Operation),
    /// An IAM action (awsQuery).
    Iam(IamAction),
    /// An STS action (awsQuery).
    Sts(StsAction),
    /// A KMS action (awsJson, `TrentService.*`).
    Kms(KmsAction),
}

impl Action {
    /// The IAM or STS action an awsQuery `Action` value names, if coffer answers it.
    pub fn from_query(name: &str) -> Option<Action> {
        IamAction::from_name(name)
            .map(Action::Iam)
            .or_else(|| StsAction::from_name(name).map(Action::Sts))
    }

    /// The action's name as AWS spells it.
    pub fn name(self) -> &'static str {
        match self {
            Action::SecretsManager(operation) => operation.name(),
            Action::Iam(action) => action.name(),
            Action::Sts(action) => action.name(),
            Action::Kms(action) => action.name(),
        }
    }

    /// The service's name: the SigV4 signing name and the prefix of its IAM actions.
    pub fn service(self) -> &'static str {
        match self {
            Action::SecretsManager(_) => Operation::SERVICE,
            Action::Iam(_) => IamAction::SERVICE,
            Action::Sts(_) => StsAction::SERVICE,
            Action::Kms(_) => KmsAction::SERVICE,
        }
    }

    /// Whether a call only reads (CloudTrail's `readOnly`).
    pub fn read_only(self) -> bool {
        match self {
            Action::SecretsManager(operation) => operation.read_only(),
            Action::Iam(action) => action.read_only(),
            Action::Sts(action) => action.read_only(),
            Action::Kms(action) => action.read_only(),
        }
    }

    /// Whether a successful response carries secret material.
    pub fn returns_secrets(self) -> bool {
        match self {
            Action::SecretsManager(operation) => operation.returns_secrets(),
            Action::Iam(action) => action.returns_secrets(),
            Action::Sts(action) => action.returns_secrets(),
            Action::Kms(action) => action.returns_secrets(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_those_of_the_model() {
        // The calls whose successful answer carries secret material, of every service.
        let secret: Vec<&str> = Operation::ALL
            .into_iter()
            .map(Action::SecretsManager)
            .chain(IamAction::ALL.into_iter().map(Action::Iam))
            .chain(StsAction::ALL.into_iter().map(Action::Sts))
            .filter(|action| action.returns_secrets())
            .map(Action::name)
            .collect();
        assert_eq!(
            secret,
            [
                "BatchGetSecretValue",
                "GetRandomPassword",
                "GetSecretValue",
                "CreateAccessKey",
                "AssumeRole",
                "GetSessionToken"
            ]
        );
        assert_eq!(
            Operation::GetSecretValue.permission(),
            "secretsmanager:GetSecretValue"
        );
        assert_eq!(StsAction::AssumeRole.permission(), "sts:AssumeRole");
        assert!(StsAction::GetCallerIdentity.read_only());
        assert!(!StsAction::AssumeRole.read_only());
        // IAM's reads are exactly its Get and List actions.
        for action in IamAction::ALL {
            let name = action.name();
            assert_eq!(
                action.read_only(),
                name.starts_with("Get") || name.starts_with("List"),
                "{name}"
            );
        }
    }

    #[test]
    fn query_actions_resolve_to_their_service() {
        assert_eq!(
            Action::from_query("AssumeRole"),
            Some(Action::Sts(StsAction::AssumeRole))
        );
        assert_eq!(
            Action::from_query("CreateUser"),
            Some(Action::Iam(IamAction::CreateUser))
        );
        assert_eq!(Action::from_query("GetSecretValue"), None);
        assert_eq!(Action::from_query("assumerole"), None);
        assert_eq!(Action::Iam(IamAction::GetUser).service(), "iam");
    }
}
