//! AWS's agent's settings that change how the binary starts and whom it calls as (issue 19):
//! `credentials_file_path`, `validate_credentials`, `log_to_file` / `log_level`, `role_arn`, and
//! `--help`. Each test runs the real `coffer-agent` binary against a real coffer, with the
//! environment cleared so that nothing but the test's settings reaches the SDK.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{request, Coffer, Reply};

/// The SSRF token the binaries are given.
const BIN_TOKEN: &str = "binary-token";

/// A free port: bound, read, released (the agent's range excludes port 0).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A `coffer-agent` process, its stdout and stderr going to files in its directory.
pub struct Binary {
    child: tokio::process::Child,
    pub addr: std::net::SocketAddr,
    pub dir: PathBuf,
}

/// How to start one.
pub struct Launch<'a> {
    /// The working directory (the log file goes under it); holds the config and output files.
    pub dir: &'a Path,
    /// The configuration file's text, less `http_port` (added here).
    pub toml: &'a str,
    /// The environment, besides the token and the SDK's file locations.
    pub env: Vec<(&'a str, String)>,
}

impl Launch<'_> {
    fn command(&self, port: u16) -> tokio::process::Command {
        let config = self.dir.join("agent.toml");
        std::fs::write(&config, format!("http_port = {port}\n{}", self.toml)).unwrap();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"));
        command
            .arg("--config")
            .arg(&config)
            .current_dir(self.dir)
            .env_clear()
            .env("AWS_TOKEN", BIN_TOKEN)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(std::fs::File::create(self.dir.join("stdout")).unwrap())
            .stderr(std::fs::File::create(self.dir.join("stderr")).unwrap())
            .kill_on_drop(true);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts the agent and waits until it listens (it must not exit first).
    pub async fn start(self) -> Binary {
        let port = free_port();
        let mut child = self.command(port).spawn().unwrap();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "agent exited with {status}: {}",
                    std::fs::read_to_string(self.dir.join("stderr")).unwrap()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "agent did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Binary {
            child,
            addr,
            dir: self.dir.to_owned(),
        }
    }

    /// Runs the agent expecting it to exit by itself; its status, stdout and stderr.
    pub async fn run_to_exit(self) -> (std::process::ExitStatus, String, String) {
        let mut child = self
            .command(free_port())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("agent exited by itself")
            .unwrap();
        let read = |name| std::fs::read_to_string(self.dir.join(name)).unwrap();
        (status, read("stdout"), read("stderr"))
    }
}

impl Binary {
    pub async fn get(&self, path_and_query: &str) -> Reply {
        request(
            self.addr,
            "GET",
            path_and_query,
            &[("X-Aws-Parameters-Secrets-Token", BIN_TOKEN)],
        )
        .await
    }

    /// Stops the agent; its stdout and stderr.
    pub async fn stop(mut self) -> (String, String) {
        self.child.kill().await.unwrap();
        let read = |name| std::fs::read_to_string(self.dir.join(name)).unwrap();
        (read("stdout"), read("stderr"))
    }
}

/// The credentials file text for `profile`.
fn credentials_file(profile: &str, access_key_id: &str, secret_access_key: &str) -> String {
    format!("[{profile}]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n")
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `credentials_file_path`: start-up without the file, each change used by the very next
/// upstream call (the file is stat'ed before each one: no timer), the last good credentials kept
/// while the file is malformed or missing, `AWS_PROFILE` chosen, and a warning for a file others
/// may read.
#[cfg(unix)]
#[tokio::test]
async fn credentials_file_is_followed_on_change() {
    let coffer = Coffer::start().await;
    coffer
        .admin()
        .create_secret()
        .name("file/secret")
        .secret_string("from-file-credentials")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    // TTL 0: every request asks the upstream, so each one shows which credentials are in use.
    let agent = Launch {
        dir: dir.path(),
        toml: &format!(
            "ttl_seconds = 0\nlog_to_file = false\ncredentials_file_path = \"{}\"\n",
            credentials.display()
        ),
        env: vec![
            ("AWS_ENDPOINT_URL", coffer.endpoint()),
            ("AWS_PROFILE", "app".into()),
        ],
    }
    .start()
    .await;
    let get = || agent.get("/secretsmanager/get?secretId=file/secret");

    // No file yet: the agent runs, the call has no credentials to sign with.
    let r = get().await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, r#"{"__type":"InternalFailure"}"#)
    );

    // The file appears, readable by others; the `app` profile is used, not `default`.
    std::fs::write(
        &credentials,
        credentials_file("default", "AKIAWRONGWRONGWRONG0", "wrong")
            + &credentials_file("app", &coffer.access_key_id, &coffer.secret_access_key),
    )
    .unwrap();
    chmod(&credentials, 0o644);
    assert_eq!(get().await.secret_string(), "from-file-credentials");

    // Half-written, then gone: the credentials read before stay in use.
    std::fs::write(&credentials, "[app]\naws_access_key_id = AKIA").unwrap();
    assert_eq!(get().await.secret_string(), "from-file-credentials");
    std::fs::remove_file(&credentials).unwrap();
    assert_eq!(get().await.secret_string(), "from-file-credentials");

    // A new key is used at once: here a wrong secret key, which coffer refuses.
    std::fs::write(
        &credentials,
        credentials_file(
            "app",
            &coffer.access_key_id,
            "0000000000000000000000000000000000000000",
        ),
    )
    .unwrap();
    chmod(&credentials, 0o600);
    let r = get().await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["__type"],
        "InvalidSignatureException",
        "{}",
        r.body
    );
    assert_eq!(
        r.json()["message"],
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );

    // And the right one again.
    std::fs::write(
        &credentials,
        credentials_file("app", &coffer.access_key_id, &coffer.secret_access_key),
    )
    .unwrap();
    assert_eq!(get().await.secret_string(), "from-file-credentials");

    let (_, stderr) = agent.stop().await;
    let warning = format!(
        "credentials file {} is readable by group or others (mode 644)",
        credentials.display()
    );
    assert_eq!(stderr.matches(&warning).count(), 1, "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    assert!(!stderr.contains(&coffer.secret_access_key), "{stderr}");
}

/// `validate_credentials`: one GetCallerIdentity at start against the upstream's STS; refused
/// credentials stop the agent with a clear message and a non-zero status; `false` skips the
/// check, and so do file credentials, as in AWS's agent.
#[tokio::test]
async fn validate_credentials_checks_at_start() {
    let coffer = Coffer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = |endpoint_variable: &'static str, toml: &'static str| Launch {
        dir: dir.path(),
        toml,
        env: vec![
            (endpoint_variable, coffer.endpoint()),
            ("AWS_ACCESS_KEY_ID", coffer.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", "0".repeat(40)),
        ],
    };

    // STS found through the Secrets Manager endpoint variable (coffer answers both).
    let (status, stdout, stderr) = bad("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
        .run_to_exit()
        .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "coffer-agent: the upstream refused the agent's credentials (STS GetCallerIdentity): \
             SignatureDoesNotMatch (HTTP 403): The request signature we calculated does not match"
        ),
        "{stderr}"
    );
    let (status, _, stderr) = bad("AWS_ENDPOINT_URL_STS", "").run_to_exit().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SignatureDoesNotMatch (HTTP 403)"),
        "{stderr}"
    );

    // An upstream that cannot be reached: the agent starts (and says so) when transient errors
    // are ignored, as AWS's agent does, and stops when they are not.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let unreachable = |toml: &'static str| Launch {
        dir: dir.path(),
        toml,
        env: vec![
            ("AWS_ENDPOINT_URL", closed.clone()),
            ("AWS_ACCESS_KEY_ID", coffer.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", coffer.secret_access_key.clone()),
            ("AWS_MAX_ATTEMPTS", "1".into()),
        ],
    };
    let (_, stderr) = unreachable("log_to_file = false\n")
        .start()
        .await
        .stop()
        .await;
    assert!(
        stderr.contains("credentials not checked, the upstream's STS failed: "),
        "{stderr}"
    );
    let (status, _, stderr) = unreachable("ignore_transient_errors = false\n")
        .run_to_exit()
        .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "coffer-agent: the agent's credentials could not be checked (STS GetCallerIdentity): dispatch failure"
        ),
        "{stderr}"
    );

    // Not checked: the agent starts.
    bad(
        "AWS_ENDPOINT_URL",
        "validate_credentials = false\nlog_level = \"NONE\"\n",
    )
    .start()
    .await
    .stop()
    .await;
    bad(
        "AWS_ENDPOINT_URL",
        "credentials_file_path = \"missing-file\"\nlog_level = \"NONE\"\n",
    )
    .start()
    .await
    .stop()
    .await;

    // Good credentials pass, and the caller is logged.
    let agent = Launch {
        dir: dir.path(),
        toml: "log_to_file = false\n",
        env: vec![
            ("AWS_ENDPOINT_URL", coffer.endpoint()),
            ("AWS_ACCESS_KEY_ID", coffer.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", coffer.secret_access_key.clone()),
        ],
    }
    .start()
    .await;
    let (stdout, stderr) = agent.stop().await;
    assert!(stdout.starts_with("coffer-agent listening on http://127.0.0.1:"));
    assert!(
        stderr.contains("credentials checked: arn:aws:iam::"),
        "{stderr}"
    );
}

/// `log_to_file`: the log under `logs/` in the working directory (stderr quiet), or on stderr;
/// `log_level = "NONE"` writes nothing anywhere.
#[tokio::test]
async fn log_to_file_and_log_level_none() {
    let coffer = Coffer::start().await;
    let env = || {
        vec![
            ("AWS_ENDPOINT_URL", coffer.endpoint()),
            ("AWS_ACCESS_KEY_ID", coffer.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", coffer.secret_access_key.clone()),
        ]
    };
    let run = |toml: &'static str| {
        let env = env();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let agent = Launch {
                dir: dir.path(),
                toml,
                env,
            }
            .start()
            .await;
            assert_eq!(agent.get("/ping").await.body, "healthy");
            let r = agent.get("/secretsmanager/get?secretId=nope").await;
            assert_eq!(r.status, 400);
            let (stdout, stderr) = agent.stop().await;
            let log = std::fs::read_to_string(dir.path().join("logs/coffer_agent.log")).ok();
            (dir, stdout, stderr, log)
        }
    };

    let (_dir, stdout, stderr, log) = run("").await;
    assert_eq!(stderr, "");
    assert!(stdout.starts_with("coffer-agent listening on"), "{stdout}");
    let log = log.expect("log file");
    assert!(log.contains(" INFO "), "{log}");
    assert!(
        log.contains("coffer-agent listening on http://127.0.0.1:"),
        "{log}"
    );
    assert!(log.contains("ResourceNotFoundException"), "{log}");

    let (dir, _, stderr, log) = run("log_to_file = false").await;
    assert_eq!(log, None);
    assert!(!dir.path().join("logs").exists());
    assert!(stderr.contains("coffer-agent listening on"), "{stderr}");
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");

    for toml in [
        "log_level = \"NONE\"",
        "log_level = \"none\"\nlog_to_file = false",
    ] {
        let (dir, stdout, stderr, _) = run(toml).await;
        assert_eq!(stderr, "", "{toml}");
        assert!(!dir.path().join("logs").exists(), "{toml}");
        // Only the start line on stdout, as AWS's agent prints it.
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
    }
}

/// `--help` names every setting, with the keys docs/agent.md's configuration table lists; bad
/// settings stop the agent with the key and the allowed range.
#[tokio::test]
async fn help_names_every_setting_and_bad_values_name_the_key() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/agent.md"))
            .unwrap();
    let table = docs
        .split("## Configuration")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let keys: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(keys.len() >= 23, "{keys:?}");
    for key in &keys {
        assert!(
            help.contains(&format!("  {key} ")),
            "--help lacks {key}:\n{help}"
        );
    }
    assert_eq!(
        keys.len(),
        coffer_agent::config::SETTINGS.len(),
        "the docs table and --help list the same keys"
    );

    let dir = tempfile::tempdir().unwrap();
    for (toml, message) in [
        (
            "ttl_seconds = 5000",
            "coffer-agent: ttl_seconds: The TTL in seconds specified in the configuration file isn't valid. The TTL in seconds must be in the range 0 to 3600.\n",
        ),
        (
            "max_stale_seconds = 604801",
            "coffer-agent: max_stale_seconds: max_stale_seconds must be in the range 0 to 604800.\n",
        ),
        (
            "role_session_name = \"x\"",
            "coffer-agent: role_session_name: must be 2 to 64 characters of letters, digits and _+=,.@-\n",
        ),
    ] {
        let (status, _, stderr) = Launch {
            dir: dir.path(),
            toml,
            env: vec![],
        }
        .run_to_exit()
        .await;
        assert_eq!(status.code(), Some(1));
        assert_eq!(stderr, message);
    }
    let (status, _, stderr) = Launch {
        dir: dir.path(),
        toml: "colour = \"blue\"",
        env: vec![],
    }
    .run_to_exit()
    .await;
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.starts_with("coffer-agent: invalid configuration file: unknown field `colour`, expected one of `log_level`"),
        "{stderr}"
    );
}
