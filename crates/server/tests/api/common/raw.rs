//! The hand-signed raw HTTP helper: a request whose every header and byte the test controls,
//! signed with coffer-protocol's botocore-compatible signer, sent over a plain TCP stream.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use coffer_protocol::sigv4::{presign_query, sign_headers, RequestParts, SigningParams};
use http::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::JSON_CONTENT_TYPE;

/// How to sign a raw request.
#[derive(Clone)]
pub struct Signing {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The scope's region.
    pub region: String,
    /// The scope's service.
    pub service: String,
    /// The signing time.
    pub time: DateTime<Utc>,
    /// The session token of temporary credentials, sent (and signed) as X-Amz-Security-Token.
    pub session_token: Option<String>,
}

/// A raw HTTP request, signed at send time unless `signing` is `None`.
#[derive(Clone)]
pub struct Raw {
    /// Where to send it.
    pub addr: std::net::SocketAddr,
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query string, without `?`.
    pub query: Option<String>,
    /// Headers to send and sign (besides host, which is always added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Signing parameters, or `None` for an unsigned request.
    pub signing: Option<Signing>,
}

/// A raw HTTP response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A header's first value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an awsJson error: HTTP 400, `__type`, `Message` (if given), request id and
    /// content type.
    #[track_caller]
    pub fn assert_error(&self, code: &str, message: Option<&str>) {
        let body = self.json();
        assert_eq!(
            (self.status, body["__type"].as_str()),
            (400, Some(code)),
            "{body}"
        );
        assert!(body["Message"].is_string(), "Message missing: {body}");
        if let Some(message) = message {
            assert_eq!(body["Message"].as_str(), Some(message));
        }
        self.assert_json_headers();
    }

    /// Asserts `x-amzn-RequestId` and the awsJson content type.
    #[track_caller]
    pub fn assert_json_headers(&self) {
        let rid = self.header("x-amzn-requestid").unwrap_or_default();
        assert!(!rid.is_empty(), "no x-amzn-RequestId: {:?}", self.headers);
        assert_eq!(self.header("content-type"), Some(JSON_CONTENT_TYPE));
    }
}

impl Raw {
    /// Sets a header (replacing one of the same name).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(k, _)| *k != name);
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Removes a header.
    pub fn without_header(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(k, _)| *k != name);
        self
    }

    /// Sends the request unsigned.
    pub fn unsigned(mut self) -> Self {
        self.signing = None;
        self
    }

    /// Changes the signing parameters.
    pub fn signing(mut self, adjust: impl FnOnce(&mut Signing)) -> Self {
        if let Some(s) = self.signing.as_mut() {
            adjust(s);
        }
        self
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            http::header::HOST,
            HeaderValue::from_str(&self.host()).expect("host"),
        );
        for (k, v) in &self.headers {
            map.append(
                HeaderName::try_from(k.as_str()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    fn params(s: &Signing) -> SigningParams<'_> {
        SigningParams {
            access_key_id: &s.access_key_id,
            secret_access_key: &s.secret_access_key,
            session_token: s.session_token.as_deref(),
            region: &s.region,
            service: &s.service,
            time: s.time,
        }
    }

    /// The headers the signature adds, for this request as it stands.
    pub fn signature_headers(&self) -> Vec<(String, String)> {
        let Some(s) = &self.signing else {
            return Vec::new();
        };
        let map = self.header_map();
        let parts = RequestParts {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &map,
            body: &self.body,
        };
        sign_headers(&parts, &Self::params(s))
    }

    /// Converts to the presigned query form (signature in the query string) and leaves it
    /// otherwise unsigned.
    pub fn presigned(mut self, expires_secs: u64) -> Self {
        let s = self.signing.take().expect("signing");
        let map = self.header_map();
        let parts = RequestParts {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &map,
            body: &self.body,
        };
        let appended = presign_query(&parts, &Self::params(&s), expires_secs);
        self.query = Some(match self.query.take() {
            Some(q) if !q.is_empty() => format!("{q}&{appended}"),
            _ => appended,
        });
        self
    }

    /// Signs (if signing) and sends.
    pub async fn send(self) -> RawResponse {
        let signed = self.signature_headers();
        self.send_with(signed).await
    }

    /// Signs, then replaces the body before sending (a tampered request).
    pub async fn send_with_body(self, body: Vec<u8>) -> RawResponse {
        let signed = self.signature_headers();
        let mut tampered = self;
        tampered.body = body;
        tampered.send_with(signed).await
    }

    /// Sends with the given extra (signature) headers.
    pub async fn send_with(self, extra: Vec<(String, String)>) -> RawResponse {
        let mut target = self.path.clone();
        if let Some(q) = &self.query {
            target.push('?');
            target.push_str(q);
        }
        let mut head = format!(
            "{} {target} HTTP/1.1\r\nhost: {}\r\n",
            self.method,
            self.host()
        );
        for (k, v) in self.headers.iter().chain(extra.iter()) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write head");
        // A write error on the body is tolerated: the server may answer (and close) before
        // reading an oversized body.
        let _ = stream.write_all(&self.body).await;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> RawResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}
