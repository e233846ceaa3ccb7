//! The wire shapes of every Secrets Manager operation: one `<Operation>Request` and one
//! `<Operation>Response` per operation, and the structures they share.
//!
//! The types mirror the botocore service model (`secretsmanager/2017-10-17`) member for member:
//! JSON member names are the model's, and every member is an `Option`, even the ones the model
//! marks required. Presence and every other model constraint are checked by
//! [`crate::validate::Validate`], so that a missing member is answered with AWS's
//! `ValidationException` wording rather than a serde error. Unknown members are ignored, as AWS
//! ignores them. Timestamps are epoch seconds (`f64`); secret material uses the redacting types of
//! [`crate::sensitive`].
//!
//! Submodules group the operations by resource; everything is re-exported here, so callers write
//! `coffer_protocol::shapes::GetSecretValueRequest`.

mod common;
mod password;
mod policies;
mod replication;
mod rotation;
mod secrets;
mod tags;
mod versions;

pub use common::*;
pub use password::*;
pub use policies::*;
pub use replication::*;
pub use rotation::*;
pub use secrets::*;
pub use tags::*;
pub use versions::*;

#[cfg(test)]
mod tests;
