//! IAM's login-profile actions (console passwords): wire request → service call → wire
//! response. Every call is authorized in the service as `iam:<Action>` on the user.

use coffer_core::service::{LoginProfile, Service};
use coffer_core::Error;
use coffer_protocol::iam::{self, IamRequest as Rq, IamResponse as Rs};

use crate::auth::Caller;

fn wire(profile: LoginProfile) -> iam::LoginProfile {
    iam::LoginProfile {
        user_name: profile.user_name,
        create_date: profile.created,
        password_reset_required: profile.password_reset_required,
    }
}

/// Runs one login-profile action; any other request is a bug of the caller (`iam_call`
/// routes only these here).
pub async fn login_profile_call(
    service: &Service,
    caller: &Caller,
    request: Rq,
) -> Result<Rs, Error> {
    Ok(match request {
        Rq::CreateLoginProfile(r) => Rs::CreateLoginProfile(wire(
            service
                .create_login_profile(
                    caller,
                    r.user_name.as_deref(),
                    r.password.expose(),
                    r.password_reset_required,
                )
                .await?,
        )),
        Rq::UpdateLoginProfile(r) => {
            service
                .update_login_profile(
                    caller,
                    &r.user_name,
                    r.password.as_ref().map(|p| p.expose()),
                    r.password_reset_required,
                )
                .await?;
            Rs::UpdateLoginProfile
        }
        Rq::DeleteLoginProfile(r) => {
            service
                .delete_login_profile(caller, r.user_name.as_deref())
                .await?;
            Rs::DeleteLoginProfile
        }
        Rq::GetLoginProfile(r) => Rs::GetLoginProfile(wire(
            service
                .get_login_profile(caller, r.user_name.as_deref())
                .await?,
        )),
        other => {
            return Err(Error::Internal(format!(
                "{} is not a login-profile action",
                other.action()
            )))
        }
    })
}
