//! The awsQuery machinery IAM and STS share: a form-encoded POST naming an `Action`, answered
//! in XML.
//!
//! An awsQuery request is read in three steps, so that nothing but `Action` is looked at before
//! the signature is verified: [`parse_form`] decodes the body and finds the `Action`;
//! [`query_service`] tells which service (and so which SigV4 service name) it belongs to; after
//! verification, [`crate::sts::parse_assume_role`] or [`crate::iam::parse_request`] reads the
//! parameters, checked with [`crate::constraint`]'s wording. Responses are written with
//! [`xml::Xml`], errors are [`QueryError`]s.

pub(crate) mod error;
pub(crate) mod form;
pub(crate) mod patterns;
mod route;
pub(crate) mod xml;

pub use error::{QueryError, QueryErrorCode};
pub use form::{parse_form, parse_query_string, QueryForm, Tag};
pub use route::{query_service, QueryService};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::IamAction;
    use crate::sts::invalid_action;

    #[test]
    fn parse_form_decodes_every_parameter_and_finds_the_action() {
        let form = parse_form(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"Action=CreateUser&Version=2010-05-08&UserName=a%2Bb&Path=%2F",
        );
        assert_eq!(
            form,
            Some(QueryForm {
                action: "CreateUser".to_owned(),
                params: vec![
                    ("Action".to_owned(), "CreateUser".to_owned()),
                    ("Version".to_owned(), "2010-05-08".to_owned()),
                    ("UserName".to_owned(), "a+b".to_owned()),
                    ("Path".to_owned(), "/".to_owned()),
                ],
            })
        );
        assert_eq!(
            parse_form(Some("application/x-www-form-urlencoded"), b"Version=1"),
            None
        );
        assert_eq!(
            parse_form(Some("application/json"), b"Action=GetUser"),
            None
        );
        assert_eq!(parse_form(None, b"Action=GetUser"), None);
    }

    #[test]
    fn query_service_routes_sts_and_iam_actions() {
        assert_eq!(query_service("GetCallerIdentity"), Some(QueryService::Sts));
        assert_eq!(query_service("AssumeRole"), Some(QueryService::Sts));
        for action in IamAction::ALL {
            assert_eq!(query_service(action.name()), Some(QueryService::Iam));
        }
        assert_eq!(query_service("AssumeRoleWithSAML"), None);
        assert_eq!(query_service("CreateInstanceProfile"), None);
        assert_eq!(query_service("createuser"), None);
        assert_eq!(QueryService::Sts.signing_name(), "sts");
        assert_eq!(QueryService::Iam.signing_name(), "iam");
        assert_eq!(
            invalid_action("AssumeRoleWithSAML").message,
            "Could not find operation AssumeRoleWithSAML for version 2011-06-15"
        );
    }
}
