//! Tests of the IAM wire layer: every action parsed, every constraint's message, every
//! response's layout.
//!
//! The layouts were also checked against botocore's own `QueryParser` and the model's output
//! shapes during development: with `COFFER_DUMP_QUERY_XML=<dir>` set, `dump_samples` writes
//! one body per action there, which a throwaway script fed to
//! `botocore.parsers.QueryParser().parse(..., operation_model.output_shape)`.

use chrono::{TimeZone, Utc};

use super::errors;
use super::*;
use crate::sensitive::SensitiveString;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn parse(action: IamAction, items: &[(&str, &str)]) -> Result<IamRequest, QueryError> {
    parse_request(action, &pairs(items))
}

/// The message of a `ValidationError`, failing the test on anything else.
fn validation(action: IamAction, items: &[(&str, &str)]) -> String {
    match parse(action, items) {
        Err(error) => {
            assert_eq!(error.code, QueryErrorCode::ValidationError, "{error}");
            assert_eq!(error.status(), 400);
            error.message
        }
        Ok(request) => panic!("expected a ValidationError, got {request:?}"),
    }
}

fn one(detail: &str) -> String {
    format!("1 validation error detected: {detail}")
}

const USER_NAME_INVALID: &str = "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-";

// ---------------------------------------------------------------------------------------------
// Actions.

#[test]
fn action_names_round_trip() {
    for action in IamAction::ALL {
        assert_eq!(IamAction::from_name(action.name()), Some(action));
    }
    assert_eq!(IamAction::from_name("createUser"), None);
    assert_eq!(IamAction::from_name("CreateInstanceProfile"), None);
    assert_eq!(IamAction::CreateUser.permission(), "iam:CreateUser");
}

// ---------------------------------------------------------------------------------------------
// Parsing: happy paths.

#[test]
fn create_user_parses_with_path_and_tags() {
    let request = parse(
        IamAction::CreateUser,
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "app"),
            ("Path", "/division_abc/subdivision_xyz/"),
            ("Tags.member.2.Key", "team"),
            ("Tags.member.2.Value", "payments"),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", ""),
            ("Unknown", "ignored"),
        ],
    );
    assert_eq!(
        request,
        Ok(IamRequest::CreateUser(CreateUserRequest {
            path: Some("/division_abc/subdivision_xyz/".to_owned()),
            user_name: "app".to_owned(),
            tags: vec![
                Tag {
                    key: "env".to_owned(),
                    value: String::new()
                },
                Tag {
                    key: "team".to_owned(),
                    value: "payments".to_owned()
                },
            ],
        }))
    );
}

/// An action, its parameters and the request they parse to.
type Case<'a> = (IamAction, Vec<(&'a str, &'a str)>, IamRequest);

#[test]
fn every_action_parses_its_minimal_request() {
    let user = ("UserName", "app");
    let role = ("RoleName", "deployer");
    let policy = ("PolicyName", "read-secrets");
    let document = (
        "PolicyDocument",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
    );
    let key = ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE");
    let cases: Vec<Case> = vec![
        (
            IamAction::GetUser,
            vec![],
            IamRequest::GetUser(GetUserRequest { user_name: None }),
        ),
        (
            IamAction::ListUsers,
            vec![("PathPrefix", "/a/"), ("Marker", "m1"), ("MaxItems", "10")],
            IamRequest::ListUsers(ListUsersRequest {
                path_prefix: Some("/a/".to_owned()),
                paging: Paging {
                    marker: Some("m1".to_owned()),
                    max_items: Some(10),
                },
            }),
        ),
        (
            IamAction::DeleteUser,
            vec![user],
            IamRequest::DeleteUser(DeleteUserRequest {
                user_name: "app".to_owned(),
            }),
        ),
        (
            IamAction::CreateAccessKey,
            vec![user],
            IamRequest::CreateAccessKey(CreateAccessKeyRequest {
                user_name: Some("app".to_owned()),
            }),
        ),
        (
            IamAction::ListAccessKeys,
            vec![],
            IamRequest::ListAccessKeys(ListAccessKeysRequest {
                user_name: None,
                paging: Paging::default(),
            }),
        ),
        (
            IamAction::UpdateAccessKey,
            vec![user, key, ("Status", "Inactive")],
            IamRequest::UpdateAccessKey(UpdateAccessKeyRequest {
                user_name: Some("app".to_owned()),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
                status: AccessKeyStatus::Inactive,
            }),
        ),
        (
            IamAction::DeleteAccessKey,
            vec![key],
            IamRequest::DeleteAccessKey(DeleteAccessKeyRequest {
                user_name: None,
                access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            }),
        ),
        (
            IamAction::PutUserPolicy,
            vec![user, policy, document],
            IamRequest::PutUserPolicy(PutUserPolicyRequest {
                user_name: "app".to_owned(),
                policy_name: "read-secrets".to_owned(),
                policy_document: document.1.to_owned(),
            }),
        ),
        (
            IamAction::GetUserPolicy,
            vec![user, policy],
            IamRequest::GetUserPolicy(UserPolicyRequest {
                user_name: "app".to_owned(),
                policy_name: "read-secrets".to_owned(),
            }),
        ),
        (
            IamAction::DeleteUserPolicy,
            vec![user, policy],
            IamRequest::DeleteUserPolicy(UserPolicyRequest {
                user_name: "app".to_owned(),
                policy_name: "read-secrets".to_owned(),
            }),
        ),
        (
            IamAction::ListUserPolicies,
            vec![user, ("MaxItems", "1000")],
            IamRequest::ListUserPolicies(ListUserPoliciesRequest {
                user_name: "app".to_owned(),
                paging: Paging {
                    marker: None,
                    max_items: Some(1000),
                },
            }),
        ),
        (
            IamAction::CreateRole,
            vec![
                role,
                ("AssumeRolePolicyDocument", document.1),
                ("Description", "Deploys things"),
                ("MaxSessionDuration", "43200"),
                ("MaxSigninSessionDuration", "not read"),
            ],
            IamRequest::CreateRole(CreateRoleRequest {
                path: None,
                role_name: "deployer".to_owned(),
                assume_role_policy_document: document.1.to_owned(),
                description: Some("Deploys things".to_owned()),
                max_session_duration: Some(43200),
                tags: vec![],
            }),
        ),
        (
            IamAction::GetRole,
            vec![role],
            IamRequest::GetRole(RoleRequest {
                role_name: "deployer".to_owned(),
            }),
        ),
        (
            IamAction::DeleteRole,
            vec![role],
            IamRequest::DeleteRole(RoleRequest {
                role_name: "deployer".to_owned(),
            }),
        ),
        (
            IamAction::ListRoles,
            vec![],
            IamRequest::ListRoles(ListRolesRequest {
                path_prefix: None,
                paging: Paging::default(),
            }),
        ),
        (
            IamAction::PutRolePolicy,
            vec![role, policy, document],
            IamRequest::PutRolePolicy(PutRolePolicyRequest {
                role_name: "deployer".to_owned(),
                policy_name: "read-secrets".to_owned(),
                policy_document: document.1.to_owned(),
            }),
        ),
        (
            IamAction::GetRolePolicy,
            vec![role, policy],
            IamRequest::GetRolePolicy(RolePolicyRequest {
                role_name: "deployer".to_owned(),
                policy_name: "read-secrets".to_owned(),
            }),
        ),
        (
            IamAction::DeleteRolePolicy,
            vec![role, policy],
            IamRequest::DeleteRolePolicy(RolePolicyRequest {
                role_name: "deployer".to_owned(),
                policy_name: "read-secrets".to_owned(),
            }),
        ),
        (
            IamAction::ListRolePolicies,
            vec![role, ("Marker", "next page")],
            IamRequest::ListRolePolicies(ListRolePoliciesRequest {
                role_name: "deployer".to_owned(),
                paging: Paging {
                    marker: Some("next page".to_owned()),
                    max_items: None,
                },
            }),
        ),
    ];
    for (action, items, expected) in cases {
        let request = parse(action, &items);
        assert_eq!(request.as_ref().map(IamRequest::action), Ok(action));
        assert_eq!(request, Ok(expected), "{action:?}");
    }
}

#[test]
fn paging_defaults_to_a_hundred_items() {
    assert_eq!(Paging::default().page_size(), 100);
    let paging = Paging {
        marker: None,
        max_items: Some(7),
    };
    assert_eq!(paging.page_size(), 7);
}

#[test]
fn the_first_of_a_repeated_parameter_counts() {
    let request = parse(
        IamAction::DeleteUser,
        &[("UserName", "first"), ("UserName", "second")],
    );
    assert_eq!(
        request,
        Ok(IamRequest::DeleteUser(DeleteUserRequest {
            user_name: "first".to_owned()
        }))
    );
}

// ---------------------------------------------------------------------------------------------
// Parsing: constraints.

#[test]
fn missing_required_parameters_are_null() {
    assert_eq!(
        validation(IamAction::CreateUser, &[]),
        one("Value null at 'userName' failed to satisfy constraint: Member must not be null")
    );
    assert_eq!(
        validation(IamAction::PutRolePolicy, &[("PolicyName", "p")]),
        "2 validation errors detected: \
         Value null at 'roleName' failed to satisfy constraint: Member must not be null; \
         Value null at 'policyDocument' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        validation(IamAction::UpdateAccessKey, &[]),
        "2 validation errors detected: \
         Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null; \
         Value null at 'status' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        validation(IamAction::CreateRole, &[("RoleName", "r")]),
        one("Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
    );
}

#[test]
fn lengths_are_checked_with_the_generic_wording() {
    // The wording of a real IAM response, recorded in NixOS/nixops#328.
    let long = "charon-31f85414-3f74-11e5-b275-f23c91ae92d9-DynamoReadOnlyPermission";
    assert_eq!(
        validation(IamAction::GetRole, &[("RoleName", long)]),
        one(&format!(
            "Value '{long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
        ))
    );
    assert_eq!(
        validation(IamAction::DeleteUser, &[("UserName", "")]),
        one("Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1")
    );
    // CreateUser names are at most 64 characters, names being looked up at most 128.
    let name65 = "u".repeat(65);
    assert!(validation(IamAction::CreateUser, &[("UserName", &name65)])
        .ends_with("Member must have length less than or equal to 64"));
    assert!(parse(IamAction::GetUser, &[("UserName", &name65)]).is_ok());
    assert!(
        validation(IamAction::GetUser, &[("UserName", &"u".repeat(129))])
            .ends_with("Member must have length less than or equal to 128")
    );
    assert!(
        validation(IamAction::GetUserPolicy, &[("UserName", "u"), ("PolicyName", &"p".repeat(129))])
            .contains("at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128")
    );
    assert!(validation(
        IamAction::DeleteAccessKey,
        &[("AccessKeyId", "AKIASHORT")]
    )
    .contains("at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"));
    assert!(validation(
        IamAction::CreateRole,
        &[
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", "{}"),
            ("Description", &"d".repeat(1001))
        ]
    )
    .ends_with("at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"));
    let document = "x".repeat(131_073);
    assert!(validation(
        IamAction::PutUserPolicy,
        &[("UserName", "u"), ("PolicyName", "p"), ("PolicyDocument", &document)]
    )
    .ends_with("at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 131072"));
}

#[test]
fn names_and_paths_get_iam_s_own_sentences() {
    // Quoted from real responses: hashicorp/terraform#16187 (GetUser with an ARN).
    assert_eq!(
        validation(
            IamAction::GetUser,
            &[("UserName", "arn:aws:iam::720999999906:user/test")]
        ),
        USER_NAME_INVALID
    );
    assert_eq!(
        validation(IamAction::GetRole, &[("RoleName", "path/role")]),
        "The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
    );
    assert_eq!(
        validation(
            IamAction::DeleteRolePolicy,
            &[("RoleName", "r"), ("PolicyName", "Deny unless VPC")]
        ),
        "The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
    );
    for path in ["test/", "/test", "//", "/a b/"] {
        assert_eq!(
            validation(IamAction::CreateUser, &[("UserName", "u"), ("Path", path)]),
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
            "{path}"
        );
    }
    for path in ["/", "/a/", "///", "/a/b-c_d.e/"] {
        assert!(
            parse(IamAction::CreateUser, &[("UserName", "u"), ("Path", path)]).is_ok(),
            "{path}"
        );
    }
    assert_eq!(
        validation(IamAction::ListRoles, &[("PathPrefix", "example_path")]),
        "The specified value for pathPrefix is invalid. It must begin with the / character and contain only alphanumeric characters and/or / characters."
    );
    assert!(parse(IamAction::ListRoles, &[("PathPrefix", "/exam")]).is_ok());
    // Every character of the name class is accepted.
    assert!(parse(IamAction::CreateUser, &[("UserName", "a-Z_0+=,.@")]).is_ok());
}

#[test]
fn iam_s_sentences_wait_for_the_generic_violations() {
    // An invalid name beside a missing member: only the generic list is reported.
    assert_eq!(
        validation(
            IamAction::PutUserPolicy,
            &[("UserName", "a b"), ("PolicyName", "p")]
        ),
        one("Value null at 'policyDocument' failed to satisfy constraint: Member must not be null")
    );
    // An over-long name that also breaks the pattern gets the length message.
    let name = format!("{} x", "a".repeat(70));
    assert_eq!(
        validation(IamAction::CreateUser, &[("UserName", &name)]),
        one(&format!(
            "Value '{name}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"
        ))
    );
}

#[test]
fn integers_are_checked_against_their_ranges() {
    assert_eq!(
        validation(IamAction::ListUsers, &[("MaxItems", "1001")]),
        one("Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
    );
    assert_eq!(
        validation(IamAction::ListRoles, &[("MaxItems", "0")]),
        one("Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
    );
    assert_eq!(
        validation(IamAction::ListAccessKeys, &[("MaxItems", "ten")]),
        one("Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be a number")
    );
    let create_role = |duration: &str| {
        validation(
            IamAction::CreateRole,
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", "{}"),
                ("MaxSessionDuration", duration),
            ],
        )
    };
    assert_eq!(
        create_role("3599"),
        one("Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
    );
    assert_eq!(
        create_role("43201"),
        one("Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
    );
    // A number too large for an integer is out of range, not a crash.
    assert!(create_role("99999999999").contains("less than or equal to 43200"));
}

#[test]
fn status_must_be_in_the_enum() {
    assert_eq!(
        validation(
            IamAction::UpdateAccessKey,
            &[("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"), ("Status", "active")]
        ),
        one("Value 'active' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]")
    );
}

#[test]
fn patterns_without_an_iam_sentence_use_the_generic_one() {
    assert_eq!(
        validation(
            IamAction::DeleteAccessKey,
            &[("AccessKeyId", "AKIA-IOSFODNN7EXAMPLE")]
        ),
        one(
            r"Value 'AKIA-IOSFODNN7EXAMPLE' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w]+"
        )
    );
    assert_eq!(
        validation(IamAction::ListUsers, &[("Marker", "\u{100}")]),
        one(
            r"Value 'Ā' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0020-\u00FF]+"
        )
    );
    assert_eq!(
        validation(
            IamAction::PutRolePolicy,
            &[("RoleName", "r"), ("PolicyName", "p"), ("PolicyDocument", "{\u{1}}")]
        ),
        one("Value '{\u{1}}' at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")
    );
    // Latin-1 is the whole of what a policy document may hold.
    assert!(parse(
        IamAction::PutRolePolicy,
        &[
            ("RoleName", "r"),
            ("PolicyName", "p"),
            ("PolicyDocument", "{\"é\":\t\"\"}\r\n")
        ]
    )
    .is_ok());
    assert!(validation(
        IamAction::CreateRole,
        &[("RoleName", "r"), ("AssumeRolePolicyDocument", "{}"), ("Description", "\u{7F}")]
    )
    .contains("at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern"));
}

#[test]
fn tags_are_checked_member_by_member() {
    let base = [("UserName", "u")];
    let with = |extra: &[(&str, &str)]| {
        let mut items = base.to_vec();
        items.extend_from_slice(extra);
        validation(IamAction::CreateUser, &items)
    };
    assert_eq!(
        with(&[("Tags.member.1.Key", "k")]),
        one("Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null")
    );
    assert_eq!(
        with(&[("Tags.member.1.Key", "a*b"), ("Tags.member.1.Value", "v")]),
        one(
            r"Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+"
        )
    );
    let long_value = "v".repeat(257);
    assert_eq!(
        with(&[("Tags.member.3.Key", "k"), ("Tags.member.3.Value", &long_value)]),
        one(&format!(
            "Value '{long_value}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"
        ))
    );
    let mut many: Vec<(String, String)> = vec![("UserName".into(), "u".into())];
    for i in 1..=51 {
        many.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        many.push((format!("Tags.member.{i}.Value"), "v".into()));
    }
    let error = parse_request(IamAction::CreateUser, &many).err();
    assert_eq!(
        error.map(|e| e.message),
        Some(one(
            "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
        ))
    );
    // Unicode letters, digits and separators are tag characters.
    assert!(parse(
        IamAction::CreateUser,
        &[
            ("UserName", "u"),
            ("Tags.member.1.Key", "équipe 1"),
            ("Tags.member.1.Value", "ünï:/=+-@_.")
        ]
    )
    .is_ok());
}

#[test]
fn duplicate_tag_keys_are_refused_whatever_their_case() {
    let error = parse(
        IamAction::CreateRole,
        &[
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", "{}"),
            ("Tags.member.1.Key", "Env"),
            ("Tags.member.1.Value", "a"),
            ("Tags.member.2.Key", "env"),
            ("Tags.member.2.Value", "b"),
        ],
    )
    .err();
    assert_eq!(error, Some(errors::duplicate_tag_keys()));
    assert_eq!(
        errors::duplicate_tag_keys().message,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );
}

#[test]
fn permissions_boundaries_are_refused() {
    let arn = "arn:aws:iam::123456789012:policy/boundary";
    for action in [IamAction::CreateUser, IamAction::CreateRole] {
        let error = parse(
            action,
            &[
                ("UserName", "u"),
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", "{}"),
                ("PermissionsBoundary", arn),
            ],
        )
        .err();
        assert_eq!(error, Some(errors::permissions_boundary_unsupported()));
    }
    // A malformed boundary gets the model's message first.
    assert_eq!(
        validation(IamAction::CreateUser, &[("UserName", "u"), ("PermissionsBoundary", "x")]),
        one("Value 'x' at 'permissionsBoundary' failed to satisfy constraint: Member must have length greater than or equal to 20")
    );
}

#[test]
fn every_violation_is_listed_in_member_order() {
    assert_eq!(
        validation(
            IamAction::ListUsers,
            &[("MaxItems", "5000"), ("Marker", ""), ("PathPrefix", "")]
        ),
        "4 validation errors detected: \
         Value '' at 'pathPrefix' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+; \
         Value '5000' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn domain_errors_have_aws_s_codes_statuses_and_wording() {
    let cases = [
        (errors::no_such_user("app"), "NoSuchEntity", 404, "The user with name app cannot be found."),
        (errors::no_such_role("r"), "NoSuchEntity", 404, "The role with name r cannot be found."),
        (errors::no_such_user_policy("p"), "NoSuchEntity", 404, "The user policy with name p cannot be found."),
        (errors::no_such_role_policy("p"), "NoSuchEntity", 404, "The role policy with name p cannot be found."),
        (errors::no_such_access_key("AKIAX"), "NoSuchEntity", 404, "The Access Key with id AKIAX cannot be found."),
        (errors::user_already_exists("app"), "EntityAlreadyExists", 409, "User with name app already exists."),
        (errors::role_already_exists("r"), "EntityAlreadyExists", 409, "Role with name r already exists."),
        (errors::must_delete_policies_first(), "DeleteConflict", 409, "Cannot delete entity, must delete policies first."),
        (errors::must_delete_access_keys_first(), "DeleteConflict", 409, "Cannot delete entity, must delete access keys first."),
        (errors::access_key_quota_exceeded(), "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2"),
        (errors::user_policy_size_exceeded("app"), "LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user app"),
        (errors::role_policy_size_exceeded("r"), "LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded for role r"),
        (errors::malformed_policy_document("Syntax errors in policy."), "MalformedPolicyDocument", 400, "Syntax errors in policy."),
        (errors::invalid_action("CreateInstanceProfile"), "InvalidAction", 400, "Could not find operation CreateInstanceProfile for version 2010-05-08"),
        (
            errors::access_denied("arn:aws:iam::1:user/a", "iam:CreateUser", "arn:aws:iam::1:user/b"),
            "AccessDenied",
            403,
            "User: arn:aws:iam::1:user/a is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::1:user/b because no identity-based policy allows the iam:CreateUser action",
        ),
        (
            errors::access_denied_explicitly("arn:aws:iam::1:user/a", "iam:GetUser", "arn:aws:iam::1:user/b"),
            "AccessDenied",
            403,
            "User: arn:aws:iam::1:user/a is not authorized to perform: iam:GetUser on resource: arn:aws:iam::1:user/b with an explicit deny in an identity-based policy",
        ),
        (errors::service_failure(), "ServiceFailure", 500, "The request processing has failed because of an unknown error, exception or failure."),
    ];
    for (error, code, status, message) in cases {
        assert_eq!(error.code.as_str(), code);
        assert_eq!(error.status(), status);
        assert_eq!(error.message, message);
    }
}

#[test]
fn error_xml_has_iam_s_shape_and_fault_type() {
    assert_eq!(
        error_xml(&errors::no_such_user("a<b"), "req-1"),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n\
         \x20 <Error>\n\
         \x20   <Type>Sender</Type>\n\
         \x20   <Code>NoSuchEntity</Code>\n\
         \x20   <Message>The user with name a&lt;b cannot be found.</Message>\n\
         \x20 </Error>\n\
         \x20 <RequestId>req-1</RequestId>\n\
         </ErrorResponse>\n"
    );
    assert!(error_xml(&errors::service_failure(), "r").contains("<Type>Receiver</Type>"));
}

// ---------------------------------------------------------------------------------------------
// Responses.

fn date() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

fn user() -> User {
    User {
        path: "/".to_owned(),
        user_name: "app".to_owned(),
        user_id: "AIDACKCEVSQ6C2EXAMPLE".to_owned(),
        arn: "arn:aws:iam::123456789012:user/app".to_owned(),
        create_date: date(),
        tags: vec![],
    }
}

fn role() -> Role {
    Role {
        path: "/".to_owned(),
        role_name: "deployer".to_owned(),
        role_id: "AROADBQP57FF2AEXAMPLE".to_owned(),
        arn: "arn:aws:iam::123456789012:role/deployer".to_owned(),
        create_date: date(),
        assume_role_policy_document:
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#
                .to_owned(),
        description: Some("Deploys & ships".to_owned()),
        max_session_duration: Some(3600),
        tags: vec![Tag {
            key: "team".to_owned(),
            value: "ops".to_owned(),
        }],
        role_last_used: Some(RoleLastUsed::default()),
    }
}

fn access_key() -> AccessKey {
    AccessKey {
        user_name: "app".to_owned(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        status: AccessKeyStatus::Active,
        secret_access_key: SensitiveString::new(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".to_owned(),
        ),
        create_date: date(),
    }
}

fn policy() -> InlinePolicy {
    InlinePolicy {
        entity_name: "app".to_owned(),
        policy_name: "read-secrets".to_owned(),
        policy_document: r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}}"#.to_owned(),
    }
}

/// One sample response per action.
fn samples() -> Vec<IamResponse> {
    let page = |marker: Option<&str>| marker.map(str::to_owned);
    vec![
        IamResponse::CreateUser(User {
            tags: vec![Tag {
                key: "env".to_owned(),
                value: "prod".to_owned(),
            }],
            ..user()
        }),
        IamResponse::GetUser(user()),
        IamResponse::ListUsers(Page {
            items: vec![
                user(),
                User {
                    user_name: "b".to_owned(),
                    ..user()
                },
            ],
            marker: page(Some("bmV4dA==")),
        }),
        IamResponse::DeleteUser,
        IamResponse::CreateAccessKey(access_key()),
        IamResponse::ListAccessKeys(Page {
            items: vec![AccessKeyMetadata {
                user_name: "app".to_owned(),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
                status: AccessKeyStatus::Inactive,
                create_date: date(),
            }],
            marker: None,
        }),
        IamResponse::UpdateAccessKey,
        IamResponse::DeleteAccessKey,
        IamResponse::PutUserPolicy,
        IamResponse::GetUserPolicy(policy()),
        IamResponse::DeleteUserPolicy,
        IamResponse::ListUserPolicies(Page {
            items: vec!["a".to_owned(), "b".to_owned()],
            marker: None,
        }),
        IamResponse::CreateRole(Role {
            role_last_used: None,
            ..role()
        }),
        IamResponse::GetRole(role()),
        IamResponse::DeleteRole,
        IamResponse::ListRoles(Page {
            items: vec![Role {
                role_last_used: None,
                tags: vec![],
                ..role()
            }],
            marker: page(Some("m")),
        }),
        IamResponse::PutRolePolicy,
        IamResponse::GetRolePolicy(InlinePolicy {
            entity_name: "deployer".to_owned(),
            ..policy()
        }),
        IamResponse::DeleteRolePolicy,
        IamResponse::ListRolePolicies(Page {
            items: vec![],
            marker: None,
        }),
    ]
}

/// A small checker for the XML we write: well-formed (every element closed in order, only
/// the five escapes), one root in IAM's namespace. Returns every element as its path from the
/// root, with the text of leaves, in document order.
fn elements(xml: &str) -> Vec<(String, Option<String>)> {
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    // The element opened last, while nothing has been opened inside it: a leaf if it closes
    // next.
    let mut leaf: Option<usize> = None;
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        let end = start
            + rest[start..]
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag in {xml}"));
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
            assert_eq!(open, name, "mismatched close in {xml}");
            match leaf.take() {
                Some(index) => out[index].1 = Some(decode(text)),
                None => assert!(text.trim().is_empty(), "mixed content in {xml}"),
            }
        } else {
            assert!(text.trim().is_empty(), "text before <{tag}> in {xml}");
            let name = match tag.split_once(' ') {
                Some((name, attributes)) => {
                    assert!(stack.is_empty(), "attributes only on the root");
                    assert_eq!(
                        attributes,
                        "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\""
                    );
                    name
                }
                None => tag,
            };
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad name {name}"
            );
            stack.push(name.to_owned());
            out.push((stack.join("/"), None));
            leaf = Some(out.len() - 1);
        }
    }
    assert!(
        stack.is_empty() && rest.trim().is_empty(),
        "unclosed elements in {xml}"
    );
    out
}

/// Undoes the five escapes, and fails on any other `&`.
fn decode(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..]
            .find(';')
            .map(|e| at + e)
            .unwrap_or_else(|| panic!("bare & in {text}"));
        out.push(match &rest[at..=end] {
            "&amp;" => '&',
            "&lt;" => '<',
            "&gt;" => '>',
            "&quot;" => '"',
            "&apos;" => '\'',
            "&#13;" => '\r',
            other => panic!("unknown entity {other}"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn paths(xml: &str) -> Vec<String> {
    elements(xml).into_iter().map(|(path, _)| path).collect()
}

fn text_at(xml: &str, path: &str) -> Option<String> {
    elements(xml)
        .into_iter()
        .find(|(p, _)| p == path)
        .and_then(|(_, text)| text)
}

#[test]
fn create_user_xml_matches_iam_s_layout() {
    let xml = IamResponse::CreateUser(user()).to_xml("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
    assert_eq!(
        xml.as_str(),
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n\
         \x20 <CreateUserResult>\n\
         \x20   <User>\n\
         \x20     <Path>/</Path>\n\
         \x20     <UserName>app</UserName>\n\
         \x20     <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>\n\
         \x20     <Arn>arn:aws:iam::123456789012:user/app</Arn>\n\
         \x20     <CreateDate>2026-12-02T17:00:00Z</CreateDate>\n\
         \x20   </User>\n\
         \x20 </CreateUserResult>\n\
         \x20 <ResponseMetadata>\n\
         \x20   <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n\
         \x20 </ResponseMetadata>\n\
         </CreateUserResponse>\n"
    );
}

#[test]
fn every_response_is_well_formed_with_its_root_and_metadata() {
    for response in samples() {
        let name = response.action().name();
        let xml = response.to_xml("req-1");
        let found = paths(&xml);
        let root = format!("{name}Response");
        assert_eq!(found.first(), Some(&root), "{}", xml.as_str());
        assert_eq!(
            found.last(),
            Some(&format!("{root}/ResponseMetadata/RequestId")),
            "{}",
            xml.as_str()
        );
        let has_result = found.contains(&format!("{root}/{name}Result"));
        let no_output = matches!(
            response,
            IamResponse::DeleteUser
                | IamResponse::UpdateAccessKey
                | IamResponse::DeleteAccessKey
                | IamResponse::PutUserPolicy
                | IamResponse::DeleteUserPolicy
                | IamResponse::DeleteRole
                | IamResponse::PutRolePolicy
                | IamResponse::DeleteRolePolicy
        );
        assert_eq!(has_result, !no_output, "{}", xml.as_str());
    }
}

#[test]
fn lists_use_member_elements_and_truncation() {
    let xml = samples()
        .into_iter()
        .find(|r| r.action() == IamAction::ListUsers)
        .map(|r| r.to_xml("r"))
        .unwrap_or_default();
    let found = paths(&xml);
    let members = found
        .iter()
        .filter(|p| *p == "ListUsersResponse/ListUsersResult/Users/member")
        .count();
    assert_eq!(members, 2);
    assert_eq!(
        text_at(&xml, "ListUsersResponse/ListUsersResult/IsTruncated").as_deref(),
        Some("true")
    );
    assert_eq!(
        text_at(&xml, "ListUsersResponse/ListUsersResult/Marker").as_deref(),
        Some("bmV4dA==")
    );
    // The result's members come in the model's order: the list, IsTruncated, Marker.
    let result_children: Vec<&String> = found
        .iter()
        .filter(|p| {
            p.matches('/').count() == 2 && p.starts_with("ListUsersResponse/ListUsersResult/")
        })
        .collect();
    assert_eq!(
        result_children,
        [
            "ListUsersResponse/ListUsersResult/Users",
            "ListUsersResponse/ListUsersResult/IsTruncated",
            "ListUsersResponse/ListUsersResult/Marker"
        ]
    );

    let xml = IamResponse::ListRolePolicies(Page {
        items: vec!["p1".to_owned()],
        marker: None,
    })
    .to_xml("r");
    assert_eq!(
        text_at(
            &xml,
            "ListRolePoliciesResponse/ListRolePoliciesResult/PolicyNames/member"
        )
        .as_deref(),
        Some("p1")
    );
    assert_eq!(
        text_at(
            &xml,
            "ListRolePoliciesResponse/ListRolePoliciesResult/IsTruncated"
        )
        .as_deref(),
        Some("false")
    );
    assert!(!xml.contains("<Marker>"));
}

#[test]
fn policy_documents_are_url_encoded_as_iam_sends_them() {
    let xml = IamResponse::GetUserPolicy(policy()).to_xml("r");
    let encoded = text_at(
        &xml,
        "GetUserPolicyResponse/GetUserPolicyResult/PolicyDocument",
    )
    .unwrap_or_default();
    assert_eq!(
        encoded,
        "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22secretsmanager%3A*%22%2C%20%22Resource%22%3A%20%22*%22%7D%7D"
    );
    let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8_lossy();
    assert_eq!(decoded, policy().policy_document);

    let xml = IamResponse::GetRole(role()).to_xml("r");
    let trust = text_at(
        &xml,
        "GetRoleResponse/GetRoleResult/Role/AssumeRolePolicyDocument",
    )
    .unwrap_or_default();
    assert!(
        trust.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{trust}"
    );
    assert_eq!(
        text_at(&xml, "GetRoleResponse/GetRoleResult/Role/Description").as_deref(),
        Some("Deploys & ships")
    );
    assert!(paths(&xml).contains(&"GetRoleResponse/GetRoleResult/Role/RoleLastUsed".to_owned()));
    assert_eq!(
        text_at(&xml, "GetRoleResponse/GetRoleResult/Role/Tags/member/Key").as_deref(),
        Some("team")
    );
}

#[test]
fn create_access_key_xml_carries_the_secret_in_a_zeroizing_buffer() {
    let xml: zeroize::Zeroizing<String> = IamResponse::CreateAccessKey(access_key()).to_xml("r");
    assert_eq!(
        paths(&xml)
            .into_iter()
            .filter(|p| p.starts_with("CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/"))
            .collect::<Vec<_>>(),
        [
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/UserName",
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/AccessKeyId",
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/Status",
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/SecretAccessKey",
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/CreateDate",
        ]
    );
    assert_eq!(
        text_at(
            &xml,
            "CreateAccessKeyResponse/CreateAccessKeyResult/AccessKey/SecretAccessKey"
        )
        .as_deref(),
        Some("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
    );
    // The buffer was reserved for the whole body, so it never reallocated (and never left an
    // unzeroed copy of the key behind).
    assert!(xml.capacity() >= xml.len());
    assert!(xml.capacity() >= 2048);
    // The Debug of the wire type never shows the secret.
    assert!(!format!("{:?}", access_key()).contains("EXAMPLEKEY"));
}

#[test]
fn every_value_is_escaped() {
    let nasty = "</UserName><x>&'\"";
    let xml = IamResponse::GetUser(User {
        user_name: nasty.to_owned(),
        ..user()
    })
    .to_xml("r&1");
    assert_eq!(
        text_at(&xml, "GetUserResponse/GetUserResult/User/UserName").as_deref(),
        Some(nasty)
    );
    assert_eq!(
        text_at(&xml, "GetUserResponse/ResponseMetadata/RequestId").as_deref(),
        Some("r&1")
    );
}

#[test]
fn characters_xml_cannot_carry_are_replaced_and_carriage_returns_kept() {
    let error = QueryError::new(QueryErrorCode::ValidationError, "a\u{1}b\r\nc\u{FFFF}");
    let xml = error_xml(&error, "r");
    assert!(
        xml.contains("<Message>a\u{FFFD}b&#13;\nc\u{FFFD}</Message>"),
        "{xml}"
    );
}

proptest::proptest! {
    /// Any value, written into any leaf, reads back as itself (less what XML cannot carry),
    /// and never breaks the document's structure.
    #[test]
    fn any_value_round_trips_through_the_xml(value in "\\PC*|[\\x00-\\x7F]*") {
        let xml = IamResponse::GetUser(User { user_name: value.clone(), tags: vec![Tag { key: value.clone(), value: value.clone() }], ..user() }).to_xml(&value);
        let expected: String = value
            .chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
                other => other,
            })
            .collect();
        for path in [
            "GetUserResponse/GetUserResult/User/UserName",
            "GetUserResponse/GetUserResult/User/Tags/member/Key",
            "GetUserResponse/GetUserResult/User/Tags/member/Value",
            "GetUserResponse/ResponseMetadata/RequestId",
        ] {
            let found = text_at(&xml, path);
            proptest::prop_assert_eq!(found.as_deref(), Some(expected.as_str()));
        }
    }
}

/// Writes every sample body to `$COFFER_DUMP_QUERY_XML`, when set, for checking with botocore.
#[test]
fn dump_samples() {
    let Some(dir) = std::env::var_os("COFFER_DUMP_QUERY_XML") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    for response in samples() {
        let path = dir.join(format!("iam-{}.xml", response.action().name()));
        std::fs::write(path, response.to_xml("req-1").as_bytes()).ok();
    }
    std::fs::write(
        dir.join("iam-error.xml"),
        error_xml(&errors::no_such_user("a&b"), "req-1"),
    )
    .ok();
}

// ---------------------------------------------------------------------------------------------
// Login profiles.

#[test]
fn login_profile_requests_parse() {
    let request = parse(
        IamAction::CreateLoginProfile,
        &[
            ("UserName", "alice"),
            ("Password", "Corr3ct horse!"),
            ("PasswordResetRequired", "true"),
        ],
    )
    .expect("valid");
    assert_eq!(
        request,
        IamRequest::CreateLoginProfile(CreateLoginProfileRequest {
            user_name: Some("alice".into()),
            password: SensitiveString::new("Corr3ct horse!".into()),
            password_reset_required: true,
        })
    );
    assert_eq!(
        parse(IamAction::UpdateLoginProfile, &[("UserName", "alice")]).expect("valid"),
        IamRequest::UpdateLoginProfile(UpdateLoginProfileRequest {
            user_name: "alice".into(),
            password: None,
            password_reset_required: None,
        })
    );
    assert_eq!(
        parse(IamAction::GetLoginProfile, &[]).expect("valid"),
        IamRequest::GetLoginProfile(LoginProfileRequest { user_name: None })
    );
    assert_eq!(
        parse(IamAction::DeleteLoginProfile, &[("UserName", "bob")])
            .expect("valid")
            .action(),
        IamAction::DeleteLoginProfile
    );
}

#[test]
fn a_password_never_appears_in_a_validation_message() {
    // Too long, and a character beyond \u00FF: the messages name the member, never the value.
    let long = "p".repeat(129);
    let message = validation(
        IamAction::CreateLoginProfile,
        &[("UserName", "alice"), ("Password", &long)],
    );
    assert_eq!(
        message,
        one("Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 128")
    );
    let message = validation(
        IamAction::UpdateLoginProfile,
        &[("UserName", "alice"), ("Password", "s3cret\u{1F600}")],
    );
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.starts_with("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{message}");
    // A missing password (required: coffer has no AssumeRoot sessions), a bad flag, a bad name.
    assert_eq!(
        validation(IamAction::CreateLoginProfile, &[("UserName", "alice")]),
        one("Value null at 'password' failed to satisfy constraint: Member must not be null")
    );
    assert_eq!(
        validation(
            IamAction::UpdateLoginProfile,
            &[("UserName", "alice"), ("PasswordResetRequired", "yes")]
        ),
        one("Value 'yes' at 'passwordResetRequired' failed to satisfy constraint: Member must be a boolean")
    );
    assert_eq!(
        validation(IamAction::UpdateLoginProfile, &[]),
        one("Value null at 'userName' failed to satisfy constraint: Member must not be null")
    );
    assert_eq!(
        validation(IamAction::GetLoginProfile, &[("UserName", "a b")]),
        USER_NAME_INVALID
    );
}

#[test]
fn login_profile_responses_as_iam_lays_them_out() {
    let profile = LoginProfile {
        user_name: "alice".into(),
        create_date: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        password_reset_required: false,
    };
    let xml = IamResponse::GetLoginProfile(profile).to_xml("rid");
    let xml: String = xml.lines().map(str::trim).collect();
    assert!(
        xml.contains(
            "<GetLoginProfileResult><LoginProfile><UserName>alice</UserName>\
             <CreateDate>2026-01-02T03:04:05Z</CreateDate>\
             <PasswordResetRequired>false</PasswordResetRequired></LoginProfile></GetLoginProfileResult>"
        ),
        "{xml}"
    );
    let xml = IamResponse::DeleteLoginProfile.to_xml("rid");
    assert!(
        !xml.contains("DeleteLoginProfileResult"),
        "{}",
        xml.as_str()
    );
    assert_eq!(
        errors::no_such_login_profile("alice").message,
        "Login Profile for User alice cannot be found."
    );
    assert_eq!(errors::password_policy_violation("x").status(), 400);
}
