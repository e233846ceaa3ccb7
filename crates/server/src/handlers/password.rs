//! GetRandomPassword.

use coffer_core::password::{PasswordSpec, DEFAULT_LENGTH};
use coffer_core::Error;
use coffer_protocol::sensitive::SensitiveString;
use coffer_protocol::shapes::{GetRandomPasswordRequest, GetRandomPasswordResponse};

use super::Ctx;

/// GetRandomPassword: needs no secret and touches no store, but is authorized like any other
/// operation (on `*`).
pub fn get_random_password(
    ctx: &Ctx<'_>,
    request: GetRandomPasswordRequest,
) -> Result<GetRandomPasswordResponse, Error> {
    let spec = PasswordSpec {
        length: request
            .password_length
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(DEFAULT_LENGTH),
        exclude_characters: request.exclude_characters.unwrap_or_default(),
        exclude_numbers: request.exclude_numbers.unwrap_or(false),
        exclude_punctuation: request.exclude_punctuation.unwrap_or(false),
        exclude_uppercase: request.exclude_uppercase.unwrap_or(false),
        exclude_lowercase: request.exclude_lowercase.unwrap_or(false),
        include_space: request.include_space.unwrap_or(false),
        require_each_included_type: request.require_each_included_type.unwrap_or(true),
    };
    let password = ctx.service.get_random_password(ctx.caller, &spec)?;
    Ok(GetRandomPasswordResponse {
        random_password: Some(SensitiveString::new(password.to_string())),
    })
}
