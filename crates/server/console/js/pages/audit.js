// Audit: the recent events of this node's audit trail (POST /console/api/events, a signed
// call authorized as cloudtrail:LookupEvents), filtered by secret, principal, event name and
// outcome, and the chain's verification state on request.

import { h, field, replace, busy, table, formatDate } from "../ui.js";
import * as api from "../api.js";

const filters = { SecretId: "", Principal: "", EventName: "", Outcome: "" };

function principalOf(event) {
  const identity = event.userIdentity || {};
  return identity.arn || identity.userName || identity.accessKeyId || identity.type || "";
}

function secretOf(event) {
  const p = event.requestParameters || {};
  return p.secretId || p.name || (event.responseElements && event.responseElements.name) || "";
}

export async function render(main) {
  document.title = "Audit · coffer";
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const results = h("div", { id: "audit-results" });
  const chain = h("div", { id: "chain-state", "aria-live": "polite" }, h("p", {}, "Chain not checked yet."));
  const inputs = {
    SecretId: h("input", { type: "text", name: "secret", value: filters.SecretId, autocomplete: "off" }),
    Principal: h("input", { type: "text", name: "principal", value: filters.Principal, autocomplete: "off" }),
    EventName: h("input", { type: "text", name: "event-name", value: filters.EventName, autocomplete: "off", list: "event-names" }),
    Outcome: h("select", { name: "outcome" }, [["", "Any"], ["Success", "Success"], ["Failure", "Failure"]].map(([v, l]) => h("option", { value: v, selected: filters.Outcome === v }, l))),
  };
  const names = h("datalist", { id: "event-names" }, ["GetSecretValue", "PutSecretValue", "CreateSecret", "DeleteSecret", "UpdateSecretVersionStage", "ConsoleLogin", "CreateAccessKey", "AssumeRole"].map((n) => h("option", { value: n })));
  const search = h("button", { type: "submit" }, "Show events");
  const form = h("form", { class: "toolbar", role: "search", "aria-label": "Filter events" },
    field("Secret", inputs.SecretId), field("Principal", inputs.Principal, "ARN, user name or access key ID"), field("Event", inputs.EventName), field("Outcome", inputs.Outcome), names, search);
  const load = () => busy(search, messages, async () => {
    for (const key of Object.keys(filters)) filters[key] = inputs[key].value.trim();
    const out = await api.lookupEvents({ ...filters, MaxResults: 200 });
    const rows = (out.Events || []).map((e) => [
      formatDate(e.eventTime), e.eventName, principalOf(e), secretOf(e),
      e.errorCode ? h("span", { class: "bad" }, `${e.errorCode}${e.errorMessage ? ": " + e.errorMessage : ""}`) : h("span", { class: "good" }, "Success"),
      e.sourceIPAddress || "",
    ]);
    replace(results, rows.length ? table(`Recent events (${rows.length}, newest first)`, ["Time", "Event", "Principal", "Secret", "Outcome", "Source"], rows) : h("p", {}, "No events match."));
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  const verify = h("button", { type: "button", class: "secondary", onclick: () => busy(verify, messages, async () => {
    const out = await api.lookupEvents({ MaxResults: 1, VerifyChain: true });
    const state = out.Chain || {};
    replace(chain, h("p", { class: state.State === "Intact" ? "good" : "bad" }, h("strong", {}, `Chain ${state.State}`), state.Message ? `: ${state.Message}` : ""));
  }) }, "Verify chain");
  replace(main, h("h1", {}, "Audit"), form, messages,
    h("section", { class: "card", "aria-labelledby": "chain-title" }, h("h2", { id: "chain-title" }, "Tamper evidence"), chain, verify),
    results);
  await load();
}
