// Every call the console makes: the ordinary Secrets Manager (awsJson 1.1), IAM and STS
// (awsQuery) calls, SigV4-signed in the browser with the session's credentials, to this same
// origin. IAM and resource policies decide, exactly as for the CLI.

import { sign } from "./sigv4.js";
import * as session from "./session.js";

/** An error as AWS answered it: its code (`__type` or `<Code>`) and its message. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

async function signedPost(service, path, headers, body) {
  const s = session.current();
  if (!s) throw new ApiError("NotSignedIn", "Your session has ended. Sign in again.", 0);
  const signed = await sign({
    method: "POST",
    host: location.host,
    path,
    headers,
    body,
    service,
    region: s.region,
    credentials: s,
  });
  return fetch(path, {
    method: "POST",
    headers: signed,
    body,
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
}

async function jsonCall(service, path, target, payload) {
  const body = JSON.stringify(payload || {});
  const headers = { "content-type": "application/x-amz-json-1.1" };
  if (target) headers["x-amz-target"] = target;
  const response = await signedPost(service, path, headers, body);
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError("InvalidResponse", `The server answered HTTP ${response.status}.`, response.status);
  }
  if (!response.ok) {
    const code = String(parsed.__type || "UnknownError").replace(/^.*#/, "");
    throw new ApiError(code, parsed.Message || parsed.message || "", response.status);
  }
  return parsed;
}

/** A Secrets Manager operation: `sm("ListSecrets", {MaxResults: 20})`. */
export function sm(operation, payload) {
  return jsonCall("secretsmanager", "/", `secretsmanager.${operation}`, payload);
}

/** The Audit page's signed read of the trail (docs/console.md). */
export function lookupEvents(payload) {
  return jsonCall("cloudtrail", "/console/api/events", null, payload);
}

const VERSIONS = { iam: "2010-05-08", sts: "2011-06-15" };

async function queryCall(service, action, params) {
  const form = new URLSearchParams({ Action: action, Version: VERSIONS[service] });
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) form.append(key, String(value));
  }
  const body = form.toString();
  const response = await signedPost(service, "/", { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body);
  const text = await response.text();
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (!response.ok) {
    throw new ApiError(xmlText(doc, "Code") || "UnknownError", xmlText(doc, "Message"), response.status);
  }
  return doc;
}

/** An IAM action: `iam("ListUsers", {MaxItems: 100})`, answered as an XML document. */
export function iam(action, params) {
  return queryCall("iam", action, params);
}

/** An STS action. */
export function sts(action, params) {
  return queryCall("sts", action, params);
}

/** The text of the first element named `name` under `node`, or "". */
export function xmlText(node, name) {
  const found = node.getElementsByTagName(name)[0];
  return found ? found.textContent : "";
}

/** Every element named `name` under `node`. */
export function xmlAll(node, name) {
  return Array.from(node.getElementsByTagName(name));
}

/** The members of the list element `list` under `node` (IAM's `<list><member>…`). */
export function xmlMembers(node, list) {
  const parent = node.getElementsByTagName(list)[0];
  return parent ? Array.from(parent.children).filter((c) => c.tagName === "member") : [];
}

/** Signs in with a console password: POST /console/api/signin (not signed: it is how a session starts). */
export async function signInWithPassword(accountId, userName, password) {
  const payload = { UserName: userName, Password: password };
  if (accountId) payload.AccountId = accountId;
  const response = await fetch("/console/api/signin", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  const parsed = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(parsed.__type || "UnknownError", parsed.Message || "", response.status);
  }
  return parsed;
}
