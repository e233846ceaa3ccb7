//! Responses compared key by key with recordings of the real service (issue 15,
//! ../shared/AWS-BEHAVIOUR.md "Field presence"): a key AWS omits must be absent, not empty, so
//! these tests read the raw JSON, which the SDK would flatten (an absent list and an empty one
//! look alike through it).

use serde_json::{json, Value};

use crate::common::*;

/// The sorted keys of a JSON object.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Calls `operation` and returns its 200 body.
async fn call(s: &TestServer, operation: &str, body: Value) -> Value {
    let r = s.raw_json(operation, &body).send().await;
    assert_eq!(r.status, 200, "{operation}: {}", r.text());
    r.json()
}

/// The ListSecrets entry of `name` (filtered by name, so one entry).
async fn list_entry(s: &TestServer, name: &str) -> Value {
    let out = call(
        s,
        "ListSecrets",
        json!({"Filters": [{"Key": "name", "Values": [name]}]}),
    )
    .await;
    let list = out["SecretList"].as_array().unwrap();
    let entry = list.iter().find(|e| e["Name"] == name).expect("listed");
    entry.clone()
}

#[tokio::test]
async fn a_token_in_use_with_another_value_names_the_token_and_the_arn() {
    let s = start().await;
    let t = token();
    let created = call(
        &s,
        "CreateSecret",
        json!({"Name": "tok", "SecretString": "one", "ClientRequestToken": t}),
    )
    .await;
    let arn = created["ARN"].as_str().unwrap().to_owned();
    // CreateSecret's answer holds only ARN, Name and VersionId.
    assert_eq!(keys(&created), ["ARN", "Name", "VersionId"]);
    // The same token and value: the first answer again.
    let again = call(
        &s,
        "CreateSecret",
        json!({"Name": "tok", "SecretString": "one", "ClientRequestToken": t}),
    )
    .await;
    assert_eq!(again, created);
    // The same token with another value, on each of the three writes that take one.
    let message = msg_token_in_use(&t, &arn);
    for (operation, body) in [
        (
            "CreateSecret",
            json!({"Name": "tok", "SecretString": "two", "ClientRequestToken": t}),
        ),
        (
            "PutSecretValue",
            json!({"SecretId": "tok", "SecretString": "two", "ClientRequestToken": t}),
        ),
        (
            "UpdateSecret",
            json!({"SecretId": arn, "SecretString": "two", "ClientRequestToken": t}),
        ),
    ] {
        let r = s.raw_json(operation, &body).send().await;
        assert_eq!(r.status, 400, "{operation}");
        r.assert_error("ResourceExistsException", Some(&message));
    }
    // Another token on the same name: the name exists.
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "tok", "SecretString": "one", "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error("ResourceExistsException", Some(&msg_already_exists("tok")));
    // A CreateSecret without a value has no VersionId.
    let empty = call(&s, "CreateSecret", json!({"Name": "novalue"})).await;
    assert_eq!(keys(&empty), ["ARN", "Name"]);
}

#[tokio::test]
async fn an_empty_description_is_no_description() {
    let s = start().await;
    call(
        &s,
        "CreateSecret",
        json!({"Name": "d-empty", "SecretString": "x", "Description": "",
               "ClientRequestToken": token()}),
    )
    .await;
    call(
        &s,
        "CreateSecret",
        json!({"Name": "d-set", "SecretString": "x", "Description": "kept",
               "ClientRequestToken": token()}),
    )
    .await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "d-empty"})).await;
    assert!(described.get("Description").is_none(), "{described}");
    assert!(list_entry(&s, "d-empty").await.get("Description").is_none());
    let described = call(&s, "DescribeSecret", json!({"SecretId": "d-set"})).await;
    assert_eq!(described["Description"], "kept");
    // UpdateSecret with an empty Description clears it: the key goes.
    call(
        &s,
        "UpdateSecret",
        json!({"SecretId": "d-set", "Description": ""}),
    )
    .await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "d-set"})).await;
    assert!(described.get("Description").is_none(), "{described}");
    assert!(list_entry(&s, "d-set").await.get("Description").is_none());
}

#[tokio::test]
async fn a_version_without_labels_has_no_version_stages_key() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "unlabelled", "one").await;
    let v2 = put(&c, "unlabelled", "two").await;
    let v3 = put(&c, "unlabelled", "three").await;
    let out = call(
        &s,
        "ListSecretVersionIds",
        json!({"SecretId": "unlabelled", "IncludeDeprecated": true}),
    )
    .await;
    let versions = out["Versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    for v in versions {
        let id = v["VersionId"].as_str().unwrap();
        if id == v1 {
            assert_eq!(
                keys(v),
                ["CreatedDate", "KmsKeyIds", "VersionId"],
                "the unlabelled version: {v}"
            );
        } else {
            let want = if id == v2 {
                "AWSPREVIOUS"
            } else {
                "AWSCURRENT"
            };
            assert!(id == v2 || id == v3);
            assert_eq!(v["VersionStages"], json!([want]));
            assert_eq!(
                keys(v),
                ["CreatedDate", "KmsKeyIds", "VersionId", "VersionStages"]
            );
        }
    }
}

#[tokio::test]
async fn a_new_current_version_ends_a_pending_rotation() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "pending", "one").await;
    let v2 = token();
    call(
        &s,
        "PutSecretValue",
        json!({"SecretId": "pending", "SecretString": "two", "ClientRequestToken": v2,
               "VersionStages": ["AWSPENDING"]}),
    )
    .await;
    call(
        &s,
        "UpdateSecretVersionStage",
        json!({"SecretId": "pending", "VersionStage": "AWSCURRENT",
               "MoveToVersionId": v2, "RemoveFromVersionId": v1}),
    )
    .await;
    assert_eq!(
        stages(&c, "pending").await,
        stage_map(&[
            (&v2, &["AWSCURRENT", "AWSPENDING"]),
            (&v1, &["AWSPREVIOUS"])
        ])
    );
    let v3 = put(&c, "pending", "three").await;
    // AWSPENDING is gone from every version; v1 is no longer labelled.
    assert_eq!(
        stages(&c, "pending").await,
        stage_map(&[(&v3, &["AWSCURRENT"]), (&v2, &["AWSPREVIOUS"])])
    );
    // A version put with custom labels only leaves a pending version alone.
    let v4 = token();
    call(
        &s,
        "PutSecretValue",
        json!({"SecretId": "pending", "SecretString": "four", "ClientRequestToken": v4,
               "VersionStages": ["AWSPENDING"]}),
    )
    .await;
    let v5 = token();
    call(
        &s,
        "PutSecretValue",
        json!({"SecretId": "pending", "SecretString": "five", "ClientRequestToken": v5,
               "VersionStages": ["BLUE"]}),
    )
    .await;
    assert_eq!(
        stages(&c, "pending").await,
        stage_map(&[
            (&v3, &["AWSCURRENT"]),
            (&v2, &["AWSPREVIOUS"]),
            (&v4, &["AWSPENDING"]),
            (&v5, &["BLUE"]),
        ])
    );
}

#[tokio::test]
async fn last_accessed_date_appears_with_the_first_read_as_a_date() {
    let s = start().await;
    let c = s.client();
    create(&c, "la", "x").await;
    create(&c, "la-batch", "x").await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "la"})).await;
    assert!(described.get("LastAccessedDate").is_none(), "{described}");
    assert!(list_entry(&s, "la").await.get("LastAccessedDate").is_none());
    call(&s, "GetSecretValue", json!({"SecretId": "la"})).await;
    call(
        &s,
        "BatchGetSecretValue",
        json!({"SecretIdList": ["la-batch"]}),
    )
    .await;
    let midnight = today_midnight() as f64;
    for name in ["la", "la-batch"] {
        let described = call(&s, "DescribeSecret", json!({"SecretId": name})).await;
        assert_eq!(
            described["LastAccessedDate"].as_f64(),
            Some(midnight),
            "{name}"
        );
        let entry = list_entry(&s, name).await;
        assert_eq!(entry["LastAccessedDate"].as_f64(), Some(midnight), "{name}");
    }
}

#[tokio::test]
async fn list_secrets_without_sort_lists_oldest_first_across_pages() {
    let s = start().await;
    let c = s.client();
    let names: Vec<String> = (0..5).map(|i| format!("order/{}", 4 - i)).collect();
    for name in &names {
        create(&c, name, "x").await;
    }
    // Page by page, with no SortBy and no SortOrder.
    let mut listed = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut body = json!({"MaxResults": 2});
        if let Some(token) = &next {
            body["NextToken"] = json!(token);
        }
        let out = call(&s, "ListSecrets", body).await;
        for e in out["SecretList"].as_array().unwrap() {
            listed.push(e["Name"].as_str().unwrap().to_owned());
        }
        match out.get("NextToken").and_then(Value::as_str) {
            Some(token) => next = Some(token.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed, names);
    // SortBy alone (created-date) is the same order; SortOrder desc reverses it.
    let by = call(&s, "ListSecrets", json!({"SortBy": "created-date"})).await;
    let by: Vec<&str> = by["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    assert_eq!(by, names);
    let desc = call(&s, "ListSecrets", json!({"SortOrder": "desc"})).await;
    let desc: Vec<&str> = desc["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    let mut reversed = names.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);
    // BatchGetSecretValue with Filters lists in the same order.
    let batch = call(
        &s,
        "BatchGetSecretValue",
        json!({"Filters": [{"Key": "name", "Values": ["order/"]}]}),
    )
    .await;
    let batch: Vec<&str> = batch["SecretValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    assert_eq!(batch, names);
}

#[tokio::test]
async fn tags_are_absent_until_tagged_and_empty_after_the_last_is_removed() {
    let s = start().await;
    let c = s.client();
    create(&c, "never", "x").await;
    create(&c, "was", "x").await;
    call(
        &s,
        "CreateSecret",
        json!({"Name": "born", "Tags": [{"Key": "team", "Value": "a"}]}),
    )
    .await;
    call(
        &s,
        "TagResource",
        json!({"SecretId": "was", "Tags": [{"Key": "k", "Value": "v"}]}),
    )
    .await;
    for name in ["was", "born"] {
        let key = if name == "was" { "k" } else { "team" };
        call(
            &s,
            "UntagResource",
            json!({"SecretId": name, "TagKeys": [key]}),
        )
        .await;
    }
    let described = call(&s, "DescribeSecret", json!({"SecretId": "never"})).await;
    assert!(described.get("Tags").is_none(), "{described}");
    assert!(list_entry(&s, "never").await.get("Tags").is_none());
    for name in ["was", "born"] {
        let described = call(&s, "DescribeSecret", json!({"SecretId": name})).await;
        assert_eq!(described["Tags"], json!([]), "{name}: {described}");
        assert_eq!(list_entry(&s, name).await["Tags"], json!([]), "{name}");
    }
    // Tagged again, the tags are back.
    call(
        &s,
        "TagResource",
        json!({"SecretId": "was", "Tags": [{"Key": "k2", "Value": "v2"}]}),
    )
    .await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "was"})).await;
    assert_eq!(described["Tags"], json!([{"Key": "k2", "Value": "v2"}]));
}

/// The EncryptionFailure message for a KmsKeyId coffer cannot use.
const MSG_ENCRYPTION_FAILURE: &str = "Secrets Manager can't encrypt the protected secret text using \
     the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state.";

#[tokio::test]
async fn dev_mode_takes_any_well_formed_kms_key_id_and_shows_it_back() {
    let s = start_dev().await;
    let alias = "alias/team-a";
    let key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    call(
        &s,
        "CreateSecret",
        json!({"Name": "kms", "SecretString": "v1", "KmsKeyId": alias,
               "ClientRequestToken": token()}),
    )
    .await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "kms"})).await;
    assert_eq!(described["KmsKeyId"], alias);
    let versions = call(&s, "ListSecretVersionIds", json!({"SecretId": "kms"})).await;
    assert_eq!(versions["Versions"][0]["KmsKeyIds"], json!([alias]));
    let got = call(&s, "GetSecretValue", json!({"SecretId": "kms"})).await;
    assert_eq!(got["SecretString"], "v1");
    // UpdateSecret to a key ARN: recorded as given, and the new version is sealed with it.
    call(
        &s,
        "UpdateSecret",
        json!({"SecretId": "kms", "KmsKeyId": key_arn, "SecretString": "v2",
               "ClientRequestToken": token()}),
    )
    .await;
    let described = call(&s, "DescribeSecret", json!({"SecretId": "kms"})).await;
    assert_eq!(described["KmsKeyId"], key_arn);
    let got = call(&s, "GetSecretValue", json!({"SecretId": "kms"})).await;
    assert_eq!(got["SecretString"], "v2");
    // A malformed key id is refused as before.
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "bad", "SecretString": "x", "KmsKeyId": "not-a-key",
                    "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error("EncryptionFailure", Some(MSG_ENCRYPTION_FAILURE));
}

#[tokio::test]
async fn outside_dev_mode_an_unknown_kms_key_id_is_an_encryption_failure() {
    let s = start().await;
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "kms", "SecretString": "x", "KmsKeyId": "alias/team-a",
                    "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error("EncryptionFailure", Some(MSG_ENCRYPTION_FAILURE));
    let r = s
        .raw_json("DescribeSecret", &json!({"SecretId": "kms"}))
        .send()
        .await;
    r.assert_error("ResourceNotFoundException", Some(MSG_NOT_FOUND));
}

#[tokio::test]
async fn a_token_in_use_on_update_secret_changes_nothing() {
    let s = start().await;
    let t = token();
    let created = call(
        &s,
        "CreateSecret",
        json!({"Name": "upd-tok", "SecretString": "one", "Description": "first",
               "ClientRequestToken": t}),
    )
    .await;
    let before = call(&s, "DescribeSecret", json!({"SecretId": "upd-tok"})).await;
    let r = s
        .raw_json(
            "UpdateSecret",
            &json!({"SecretId": "upd-tok", "Description": "changed", "SecretString": "two",
                    "ClientRequestToken": t}),
        )
        .send()
        .await;
    r.assert_error(
        "ResourceExistsException",
        Some(&msg_token_in_use(&t, created["ARN"].as_str().unwrap())),
    );
    let after = call(&s, "DescribeSecret", json!({"SecretId": "upd-tok"})).await;
    assert_eq!(after, before);
}
