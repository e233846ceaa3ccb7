//! Which service an awsQuery request is for. Only `Action` is looked at, so the server can
//! route a request (and choose the SigV4 service name to verify it for) before reading anything
//! else.

use crate::iam::IamAction;

/// The services that answer awsQuery requests on coffer's endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryService {
    /// STS: `GetCallerIdentity`, `AssumeRole`.
    Sts,
    /// IAM: the actions of [`IamAction`].
    Iam,
}

impl QueryService {
    /// The service name a request to it is signed for (the SigV4 credential scope's service).
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Sts => "sts",
            Self::Iam => "iam",
        }
    }
}

/// The service an action belongs to, or `None` for an action coffer answers for neither. For
/// such an action the caller can verify the signature for the service its credential scope
/// names and answer `InvalidAction` ([`crate::sts::invalid_action`] or [`crate::iam::errors::invalid_action`]).
pub fn query_service(action: &str) -> Option<QueryService> {
    match action {
        "GetCallerIdentity" | "AssumeRole" => Some(QueryService::Sts),
        _ => IamAction::from_name(action).map(|_| QueryService::Iam),
    }
}
