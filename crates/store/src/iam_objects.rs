//! The stored form of IAM objects (managed policies with their versions, groups with their
//! inline policies): one JSON document per row of `iam_objects`, beside the columns that
//! identify it. One column instead of child tables, because an object is always read and
//! written whole (at most five versions of at most 6,144 characters, or a group's inline
//! policies), under one row lock.

use chrono::{DateTime, Utc};
use coffer_core::managed::{
    GroupRecord, IamObject, IamObjectKind, ManagedPolicyRecord, PolicyVersionRecord,
};
use coffer_core::names::AccountId;
use serde_json::{json, Map, Value};

use crate::sql::{from_millis, millis};

/// The JSON body of an object (its account, kind and name are columns).
pub(crate) fn encode(object: &IamObject) -> String {
    let body = match object {
        IamObject::Policy(p) => json!({
            "path": p.path,
            "id": p.id,
            "description": p.description,
            "created_ms": millis(p.created),
            "updated_ms": millis(p.updated),
            "default_version": p.default_version,
            "next_version": p.next_version,
            "versions": p.versions.iter().map(|v| json!({
                "id": v.version_id,
                "document": v.document,
                "created_ms": millis(v.created),
            })).collect::<Vec<_>>(),
            "tags": p.tags.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
        }),
        IamObject::Group(g) => json!({
            "path": g.path,
            "id": g.id,
            "created_ms": millis(g.created),
            "inline_policies": g.inline_policies.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
        }),
    };
    body.to_string()
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)?.as_str().map(str::to_owned)
}

fn time(map: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    map.get(key)?.as_i64().map(from_millis)
}

fn pairs(value: Option<&Value>) -> Option<Vec<(String, String)>> {
    value?
        .as_array()?
        .iter()
        .map(|pair| {
            let pair = pair.as_array()?;
            Some((
                pair.first()?.as_str()?.to_owned(),
                pair.get(1)?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Decodes a row; `None` when the body is not what [`encode`] writes.
pub(crate) fn decode(
    account: AccountId,
    kind: IamObjectKind,
    name: String,
    body: &str,
) -> Option<IamObject> {
    let value: Value = serde_json::from_str(body).ok()?;
    let map = value.as_object()?;
    Some(match kind {
        IamObjectKind::Policy => IamObject::Policy(ManagedPolicyRecord {
            account,
            name,
            path: text(map, "path")?,
            id: text(map, "id")?,
            description: text(map, "description"),
            created: time(map, "created_ms")?,
            updated: time(map, "updated_ms")?,
            default_version: text(map, "default_version")?,
            next_version: u32::try_from(map.get("next_version")?.as_u64()?).ok()?,
            versions: map
                .get("versions")?
                .as_array()?
                .iter()
                .map(|v| {
                    let v = v.as_object()?;
                    Some(PolicyVersionRecord {
                        version_id: text(v, "id")?,
                        document: text(v, "document")?,
                        created: time(v, "created_ms")?,
                    })
                })
                .collect::<Option<_>>()?,
            tags: pairs(map.get("tags"))?,
        }),
        IamObjectKind::Group => IamObject::Group(GroupRecord {
            account,
            name,
            path: text(map, "path")?,
            id: text(map, "id")?,
            created: time(map, "created_ms")?,
            inline_policies: pairs(map.get("inline_policies"))?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let account = AccountId::parse("123456789012").expect("an account id");
        let at = from_millis(1_700_000_000_123);
        let objects = [
            IamObject::Policy(ManagedPolicyRecord {
                account: account.clone(),
                name: "P".into(),
                path: "/a/".into(),
                id: "ANPA0000000000000000".into(),
                description: None,
                created: at,
                updated: at,
                default_version: "v2".into(),
                next_version: 3,
                versions: vec![PolicyVersionRecord {
                    version_id: "v2".into(),
                    document: "{\"q\":\"\\u00e9\"}".into(),
                    created: at,
                }],
                tags: vec![("k".into(), String::new())],
            }),
            IamObject::Group(GroupRecord {
                account: account.clone(),
                name: "G".into(),
                path: "/".into(),
                id: "AGPA0000000000000000".into(),
                created: at,
                inline_policies: vec![("p".into(), "{}".into())],
            }),
        ];
        for object in objects {
            let body = encode(&object);
            let back = decode(account.clone(), object.kind(), object.name().into(), &body);
            assert_eq!(back, Some(object));
        }
        assert_eq!(
            decode(account, IamObjectKind::Group, "G".into(), "[]"),
            None
        );
    }
}
