//! The kind of an IAM principal, a leaf that both the domain errors (which name it: "the user
//! … cannot be found") and the model's records use, so that `error` does not depend on `model`.

/// What kind of IAM identity a principal record (`model::PrincipalRecord`) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An IAM user: signs with long-term access keys.
    User,
    /// An IAM role: assumed through STS, signs with temporary credentials.
    Role,
}

impl PrincipalKind {
    /// The stored form, which is also the ARN's resource type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Role => "role",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "role" => Some(Self::Role),
            _ => None,
        }
    }
}
