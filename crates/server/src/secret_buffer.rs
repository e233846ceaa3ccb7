//! Buffers that may hold a secret value: a request body (PutSecretValue's SecretString, say), a
//! serialized awsJson response (GetSecretValue's) and the XML of CreateAccessKey and AssumeRole. Every byte they ever held is zeroed when it
//! is freed, growth included: a growing buffer moves to a larger allocation itself and zeroes
//! the one it leaves, rather than letting `Vec` reallocate and free the old bytes as they are.
//!
//! A finished buffer becomes [`Bytes`] through `Bytes::from_owner`, so that the audit trail's
//! reference and the response body share the one allocation, and the zeroing runs when the last
//! of them is dropped (after hyper has written the response).
//!
//! What this does not cover, because coffer cannot reach it: hyper's read buffer (the request
//! bytes arrive there first and are copied into ours; hyper reuses and frees it), hyper's write
//! buffer when it copies a small response instead of writing it straight from ours, rustls's
//! buffers on a TLS connection, the kernel's socket buffers, and the parsed request and response
//! values (those use `SensitiveString`/`SensitiveBlob`, zeroized on their own).

use std::io;

use bytes::Bytes;
use zeroize::Zeroizing;

/// A byte buffer zeroed on drop and on every growth.
#[derive(Default)]
pub struct SecretBuffer {
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SecretBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the content.
        f.debug_struct("SecretBuffer")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl SecretBuffer {
    /// An empty buffer with room for `capacity` bytes (a body's declared length), so that the
    /// usual case never grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    /// Appends `data`, moving to a larger allocation first when it does not fit: the old one
    /// is zeroed as it is dropped.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let needed = self.bytes.len() + data.len();
        if needed > self.bytes.capacity() {
            let capacity = needed.max(self.bytes.capacity() * 2).max(64);
            let mut larger = Zeroizing::new(Vec::with_capacity(capacity));
            larger.extend_from_slice(&self.bytes);
            // The old allocation is zeroed (its whole capacity) as `larger` replaces it.
            self.bytes = larger;
        }
        self.bytes.extend_from_slice(data);
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// The buffer as [`Bytes`], still zeroed when the last reference to it is dropped.
    pub fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl From<Zeroizing<String>> for SecretBuffer {
    /// Takes over a zeroizing text's allocation as it is (no copy), so a body rendered into one
    /// (the XML of CreateAccessKey and AssumeRole, which carry a secret key) stays zeroed on
    /// drop all the way to hyper.
    fn from(mut text: Zeroizing<String>) -> Self {
        Self {
            bytes: Zeroizing::new(std::mem::take(&mut *text).into_bytes()),
        }
    }
}

impl AsRef<[u8]> for SecretBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl io::Write for SecretBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn takes_over_a_zeroizing_text_without_a_copy() {
        let text = Zeroizing::new(String::from("<SecretAccessKey>k</SecretAccessKey>"));
        let address = text.as_ptr();
        let buffer = SecretBuffer::from(text);
        assert_eq!(buffer.as_slice(), b"<SecretAccessKey>k</SecretAccessKey>");
        // The same allocation: no plain copy of the text was left behind to be freed unzeroed.
        assert_eq!(buffer.as_slice().as_ptr(), address);
    }

    #[test]
    fn grows_and_keeps_every_byte() {
        let mut buffer = SecretBuffer::with_capacity(2);
        for chunk in [
            &b"se"[..],
            b"cret",
            b"-value-that-outgrows-its-first-allocation",
        ] {
            buffer.extend_from_slice(chunk);
        }
        assert_eq!(
            buffer.as_slice(),
            b"secret-value-that-outgrows-its-first-allocation"
        );
        assert!(!format!("{buffer:?}").contains("secret"));
    }

    /// The zeroing itself is zeroize's (tested there); what is ours is that a response's
    /// `Bytes` owns a `SecretBuffer` and drops it, so its `Drop` (and zeroize's) runs, and only
    /// when the last reference goes. An owner that records its drop stands in to show it.
    #[test]
    fn bytes_drop_their_buffer_with_the_last_reference() {
        struct Recorder(SecretBuffer, Arc<AtomicBool>);
        impl AsRef<[u8]> for Recorder {
            fn as_ref(&self) -> &[u8] {
                self.0.as_ref()
            }
        }
        impl Drop for Recorder {
            fn drop(&mut self) {
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let mut buffer = SecretBuffer::default();
        buffer.extend_from_slice(b"{\"SecretString\":\"s3cr3t\"}");
        let bytes = Bytes::from_owner(Recorder(buffer, dropped.clone()));
        let clone = bytes.slice(1..5);
        drop(bytes);
        assert!(!dropped.load(Ordering::SeqCst), "still referenced");
        drop(clone);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn serializes_through_io_write() {
        let mut buffer = SecretBuffer::with_capacity(0);
        serde_json::to_writer(&mut buffer, &serde_json::json!({"SecretString": "v"}))
            .expect("serialize");
        assert_eq!(
            buffer.into_bytes(),
            Bytes::from_static(b"{\"SecretString\":\"v\"}")
        );
    }
}
