//! The IAM policy language: parsing policy documents and evaluating requests against identity
//! policies, session policies, resource policies and role trust policies.
//!
//! We write our own evaluator rather than use a crate such as `iam-rs`, for the same reasons
//! we wrote our own SigV4 verifier. Access control is where a near miss is a security bug,
//! so the semantics must be IAM's own: the account-level grant that its administrators must
//! delegate, a role ARN matching that role's sessions, negated operators on a missing key,
//! `ForAllValues` on an empty set, `${*}` as a literal star. Our error texts must be AWS's
//! (`MalformedPolicyDocument` messages, AccessDenied reasons), which no library reproduces.
//! And the core crate takes no new dependencies: the JSON parser here is a few hundred lines,
//! strict, and bounded in depth, so a hostile document cannot exhaust the stack.
//!
//! Start at [`authorize`], which combines the policies that apply to one request the way
//! IAM's "policy evaluation logic" does (explicit deny, then same-account or cross-account
//! rules). [`Policy::parse`] checks a document's grammar; [`Policy::evaluate`] judges one
//! policy alone.

mod condition;
mod document;
mod json;
mod matching;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;

use document::{Effect, Principals, Statement, Version};
use matching::{compile_plain, compile_with_variables, matches, VariableSource};

/// Where a policy document is attached, which decides whether it names principals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (or passed as a session policy): it must not name a
    /// principal, since the principal is whoever it is attached to.
    Identity,
    /// Attached to a resource such as a secret: every statement names its principals with
    /// exactly one of `Principal` / `NotPrincipal`.
    Resource,
    /// A role's trust policy: names principals like a resource policy, and has no `Resource`
    /// (the resource is the role itself).
    Trust,
}

/// A parsed, checked policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

/// Why a policy document was refused. `Display` is the message AWS gives with
/// `MalformedPolicyDocument` (IAM) or `MalformedPolicyDocumentException` (Secrets Manager).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    /// The message, as AWS words it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

/// What one policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A statement allows the request and none denies it.
    Allow,
    /// A statement explicitly denies the request.
    Deny,
    /// No statement applies.
    NotApplicable,
}

/// The request being authorized.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, `service:Action`, e.g. `secretsmanager:GetSecretValue`.
    pub action: &'a str,
    /// The resource's ARN, or `*` for actions without a resource (ListSecrets).
    pub resource: &'a str,
    /// Who is asking.
    pub principal: &'a PrincipalContext,
    /// The 12-digit account that owns the resource.
    pub resource_account: &'a str,
    /// The request context: values for condition keys.
    pub keys: &'a ConditionKeys,
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalContext {
    /// `arn:aws:iam::111122223333:root`, `arn:aws:iam::111122223333:user/path/name` or
    /// `arn:aws:sts::111122223333:assumed-role/RoleName/session`.
    pub arn: String,
    /// The caller's 12-digit account.
    pub account: String,
    /// For an assumed-role session, the role's IAM ARN (`arn:aws:iam::acct:role/path/Name`):
    /// what a `Principal` naming the role matches, and the value of `aws:PrincipalArn`.
    pub role_arn: Option<String>,
    /// Whether the caller is the account's root user.
    pub is_root: bool,
    /// The friendly user name, for `${aws:username}` (absent for roles and root).
    pub user_name: Option<String>,
    /// The unique id (`AIDA…`, or `AROA…:session` for a role session), for `${aws:userid}`.
    pub user_id: String,
}

/// The request context's condition keys and their values. Key names are case-insensitive
/// (IAM treats `aws:SourceIp` and `AWS:sourceip` alike, tag keys included), so they are
/// stored lower-cased; values keep their case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionKeys {
    values: HashMap<String, Vec<String>>,
}

impl ConditionKeys {
    /// Sets a single-valued key, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_lowercase(), vec![value.into()]);
    }

    /// Sets a multivalued key (such as `aws:TagKeys`), replacing any values it had. An empty
    /// list counts as an absent key, as in IAM.
    pub fn insert_all<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values.insert(
            key.to_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
    }

    /// The values of a key, looked up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&key.to_lowercase()).map(Vec::as_slice)
    }
}

/// The identity side of a request.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// The account's root user: implicitly allowed everything (identity side).
    Root,
    /// The identity policies of a user or role: inline and attached, and those of the user's
    /// groups.
    Policies(&'a [Policy]),
}

/// Why [`authorize`] refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial {
    /// Which policy type refused it, and how.
    pub reason: DenialReason,
}

/// The policy type that refused a request, and whether explicitly or by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenialReason {
    /// A Deny in one of the caller's identity policies.
    ExplicitDenyIdentity,
    /// A Deny in the session policy.
    ExplicitDenySession,
    /// A Deny in the resource's policy.
    ExplicitDenyResource,
    /// No identity policy allows the request (and no resource policy grants it directly).
    NoIdentityAllow,
    /// Cross-account: the identity side allows, but the resource's policy does not.
    NoResourceAllow,
    /// The identity policies allow, but the session policy does not.
    NoSessionAllow,
}

impl Denial {
    /// AWS's AccessDenied message: `User: <arn> is not authorized to perform: <action> on
    /// resource: <resource> because no identity-based policy allows the <action> action`, or
    /// `... with an explicit deny in a resource-based policy`, and so on. When the resource
    /// is `*` (an action without a resource) the `on resource:` part is left out, as AWS does.
    pub fn message(&self, request: &Request<'_>) -> String {
        let action = request.action;
        let mut message = format!(
            "User: {} is not authorized to perform: {action}",
            request.principal.arn
        );
        if request.resource != "*" {
            message.push_str(" on resource: ");
            message.push_str(request.resource);
        }
        let context = match self.reason {
            DenialReason::ExplicitDenyIdentity => {
                " with an explicit deny in an identity-based policy".to_owned()
            }
            DenialReason::ExplicitDenySession => {
                " with an explicit deny in a session policy".to_owned()
            }
            DenialReason::ExplicitDenyResource => {
                " with an explicit deny in a resource-based policy".to_owned()
            }
            DenialReason::NoIdentityAllow => {
                format!(" because no identity-based policy allows the {action} action")
            }
            DenialReason::NoResourceAllow => {
                format!(" because no resource-based policy allows the {action} action")
            }
            DenialReason::NoSessionAllow => {
                format!(" because no session policy allows the {action} action")
            }
        };
        message.push_str(&context);
        message
    }
}

/// One entry of ValidateResourcePolicy's `ValidationErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which check failed.
    pub check_name: String,
    /// What is wrong.
    pub error_message: String,
}

/// How an Allow statement reached the caller; decides which rule of [`authorize`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// The statement names the caller's account (`111122223333` or `:root`): a grant to the
    /// account, which must delegate it through identity policies.
    Account,
    /// The statement names the caller's user or role ARN. For a role session, such a grant
    /// is added to the role's permissions before the session exists, so a session policy
    /// still limits it.
    Principal,
    /// The statement names the session itself (its ARN), everyone (`*`), or everyone but
    /// others (`NotPrincipal`); identity statements are of this kind too.
    Direct,
}

/// What one policy's statements say, before combining.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    deny: bool,
    allow: Option<Grant>,
}

impl Outcome {
    fn decision(self) -> Decision {
        match (self.deny, self.allow) {
            (true, _) => Decision::Deny,
            (false, Some(_)) => Decision::Allow,
            (false, None) => Decision::NotApplicable,
        }
    }
}

/// Condition keys coffer can never know: AWS Organizations (coffer has none) and VPCs (coffer
/// sees no VPC endpoints). A condition on one of them would be silently false (or, negated,
/// silently true) on every request, so a policy that uses one is refused when it is put
/// ([`Policy::check_known_keys`]) rather than evaluated wrongly. Compared ignoring case, as
/// condition keys are.
pub const UNKNOWABLE_CONDITION_KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalOrgMasterAccountId",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceVpcArn",
    "aws:VpcSourceIp",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
];

impl Policy {
    /// Parses a policy document and checks it against the grammar for its kind.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        document::parse(text, kind)
    }

    /// Parses a policy being put (PutUserPolicy, CreatePolicy, PutResourcePolicy, a session
    /// policy, …): the grammar, then [`Policy::check_known_keys`]. Stored policies are read
    /// back with [`Policy::parse`] alone.
    pub fn parse_new(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let policy = document::parse(text, kind)?;
        policy.check_known_keys()?;
        Ok(policy)
    }

    /// Refuses a policy whose conditions use a key coffer can never know
    /// ([`UNKNOWABLE_CONDITION_KEYS`]), naming the key.
    pub fn check_known_keys(&self) -> Result<(), PolicyError> {
        for statement in &self.statements {
            for clause in &statement.conditions {
                if let Some(key) = UNKNOWABLE_CONDITION_KEYS
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(&clause.key))
                {
                    return Err(PolicyError {
                        message: format!(
                            "The condition key {key} is not supported by coffer: it has no AWS \
                             Organizations or VPCs, so the condition could never be evaluated. \
                             Remove the condition or use a key coffer supports."
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The kind this policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The document's `Id`, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// What this policy alone says about the request: Deny if any applicable statement
    /// denies, else Allow if any allows, else NotApplicable.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        self.outcome(request).decision()
    }

    fn outcome(&self, request: &Request<'_>) -> Outcome {
        let source = VariableSource {
            principal: request.principal,
            keys: request.keys,
        };
        // Variables are expanded only under the 2012-10-17 language; before it, `${...}` is
        // literal text.
        let variables = (self.version == Version::V2012).then_some(&source);
        let mut outcome = Outcome::default();
        for statement in &self.statements {
            let Some(grant) = statement_applies(statement, request, variables) else {
                continue;
            };
            match statement.effect {
                Effect::Deny => outcome.deny = true,
                Effect::Allow => outcome.allow = outcome.allow.max(Some(grant)),
            }
        }
        outcome
    }

    /// Whether this (resource) policy grants access to the public: an Allow whose principal
    /// is `"*"` / `{"AWS":"*"}` (or a NotPrincipal Allow) with no condition that pins the
    /// caller to accounts, principals, organizations or VPCs.
    pub fn grants_public_access(&self) -> bool {
        self.statements.iter().any(|statement| {
            let Some(principals) = &statement.principals else {
                return false;
            };
            let broad = principals.negated || principals.names_everyone();
            statement.effect == Effect::Allow
                && broad
                && !statement.conditions.iter().any(pins_caller)
        })
    }

    /// Whether some unconditional Deny applies to everyone for the actions that manage this
    /// very policy, so that nobody could change or remove it afterwards.
    fn locks_out_everyone(&self) -> bool {
        self.statements.iter().any(|statement| {
            let Some(principals) = &statement.principals else {
                return false;
            };
            let everyone = (!principals.negated && principals.names_everyone())
                || (principals.negated
                    && principals.aws.is_empty()
                    && !principals.names_everyone());
            let covers = |action: &str| {
                let hit = statement
                    .actions
                    .patterns
                    .iter()
                    .any(|p| matches(p, action, true));
                hit != statement.actions.negated
            };
            let all_resources = statement
                .resources
                .as_ref()
                .is_some_and(|r| !r.negated && r.patterns.iter().any(|p| p == "*"));
            statement.effect == Effect::Deny
                && everyone
                && statement.conditions.is_empty()
                && all_resources
                && covers("secretsmanager:PutResourcePolicy")
                && covers("secretsmanager:DeleteResourcePolicy")
        })
    }
}

/// The condition keys that, compared for equality with a fixed value, restrict a statement
/// to known callers (the list AWS's public-access analysis uses for resource policies).
const PINNING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:username",
];

fn pins_caller(clause: &condition::Clause) -> bool {
    use condition::{Family, SetOperator};
    let op = clause.operator;
    let positive_family = matches!(
        op.family,
        Family::StringEquals
            | Family::StringEqualsIgnoreCase
            | Family::StringLike
            | Family::ArnEquals
            | Family::ArnLike
    );
    // IfExists and ForAllValues both pass when the key is missing, so they pin nothing.
    let binding = !op.negated && !op.if_exists && op.set != Some(SetOperator::ForAllValues);
    // Values are ORed, so one wildcard or variable among them lets anyone in; AWS counts only
    // fixed values (no wildcard, no policy variable) as restricting.
    let fixed = clause
        .values
        .iter()
        .all(|v| !v.is_empty() && !v.contains(['*', '?']) && !v.contains("${"));
    positive_family
        && binding
        && fixed
        && PINNING_KEYS.contains(&clause.key.to_ascii_lowercase().as_str())
}

/// Whether a statement applies to the request, and if so how it reached the principal.
fn statement_applies(
    statement: &Statement,
    request: &Request<'_>,
    variables: Option<&VariableSource<'_>>,
) -> Option<Grant> {
    let action_hit = statement
        .actions
        .patterns
        .iter()
        .any(|p| matches(p, request.action, true));
    if action_hit == statement.actions.negated {
        return None;
    }
    if let Some(resources) = &statement.resources {
        let resource_hit = resources.patterns.iter().any(|pattern| {
            let tokens = match variables {
                Some(source) => compile_with_variables(pattern, source, true),
                None => Some(compile_plain(pattern)),
            };
            // An unresolvable variable makes this resource entry match nothing.
            tokens.is_some_and(|t| matches(&t, request.resource, false))
        });
        if resource_hit == resources.negated {
            return None;
        }
    }
    let grant = match &statement.principals {
        None => Grant::Direct,
        Some(principals) => principal_grant(principals, request.principal)?,
    };
    let conditions_hold = statement
        .conditions
        .iter()
        .all(|clause| clause.evaluate(request.keys, variables));
    conditions_hold.then_some(grant)
}

/// How a Principal / NotPrincipal element reaches the caller, if at all.
fn principal_grant(principals: &Principals, who: &PrincipalContext) -> Option<Grant> {
    let best = principals
        .aws
        .iter()
        .filter_map(|entry| aws_principal_match(entry, who))
        .max();
    let best = if principals.everyone {
        Some(Grant::Direct)
    } else {
        best
    };
    // Service, Federated and CanonicalUser principals never match an IAM caller, so they add
    // nothing here; under NotPrincipal they exclude no one.
    if principals.negated {
        // NotPrincipal applies to everyone not listed; being listed at any level (the
        // account included) excludes the caller.
        return match best {
            Some(_) => None,
            None => Some(Grant::Direct),
        };
    }
    best
}

fn aws_principal_match(entry: &str, who: &PrincipalContext) -> Option<Grant> {
    if entry == "*" {
        return Some(Grant::Direct);
    }
    let account_root = format!("arn:aws:iam::{}:root", who.account);
    if entry == who.account || entry == account_root || is_root_arn_of(entry, &who.account) {
        // The root user is the account, so a grant to the account is a grant to it.
        return Some(if who.is_root {
            Grant::Direct
        } else {
            Grant::Account
        });
    }
    if entry == who.arn {
        // A user ARN names the user; a session ARN names this very session.
        return Some(if who.role_arn.is_some() {
            Grant::Direct
        } else {
            Grant::Principal
        });
    }
    if who.role_arn.as_deref() == Some(entry) {
        return Some(Grant::Principal);
    }
    if document::is_unique_id(entry) {
        // A unique id stands for the user or role it identifies; a role session's id is
        // `AROA…:session`.
        let id = who.user_id.split(':').next().unwrap_or_default();
        if entry == id {
            return Some(Grant::Principal);
        }
    }
    None
}

/// `arn:<any partition>:iam::<account>:root`.
fn is_root_arn_of(entry: &str, account: &str) -> bool {
    entry
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, rest)| rest == format!("iam::{account}:root"))
}

/// Decides a request the way IAM does for identity policies, an optional session policy
/// and an optional resource policy (no SCPs or permissions boundaries):
///
/// 1. An explicit Deny in any of them refuses the request (a resource policy's Deny binds
///    even the root user).
/// 2. In the resource's own account, the request is allowed if the identity side allows it
///    (the root user, or an identity policy; and the session policy too, if there is one), or
///    if the resource policy grants it to this principal by name. A resource-policy grant to
///    the account is for the account's administrators to delegate and does not suffice alone,
///    except for the root user.
/// 3. Across accounts, both the identity side and the resource policy must allow it.
pub fn authorize(
    identity: Identity<'_>,
    session_policy: Option<&Policy>,
    resource_policy: Option<&Policy>,
    request: &Request<'_>,
) -> Result<(), Denial> {
    let deny = |reason| Err(Denial { reason });

    let identity_outcome = match identity {
        Identity::Root => Outcome {
            deny: false,
            allow: Some(Grant::Direct),
        },
        Identity::Policies(policies) => policies.iter().fold(Outcome::default(), |acc, policy| {
            let outcome = policy.outcome(request);
            Outcome {
                deny: acc.deny || outcome.deny,
                allow: acc.allow.max(outcome.allow),
            }
        }),
    };
    let session_outcome = session_policy.map(|policy| policy.outcome(request));
    let resource_outcome = resource_policy
        .map(|policy| policy.outcome(request))
        .unwrap_or_default();

    if identity_outcome.deny {
        return deny(DenialReason::ExplicitDenyIdentity);
    }
    if session_outcome.is_some_and(|outcome| outcome.deny) {
        return deny(DenialReason::ExplicitDenySession);
    }
    if resource_outcome.deny {
        return deny(DenialReason::ExplicitDenyResource);
    }

    let identity_allows = identity_outcome.allow.is_some();
    let session_allows = session_outcome.is_none_or(|outcome| outcome.allow.is_some());
    // The identity side fails either because no identity policy allows (reported first, as
    // AWS does) or because the session policy does not.
    let identity_side = if !identity_allows {
        Err(DenialReason::NoIdentityAllow)
    } else if !session_allows {
        Err(DenialReason::NoSessionAllow)
    } else {
        Ok(())
    };

    if request.principal.account == request.resource_account {
        let resource_grants = match resource_outcome.allow {
            Some(Grant::Direct) => true,
            // Named by user or role ARN: the session policy, if any, still has to agree.
            Some(Grant::Principal) => session_allows,
            Some(Grant::Account) | None => false,
        };
        return match (identity_side, resource_grants) {
            (Ok(()), _) | (_, true) => Ok(()),
            (Err(reason), false) => deny(reason),
        };
    }

    identity_side.or_else(deny)?;
    match resource_outcome.allow {
        Some(_) => Ok(()),
        None => deny(DenialReason::NoResourceAllow),
    }
}

/// The check names [`validate_resource_policy`] reports. AWS does not document its own, so
/// these describe the three checks its ValidateResourcePolicy documentation lists.
pub const CHECK_SYNTAX: &str = "SYNTAX_CHECK";
/// See [`CHECK_SYNTAX`]: the broad-access check (AWS runs Zelkova; we look for public grants).
pub const CHECK_PUBLIC_ACCESS: &str = "PUBLIC_ACCESS_CHECK";
/// See [`CHECK_SYNTAX`]: the check that the policy does not lock every caller out of it.
pub const CHECK_LOCKOUT: &str = "LOCKOUT_CHECK";

/// What ValidateResourcePolicy reports for a secret's resource policy: a syntax error (as one
/// finding), public access (when `block_public` is true), and a policy that would deny
/// everyone the right to change or delete it. An empty list means the policy passed.
pub fn validate_resource_policy(text: &str, block_public: bool) -> Vec<Finding> {
    let policy = match Policy::parse_new(text, PolicyKind::Resource) {
        Ok(policy) => policy,
        Err(error) => {
            return vec![Finding {
                check_name: CHECK_SYNTAX.to_owned(),
                error_message: error.to_string(),
            }];
        }
    };
    let mut findings = Vec::new();
    if block_public && policy.grants_public_access() {
        findings.push(Finding {
            check_name: CHECK_PUBLIC_ACCESS.to_owned(),
            error_message: PUBLIC_ACCESS_MESSAGE.to_owned(),
        });
    }
    if policy.locks_out_everyone() {
        findings.push(Finding {
            check_name: CHECK_LOCKOUT.to_owned(),
            error_message: LOCKOUT_MESSAGE.to_owned(),
        });
    }
    findings
}

/// The broad-access finding's text, after the model's description of PublicPolicyException.
pub const PUBLIC_ACCESS_MESSAGE: &str =
    "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.";

/// The lockout finding's text.
pub const LOCKOUT_MESSAGE: &str =
    "This resource policy denies everyone secretsmanager:PutResourcePolicy and secretsmanager:DeleteResourcePolicy, so no one could change or remove it.";
