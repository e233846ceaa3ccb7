//! Tamper evidence: every event line carries a keyed hash chain link.
//!
//! A line is the event's JSON with one more member, `cofferChain`:
//! `{"alg": "hmac-sha256", "digest": <hex>, "previousDigest": <hex>}`, where `digest` is
//! HMAC-SHA256, under the chain key ([`ChainKey`], derived from the root key by the keyring's
//! HKDF with a label of its own), over the previous line's digest (as its 64 hex characters), a
//! newline, and the event's canonical bytes (the event without `cofferChain`, keys sorted at
//! every depth, no whitespace). The writer writes those canonical bytes with `cofferChain`
//! appended as the last member; a reader must not rely on the order of members, [`verify`]
//! does not. The first event ever written links to [`GENESIS`]; after a rotation the first
//! event of the new file links to the last event of the previous one, so a set of rotated files
//! is one chain.
//!
//! Editing a line breaks its own digest; deleting a line breaks the next line's link; swapping
//! two lines breaks the link of the first of them; and because the digest is keyed, whoever
//! edits or drops lines cannot recompute the links after them without the root key.
//!
//! Lines written before the chain was keyed have no `alg` and a plain SHA-256 digest over the
//! same input ("legacy"): [`verify`] checks them as such and counts them, since anyone who can
//! write the file could have recomputed them. A legacy line after a keyed one is a forgery:
//! coffer never goes back.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use aws_lc_rs::{digest, hmac};
use serde_json::Value;
use subtle::ConstantTimeEq;

/// The member of a line that holds its chain link.
pub const CHAIN_MEMBER: &str = "cofferChain";
/// `cofferChain.alg` of a keyed line.
pub const KEYED_ALG: &str = "hmac-sha256";

/// The chain's HMAC key. Its `Debug` shows nothing of it.
pub struct ChainKey(hmac::Key);

impl ChainKey {
    /// The key over these bytes (`Keyring::audit_chain_key`).
    pub fn new(bytes: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}
/// The "previous digest" of the very first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical bytes of a JSON value: object keys sorted at every depth, no whitespace,
/// strings and numbers as serde_json writes them. Reading a line back and writing it this way
/// gives the same bytes, whatever order its keys were written in.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Written straight from the borrowed key: the same bytes as a JSON string
                // value, without a copy per key.
                let _ = serde_json::to_writer(&mut *out, key.as_str());
                out.push(b':');
                if let Some(member) = map.get(key) {
                    write_canonical(member, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // Scalars: serde_json's own text, which is already unique for a given value.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The keyed digest linking an event to its predecessor.
pub fn link(key: &ChainKey, previous: &str, canonical: &[u8]) -> String {
    let mut context = hmac::Context::with_key(&key.0);
    context.update(previous.as_bytes());
    context.update(b"\n");
    context.update(canonical);
    hex(context.sign().as_ref())
}

/// The digest of a legacy (unkeyed) line: plain SHA-256 over the same input as [`link`].
pub fn legacy_link(previous: &str, canonical: &[u8]) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(previous.as_bytes());
    context.update(b"\n");
    context.update(canonical);
    hex(context.finish().as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Appends to `out` the line of an event given as its canonical bytes (a JSON object, as
/// [`canonical`] writes it) sealed after `previous` under `key`: the digest is taken over those
/// bytes as they are, and the line is them with the `cofferChain` member appended. Returns the
/// digest.
pub fn seal_into(out: &mut Vec<u8>, key: &ChainKey, event: &[u8], previous: &str) -> String {
    let digest = link(key, previous, event);
    let body = event.strip_suffix(b"}").unwrap_or(event);
    out.extend_from_slice(body);
    if body.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"");
    out.extend_from_slice(CHAIN_MEMBER.as_bytes());
    out.extend_from_slice(b"\":{\"alg\":\"");
    out.extend_from_slice(KEYED_ALG.as_bytes());
    out.extend_from_slice(b"\",\"digest\":\"");
    out.extend_from_slice(digest.as_bytes());
    out.extend_from_slice(b"\",\"previousDigest\":\"");
    out.extend_from_slice(previous.as_bytes());
    out.extend_from_slice(b"\"}}\n");
    digest
}

/// The chain link of a line, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The digest of the event before.
    pub previous: String,
    /// This event's digest.
    pub digest: String,
    /// Whether the digest is keyed (`alg` is [`KEYED_ALG`]) rather than legacy SHA-256.
    pub keyed: bool,
    /// The event without its `cofferChain` member.
    pub event: Value,
}

/// The chain link of a line, or why it has none (or an `alg` coffer does not write).
pub fn read_chain_link(line: &str) -> Result<Link, String> {
    let mut value: Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON event ({e})"))?;
    let Some(map) = value.as_object_mut() else {
        return Err("not a JSON object".into());
    };
    let Some(Value::Object(chain)) = map.remove(CHAIN_MEMBER) else {
        return Err(format!("no {CHAIN_MEMBER} member"));
    };
    let field = |name: &str| {
        chain
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{CHAIN_MEMBER} has no {name}"))
    };
    let keyed = match chain.get("alg") {
        None => false,
        Some(Value::String(alg)) if alg == KEYED_ALG => true,
        Some(other) => return Err(format!("{CHAIN_MEMBER} has an unknown alg {other}")),
    };
    Ok(Link {
        previous: field("previousDigest")?,
        digest: field("digest")?,
        keyed,
        event: value,
    })
}

/// The chain link of a line: (previous digest, digest, the event without it), or why it has
/// none.
pub fn read_link(line: &str) -> Result<(String, String, Value), String> {
    read_chain_link(line).map(|link| (link.previous, link.digest, link.event))
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The file.
    pub file: PathBuf,
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong there.
    pub reason: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// What an intact chain holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The number of events.
    pub events: usize,
    /// How many of them are legacy (unkeyed) lines, all before the first keyed one.
    pub legacy_events: usize,
    /// The digest of the last event (what the next one must link to).
    pub last_digest: String,
    /// Whether the chain head the database holds was found among the events (`None`: no head
    /// was given).
    pub head_found: Option<bool>,
}

/// Checks that `files`, oldest first, form one unbroken chain under `key`; the first broken
/// link if not.
///
/// The first event of the first file may link to anything: older files may have been deleted
/// by retention or archived away. When it links to [`GENESIS`] the set starts at the beginning
/// of the trail.
pub fn verify(files: &[PathBuf], key: &ChainKey) -> Result<Verified, Break> {
    verify_with_head(files, key, None)
}

/// [`verify`], also looking for `head`, the digest of the last event the database recorded as
/// durably written: when it is not among the events, the files lost their tail (or were
/// replaced), which no link inside them can show.
pub fn verify_with_head(
    files: &[PathBuf],
    key: &ChainKey,
    head: Option<&str>,
) -> Result<Verified, Break> {
    let mut expected: Option<String> = None;
    let mut events = 0;
    let mut legacy_events = 0;
    let mut keyed_seen = false;
    let mut head_found = head.map(|_| false);
    for file in files {
        let opened = std::fs::File::open(file).map_err(|e| Break {
            file: file.clone(),
            line: 0,
            reason: format!("cannot open: {e}"),
        })?;
        for (index, line) in std::io::BufReader::new(opened).lines().enumerate() {
            let at = |reason: String| Break {
                file: file.clone(),
                line: index + 1,
                reason,
            };
            let line = line.map_err(|e| at(format!("cannot read: {e}")))?;
            let read = read_chain_link(&line).map_err(at)?;
            if let Some(expected) = &expected {
                if &read.previous != expected {
                    return Err(at(format!(
                        "broken link: previousDigest {} but the event before has digest {expected} (an event before this one was deleted, moved or edited)",
                        read.previous
                    )));
                }
            }
            let canonical = canonical(&read.event);
            let computed = if read.keyed {
                keyed_seen = true;
                link(key, &read.previous, &canonical)
            } else if keyed_seen {
                return Err(at(
                    "unkeyed event after keyed ones: coffer never writes one (a forged continuation)"
                        .into(),
                ));
            } else {
                legacy_events += 1;
                legacy_link(&read.previous, &canonical)
            };
            let same: bool = computed.as_bytes().ct_eq(read.digest.as_bytes()).into();
            if !same {
                return Err(at(format!(
                    "digest mismatch: the line says {} but its content hashes to {computed} (this event was edited, or its chain recomputed without the key)",
                    read.digest
                )));
            }
            if head.is_some_and(|head| head == read.digest) {
                head_found = Some(true);
            }
            expected = Some(read.digest);
            events += 1;
        }
    }
    Ok(Verified {
        events,
        legacy_events,
        last_digest: expected.unwrap_or_else(|| GENESIS.to_owned()),
        head_found,
    })
}

/// The digest of the last complete line of an audit file, reading only its tail; `None` when
/// the file holds no complete line. The second value is the length of the file up to and
/// including that line's newline (anything after it is a torn write).
pub fn last_link(path: &Path) -> std::io::Result<Option<(String, u64)>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut chunk: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(chunk);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::with_capacity((len - start) as usize);
        file.read_to_end(&mut tail)?;
        // The end of the last complete line.
        let Some(end) = tail.iter().rposition(|&b| b == b'\n') else {
            if start == 0 {
                return Ok(None);
            }
            chunk *= 2;
            continue;
        };
        let begin = match tail[..end].iter().rposition(|&b| b == b'\n') {
            Some(newline) => newline + 1,
            None if start == 0 => 0,
            None => {
                chunk *= 2;
                continue;
            }
        };
        let line = String::from_utf8_lossy(&tail[begin..end]);
        let (_, digest, _) = read_link(&line).map_err(|reason| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: last line: {reason}", path.display()),
            )
        })?;
        return Ok(Some((digest, start + end as u64 + 1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_do_not_depend_on_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,"x"],"c":null}}"#).unwrap_or_default();
        let b: Value =
            serde_json::from_str(r#"{"a":{"c":null,"d":[1,"x"]},"b":1}"#).unwrap_or_default();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            br#"{"a":{"c":null,"d":[1,"x"]},"b":1}"#.to_vec()
        );
    }

    fn key() -> ChainKey {
        ChainKey::new(&[7u8; 32])
    }

    /// The line of `event` sealed after `previous`, and its digest.
    fn seal(event: &Value, previous: &str) -> (Vec<u8>, String) {
        let mut line = Vec::new();
        let digest = seal_into(&mut line, &key(), &canonical(event), previous);
        (line, digest)
    }

    #[test]
    fn a_sealed_line_reads_back_to_its_link() {
        let event = serde_json::json!({"eventName":"GetSecretValue","n":1.5});
        let (line, digest) = seal(&event, GENESIS);
        let text = String::from_utf8(line).unwrap_or_default();
        let read = read_chain_link(text.trim_end()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (read.previous.as_str(), read.digest.as_str(), read.keyed),
            (GENESIS, digest.as_str(), true)
        );
        assert_eq!(read.event, event);
        assert_eq!(link(&key(), GENESIS, &canonical(&read.event)), digest);
        // Another key, or no key, gives another digest.
        assert_ne!(
            link(&ChainKey::new(&[8u8; 32]), GENESIS, &canonical(&event)),
            digest
        );
        assert_ne!(legacy_link(GENESIS, &canonical(&event)), digest);
        // The member goes last, after the event's own canonical bytes.
        assert_eq!(
            text,
            format!(
                "{{\"eventName\":\"GetSecretValue\",\"n\":1.5,\"cofferChain\":{{\"alg\":\"hmac-sha256\",\"digest\":\"{digest}\",\"previousDigest\":\"{GENESIS}\"}}}}\n"
            )
        );
        let (empty, _) = seal(&serde_json::json!({}), GENESIS);
        assert!(read_link(String::from_utf8_lossy(&empty).trim_end()).is_ok());
        assert!(format!("{:?}", key()).contains("redacted"));
    }
}
