// AWS Signature Version 4 in the browser, with WebCrypto (SHA-256, HMAC-SHA256): the same
// header form the SDKs send. Only what the console's calls need: a POST to a path of this
// origin with a body, the host, x-amz-date, content-type, x-amz-target and (for temporary
// credentials) x-amz-security-token headers signed.

const encoder = new TextEncoder();

function bytes(data) {
  return typeof data === "string" ? encoder.encode(data) : data;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA-256 of `data` (a string or bytes), as lowercase hex. */
export async function sha256Hex(data) {
  return hex(await crypto.subtle.digest("SHA-256", bytes(data)));
}

/** HMAC-SHA256 of `data` under `key` (a string or bytes), as bytes. */
export async function hmac(key, data) {
  const imported = await crypto.subtle.importKey(
    "raw",
    bytes(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, bytes(data)));
}

/** `20260102T030405Z` and `20260102` for a Date. */
export function amzDate(now) {
  const iso = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { long: iso, short: iso.slice(0, 8) };
}

/** RFC 3986 encoding of each path segment, as SigV4's canonical URI wants (encoded once). */
function canonicalPath(path) {
  return path
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()),
    )
    .join("/");
}

/**
 * Signs a request. `headers` is a plain object of the headers to send (lowercase names);
 * the result adds `x-amz-date`, `x-amz-security-token` (with a session token) and
 * `authorization`. `host` is signed but not returned: the browser sends it itself.
 */
export async function sign({ method, host, path, headers, body, service, region, credentials, now }) {
  const date = amzDate(now || new Date());
  const signed = { ...headers, host, "x-amz-date": date.long };
  if (credentials.sessionToken) {
    signed["x-amz-security-token"] = credentials.sessionToken;
  }
  const names = Object.keys(signed).map((n) => n.toLowerCase()).sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(signed[n]).trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const payloadHash = await sha256Hex(body || "");
  const canonicalRequest = [method, canonicalPath(path), "", canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date.short}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date.long, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key = await hmac("AWS4" + credentials.secretAccessKey, date.short);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, stringToSign));
  const out = { ...signed };
  delete out.host;
  out.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}
