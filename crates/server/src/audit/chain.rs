//! Tamper evidence: every event line carries a hash chain link.
//!
//! A line is the event's JSON with one more member, `cofferChain`:
//! `{"digest": <hex>, "previousDigest": <hex>}`, where `digest` is SHA-256 over the previous
//! line's digest (as its 64 hex characters), a newline, and the event's canonical bytes (the
//! event without `cofferChain`, keys sorted at every depth, no whitespace). The writer writes
//! those canonical bytes with `cofferChain` appended as the last member; a reader must not
//! rely on the order of members, [`verify`] does not. The first event
//! ever written links to [`GENESIS`]; after a rotation the first event of the new file links
//! to the last event of the previous one, so a set of rotated files is one chain.
//!
//! Editing a line breaks its own digest; deleting a line breaks the next line's link; swapping
//! two lines breaks the link of the first of them. [`verify`] names the first broken link.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use aws_lc_rs::digest;
use serde_json::Value;

/// The member of a line that holds its chain link.
pub const CHAIN_MEMBER: &str = "cofferChain";
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

/// The digest linking an event to its predecessor.
pub fn link(previous: &str, canonical: &[u8]) -> String {
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
/// [`canonical`] writes it) sealed after `previous`: the digest is taken over those bytes as
/// they are, and the line is them with the `cofferChain` member appended. Returns the digest.
pub fn seal_into(out: &mut Vec<u8>, event: &[u8], previous: &str) -> String {
    let digest = link(previous, event);
    let body = event.strip_suffix(b"}").unwrap_or(event);
    out.extend_from_slice(body);
    if body.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"");
    out.extend_from_slice(CHAIN_MEMBER.as_bytes());
    out.extend_from_slice(b"\":{\"digest\":\"");
    out.extend_from_slice(digest.as_bytes());
    out.extend_from_slice(b"\",\"previousDigest\":\"");
    out.extend_from_slice(previous.as_bytes());
    out.extend_from_slice(b"\"}}\n");
    digest
}

/// The chain link of a line: (previous digest, digest), or why it has none.
pub fn read_link(line: &str) -> Result<(String, String, Value), String> {
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
    Ok((field("previousDigest")?, field("digest")?, value))
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
    /// The digest of the last event (what the next one must link to).
    pub last_digest: String,
}

/// Checks that `files`, oldest first, form one unbroken chain; the first broken link if not.
///
/// The first event of the first file may link to anything: older files may have been archived
/// away. When it links to [`GENESIS`] the set starts at the beginning of the trail.
pub fn verify(files: &[PathBuf]) -> Result<Verified, Break> {
    let mut expected: Option<String> = None;
    let mut events = 0;
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
            let (previous, digest, event) = read_link(&line).map_err(at)?;
            if let Some(expected) = &expected {
                if &previous != expected {
                    return Err(at(format!(
                        "broken link: previousDigest {previous} but the event before has digest {expected} (an event before this one was deleted, moved or edited)"
                    )));
                }
            }
            let computed = link(&previous, &canonical(&event));
            if computed != digest {
                return Err(at(format!(
                    "digest mismatch: the line says {digest} but its content hashes to {computed} (this event was edited)"
                )));
            }
            expected = Some(digest);
            events += 1;
        }
    }
    Ok(Verified {
        events,
        last_digest: expected.unwrap_or_else(|| GENESIS.to_owned()),
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

    /// The line of `event` sealed after `previous`, and its digest.
    fn seal(event: &Value, previous: &str) -> (Vec<u8>, String) {
        let mut line = Vec::new();
        let digest = seal_into(&mut line, &canonical(event), previous);
        (line, digest)
    }

    #[test]
    fn a_sealed_line_reads_back_to_its_link() {
        let event = serde_json::json!({"eventName":"GetSecretValue","n":1.5});
        let (line, digest) = seal(&event, GENESIS);
        let text = String::from_utf8(line).unwrap_or_default();
        let (previous, read_digest, read_event) =
            read_link(text.trim_end()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (previous.as_str(), read_digest.as_str()),
            (GENESIS, digest.as_str())
        );
        assert_eq!(read_event, event);
        assert_eq!(link(GENESIS, &canonical(&read_event)), digest);
        // The member goes last, after the event's own canonical bytes.
        assert_eq!(
            text,
            format!(
                "{{\"eventName\":\"GetSecretValue\",\"n\":1.5,\"cofferChain\":{{\"digest\":\"{digest}\",\"previousDigest\":\"{GENESIS}\"}}}}\n"
            )
        );
        let (empty, _) = seal(&serde_json::json!({}), GENESIS);
        assert!(read_link(String::from_utf8_lossy(&empty).trim_end()).is_ok());
    }
}
