//! Why a request failed authentication, one variant per failure class, with AWS's own texts.

use std::fmt;

use crate::error::{ApiError, ErrorCode};

/// Why a SigV4 request was refused.
///
/// Every variant carries only what the client itself sent (its credential scope, its dates,
/// its `Authorization` header) and never the secret key, the signing key or the signature
/// coffer expected, so both the message and the `Debug` output are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither an `Authorization` header nor an `X-Amz-Algorithm` query parameter was sent.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    /// The `Authorization` header lacks one or more of its parts, or the request has no date.
    #[error("{}", missing_parts_message(*.missing, .authorization.as_deref()))]
    MissingAuthorizationParts {
        /// Which parts are missing.
        missing: MissingParts,
        /// The header as received, echoed the way AWS does; `None` when the header does not
        /// use the SigV4 scheme, because another scheme (`Basic`, `Bearer`) may carry a secret.
        authorization: Option<String>,
    },

    /// A word of the `Authorization` header is not a `key=value` pair.
    #[error(
        "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: \
         '{authorization}'."
    )]
    MalformedAuthorizationPair {
        /// The offending word.
        pair: String,
        /// The header as received.
        authorization: String,
    },

    /// The signing algorithm is not `AWS4-HMAC-SHA256`.
    #[error("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")]
    UnsupportedAlgorithm {
        /// The algorithm the client named.
        algorithm: String,
    },

    /// The credential is not `keyid/date/region/service/aws4_request`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. \
         keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential {
        /// The credential as received.
        credential: String,
    },

    /// The credential scope does not end in `aws4_request`.
    #[error(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
    )]
    InvalidTerminator {
        /// The terminator the client sent.
        terminator: String,
    },

    /// The region in the credential scope is not a region name.
    #[error("Credential should be scoped to a valid region, not '{region}'. ")]
    InvalidRegion {
        /// The region the client sent.
        region: String,
    },

    /// The credential scope names another service than the one the request was sent to.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService {
        /// The service this endpoint answers for.
        expected: String,
        /// The service the client signed for.
        received: String,
    },

    /// The credential scope names a service coffer does not serve at all (`ssm`, `s3`, …):
    /// the client was pointed at coffer for more than Secrets Manager, STS, IAM and KMS.
    #[error("coffer does not serve the {service} API: this endpoint answers Secrets Manager, STS, IAM and KMS only.")]
    UnservedService {
        /// The service the client signed for.
        service: String,
    },

    /// The request date is not in ISO 8601 basic format (`20150830T123600Z`).
    #[error("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    MalformedDate {
        /// The date as received.
        value: String,
    },

    /// The date in the credential scope is not the day of the request time.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '{scope_date}' != '{request_date}', from '{request_timestamp}'."
    )]
    ScopeDateMismatch {
        /// The date of the credential scope.
        scope_date: String,
        /// The day of the request time.
        request_date: String,
        /// The request time in ISO 8601 basic format.
        request_timestamp: String,
    },

    /// `host` is not among the signed headers, so the signature could be replayed elsewhere.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// An `X-Amz-*` header was sent but not signed, so it could have been added or changed in
    /// transit (an unsigned `X-Amz-Target` would let a captured request be replayed as another
    /// operation).
    #[error("There were headers present in the request which were not signed: {names}")]
    HeadersNotSigned {
        /// The unsigned headers, lower-cased, comma-separated.
        names: String,
    },

    /// A presigned request lacks one of its required query parameters.
    #[error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
         X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    )]
    MissingQueryParameters,

    /// `X-Amz-Expires` is not a number of seconds from 1 to 604800.
    #[error("{}", expires_message(.value))]
    InvalidExpires {
        /// The value as received.
        value: String,
    },

    /// `X-Amz-Content-Sha256` is a SHA-256 digest, but not the digest of the body received.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    PayloadHashMismatch,

    /// The request time is more than 15 minutes before the server's clock.
    #[error(
        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
        amz(*.request_time), amz(*.now - super::MAX_CLOCK_SKEW), amz(*.now)
    )]
    SignatureExpired {
        /// The time the client signed at.
        request_time: chrono::DateTime<chrono::Utc>,
        /// The server's clock.
        now: chrono::DateTime<chrono::Utc>,
    },

    /// The request time is more than 15 minutes after the server's clock.
    #[error(
        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
        amz(*.request_time), amz(*.now + super::MAX_CLOCK_SKEW), amz(*.now)
    )]
    SignatureNotYetCurrent {
        /// The time the client signed at.
        request_time: chrono::DateTime<chrono::Utc>,
        /// The server's clock.
        now: chrono::DateTime<chrono::Utc>,
    },

    /// A presigned request is used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    PresignedExpired {
        /// The moment the presigned request stopped being valid.
        expired_at: chrono::DateTime<chrono::Utc>,
        /// The server's clock.
        now: chrono::DateTime<chrono::Utc>,
    },

    /// The signature is not the one computed with the key of the access key id.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details."
    )]
    SignatureDoesNotMatch,
}

/// Which parts a SigV4 `Authorization` header (or its request) lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingParts {
    /// No `Credential=`.
    pub credential: bool,
    /// No `Signature=`.
    pub signature: bool,
    /// No `SignedHeaders=`.
    pub signed_headers: bool,
    /// Neither an `X-Amz-Date` nor a `Date` header.
    pub date: bool,
}

impl MissingParts {
    /// Whether anything is missing at all.
    pub fn any(self) -> bool {
        self.credential || self.signature || self.signed_headers || self.date
    }
}

impl AuthError {
    /// The awsJson error this failure answers with (HTTP 400 for all of them).
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(self.code(), self.to_string())
    }

    /// The awsJson error code of this failure.
    ///
    /// Malformed or incomplete authentication information is an `IncompleteSignatureException`;
    /// a well-formed request that fails a check (scope, clock, signature) is an
    /// `InvalidSignatureException`. Real AWS answers a wrong region or service in the scope
    /// with `InvalidSignatureException` too (observed on EMR, SageMaker and MediaStore), so
    /// coffer does the same.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingAuthenticationToken => ErrorCode::MissingAuthenticationTokenException,
            Self::MissingAuthorizationParts { .. }
            | Self::MalformedAuthorizationPair { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MalformedCredential { .. }
            | Self::InvalidTerminator { .. }
            | Self::MalformedDate { .. }
            | Self::ScopeDateMismatch { .. }
            | Self::HostNotSigned
            | Self::HeadersNotSigned { .. }
            | Self::MissingQueryParameters
            | Self::InvalidExpires { .. } => ErrorCode::IncompleteSignatureException,
            // Not a signature problem: what the client asked for is not here, as for an
            // unknown X-Amz-Target.
            Self::UnservedService { .. } => ErrorCode::UnknownOperationException,
            Self::InvalidRegion { .. }
            | Self::WrongService { .. }
            | Self::PayloadHashMismatch
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::PresignedExpired { .. }
            | Self::SignatureDoesNotMatch => ErrorCode::InvalidSignatureException,
        }
    }
}

/// AWS lists every missing part in one message, in this order, then echoes the header.
fn missing_parts_message(missing: MissingParts, authorization: Option<&str>) -> String {
    let mut message = String::new();
    let mut sentence = |text: &str| {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(text);
    };
    if missing.credential {
        sentence("Authorization header requires 'Credential' parameter.");
    }
    if missing.signature {
        sentence("Authorization header requires 'Signature' parameter.");
    }
    if missing.signed_headers {
        sentence("Authorization header requires 'SignedHeaders' parameter.");
    }
    if missing.date {
        sentence(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    if let Some(authorization) = authorization {
        sentence(&format!("Authorization={authorization}"));
    }
    message
}

/// S3's texts for a bad `X-Amz-Expires`; the one for zero is coffer's own, as S3 has none.
fn expires_message(value: &str) -> String {
    match value.parse::<u64>() {
        Err(_) if value.starts_with('-') => "X-Amz-Expires must be non-negative".to_owned(),
        Err(_) => "X-Amz-Expires should be a number".to_owned(),
        Ok(0) => "X-Amz-Expires must be greater than 0".to_owned(),
        Ok(_) => "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned(),
    }
}

/// Formats a time the way SigV4 writes it: ISO 8601 basic format, UTC.
pub(super) fn amz(time: chrono::DateTime<chrono::Utc>) -> impl fmt::Display {
    time.format(super::AMZ_DATE_FORMAT)
}
