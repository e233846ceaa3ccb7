//! What a request names, below both the cache (which keys its entries by it) and the upstream
//! (which fetches it), so that neither imports the other's module for it.

/// What a request names: AWS's agent caches per this triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The name or ARN, as the client wrote it.
    pub secret_id: String,
    /// `versionId`, when given.
    pub version_id: Option<String>,
    /// `versionStage`, when given.
    pub version_stage: Option<String>,
}
