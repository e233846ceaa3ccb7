//! Operations of the model that coffer does not implement yet. Their requests are still parsed
//! and validated like any other, so a malformed request gets the same answer it will get once
//! the operation exists; a valid one gets a typed error naming the operation.

use coffer_core::Error;
use coffer_protocol::Operation;

/// The answer for an operation not built yet.
pub fn not_implemented(operation: Operation) -> Error {
    Error::NotImplemented(operation.name())
}
