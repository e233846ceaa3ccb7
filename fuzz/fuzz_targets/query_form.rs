//! IAM and STS in awsQuery: a form body read as the server reads it (`parse_form`, the service
//! of its `Action`, then that action's parser). The first byte may instead pick the action, so
//! that every one of the 20 IAM actions and AssumeRole is reached whatever the form names.
//! Nothing may panic; every refusal is a client error and renders as XML.
#![no_main]

use coffer_protocol::iam::{self, IamAction};
use coffer_protocol::query::{self, QueryError, QueryService};
use coffer_protocol::sts;
use libfuzzer_sys::fuzz_target;

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn check(error: &QueryError) {
    assert!((400..500).contains(&error.status()), "{error}");
    assert!(iam::error_xml(error, "req").contains("<Code>"));
    assert!(sts::query_error_xml(error, "req").contains("<Code>"));
}

fn assume_role(pairs: &[(String, String)]) {
    if let Err(error) = sts::parse_assume_role(pairs) {
        check(&error);
    }
}

fn iam_action(action: IamAction, pairs: &[(String, String)]) {
    if let Err(error) = iam::parse_request(action, pairs) {
        check(&error);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let _ = sts::parse_action(Some(FORM), body);
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = sts::parse_query_action(Some(text));
    }
    let actions = IamAction::ALL.len();
    let selector = usize::from(selector) % (actions + 2);
    if selector < actions + 1 {
        // The action chosen by the first byte, the parameters from the form.
        let Some(pairs) = query::parse_form(Some(FORM), body)
            .map(|form| form.params)
            .or_else(|| {
                let mut with_action = b"Action=X&".to_vec();
                with_action.extend_from_slice(body);
                query::parse_form(Some(FORM), &with_action).map(|form| form.params)
            })
        else {
            return;
        };
        match IamAction::ALL.get(selector) {
            Some(&action) => iam_action(action, &pairs),
            None => assume_role(&pairs),
        }
        return;
    }
    // As the server routes it.
    let Some(form) = query::parse_form(Some(FORM), body) else {
        return;
    };
    match query::query_service(&form.action) {
        Some(QueryService::Sts) if form.action == "AssumeRole" => assume_role(&form.params),
        Some(QueryService::Sts) => {}
        Some(QueryService::Iam) => {
            let action = IamAction::from_name(&form.action).expect("an IAM action by name");
            iam_action(action, &form.params);
        }
        None => check(&sts::invalid_action(&form.action)),
    }
});
