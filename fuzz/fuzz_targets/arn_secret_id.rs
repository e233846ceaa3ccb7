//! ARNs and secret ids: a SecretId as the handlers read it (`SecretRef::parse`, then the
//! lookups it stands for in a fixed scope, cross-account included), and the name, account and
//! region parsers. Nothing may panic, and what parses must hold to its contract.
#![no_main]

use coffer_core::names::{secret_arn, AccountId, Region, Scope, SecretName, SecretRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (Some(account), Some(region)) =
        (AccountId::parse("111122223333"), Region::parse("us-east-1"))
    else {
        return;
    };
    let scope = Scope { account, region };

    let reference = SecretRef::parse(text);
    match &reference {
        SecretRef::Name(name) => {
            assert_eq!(name, text);
            let candidates = reference.candidates(&scope);
            assert_eq!(candidates.len(), 1);
            assert_eq!(candidates[0].name, text);
            assert!(candidates[0].suffix.is_none());
        }
        SecretRef::Arn { resource, .. } => {
            assert!(text.starts_with("arn:"));
            assert!(text.ends_with(resource.as_str()));
            for candidate in reference.candidates(&scope) {
                // A full-ARN candidate is the resource split at its last `-`.
                match &candidate.suffix {
                    Some(suffix) => assert_eq!(format!("{}-{suffix}", candidate.name), *resource),
                    None => assert_eq!(candidate.name, *resource),
                }
            }
        }
    }
    let (resolved, candidates) = reference.resolve(&scope);
    if resolved != scope {
        // Another account is reached by full ARN only.
        assert!(candidates.iter().all(|c| c.suffix.is_some()));
    }

    if let Ok(name) = SecretName::parse(text) {
        assert_eq!(name.as_str(), text);
        assert!(SecretName::is_valid(text));
        // A name that parses makes an ARN that resolves back to it.
        let arn = secret_arn(&scope, name.as_str(), "AbCdEf");
        let candidates = SecretRef::parse(&arn).candidates(&scope);
        assert_eq!(candidates[0].name, text);
        assert_eq!(candidates[0].suffix.as_deref(), Some("AbCdEf"));
    }
    if let Some(account) = AccountId::parse(text) {
        assert_eq!(account.as_str(), text);
    }
    if let Some(region) = Region::parse(text) {
        assert_eq!(region.as_str(), text);
    }
});
