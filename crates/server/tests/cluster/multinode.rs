//! Three coffer nodes on one PostgreSQL database: a concurrent start initialises the account
//! once; 32 clients doing random PutSecretValue, UpdateSecretVersionStage and GetSecretValue
//! on random nodes leave every secret with exactly one AWSCURRENT and at most one AWSPREVIOUS,
//! lose no acknowledged version, and never read a value that was not AWSCURRENT during the
//! read; one ClientRequestToken sent to every node at once makes one version; the purge runs
//! once across the nodes. Skipped without PostgreSQL, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::load;

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_under_concurrent_load_keep_every_invariant() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(cluster) = load::cluster(3).await else {
        return;
    };
    let names = load::secret_names(4);
    let history = Arc::new(Mutex::new(load::History::default()));
    load::seed(&cluster, &names, &history).await;
    load::run(
        &cluster,
        &names,
        32,
        Duration::from_secs(6),
        history.clone(),
    )
    .await;
    let history = Arc::try_unwrap(history).ok().unwrap().into_inner().unwrap();
    eprintln!(
        "{} successful operations; failures: {:?}",
        history.successes, history.failures
    );
    // With PostgreSQL up, the only failure is AWS's answer to a stale RemoveFromVersionId.
    assert!(
        history
            .failures
            .keys()
            .all(|k| k == "InvalidParameterException 400"),
        "{:?}",
        history.failures
    );
    assert!(history.successes > 100, "the load barely ran");
    load::check(&cluster, &names, &history).await;
    load::same_token_everywhere(&cluster, &names[0]).await;
    for node in cluster.nodes {
        node.shutdown().await;
    }
}

/// A write acknowledged by one node is what every other node reads right after.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_your_writes_across_nodes() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(cluster) = load::cluster(3).await else {
        return;
    };
    let c = &cluster.clients;
    c[0].create_secret()
        .name("ryw")
        .secret_string("0")
        .send()
        .await
        .unwrap();
    for i in 1..=30 {
        let writer = &c[i % 3];
        let value = i.to_string();
        writer
            .put_secret_value()
            .secret_id("ryw")
            .secret_string(&value)
            .send()
            .await
            .unwrap();
        for reader in c {
            let got = reader
                .get_secret_value()
                .secret_id("ryw")
                .send()
                .await
                .unwrap();
            assert_eq!(got.secret_string(), Some(value.as_str()));
        }
    }
    for node in cluster.nodes {
        node.shutdown().await;
    }
}
