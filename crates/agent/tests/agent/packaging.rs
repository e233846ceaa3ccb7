//! The deployment files under `packaging/` (issue 19): the systemd units pass
//! `systemd-analyze verify`, the scripts are valid bash, the install script installs what the
//! units run and reads only files that exist, the token script writes a token the agent accepts,
//! and the configuration files in the image and the Kubernetes example load.
//!
//! Outside CI, where a tool is missing the test says so on stderr and checks what it can without
//! it (under CI=true a missing tool fails it):
//! `systemd-analyze` (without it: the units' structure only) and Python's `yaml` module (without
//! it: the manifest's text). bash is required. Docker is not used: building the image needs a
//! daemon and the network; the Containerfile's structure is checked instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::request;

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(packaging().join(relative))
        .unwrap_or_else(|e| panic!("packaging/{relative}: {e}"))
}

/// Whether a command can be run at all.
fn available(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The value of `Key=` in a unit (the first).
fn unit_value<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
}

#[test]
fn systemd_units_verify() {
    let agent = read("systemd/coffer-agent.service");
    let token = read("systemd/coffer-agent-token.service");
    // Structure, always: what runs, as whom, in which order, with which token.
    assert_eq!(
        unit_value(&agent, "ExecStart"),
        Some("/opt/coffer-agent/bin/coffer-agent --config /etc/coffer-agent/agent.toml")
    );
    assert_eq!(unit_value(&agent, "User"), Some("coffer-agent"));
    assert_eq!(
        unit_value(&agent, "Environment"),
        Some("AWS_TOKEN=file:///run/coffer-agent/token")
    );
    assert_eq!(
        unit_value(&agent, "Requires"),
        Some("coffer-agent-token.service")
    );
    assert_eq!(
        unit_value(&agent, "WorkingDirectory"),
        Some("/opt/coffer-agent")
    );
    assert_eq!(unit_value(&token, "Type"), Some("oneshot"));
    assert_eq!(
        unit_value(&token, "ExecStart"),
        Some("/opt/coffer-agent/bin/coffer-agent-token start")
    );
    for unit in [&agent, &token] {
        assert_eq!(unit_value(unit, "WantedBy"), Some("multi-user.target"));
    }

    if !available("systemd-analyze", "--version") {
        assert!(!required(), "systemd-analyze is not installed (CI=true)");
        eprintln!(
            "systemd-analyze is not installed: the units' structure was checked, not verified"
        );
        return;
    }
    // verify checks that the commands exist: the copies point at this tree's binary and script.
    let dir = tempfile::tempdir().unwrap();
    let rewrite = |text: &str| {
        text.replace(
            "/opt/coffer-agent/bin/coffer-agent-token",
            packaging().join("coffer-agent-token").to_str().unwrap(),
        )
        .replace(
            "/opt/coffer-agent/bin/coffer-agent ",
            &format!("{} ", env!("CARGO_BIN_EXE_coffer-agent")),
        )
    };
    std::fs::write(dir.path().join("coffer-agent.service"), rewrite(&agent)).unwrap();
    std::fs::write(
        dir.path().join("coffer-agent-token.service"),
        rewrite(&token),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("coffer-agent-token.service"))
        .arg(dir.path().join("coffer-agent.service"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // verify exits 0 on ignored lines too (an unknown key, a bad value): any output fails.
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "", "systemd-analyze verify complained");
}

#[test]
fn install_script_is_bash_and_installs_what_the_units_run() {
    for script in ["install", "coffer-agent-token"] {
        let out = Command::new("bash")
            .arg("-n")
            .arg(packaging().join(script))
            .output()
            .expect("bash is required");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(packaging().join(script))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "{script} is executable");
        }
    }
    let install = read("install");
    // Every file of this directory it reads exists.
    let sources: Vec<&str> = install
        .split("${here}/")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| c == '"' || c.is_whitespace())
                .next()
                .unwrap()
        })
        .filter(|s| !s.starts_with("${file}") && !s.starts_with(".."))
        .collect();
    assert!(sources.len() >= 6, "{sources:?}");
    for source in &sources {
        assert!(packaging().join(source).exists(), "install reads {source}");
    }
    // It creates the user, the group and the places the units use.
    for needed in [
        "groupadd --system \"${TOKEN_GROUP}\"",
        "useradd --system",
        "--shell /usr/sbin/nologin",
        "AGENT_DIR=/opt/coffer-agent",
        "\"${AGENT_DIR}/bin/coffer-agent\"",
        "\"${AGENT_DIR}/bin/coffer-agent-token\"",
        "\"${AGENT_DIR}/logs\"",
        "CONFIG_DIR=/etc/coffer-agent",
        "UNIT_DIR=/etc/systemd/system",
        "\"${UNIT_DIR}/coffer-agent.service\"",
        "\"${UNIT_DIR}/coffer-agent-token.service\"",
        "AGENT_USER=coffer-agent",
        "TOKEN_GROUP=coffer-agent-token",
        "systemctl enable --now coffer-agent-token.service",
        "systemctl enable --now coffer-agent.service",
    ] {
        assert!(install.contains(needed), "install lacks {needed}");
    }
    // The shipped configuration loads.
    coffer_agent::Config::load(Some(&packaging().join("agent.toml"))).unwrap();
    let container =
        coffer_agent::Config::load(Some(&packaging().join("container-agent.toml"))).unwrap();
    assert!(!container.log_to_file);
}

/// The token script writes a token only its owner and group may read, which the agent then
/// requires.
#[cfg(unix)]
#[tokio::test]
async fn token_script_writes_a_token_the_agent_accepts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let token_dir = dir.path().join("run");
    let id = |flag: &str| {
        String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let run = |action: &str| {
        let out = Command::new(packaging().join("coffer-agent-token"))
            .arg(action)
            .env("COFFER_AGENT_TOKEN_DIR", &token_dir)
            .env("COFFER_AGENT_USER", id("-un"))
            .env("COFFER_AGENT_TOKEN_GROUP", id("-gn"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let token_file = token_dir.join("token");
    assert_eq!(
        run("start"),
        format!("coffer-agent-token: wrote {}\n", token_file.display())
    );
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&token_file), 0o440);
    assert_eq!(mode(&token_dir), 0o750);
    // Nothing else is left in the directory (no temporary file).
    assert_eq!(std::fs::read_dir(&token_dir).unwrap().count(), 1);

    // The agent takes it as AWS_TOKEN=file://…, as the unit sets it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!("http_port = {port}\nlog_level = \"NONE\"\nvalidate_credentials = false\n"),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_TOKEN", format!("file://{}", token_file.display()))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(child.try_wait().unwrap().is_none(), "agent exited");
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let r = request(
        addr,
        "GET",
        "/metrics",
        &[("X-Aws-Parameters-Secrets-Token", &token)],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = request(
        addr,
        "GET",
        "/metrics",
        &[("X-Aws-Parameters-Secrets-Token", "guess")],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (403, "Bad Token"));
    child.kill().await.unwrap();

    assert_eq!(
        run("stop"),
        format!("coffer-agent-token: removed {}\n", token_file.display())
    );
    assert!(!token_file.exists());
}

#[test]
fn container_recipe_and_kubernetes_sidecar() {
    let containerfile = read("Containerfile");
    for needed in [
        "cargo build --release --locked -p coffer-agent",
        "COPY packaging/container-agent.toml /etc/coffer-agent/agent.toml",
        "USER nonroot:nonroot",
        "EXPOSE 2773",
        "ENTRYPOINT [\"/usr/local/bin/coffer-agent\", \"--config\", \"/etc/coffer-agent/agent.toml\"]",
    ] {
        assert!(containerfile.contains(needed), "Containerfile lacks {needed}");
    }

    let manifest_path = packaging().join("kubernetes/sidecar.yaml");
    let manifest = read("kubernetes/sidecar.yaml");
    // The agent's configuration in the ConfigMap loads.
    let agent_toml: String = manifest
        .split("agent.toml: |\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("    "))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let config = coffer_agent::Config::from_toml(&agent_toml).unwrap();
    let credentials_path = config.credentials_file_path.unwrap();

    let parsed = Command::new(python())
        .arg("-c")
        .arg("import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))")
        .arg(&manifest_path)
        .output();
    let documents: Vec<serde_json::Value> = match parsed {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout).unwrap(),
        _ => {
            assert!(!required(), "python with yaml is not available (CI=true)");
            eprintln!(
                "python3 with yaml is not available: the manifest's text was checked, not parsed"
            );
            for needed in [
                "restartPolicy: Always",
                "value: file:///var/run/coffer-agent/token",
                "mountPath: /var/run/coffer-agent",
                "medium: Memory",
            ] {
                assert!(manifest.contains(needed), "manifest lacks {needed}");
            }
            return;
        }
    };
    let kinds: Vec<&str> = documents
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Secret", "ConfigMap", "Deployment"]);
    let pod = &documents[2]["spec"]["template"]["spec"];
    let token_volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "token")
        .unwrap();
    assert_eq!(token_volume["emptyDir"]["medium"], "Memory");
    let inits = pod["initContainers"].as_array().unwrap();
    let (writer, agent) = (&inits[0], &inits[1]);
    assert_eq!(agent["restartPolicy"], "Always", "a native sidecar");
    let app = &pod["containers"][0];
    let mount_of = |container: &serde_json::Value, volume: &str| {
        container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == volume)
            .map(|m| m["mountPath"].as_str().unwrap().to_owned())
    };
    let token_dir = mount_of(writer, "token").unwrap();
    assert_eq!(
        mount_of(agent, "token").as_deref(),
        Some(token_dir.as_str())
    );
    assert_eq!(mount_of(app, "token").as_deref(), Some(token_dir.as_str()));
    let env = |name: &str| {
        agent["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["value"].as_str().unwrap().to_owned())
    };
    assert_eq!(env("AWS_TOKEN"), Some(format!("file://{token_dir}/token")));
    assert!(writer["command"][2]
        .as_str()
        .unwrap()
        .contains(&format!("> {token_dir}/token")));
    assert!(app["command"][2]
        .as_str()
        .unwrap()
        .contains(&format!("$(cat {token_dir}/token)")));
    // The credentials file the ConfigMap names is where the Secret is mounted.
    let credentials_dir = mount_of(agent, "agent-credentials").unwrap();
    assert_eq!(
        credentials_path,
        Path::new(&credentials_dir).join("credentials")
    );
    assert_eq!(
        documents[0]["stringData"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["credentials"]
    );
}

/// Under CI=true a missing tool fails the test instead of narrowing it (the project's rule).
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A Python that can parse YAML: the test environment `scripts/test` creates first (PyYAML
/// comes with the AWS CLI there), else the machine's `python3`.
fn python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}
