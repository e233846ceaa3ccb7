//! The built-in PostgreSQL rotators, after AWS's `SecretsManagerRDSPostgreSQLRotationSingleUser`
//! and `…MultiUser` templates, on AWS's JSON shape (`engine`, `host`, `port`, `username`,
//! `password`, `dbname`; `masterarn` for alternating users).
//!
//! - single user: the user changes its own password (`ALTER ROLE … PASSWORD`);
//! - alternating users: the master user (the secret `masterarn` names, in the same account and
//!   region) creates or updates the other of `user` / `user_clone`, a member of the first, so the
//!   current credential keeps working while the next one is made.
//!
//! These speak to the *target* database, not to coffer's store: their SQL is the rotation
//! protocol's (the store crate keeps coffer's own). Every step converges when run twice:
//! createSecret writes the pending value only once; setSecret first tries to log in with the
//! pending value and does nothing if it works; finishSecret moves AWSCURRENT only once.
//! The connection is made without TLS (this build's PostgreSQL client has none): run the
//! target on a private network, as the function containers AWS's templates run in would be.

use coffer_core::model::SecretValue;
use coffer_core::names::{AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use coffer_core::password::PasswordSpec;
use coffer_core::rotation::Step;
use coffer_core::service::{
    Claim, GetSecretValueInput, PutSecretValueInput, Service, UpdateSecretVersionStageInput,
};
use serde_json::{Map, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use zeroize::Zeroizing;

/// Which scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// The user changes its own password.
    SingleUser,
    /// Two users, alternated; the master user makes the changes.
    Alternating,
}

/// A failure, as the run records it (never a value: only field names and the server's error
/// class).
type Failure = String;

/// A value's fields (the JSON object), zeroized when dropped as text.
struct Credentials(Map<String, Value>);

impl Credentials {
    fn parse(value: &SecretValue) -> Result<Self, Failure> {
        let SecretValue::String(text) = value else {
            return Err("the secret's value is binary, not AWS's JSON shape".into());
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            _ => {
                Err("the secret's value is not a JSON object (AWS's database secret shape)".into())
            }
        }
    }

    fn text(&self, key: &str) -> Result<&str, Failure> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the secret's value has no string field {key}"))
    }

    fn port(&self) -> u16 {
        match self.0.get("port") {
            Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(5432)
    }

    /// Logs in as this value's user.
    async fn connect(&self) -> Result<PgConnection, Failure> {
        let mut options = PgConnectOptions::new()
            .host(self.text("host")?)
            .port(self.port())
            .username(self.text("username")?)
            .password(self.text("password")?)
            .database(
                self.0
                    .get("dbname")
                    .and_then(Value::as_str)
                    .unwrap_or("postgres"),
            );
        options = options.disable_statement_logging();
        options.connect().await.map_err(|e| {
            format!(
                "cannot log in as {}: {}",
                self.text("username").unwrap_or("?"),
                class(&e)
            )
        })
    }

    fn to_value(&self) -> SecretValue {
        SecretValue::String(Zeroizing::new(
            serde_json::to_string(&self.0).unwrap_or_default(),
        ))
    }
}

/// What a database error says without echoing statement text (which would hold a password).
fn class(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!(
            "{} ({})",
            db.code().unwrap_or_default(),
            match db.code().as_deref() {
                Some("28P01") => "password authentication failed",
                Some("42501") => "insufficient privilege",
                _ => "database error",
            }
        ),
        sqlx::Error::Io(io) => format!("connection failed: {}", io.kind()),
        _ => "connection failed".into(),
    }
}

/// `"name"`, doubled quotes inside.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, doubled quotes inside (standard_conforming_strings, on by default since 9.1,
/// makes backslashes plain characters). PostgreSQL's utility statements take no bind
/// parameters, so the password is a quoted literal; it never reaches a log line or an error.
fn quote_literal(text: &str) -> Result<String, Failure> {
    if text.contains('\0') {
        return Err("the new password holds a NUL character".into());
    }
    Ok(format!("'{}'", text.replace('\'', "''")))
}

async fn read(
    service: &Service,
    claim: &Claim,
    stage: &str,
    version: Option<&str>,
) -> Option<Credentials> {
    service
        .get_secret_value(
            &claim.scope,
            &GetSecretValueInput {
                secret_id: claim.secret_arn.clone(),
                version_id: version.map(str::to_owned),
                version_stage: Some(stage.to_owned()),
            },
        )
        .await
        .ok()
        .and_then(|out| Credentials::parse(&out.value).ok())
}

/// Runs one step.
pub async fn run(
    service: &Service,
    scheme: Scheme,
    claim: &Claim,
    step: Step,
) -> Result<(), Failure> {
    let record = service
        .describe_secret(&claim.scope, &claim.secret_arn)
        .await
        .map_err(|e| e.to_string())?;
    if record
        .version(&claim.token)
        .is_some_and(|v| v.has_stage(AWSCURRENT))
    {
        return Ok(());
    }
    match step {
        Step::CreateSecret => {
            if record.version(&claim.token).is_some() {
                return Ok(());
            }
            let current = read(service, claim, AWSCURRENT, None)
                .await
                .ok_or("the secret has no current value in AWS's database secret shape")?;
            let mut pending = Credentials(current.0.clone());
            if scheme == Scheme::Alternating {
                let user = current.text("username")?;
                let next = match user.strip_suffix("_clone") {
                    Some(base) => base.to_owned(),
                    None => format!("{user}_clone"),
                };
                pending.0.insert("username".into(), Value::String(next));
            }
            let spec = PasswordSpec {
                exclude_characters: ":/@\"'\\".to_owned(),
                ..PasswordSpec::default()
            };
            let password = coffer_core::password::generate(&spec).map_err(|e| e.to_string())?;
            pending
                .0
                .insert("password".into(), Value::String(password.to_string()));
            service
                .put_secret_value(
                    &claim.scope,
                    PutSecretValueInput {
                        secret_id: claim.secret_arn.clone(),
                        client_request_token: Some(claim.token.clone()),
                        value: Some(pending.to_value()),
                        version_stages: Some(vec![AWSPENDING.to_owned()]),
                        rotation_token: Some(Zeroizing::new(claim.rotation_token.to_string())),
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Step::SetSecret => {
            let pending = read(service, claim, AWSPENDING, Some(&claim.token))
                .await
                .ok_or("the pending version has no value")?;
            // Already set (a step run again): nothing to do.
            if pending.connect().await.is_ok() {
                return Ok(());
            }
            let current = read(service, claim, AWSCURRENT, None)
                .await
                .ok_or("the secret has no current value")?;
            if current.text("host")? != pending.text("host")? {
                return Err("the pending value's host differs from the current one".into());
            }
            let user = pending.text("username")?;
            let password = quote_literal(pending.text("password")?)?;
            match scheme {
                Scheme::SingleUser => {
                    if current.text("username")? != user {
                        return Err(
                            "the pending value's username differs from the current one".into()
                        );
                    }
                    // As the templates do: the current password, else the previous one.
                    let mut conn = match current.connect().await {
                        Ok(conn) => conn,
                        Err(first) => match read(service, claim, AWSPREVIOUS, None).await {
                            Some(previous) => previous.connect().await.map_err(|_| first)?,
                            None => return Err(first),
                        },
                    };
                    let statement =
                        format!("ALTER ROLE {} WITH PASSWORD {password}", quote_ident(user));
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                        .execute(&mut conn)
                        .await
                        .map_err(|e| format!("ALTER ROLE failed: {}", class(&e)))?;
                    let _ = conn.close().await;
                }
                Scheme::Alternating => {
                    let master_arn = current.text("masterarn")?.to_owned();
                    let master = service
                        .get_secret_value(
                            &claim.scope,
                            &GetSecretValueInput {
                                secret_id: master_arn,
                                version_id: None,
                                version_stage: Some(AWSCURRENT.to_owned()),
                            },
                        )
                        .await
                        .map_err(|e| format!("cannot read the master secret: {e}"))?;
                    let master = Credentials::parse(&master.value)?;
                    let mut conn = master.connect().await?;
                    let exists: Option<i32> =
                        sqlx::query_scalar("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1")
                            .bind(user)
                            .fetch_optional(&mut conn)
                            .await
                            .map_err(|e| format!("reading pg_roles failed: {}", class(&e)))?;
                    let statement = if exists.is_some() {
                        format!("ALTER ROLE {} WITH PASSWORD {password}", quote_ident(user))
                    } else {
                        // A member of the current user: the same privileges.
                        format!(
                            "CREATE ROLE {} WITH LOGIN PASSWORD {password} IN ROLE {}",
                            quote_ident(user),
                            quote_ident(current.text("username")?)
                        )
                    };
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                        .execute(&mut conn)
                        .await
                        .map_err(|e| {
                            format!("setting the user's password failed: {}", class(&e))
                        })?;
                    let _ = conn.close().await;
                }
            }
            Ok(())
        }
        Step::TestSecret => {
            let pending = read(service, claim, AWSPENDING, Some(&claim.token))
                .await
                .ok_or("the pending version has no value")?;
            let mut conn = pending.connect().await?;
            sqlx::raw_sql("SELECT 1")
                .execute(&mut conn)
                .await
                .map_err(|e| format!("SELECT 1 failed: {}", class(&e)))?;
            let _ = conn.close().await;
            Ok(())
        }
        Step::FinishSecret => {
            let current = record
                .version_with_stage(AWSCURRENT)
                .map(|v| v.version_id.clone());
            service
                .update_secret_version_stage(
                    &claim.scope,
                    &UpdateSecretVersionStageInput {
                        secret_id: claim.secret_arn.clone(),
                        version_stage: AWSCURRENT.to_owned(),
                        move_to_version_id: Some(claim.token.clone()),
                        remove_from_version_id: current,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
    }
}
