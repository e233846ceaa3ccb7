//! coffer-protocol: the AWS Secrets Manager wire protocol (awsJson 1.1), SigV4 verification and
//! the STS `GetCallerIdentity` subset, as pure data and functions with no I/O.
//!
//! Start reading at [`operation::Operation`] (the closed list of operations parsed from
//! `X-Amz-Target`), then [`shapes`] (one request and one response type per operation) and
//! [`sigv4`] (signature verification; signing keys come from the caller).

pub mod actions;
mod constraint;
pub mod error;
pub mod exposition;
pub mod iam;
pub mod kms;
pub mod operation;
pub mod query;
pub mod sensitive;
pub mod shapes;
pub mod sigv4;
pub mod sts;
pub mod validate;

pub use actions::{Action, StsAction};
pub use error::{ApiError, ErrorCode};
pub use operation::Operation;
