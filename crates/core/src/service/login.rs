//! Console passwords: IAM's login profiles (CreateLoginProfile, UpdateLoginProfile,
//! DeleteLoginProfile, GetLoginProfile) and the console's sign-in, which checks a password and
//! issues temporary credentials for the user.
//!
//! A password is never stored: only its Argon2id hash (PHC string form, a fresh random salt per
//! hash), and it is compared only through the hash's own verification (constant time in the
//! digest). A sign-in session is stateless, as an assumed role's is (`identity.rs`): the user,
//! the expiry and the temporary secret key sealed under the keyring and bound to the `ASIA…`
//! key id, so any node with the root key can check it and nothing of it is written.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use zeroize::Zeroizing;

use super::access::Authority;
use super::identity::{encode_fields, iam_id, secret_key};
use super::principal::{Principal, PrincipalIdentity};
use super::{Credentials, Service, MUST_SPECIFY_USER_NAME};
use crate::crypto::{SealContext, DEFAULT_KEY_ID};
use crate::error::{Error, Result};
use crate::model::{LoginProfileRecord, PrincipalKind, PrincipalRecord, ValueKind};
use crate::names::AccountId;

/// What the console tells a sign-in that failed, whatever failed (no such account or user, no
/// password, a wrong one): AWS's console sentence.
pub const SIGN_IN_FAILED: &str = "Your authentication information is incorrect. Please try again.";

/// What a sign-in with a correct password is told while the user must choose a new one: coffer
/// has no ChangePassword, so an administrator clears the flag (UpdateLoginProfile
/// `--no-password-reset-required`) after setting a password the user knows.
pub const PASSWORD_RESET_REQUIRED: &str =
    "Your password must be reset before you can sign in. Ask an administrator to set a new one \
     (UpdateLoginProfile).";

/// IAM's answer for a password its default policy refuses (coffer has no account password
/// policy API, so the default applies: docs/console.md).
pub const PASSWORD_POLICY_MESSAGE: &str =
    "Password does not conform to the account password policy.";

/// How long a console session lasts, in seconds (the console's sessions: 1 hour).
pub const CONSOLE_SESSION_SECS: i64 = 3600;

/// The version tag of a user session token's layout (an assumed role's is
/// `coffer-session-1`, in `identity.rs`).
pub(super) const USER_SESSION_VERSION: &[u8] = b"coffer-user-session-1";

/// A login profile as IAM answers it (never the password or its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    /// The user's name.
    pub user_name: String,
    /// When the password was first created.
    pub created: DateTime<Utc>,
    /// Whether the user must choose a new password at the next sign-in.
    pub password_reset_required: bool,
}

/// Temporary credentials from a console sign-in. `Debug` never shows the secret key or the
/// token.
pub struct UserSession {
    /// The key pair (`ASIA…`).
    pub credentials: Credentials,
    /// The session token.
    pub session_token: Zeroizing<String>,
    /// When they expire.
    pub expiration: DateTime<Utc>,
    /// The user, as the session's principal.
    pub principal: Principal,
}

impl std::fmt::Debug for UserSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSession")
            .field("credentials", &self.credentials)
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .field("principal", &self.principal.arn)
            .finish()
    }
}

/// The Argon2id parameters: OWASP's first recommendation (19 MiB, 2 passes, 1 lane).
fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh 16-byte salt; the PHC string names the algorithm and
/// parameters, so a later change of parameters still verifies old hashes.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| Error::Internal("no randomness".into()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| Error::Internal(format!("argon2 salt: {e}")))?;
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?
        .to_string())
}

/// Whether `password` matches `hash`. A hash that does not parse matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    hasher().is_ok_and(|argon| argon.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of nothing anyone knows, verified when the user or its password does not exist, so
/// that a failed sign-in takes as long whatever failed.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("coffer decoy password, never a real one").unwrap_or_default()
    })
}

/// IAM's default password policy (in force when an account sets none, and coffer has no
/// account password policy API): at least 8 characters, and at least three of uppercase
/// letters, lowercase letters, digits and other characters.
pub fn check_password_policy(password: &str) -> Result<()> {
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < 8 || classes.iter().filter(|c| **c).count() < 3 {
        return Err(Error::PasswordPolicyViolation(
            PASSWORD_POLICY_MESSAGE.to_owned(),
        ));
    }
    Ok(())
}

fn profile_of(record: &LoginProfileRecord) -> LoginProfile {
    LoginProfile {
        user_name: record.user_name.clone(),
        created: record.created,
        password_reset_required: record.password_reset_required,
    }
}

impl Service {
    /// The user a login-profile action acts on: the named one, or the calling IAM user
    /// itself. The root user and role sessions must name a user (AWS asks the root user for
    /// an AssumeRoot session, which coffer does not have). `action` is authorized on the user.
    async fn login_profile_owner(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        user: Option<&str>,
    ) -> Result<PrincipalRecord> {
        let name = match user {
            Some(name) => name.to_owned(),
            None => match who.access().and_then(|a| a.principal.user_name.clone()) {
                Some(name) => name,
                None => return Err(Error::Validation(MUST_SPECIFY_USER_NAME.to_owned())),
            },
        };
        self.iam_find(who, action, PrincipalKind::User, &name).await
    }

    /// The profile of `user`, only if it was made for this very user (not for an earlier user
    /// of the same name).
    async fn profile_of_user(&self, user: &PrincipalRecord) -> Result<Option<LoginProfileRecord>> {
        Ok(self
            .store
            .find_login_profile(&user.account, &user.name)
            .await?
            .filter(|profile| profile.user_id == user.id))
    }

    /// CreateLoginProfile: a console password for a user that has none.
    pub async fn create_login_profile(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
        password: &str,
        password_reset_required: bool,
    ) -> Result<LoginProfile> {
        let user = self
            .login_profile_owner(who, "iam:CreateLoginProfile", user)
            .await?;
        check_password_policy(password)?;
        // A profile left by an earlier user of this name is replaced: it was never this
        // user's.
        let stale = self
            .store
            .find_login_profile(&user.account, &user.name)
            .await?
            .is_some_and(|profile| profile.user_id != user.id);
        if stale {
            self.store
                .delete_login_profile(&user.account, &user.name)
                .await?;
        }
        let record = LoginProfileRecord {
            account: user.account.clone(),
            user_name: user.name.clone(),
            user_id: user.id.clone(),
            password_hash: hash_password(password)?,
            password_reset_required,
            created: self.now(),
        };
        if !self.store.put_login_profile(&record, true).await? {
            return Err(Error::LoginProfileExists(user.name));
        }
        Ok(profile_of(&record))
    }

    /// UpdateLoginProfile: a new password, a new reset flag, or both (neither changes
    /// nothing, as on AWS).
    pub async fn update_login_profile(
        &self,
        who: &(impl Authority + ?Sized),
        user: &str,
        password: Option<&str>,
        password_reset_required: Option<bool>,
    ) -> Result<()> {
        let user = self
            .login_profile_owner(who, "iam:UpdateLoginProfile", Some(user))
            .await?;
        let Some(mut record) = self.profile_of_user(&user).await? else {
            return Err(Error::LoginProfileNotFound(user.name));
        };
        if let Some(password) = password {
            check_password_policy(password)?;
            record.password_hash = hash_password(password)?;
        }
        if let Some(required) = password_reset_required {
            record.password_reset_required = required;
        }
        if !self.store.put_login_profile(&record, false).await? {
            return Err(Error::LoginProfileNotFound(user.name));
        }
        Ok(())
    }

    /// DeleteLoginProfile. The user's access keys and sessions are untouched, as on AWS.
    pub async fn delete_login_profile(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
    ) -> Result<()> {
        let user = self
            .login_profile_owner(who, "iam:DeleteLoginProfile", user)
            .await?;
        if self.profile_of_user(&user).await?.is_none()
            || !self
                .store
                .delete_login_profile(&user.account, &user.name)
                .await?
        {
            return Err(Error::LoginProfileNotFound(user.name));
        }
        Ok(())
    }

    /// GetLoginProfile.
    pub async fn get_login_profile(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
    ) -> Result<LoginProfile> {
        let user = self
            .login_profile_owner(who, "iam:GetLoginProfile", user)
            .await?;
        match self.profile_of_user(&user).await? {
            Some(record) => Ok(profile_of(&record)),
            None => Err(Error::LoginProfileNotFound(user.name)),
        }
    }

    /// Whether a user still has a console password (DeleteUser refuses then, as IAM does).
    pub(super) async fn has_login_profile(&self, user: &PrincipalRecord) -> Result<bool> {
        Ok(self.profile_of_user(user).await?.is_some())
    }

    /// The console's sign-in: checks `password` against the user's login profile and issues
    /// temporary credentials for the user ([`CONSOLE_SESSION_SECS`]). Every failure that
    /// could tell an attacker something (no such account or user, no password, a wrong one)
    /// is [`Error::SignInFailed`], after the same amount of hashing work.
    ///
    /// The caller (the server) rate-limits attempts and audits each one.
    pub async fn console_sign_in(
        &self,
        account: &AccountId,
        user_name: &str,
        password: &str,
    ) -> Result<UserSession> {
        let user = self
            .store
            .find_principal(account, PrincipalKind::User, user_name)
            .await?;
        let profile = match &user {
            Some(user) => self.profile_of_user(user).await?,
            None => None,
        };
        let (Some(user), Some(profile)) = (user, profile) else {
            let _ = verify_password(decoy_hash(), password);
            return Err(Error::SignInFailed);
        };
        if !verify_password(&profile.password_hash, password) {
            return Err(Error::SignInFailed);
        }
        if profile.password_reset_required {
            return Err(Error::InvalidRequest(PASSWORD_RESET_REQUIRED.to_owned()));
        }
        self.user_session(&user, Duration::seconds(CONSOLE_SESSION_SECS))
    }

    /// Temporary credentials acting as `user` until `duration` from now.
    fn user_session(&self, user: &PrincipalRecord, duration: Duration) -> Result<UserSession> {
        let expiration = self.now() + duration;
        let access_key_id = iam_id("ASIA")?;
        let secret = secret_key()?;
        let expires_ms = expiration.timestamp_millis().to_string();
        let plain = encode_fields(&[
            USER_SESSION_VERSION,
            user.account.as_str().as_bytes(),
            user.name.as_bytes(),
            user.id.as_bytes(),
            user.path.as_bytes(),
            expires_ms.as_bytes(),
            secret.as_bytes(),
        ]);
        let sealed = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::Binary,
            SealContext::SessionToken {
                access_key_id: &access_key_id,
            },
            &plain,
        )?;
        let token_bytes = encode_fields(&[
            sealed.key_id.as_bytes(),
            &sealed.wrapped_key,
            &sealed.ciphertext,
        ]);
        let session_token = Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(token_bytes.as_slice()),
        );
        Ok(UserSession {
            credentials: Credentials {
                access_key_id,
                secret_access_key: secret,
            },
            session_token,
            expiration,
            principal: user_principal(user),
        })
    }
}

/// The principal a user's own credentials (and its sessions) act as.
fn user_principal(user: &PrincipalRecord) -> Principal {
    Principal {
        arn: user.arn(),
        user_id: user.id.clone(),
        account: user.account.clone(),
        identity: PrincipalIdentity::User {
            name: user.name.clone(),
        },
        // A console session acts as the user itself, IAM included (the console's Access page
        // is IAM calls); only GetSessionToken's sessions are refused IAM, for want of MFA.
        own_session: false,
    }
}

/// Reads an opened user session token's fields (after its version tag): the user, its secret
/// key and its expiry. The caller has checked the seal and the version.
pub(super) fn open_user_session(
    fields: &[&[u8]],
) -> Result<(Principal, Zeroizing<String>, DateTime<Utc>)> {
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidToken);
    let [_version, account, name, id, path, expires_ms, secret] = fields else {
        return Err(Error::InvalidToken);
    };
    let account = AccountId::parse(&text(account)?).ok_or(Error::InvalidToken)?;
    let expires = text(expires_ms)?
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or(Error::InvalidToken)?;
    let (name, id, path) = (text(name)?, text(id)?, text(path)?);
    let principal = Principal {
        arn: format!("arn:aws:iam::{account}:user{path}{name}"),
        user_id: id,
        account,
        identity: PrincipalIdentity::User { name },
        own_session: false,
    };
    Ok((principal, Zeroizing::new(text(secret)?), expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify_only_their_password() {
        let first = hash_password("Corr3ct-horse").expect("hashing works");
        let second = hash_password("Corr3ct-horse").expect("hashing works");
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "a fresh salt per hash");
        assert!(verify_password(&first, "Corr3ct-horse"));
        assert!(!verify_password(&first, "corr3ct-horse"));
        assert!(!verify_password("not a hash", "Corr3ct-horse"));
    }

    #[test]
    fn the_default_password_policy() {
        for good in ["Abcdefg1", "abcdefg1!", "ABCDEFG!1", "Pässwörd1"] {
            assert!(check_password_policy(good).is_ok(), "{good}");
        }
        for bad in ["Abc1!", "abcdefgh", "abcdefg1", "ABCDEFGH", "12345678!"] {
            assert!(
                matches!(check_password_policy(bad), Err(Error::PasswordPolicyViolation(m)) if m == PASSWORD_POLICY_MESSAGE),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret_key_or_the_token() {
        let session = UserSession {
            credentials: Credentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: Zeroizing::new("secret-key-value".into()),
            },
            session_token: Zeroizing::new("session-token-value".into()),
            expiration: DateTime::UNIX_EPOCH,
            principal: Principal::root(
                AccountId::parse("123456789012").expect("a valid account id"),
            ),
        };
        let text = format!("{session:?}");
        assert!(!text.contains("secret-key-value") && !text.contains("session-token-value"));
    }
}
