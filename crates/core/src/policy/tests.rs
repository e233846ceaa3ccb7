//! Tests for the policy language.
use super::*;

#[test]
fn smoke() {
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert!(p.is_ok());
}
