//! coffer-core: the domain of a secrets manager that behaves like AWS Secrets Manager.
//!
//! Names, ARNs, versions and staging labels ([`names`], [`model`], [`labels`]), the operations
//! themselves ([`service`]), envelope encryption ([`crypto`]), ListSecrets filters ([`filter`]),
//! GetRandomPassword ([`password`]) and the [`store::Store`] trait the storage engines implement.
//! No HTTP and no SQL live here.

pub mod clock;
pub mod crypto;
pub mod error;
pub mod filter;
pub mod kms;
pub mod labels;
pub mod managed;
pub mod model;
pub mod names;
pub mod password;
pub mod policy;
pub mod principal;
pub mod rotation;
pub mod service;
pub mod store;

pub use error::Error;
