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
//! - `policies`: attaches policies and makes a user to read through them, then exits;
//! - `warm`: reads each of the `--reads` secrets chosen from a `--seeded` data directory once
//!   (the first read of a day records LastAccessedDate, a write), then exits;
//! - `list`: ListSecrets first pages, one at a time on one connection, `--samples` of them or
//!   as many as fit in `--max-seconds` (with `--filter-name PREFIX`: the `name` filter).
//!
//! With `--seeded N` (a data directory filled by `coffer-seed` with N secrets), `get` and the
//! Lua script of `get` read `--reads` distinct secrets spread over the whole set instead of
//! `--secret`: the script replays that many pre-signed requests round-robin.
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
    /// Reads each of the `--reads` secrets of a `--seeded` set once, then exits.
    Warm,
    /// Sequential ListSecrets first pages (`--samples`, `--max-seconds`, `--filter-name`).
    List,
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
    /// The number of secrets `coffer-seed` put in the server's data directory; 0: not seeded,
    /// `get` reads `--secret`.
    #[arg(long, default_value_t = 0)]
    seeded: u64,
    /// With `--seeded`: how many distinct secrets `get`, its Lua script and `warm` read.
    #[arg(long, default_value_t = 1000)]
    reads: u64,
    /// List: how many requests to time.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// List: stop sending after this many seconds even if fewer than `--samples` were timed.
    #[arg(long, default_value_t = 60)]
    max_seconds: u64,
    /// List: give up on one request after this many seconds (counted as an error).
    #[arg(long, default_value_t = 300)]
    request_timeout: u64,
    /// List: the `name` filter's value (a name prefix); none: no filter.
    #[arg(long)]
    filter_name: Option<String>,
}

impl Args {
    /// The secrets `get` reads: `--reads` names spread over a `--seeded` set, or `--secret`.
    fn read_names(&self) -> Vec<String> {
        if self.seeded == 0 {
            return vec![self.secret.clone()];
        }
        coffer_bench::spread(self.seeded, self.reads).into_iter().map(coffer_bench::seeded_name).collect()
    }
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

/// A wrk script that replays `requests` round-robin, each thread starting at another offset.
/// The requests are formatted once per thread, in `init`.
fn lua_script_many(requests: &[(Request<Full<Bytes>>, Bytes)]) -> String {
    let mut out = String::from("local specs = {\n");
    for (request, body) in requests {
        out.push_str(&format!("  {{ {}, {}, {}, {{ ", lua_string(request.method().as_str()), lua_string(&request.uri().to_string()), lua_string(&String::from_utf8_lossy(body))));
        for (name, value) in request.headers() {
            if name == "host" {
                continue;
            }
            out.push_str(&format!("[{}] = {}, ", lua_string(name.as_str()), lua_string(value.to_str().unwrap_or_default())));
        }
        out.push_str("} },\n");
    }
    out.push_str(
        r#"}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
local requests = {}
local n = 0
function init(args)
  for i, s in ipairs(specs) do
    requests[i] = wrk.format(s[1], s[2], s[4], s[3])
  end
  n = (offset or 0) % #requests
end
function request()
  n = n % #requests + 1
  return requests[n]
end
"#,
    );
    out
}

/// Sends `request` on a fresh connection's sender; the status and the whole body.
async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(http::StatusCode, Bytes), String> {
    sender.ready().await.map_err(|e| format!("{e:?}"))?;
    let response = sender.send_request(request).await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

/// One HTTP/1.1 connection to the target.
async fn connect(args: &Args) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(&args.target).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(sender)
}

/// The `warm` mode: every secret `get` will read, read once, on `--connections` connections.
async fn warm(args: Arc<Args>) -> Result<(), String> {
    let names = Arc::new(args.read_names());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.connections.clamp(1, 16))
        .map(|_| {
            let (args, names, next) = (args.clone(), names.clone(), next.clone());
            tokio::spawn(async move {
                let mut sender = connect(&args).await?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(name) = names.get(i) else { return Ok::<_, String>(()) };
                    let body = serde_json::json!({ "SecretId": name }).to_string();
                    let (status, text) = send(&mut sender, signed(&args, "secretsmanager.GetSecretValue", body)).await?;
                    if !status.is_success() {
                        return Err(format!("GetSecretValue {name}: HTTP {status}: {}", String::from_utf8_lossy(&text)));
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    eprintln!("warm: read {} secrets once in {:.1} s", names.len(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The `list` mode: sequential ListSecrets first pages, bounded in count and in time.
async fn list(args: &Args) -> Result<(), String> {
    let body = match &args.filter_name {
        Some(prefix) => serde_json::json!({ "Filters": [{ "Key": "name", "Values": [prefix] }] }).to_string(),
        None => "{}".to_owned(),
    };
    let mut sender = connect(args).await?;
    let mut latencies: Vec<f64> = Vec::with_capacity(args.samples);
    let (mut errors, mut entries, mut has_next, mut bytes) = (0u64, None, None, 0usize);
    // How long the first failed request had run when it failed (a server stopped for its RSS
    // while it listed, say): the figure then is "more than this".
    let mut failed_after_ms: Option<f64> = None;
    let budget = Duration::from_secs(args.max_seconds);
    let started = Instant::now();
    while latencies.len() < args.samples && started.elapsed() < budget {
        let request = signed(args, "secretsmanager.ListSecrets", body.clone());
        let sent = Instant::now();
        match tokio::time::timeout(Duration::from_secs(args.request_timeout), send(&mut sender, request)).await {
            Ok(Ok((status, text))) if status.is_success() => {
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                if entries.is_none() {
                    let answer: serde_json::Value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
                    entries = Some(answer["SecretList"].as_array().map_or(0, Vec::len));
                    has_next = Some(answer.get("NextToken").is_some());
                    bytes = text.len();
                }
            }
            Ok(Ok((status, text))) => {
                errors += 1;
                failed_after_ms.get_or_insert(sent.elapsed().as_secs_f64() * 1000.0);
                eprintln!("list: HTTP {status}: {}", String::from_utf8_lossy(&text));
            }
            Ok(Err(e)) => {
                errors += 1;
                failed_after_ms.get_or_insert(sent.elapsed().as_secs_f64() * 1000.0);
                eprintln!("list: {e}");
                match connect(args).await {
                    Ok(fresh) => sender = fresh,
                    Err(e) => {
                        eprintln!("list: cannot reconnect ({e}), giving up");
                        break;
                    }
                }
            }
            Err(_) => {
                errors += 1;
                failed_after_ms.get_or_insert(sent.elapsed().as_secs_f64() * 1000.0);
                eprintln!("list: no answer in {} s, giving up", args.request_timeout);
                break;
            }
        }
    }
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
    };
    println!(
        "{}",
        serde_json::json!({
            "requests": sorted.len(),
            "errors": errors,
            "seconds": started.elapsed().as_secs_f64(),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": sorted.last().copied().unwrap_or(0.0),
            "first_ms": latencies.first().copied().unwrap_or(0.0),
            "failed_after_ms": failed_after_ms,
            "entries": entries,
            "next_token": has_next,
            "response_bytes": bytes,
        })
    );
    Ok(())
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
        Mode::Get => {
            let names = args.read_names();
            let secret = &names[connection_index % names.len()];
            (Method::POST, "/".to_owned(), serde_json::json!({ "SecretId": secret }).to_string(), Some("secretsmanager.GetSecretValue"))
        }
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
        Mode::Raw | Mode::Seed | Mode::Lua | Mode::Policies | Mode::Warm | Mode::List => {
            (Method::POST, "/".to_owned(), "{}".to_owned(), None)
        }
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
        if scripted.mode == Mode::Get && scripted.seeded > 0 {
            // One pre-signed request per secret, replayed round-robin.
            let mut requests = Vec::new();
            for i in 0..scripted.read_names().len() {
                let request = build(&scripted, i);
                let body = request.body().clone().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                requests.push((request, body));
            }
            print!("{}", lua_script_many(&requests));
            return;
        }
        let request = build(&scripted, 0);
        let body = request.body().clone().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        print!("{}", lua_script(&request, &body));
        return;
    }
    if args.mode == Mode::Warm {
        if let Err(e) = warm(args.clone()).await {
            eprintln!("warm: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.mode == Mode::List {
        if let Err(e) = list(&args).await {
            eprintln!("list: {e}");
            std::process::exit(1);
        }
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
