//! Several coffer nodes on one PostgreSQL database, a concurrent random load against them, and
//! the checks that must hold afterwards. Shared by `multinode.rs` and `multinode_pg_restart.rs`.
//!
//! The read check is linearizability of AWSCURRENT, stated on client-side timestamps: a
//! GetSecretValue that ran from `rs` to `re` and returned version `v` is correct when some
//! write that made `v` current started before `re`, and no acknowledged write that made another
//! version current both started after that write ended and ended before `rs` (which would
//! prove `v` replaced before the read began). A write that failed may or may not have happened,
//! so it may justify a read but never convicts one.
//!
//! Each test binary that includes this uses only part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use base64::Engine as _;

use crate::common::pg::Scratch;

/// Three nodes on one scratch schema, sharing a root key.
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<coffer_server::Server>,
    /// One client per node.
    pub clients: Vec<Client>,
    /// The data directories (each holds only its credentials file, if any).
    _dirs: Vec<tempfile::TempDir>,
    /// The schema; dropped last.
    _scratch: Scratch,
}

/// Starts `count` nodes at once on a fresh schema: exactly one of them initialises the
/// database.
pub async fn cluster(count: usize) -> Option<Cluster> {
    let scratch = crate::common::pg::scratch().await?;
    let key = coffer_core::crypto::Keyring::generate_root_key().unwrap();
    let root_key = base64::engine::general_purpose::STANDARD.encode(key.as_ref());
    let mut dirs = Vec::new();
    let mut starts = tokio::task::JoinSet::new();
    for i in 0..count {
        let dir = tempfile::tempdir().unwrap();
        let config = coffer_server::Config {
            data_dir: dir.path().to_owned(),
            database: Some(scratch.url()),
            root_key: Some(coffer_server::config::RootKeyText::new(root_key.clone())),
            purge_interval_secs: 1,
            ..Default::default()
        };
        dirs.push(dir);
        starts.spawn(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (i, coffer_server::start_on(&config, listener).await.unwrap())
        });
    }
    let mut nodes: Vec<Option<coffer_server::Server>> = (0..count).map(|_| None).collect();
    while let Some(started) = starts.join_next().await {
        let (i, server) = started.unwrap();
        nodes[i] = Some(server);
    }
    let nodes: Vec<_> = nodes.into_iter().map(Option::unwrap).collect();
    let initialised: Vec<_> = nodes
        .iter()
        .filter_map(|n| n.initialized.as_ref())
        .collect();
    assert_eq!(initialised.len(), 1, "exactly one node initialises");
    let (_, creds) = initialised[0];
    let with_credentials = nodes
        .iter()
        .zip(&dirs)
        .filter(|(_, d)| d.path().join(coffer_server::CREDENTIALS_FILE).exists())
        .count();
    assert_eq!(
        with_credentials, 1,
        "only the initialising node writes credentials"
    );
    let clients = nodes
        .iter()
        .map(|n| {
            client(
                n.addr,
                &creds.access_key_id,
                creds.secret_access_key.as_ref(),
            )
        })
        .collect();
    Some(Cluster {
        nodes,
        clients,
        _dirs: dirs,
        _scratch: scratch,
    })
}

/// An SDK client for one node, without retries and with short timeouts, so that every failure
/// is seen and none hangs.
pub fn client(addr: std::net::SocketAddr, akid: &str, secret: &str) -> Client {
    let creds = aws_credential_types::Credentials::new(akid, secret, None, None, "test");
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .credentials_provider(creds)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(15))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// A write that made a version AWSCURRENT (or tried to).
#[derive(Debug, Clone)]
struct Event {
    version: String,
    start: Instant,
    end: Instant,
    acknowledged: bool,
}

/// A read of AWSCURRENT.
#[derive(Debug, Clone)]
struct Read {
    version: String,
    start: Instant,
    end: Instant,
}

/// What the load saw, per secret.
#[derive(Default)]
pub struct History {
    events: BTreeMap<String, Vec<Event>>,
    reads: BTreeMap<String, Vec<Read>>,
    /// Acknowledged versions with the value each was written with.
    acknowledged: BTreeMap<String, Vec<(String, String)>>,
    /// Failures by error code (or "transport").
    pub failures: BTreeMap<String, usize>,
    /// Successful operations.
    pub successes: usize,
}

/// A small deterministic generator per client (no shared state, no extra dependency).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The secrets under load.
pub fn secret_names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("load/secret-{i}")).collect()
}

/// Creates the secrets (through node 0), recording each first version as current.
pub async fn seed(cluster: &Cluster, names: &[String], history: &Arc<Mutex<History>>) {
    for name in names {
        let start = Instant::now();
        let out = cluster.clients[0]
            .create_secret()
            .name(name)
            .secret_string("v0")
            .send()
            .await
            .unwrap();
        let version = out.version_id().unwrap().to_owned();
        let mut h = history.lock().unwrap();
        h.events.entry(name.clone()).or_default().push(Event {
            version: version.clone(),
            start,
            end: Instant::now(),
            acknowledged: true,
        });
        h.acknowledged
            .entry(name.clone())
            .or_default()
            .push((version, "v0".into()));
    }
}

fn failure_code<E: ProvideErrorMetadata>(
    err: &aws_sdk_secretsmanager::error::SdkError<
        E,
        aws_sdk_secretsmanager::config::http::HttpResponse,
    >,
) -> String {
    match (err.code(), err.raw_response()) {
        (Some(code), Some(raw)) => format!("{code} {}", raw.status().as_u16()),
        _ => "transport".into(),
    }
}

/// Runs `clients` concurrent clients for `duration`, each doing random PutSecretValue,
/// UpdateSecretVersionStage and GetSecretValue on random nodes and secrets.
pub async fn run(
    cluster: &Cluster,
    names: &[String],
    clients: usize,
    duration: Duration,
    history: Arc<Mutex<History>>,
) {
    let deadline = Instant::now() + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let sdk: Vec<Client> = cluster.clients.clone();
        let names = names.to_vec();
        let history = history.clone();
        tasks.spawn(async move {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ ((c as u64 + 1) * 0x1000_0001));
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let node = &sdk[rng.below(sdk.len())];
                let name = &names[rng.below(names.len())];
                match rng.below(10) {
                    // Writes: a new value, which becomes AWSCURRENT.
                    0..=2 => {
                        let value = format!("c{c}-n{n}");
                        let token = uuid::Uuid::new_v4().to_string();
                        let start = Instant::now();
                        let out = node
                            .put_secret_value()
                            .secret_id(name)
                            .client_request_token(&token)
                            .secret_string(&value)
                            .send()
                            .await;
                        let end = Instant::now();
                        let mut h = history.lock().unwrap();
                        let acknowledged = out.is_ok();
                        match &out {
                            Ok(_) => {
                                h.successes += 1;
                                h.acknowledged
                                    .entry(name.clone())
                                    .or_default()
                                    .push((token.clone(), value));
                            }
                            Err(e) => *h.failures.entry(failure_code(e)).or_default() += 1,
                        }
                        h.events.entry(name.clone()).or_default().push(Event {
                            version: token,
                            start,
                            end,
                            acknowledged,
                        });
                    }
                    // Label moves: AWSCURRENT back to a version this run acknowledged.
                    3..=4 => {
                        let target = {
                            let h = history.lock().unwrap();
                            let known = &h.acknowledged[name];
                            known[rng.below(known.len())].0.clone()
                        };
                        let start = Instant::now();
                        let described = node.describe_secret().secret_id(name).send().await;
                        let Ok(described) = described else {
                            let e = described.unwrap_err();
                            *history
                                .lock()
                                .unwrap()
                                .failures
                                .entry(failure_code(&e))
                                .or_default() += 1;
                            continue;
                        };
                        let current = described
                            .version_ids_to_stages()
                            .into_iter()
                            .flatten()
                            .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
                            .map(|(v, _)| v.clone());
                        let out = node
                            .update_secret_version_stage()
                            .secret_id(name)
                            .version_stage("AWSCURRENT")
                            .move_to_version_id(&target)
                            .set_remove_from_version_id(current)
                            .send()
                            .await;
                        let end = Instant::now();
                        let mut h = history.lock().unwrap();
                        let acknowledged = out.is_ok();
                        match &out {
                            Ok(_) => h.successes += 1,
                            // Another client moved AWSCURRENT between our describe and our
                            // move: AWS's answer, and nothing was written.
                            Err(e) if e.code() == Some("InvalidParameterException") => {
                                *h.failures.entry(failure_code(e)).or_default() += 1;
                                continue;
                            }
                            Err(e) => *h.failures.entry(failure_code(e)).or_default() += 1,
                        }
                        h.events.entry(name.clone()).or_default().push(Event {
                            version: target,
                            start,
                            end,
                            acknowledged,
                        });
                    }
                    // Reads of AWSCURRENT.
                    _ => {
                        let start = Instant::now();
                        let out = node.get_secret_value().secret_id(name).send().await;
                        let end = Instant::now();
                        let mut h = history.lock().unwrap();
                        match out {
                            Ok(out) => {
                                h.successes += 1;
                                h.reads.entry(name.clone()).or_default().push(Read {
                                    version: out.version_id().unwrap().to_owned(),
                                    start,
                                    end,
                                });
                            }
                            Err(e) => *h.failures.entry(failure_code(&e)).or_default() += 1,
                        }
                    }
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
}

/// The checks after the load: labels, acknowledged versions (read back from every node), and
/// every read against the AWSCURRENT history.
pub async fn check(cluster: &Cluster, names: &[String], history: &History) {
    for name in names {
        // Labels, as every node sees them.
        for client in &cluster.clients {
            let described = client
                .describe_secret()
                .secret_id(name)
                .send()
                .await
                .unwrap();
            let stages = described.version_ids_to_stages().unwrap();
            let count = |label: &str| {
                stages
                    .values()
                    .filter(|s| s.iter().any(|x| x == label))
                    .count()
            };
            assert_eq!(count("AWSCURRENT"), 1, "{name}: {stages:?}");
            assert!(count("AWSPREVIOUS") <= 1, "{name}: {stages:?}");
        }
        // Every acknowledged version exists, with its value, on every node.
        for (i, (version, value)) in history.acknowledged[name].iter().enumerate() {
            let client = &cluster.clients[i % cluster.clients.len()];
            let got = client
                .get_secret_value()
                .secret_id(name)
                .version_id(version)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name} {version}: {e:?}"));
            assert_eq!(got.secret_string(), Some(value.as_str()));
        }
        // Every read returned a version that was AWSCURRENT at some moment during the read.
        let events = &history.events[name];
        for read in history.reads.get(name).into_iter().flatten() {
            let justified = events.iter().any(|e| {
                e.version == read.version
                    && e.start < read.end
                    && !events.iter().any(|f| {
                        f.acknowledged
                            && f.version != read.version
                            && f.start > e.end
                            && f.end < read.start
                    })
            });
            assert!(justified, "{name}: stale or impossible read {read:?}");
        }
    }
}

/// The same ClientRequestToken sent to every node at once creates one version: every node
/// answers with it, and the secret lists it once.
pub async fn same_token_everywhere(cluster: &Cluster, name: &str) {
    for round in 0..5 {
        let token = uuid::Uuid::new_v4().to_string();
        let value = format!("idempotent-{round}");
        let mut sends = tokio::task::JoinSet::new();
        for client in cluster.clients.clone() {
            let (name, token, value) = (name.to_owned(), token.clone(), value.clone());
            sends.spawn(async move {
                client
                    .put_secret_value()
                    .secret_id(name)
                    .client_request_token(token)
                    .secret_string(value)
                    .send()
                    .await
                    .unwrap()
                    .version_id()
                    .unwrap()
                    .to_owned()
            });
        }
        let mut answered = BTreeSet::new();
        while let Some(v) = sends.join_next().await {
            answered.insert(v.unwrap());
        }
        assert_eq!(answered, BTreeSet::from([token.clone()]));
        let listed = cluster.clients[1]
            .list_secret_version_ids()
            .secret_id(name)
            .include_deprecated(true)
            .send()
            .await
            .unwrap();
        let matching = listed
            .versions()
            .iter()
            .filter(|v| v.version_id() == Some(token.as_str()))
            .count();
        assert_eq!(matching, 1);
    }
}
