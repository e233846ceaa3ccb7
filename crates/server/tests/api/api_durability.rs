//! What survives and what holds under load: state across a restart on the same data directory,
//! concurrent writes to one secret, and the version quota's 24-hour grace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_survives_a_restart() {
    let s = start().await;
    let c = s.client();
    let (arn, v1) = create(&c, "persist", "one").await;
    let v2 = put(&c, "persist", "two").await;
    c.tag_resource()
        .secret_id("persist")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("k")
                .value("v")
                .build(),
        )
        .send()
        .await
        .unwrap();
    create(&c, "scheduled", "x").await;
    c.delete_secret()
        .secret_id("scheduled")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();

    let s = s.restart().await;
    let c = s.client();
    let got = c.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(
        (got.secret_string(), got.version_id()),
        (Some("two"), Some(v2.as_str()))
    );
    assert_eq!(
        stages(&c, "persist").await,
        stage_map(&[(&v2, &["AWSCURRENT"]), (&v1, &["AWSPREVIOUS"])])
    );
    let old = c
        .get_secret_value()
        .secret_id("persist")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(old.secret_string(), Some("one"));
    let d = c
        .describe_secret()
        .secret_id("persist")
        .send()
        .await
        .unwrap();
    assert_eq!(d.tags().len(), 1);
    let d = c
        .describe_secret()
        .secret_id("scheduled")
        .send()
        .await
        .unwrap();
    assert!(d.deleted_date().is_some());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_keep_one_current() {
    let s = start().await;
    let c = s.client();
    let (_, v0) = create(&c, "race", "0").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            put(&c, "race", &format!("v{i}")).await
        }));
    }
    let mut ids = vec![v0];
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    assert_eq!(all_version_ids(&c, "race").await, ids);
    let map = stages(&c, "race").await;
    let current: Vec<_> = map
        .iter()
        .filter(|(_, l)| l.contains(&"AWSCURRENT".to_owned()))
        .collect();
    let previous: Vec<_> = map
        .iter()
        .filter(|(_, l)| l.contains(&"AWSPREVIOUS".to_owned()))
        .collect();
    assert_eq!((current.len(), previous.len()), (1, 1), "{map:?}");
    assert_ne!(current[0].0, previous[0].0);
    // GetSecretValue reads the version DescribeSecret calls current.
    let got = c.get_secret_value().secret_id("race").send().await.unwrap();
    assert_eq!(got.version_id(), Some(current[0].0.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_token_make_one_version() {
    let s = start().await;
    let c = s.client();
    let t = token();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            c.create_secret()
                .name("once")
                .secret_string("same")
                .client_request_token(&t)
                .send()
                .await
                .map(|o| o.arn().unwrap().to_owned())
        }));
    }
    let mut arns = Vec::new();
    for task in tasks {
        arns.push(task.await.unwrap().expect("every retry succeeds"));
    }
    arns.dedup();
    assert_eq!(arns.len(), 1, "{arns:?}");
    assert_eq!(all_version_ids(&c, "once").await, vec![t.clone()]);

    let t2 = token();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        let t2 = t2.clone();
        tasks.push(tokio::spawn(async move {
            c.put_secret_value()
                .secret_id("once")
                .secret_string("again")
                .client_request_token(&t2)
                .send()
                .await
                .map(|o| o.version_id().unwrap().to_owned())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().expect("every retry succeeds"), t2);
    }
    let mut want = vec![t.clone(), t2.clone()];
    want.sort();
    assert_eq!(all_version_ids(&c, "once").await, want);
    assert_eq!(
        stages(&c, "once").await,
        stage_map(&[(&t2, &["AWSCURRENT"]), (&t, &["AWSPREVIOUS"])])
    );
}

/// Versions beyond 100 without labels are removed only once older than 24 hours, so a burst
/// of writes keeps every version.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_than_100_young_versions_are_kept() {
    let s = start().await;
    let c = s.client();
    let (_, first) = create(&c, "many", "0").await;
    for i in 1..=105 {
        put(&c, "many", &i.to_string()).await;
    }
    let ids = all_version_ids(&c, "many").await;
    assert_eq!(ids.len(), 106);
    let got = c
        .get_secret_value()
        .secret_id("many")
        .version_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("0"));
    // ListSecretVersionIds pages of 100 at most.
    let page = c
        .list_secret_version_ids()
        .secret_id("many")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.versions().len(), 100);
    assert!(page.next_token().is_some());
}

/// The store's read cache relies on one process writing a SQLite data directory, so a second
/// server on the same directory is refused while the first runs, and accepted after it stopped.
#[tokio::test]
async fn a_second_server_on_one_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    let first = coffer_server::start_on(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    let second = coffer_server::start_on(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await;
    let message = match second {
        Ok(_) => panic!("a second server started on the same data directory"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        message,
        format!(
            "configuration: another coffer serve is already using {}",
            dir.path().display()
        )
    );
    first.shutdown().await;
    let again = coffer_server::start_on(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    again.shutdown().await;
}
