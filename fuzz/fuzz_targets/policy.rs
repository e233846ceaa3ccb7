//! The IAM policy language: the first byte picks the document's kind (identity, resource,
//! trust), the rest is the document. A document that parses is evaluated, alone and through
//! `authorize` in every position, against fixed callers, actions and request contexts, and run
//! through ValidateResourcePolicy's checks. Nothing may panic.
#![no_main]

use coffer_core::policy::{
    authorize, validate_resource_policy, ConditionKeys, Identity, Policy, PolicyKind,
    PrincipalContext, Request,
};
use libfuzzer_sys::fuzz_target;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";

fn callers() -> [PrincipalContext; 4] {
    [
        PrincipalContext {
            arn: "arn:aws:iam::111122223333:user/team/alice".to_owned(),
            account: ACCOUNT.to_owned(),
            role_arn: None,
            is_root: false,
            user_name: Some("alice".to_owned()),
            user_id: "AIDAALICE0000000000".to_owned(),
        },
        PrincipalContext {
            arn: format!("arn:aws:iam::{ACCOUNT}:root"),
            account: ACCOUNT.to_owned(),
            role_arn: None,
            is_root: true,
            user_name: None,
            user_id: ACCOUNT.to_owned(),
        },
        PrincipalContext {
            arn: "arn:aws:sts::111122223333:assumed-role/Reader/sess1".to_owned(),
            account: ACCOUNT.to_owned(),
            role_arn: Some("arn:aws:iam::111122223333:role/Reader".to_owned()),
            is_root: false,
            user_name: None,
            user_id: "AROAREADER000000000:sess1".to_owned(),
        },
        PrincipalContext {
            arn: "arn:aws:iam::444455556666:user/bob".to_owned(),
            account: OTHER.to_owned(),
            role_arn: None,
            is_root: false,
            user_name: Some("bob".to_owned()),
            user_id: "AIDABOB000000000000".to_owned(),
        },
    ]
}

fn contexts() -> [ConditionKeys; 2] {
    let mut full = ConditionKeys::default();
    full.insert("aws:SourceIp", "203.0.113.7");
    full.insert("aws:CurrentTime", "2025-06-01T12:00:00Z");
    full.insert("aws:EpochTime", "1748779200");
    full.insert("aws:SecureTransport", "true");
    full.insert("aws:MultiFactorAuthAge", "300");
    full.insert("aws:PrincipalTag/team", "blue");
    full.insert("aws:ResourceTag/Project", "Apollo");
    full.insert("secretsmanager:Name", "prod/db");
    full.insert("sts:ExternalId", "ext-1");
    full.insert_all("aws:TagKeys", ["a", "b"]);
    full.insert_all("secretsmanager:AddReplicaRegions", Vec::<String>::new());
    let mut ipv6 = ConditionKeys::default();
    ipv6.insert("aws:SourceIp", "2001:db8::1");
    ipv6.insert("aws:CurrentTime", "not a date");
    ipv6.insert("aws:MultiFactorAuthAge", "1e400");
    [full, ipv6]
}

const REQUESTS: [(&str, &str); 4] = [
    ("secretsmanager:GetSecretValue", SECRET),
    ("secretsmanager:ListSecrets", "*"),
    ("sts:AssumeRole", "arn:aws:iam::111122223333:role/Reader"),
    ("iam:CreateUser", "arn:aws:iam::111122223333:user/x"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, document)) = data.split_first() else {
        return;
    };
    // A document reaches the parser as a JSON string member or a form value: always UTF-8.
    let Ok(text) = std::str::from_utf8(document) else {
        return;
    };
    let kind = match selector % 3 {
        0 => PolicyKind::Identity,
        1 => PolicyKind::Resource,
        _ => PolicyKind::Trust,
    };
    let _ = validate_resource_policy(text, selector & 0x80 != 0);
    let policy = match Policy::parse(text, kind) {
        Ok(policy) => policy,
        Err(error) => {
            assert!(!error.message().is_empty());
            return;
        }
    };
    let _ = policy.grants_public_access();
    let _ = policy.id();
    let callers = callers();
    let contexts = contexts();
    let policies = std::slice::from_ref(&policy);
    for principal in &callers {
        for keys in &contexts {
            for (action, resource) in REQUESTS {
                let request = Request {
                    action,
                    resource,
                    principal,
                    resource_account: ACCOUNT,
                    keys,
                };
                let _ = policy.evaluate(&request);
                let outcomes = [
                    authorize(Identity::Policies(policies), None, None, &request),
                    authorize(Identity::Policies(&[]), Some(&policy), None, &request),
                    authorize(Identity::Root, None, Some(&policy), &request),
                    authorize(
                        Identity::Policies(policies),
                        Some(&policy),
                        Some(&policy),
                        &request,
                    ),
                ];
                for denial in outcomes.into_iter().filter_map(Result::err) {
                    assert!(denial.message(&request).starts_with("User: "));
                }
            }
        }
    }
});
