//! coffer-test-support: helpers shared by the integration tests of the store and the server,
//! as a crate of their own instead of files included with `#[path]` from another crate's tests.
//! Only ever a dev-dependency.

pub mod pg;
