//! A closed-loop load generator for the performance harness: `--connections` keep-alive HTTP/1.1
//! connections, each sending its next request when the previous one is answered, for
//! `--duration` seconds after `--warmup` seconds. Requests are SigV4-signed with
//! coffer-protocol's signer:
//! - `get`:  one GetSecretValue signed once and replayed (inside the 15-minute skew window);
//! - `put`:  PutSecretValue with a fresh ClientRequestToken and value for every request, so
//!           every request is a new durable version;
//! - `raw`:  an unsigned POST (the bare baseline server);
//! - `bao`:  OpenBao's KV v2 read, `GET /v1/secret/data/<name>` with `X-Vault-Token`;
//! - `seed`: creates the secrets the other modes use, then exits;
//! - `policies`: attaches policies and makes a user to read through them, then exits.
//!
//! Prints one JSON line: requests, errors, requests/s, p50 and p99 latency in milliseconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use coffer_protocol::sigv4::{sign_headers, RequestParts, SigningParams};
use http::{HeaderMap, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Mode {
    Get,
    Put,
    Raw,
    Bao,
    /// coffer-agent's `GET /secretsmanager/get?secretId=<secret>` with the SSRF token header.
    Agent,
    /// Writes a wrk Lua script replaying the `--lua-of` request (get, raw, bao, agent) to stdout.
    Lua,
    /// Creates `<secret>` (a `--value-bytes` value) and `<secret>-0` … `<secret>-(N-1)`, then exits.
    Seed,
    /// With root credentials: creates IAM user `bench-reader` with an identity policy allowing
    /// GetSecretValue on `<secret>`, an access key for it, and a resource policy on `<secret>`
    /// (an Allow naming the user, a Deny for another principal, a condition on each); prints
    /// the user's access key id and secret key on one line, then exits.
    Policies,
}

#[derive(Parser)]
struct Args {
    /// What to send.
    #[arg(long, value_enum)]
    mode: Mode,
    /// host:port on loopback.
    #[arg(long)]
    target: String,
    /// The secret's name (get, put, bao).
    #[arg(long, default_value = "coffer-bench")]
    secret: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    duration: u64,
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    #[arg(long, default_value = "")]
    access_key_id: String,
    #[arg(long, default_value = "")]
    secret_access_key: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// OpenBao token (bao).
    #[arg(long, default_value = "root")]
    token: String,
    /// Value size in bytes (put).
    #[arg(long, default_value_t = 1024)]
    value_bytes: usize,
    /// Put: spread the writers over this many secrets, `<secret>-0` … (connection i writes
    /// secret i mod N); 0 means all write `<secret>` itself.
    #[arg(long, default_value_t = 0)]
    secrets: usize,
    /// Lua: which request to script.
    #[arg(long, value_enum, default_value = "get")]
    lua_of: Mode,
}

/// Quotes a string for Lua.
fn lua_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A wrk script that replays one request verbatim.
fn lua_script(request: &Request<Full<Bytes>>, body: &[u8]) -> String {
    let mut out = format!("wrk.method = {}\nwrk.path = {}\n", lua_string(request.method().as_str()), lua_string(&request.uri().to_string()));
    out.push_str(&format!("wrk.body = {}\n", lua_string(&String::from_utf8_lossy(body))));
    for (name, value) in request.headers() {
        if name == "host" {
            continue;
        }
        out.push_str(&format!("wrk.headers[{}] = {}\n", lua_string(name.as_str()), lua_string(value.to_str().unwrap_or_default())));
    }
    out
}

/// Signs a JSON request for `operation` with `body`.
fn signed(args: &Args, operation: &'static str, body: String) -> Request<Full<Bytes>> {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&args.target).unwrap_or(HeaderValue::from_static("localhost")));
    headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
    headers.insert("x-amz-target", HeaderValue::from_static(operation));
    let parts = RequestParts { method: "POST", path: "/", query: None, headers: &headers, body: body.as_bytes() };
    let params = SigningParams {
        access_key_id: &args.access_key_id,
        secret_access_key: &args.secret_access_key,
        session_token: None,
        region: &args.region,
        service: "secretsmanager",
        time: chrono::Utc::now(),
    };
    for (name, value) in sign_headers(&parts, &params) {
        if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.insert(name, value);
        }
    }
    let mut request = Request::new(Full::new(Bytes::from(body)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = http::Uri::from_static("/");
    *request.headers_mut() = headers;
    request
}

/// Signs a form-encoded IAM (awsQuery) request.
fn signed_iam(args: &Args, params: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut body = String::from("Version=2010-05-08");
    for (name, value) in params {
        body.push('&');
        body.push_str(name);
        body.push('=');
        for byte in value.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => body.push(char::from(byte)),
                other => body.push_str(&format!("%{other:02X}")),
            }
        }
    }
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&args.target).unwrap_or(HeaderValue::from_static("localhost")));
    headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"));
    let parts = RequestParts { method: "POST", path: "/", query: None, headers: &headers, body: body.as_bytes() };
    let params = SigningParams {
        access_key_id: &args.access_key_id,
        secret_access_key: &args.secret_access_key,
        session_token: None,
        region: "us-east-1",
        service: "iam",
        time: chrono::Utc::now(),
    };
    for (name, value) in sign_headers(&parts, &params) {
        if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.insert(name, value);
        }
    }
    let mut request = Request::new(Full::new(Bytes::from(body)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = http::Uri::from_static("/");
    *request.headers_mut() = headers;
    request
}

/// The text of the first `<tag>` element.
fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// The `policies` mode.
async fn policies(args: &Args) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(&args.target).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let secret_pattern = format!("arn:aws:secretsmanager:*:*:secret:{}-*", args.secret);
    let identity = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"{secret_pattern}","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
    );
    let mut answers = Vec::new();
    for params in [
        vec![("Action", "CreateUser"), ("UserName", "bench-reader")],
        vec![("Action", "PutUserPolicy"), ("UserName", "bench-reader"), ("PolicyName", "read"), ("PolicyDocument", identity.as_str())],
        vec![("Action", "CreateAccessKey"), ("UserName", "bench-reader")],
        vec![("Action", "GetUser"), ("UserName", "bench-reader")],
    ] {
        sender.ready().await.map_err(|e| format!("{e:?}"))?;
        let response = sender.send_request(signed_iam(args, &params)).await.map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let text = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let text = String::from_utf8_lossy(&text).into_owned();
        if !status.is_success() {
            return Err(format!("{}: HTTP {status}: {text}", params[0].1));
        }
        answers.push(text);
    }
    let user_arn = xml_text(&answers[3], "Arn").ok_or("no user ARN")?.to_owned();
    let account = user_arn.split(':').nth(4).unwrap_or_default().to_owned();
    let resource = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{{"IpAddress":{{"aws:SourceIp":"127.0.0.0/8"}}}}}},{{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{account}:user/someone-else"}},"Action":"secretsmanager:*","Resource":"*","Condition":{{"StringNotEquals":{{"aws:PrincipalTag/team":"bench"}}}}}}]}}"#
    );
    let body = serde_json::json!({ "SecretId": args.secret, "ResourcePolicy": resource }).to_string();
    sender.ready().await.map_err(|e| format!("{e:?}"))?;
    let response = sender.send_request(signed(args, "secretsmanager.PutResourcePolicy", body)).await.map_err(|e| format!("{e:?}"))?;
    if !response.status().is_success() {
        return Err(format!("PutResourcePolicy: HTTP {}", response.status()));
    }
    let key = &answers[2];
    println!(
        "{} {}",
        xml_text(key, "AccessKeyId").ok_or("no access key id")?,
        xml_text(key, "SecretAccessKey").ok_or("no secret key")?
    );
    Ok(())
}

/// Creates the secrets the load modes read and write.
async fn seed(args: &Args) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(&args.target).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut names = vec![(args.secret.clone(), "v".repeat(args.value_bytes))];
    names.extend((0..args.secrets).map(|i| (format!("{}-{i}", args.secret), "initial".to_owned())));
    for (name, value) in names {
        let body = serde_json::json!({ "Name": name, "SecretString": value, "ClientRequestToken": uuid::Uuid::new_v4().to_string() }).to_string();
        // An HTTP/1 connection takes the next request only once it has finished the last.
        sender.ready().await.map_err(|e| format!("{e:?}"))?;
        let response = sender.send_request(signed(args, "secretsmanager.CreateSecret", body)).await.map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let text = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if !status.is_success() {
            return Err(format!("CreateSecret {name}: HTTP {status}: {}", String::from_utf8_lossy(&text)));
        }
    }
    Ok(())
}

/// Builds one request of the configured kind.
fn build(args: &Args, connection_index: usize) -> Request<Full<Bytes>> {
    let (method, path, body, target) = match args.mode {
        Mode::Get => (
            Method::POST,
            "/".to_owned(),
            serde_json::json!({ "SecretId": args.secret }).to_string(),
            Some("secretsmanager.GetSecretValue"),
        ),
        Mode::Put => {
            let token = uuid::Uuid::new_v4().to_string();
            let value = format!("{token}{}", "x".repeat(args.value_bytes.saturating_sub(36)));
            let secret = if args.secrets == 0 {
                args.secret.clone()
            } else {
                format!("{}-{}", args.secret, connection_index % args.secrets)
            };
            (
                Method::POST,
                "/".to_owned(),
                serde_json::json!({ "SecretId": secret, "ClientRequestToken": token, "SecretString": value })
                    .to_string(),
                Some("secretsmanager.PutSecretValue"),
            )
        }
        Mode::Raw | Mode::Seed | Mode::Lua | Mode::Policies => (Method::POST, "/".to_owned(), "{}".to_owned(), None),
        Mode::Bao => (Method::GET, format!("/v1/secret/data/{}", args.secret), String::new(), None),
        Mode::Agent => (Method::GET, format!("/secretsmanager/get?secretId={}", args.secret), String::new(), None),
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&args.target).unwrap_or(HeaderValue::from_static("localhost")));
    if let Some(target) = target {
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amz-target", HeaderValue::from_static(target));
        let parts = RequestParts { method: method.as_str(), path: &path, query: None, headers: &headers, body: body.as_bytes() };
        let params = SigningParams {
            access_key_id: &args.access_key_id,
            secret_access_key: &args.secret_access_key,
            session_token: None,
            region: &args.region,
            service: "secretsmanager",
            time: chrono::Utc::now(),
        };
        for (name, value) in sign_headers(&parts, &params) {
            if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                headers.insert(name, value);
            }
        }
    }
    if args.mode == Mode::Agent {
        if let Ok(value) = HeaderValue::from_str(&args.token) {
            headers.insert("x-aws-parameters-secrets-token", value);
        }
    }
    if args.mode == Mode::Bao {
        if let Ok(value) = HeaderValue::from_str(&args.token) {
            headers.insert("x-vault-token", value);
        }
    }
    let mut request = Request::new(Full::new(Bytes::from(body)));
    *request.method_mut() = method;
    *request.uri_mut() = path.parse().unwrap_or_default();
    *request.headers_mut() = headers;
    request
}

/// One connection's loop: returns (latencies of measured requests in microseconds, errors).
async fn connection(index: usize, args: Arc<Args>, measuring: Arc<AtomicBool>, stop: Arc<AtomicBool>) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0u64;
    let replay = matches!(args.mode, Mode::Get | Mode::Raw | Mode::Bao | Mode::Agent).then(|| build(&args, index));
    'reconnect: while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = tokio::net::TcpStream::connect(&args.target).await else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await else {
            errors += 1;
            continue;
        };
        tokio::spawn(conn);
        while !stop.load(Ordering::Relaxed) {
            let request = match &replay {
                Some(r) => {
                    let mut copy = Request::new(r.body().clone());
                    *copy.method_mut() = r.method().clone();
                    *copy.uri_mut() = r.uri().clone();
                    *copy.headers_mut() = r.headers().clone();
                    copy
                }
                None => build(&args, index),
            };
            if sender.ready().await.is_err() {
                errors += 1;
                continue 'reconnect;
            }
            let started = Instant::now();
            let ok = match sender.send_request(request).await {
                Ok(response) => {
                    let status = response.status();
                    let body = response.into_body().collect().await;
                    status.is_success() && body.is_ok()
                }
                Err(_) => {
                    errors += 1;
                    continue 'reconnect;
                }
            };
            if measuring.load(Ordering::Relaxed) {
                if ok {
                    latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                } else {
                    errors += 1;
                }
            }
        }
    }
    (latencies, errors)
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    if args.mode == Mode::Lua {
        let mut scripted = Args::parse();
        scripted.mode = args.lua_of;
        let request = build(&scripted, 0);
        let body = request.body().clone().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        print!("{}", lua_script(&request, &body));
        return;
    }
    if args.mode == Mode::Policies {
        if let Err(e) = policies(&args).await {
            eprintln!("policies: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.mode == Mode::Seed {
        if let Err(e) = seed(&args).await {
            eprintln!("seed: {e}");
            std::process::exit(1);
        }
        return;
    }
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..args.connections)
        .map(|i| tokio::spawn(connection(i, args.clone(), measuring.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((latencies, e)) = task.await {
            all.extend(latencies);
            errors += e;
        }
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        f64::from(all[i]) / 1000.0
    };
    println!(
        "{}",
        serde_json::json!({
            "requests": all.len(),
            "errors": errors,
            "rps": all.len() as f64 / elapsed,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
        })
    );
}
