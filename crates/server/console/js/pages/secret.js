// One secret: metadata, tags, versions and their staging labels (with a label move), the
// value hidden until revealed (each reveal is a GetSecretValue, and so an audit event), a
// new value, delete with a recovery window, restore, and the resource policy (validated with
// ValidateResourcePolicy before it is saved).

import { h, field, replace, busy, table, formatDate, valueEditor, keyValues, notice } from "../ui.js";
import * as api from "../api.js";

function definitionList(pairs) {
  return h("dl", { class: "meta" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export async function render(main, { id }) {
  document.title = `${id} · coffer`;
  const described = await api.sm("DescribeSecret", { SecretId: id });
  const secretId = described.ARN;
  const rerender = () => render(main, { id });
  const sections = [];

  // Metadata.
  sections.push(h("section", { "aria-labelledby": "meta-title", class: "card" },
    h("h2", { id: "meta-title" }, "Details"),
    definitionList([
      ["ARN", h("code", {}, described.ARN)],
      ["Description", described.Description],
      ["KMS key", described.KmsKeyId || "aws/secretsmanager (default)"],
      ["Created", formatDate(described.CreatedDate)],
      ["Last changed", formatDate(described.LastChangedDate)],
      ["Last accessed", formatDate(described.LastAccessedDate)],
      ["Deleted", described.DeletedDate ? `${formatDate(described.DeletedDate)} (recoverable until purged)` : undefined],
      ["Rotation", described.RotationEnabled ? `on, ${JSON.stringify(described.RotationRules || {})}` : "off"],
      ["Replication", described.ReplicationStatus && described.ReplicationStatus.length
        ? described.ReplicationStatus.map((r) => `${r.Region}: ${r.Status}`).join(", ") : "none"],
    ])));

  // The value.
  const valueMessages = h("div", { class: "messages", "aria-live": "polite" });
  const valueArea = h("div", { id: "secret-value-area" }, h("p", { class: "hint" }, "The value is hidden. Revealing it is a GetSecretValue call, recorded in the audit trail."));
  const reveal = h("button", { type: "button", id: "reveal" }, "Reveal value");
  const hide = h("button", { type: "button", class: "secondary", id: "hide", hidden: true }, "Hide value");
  reveal.addEventListener("click", () => busy(reveal, valueMessages, async () => {
    const out = await api.sm("GetSecretValue", { SecretId: secretId });
    const text = out.SecretString !== undefined ? out.SecretString : `(binary, ${out.SecretBinary.length} base64 characters)`;
    const pairs = out.SecretString !== undefined ? keyValues(text) : null;
    replace(valueArea,
      h("p", {}, `Version ${out.VersionId} (${(out.VersionStages || []).join(", ")})`),
      pairs ? table("Secret value", ["Key", "Value"], pairs.map(([k, v]) => [k, h("code", {}, v)]))
        : h("pre", { id: "secret-value", class: "mono" }, text));
    reveal.hidden = true;
    hide.hidden = false;
    hide.focus();
  }));
  hide.addEventListener("click", () => {
    replace(valueArea, h("p", { class: "hint" }, "The value is hidden."));
    hide.hidden = true;
    reveal.hidden = false;
    reveal.focus();
  });
  const editor = valueEditor();
  const putButton = h("button", { type: "submit" }, "Save new value");
  const putForm = h("form", { id: "put-value" }, h("fieldset", {}, h("legend", {}, "New value (becomes AWSCURRENT)"), editor), putButton);
  putForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(putButton, valueMessages, async () => {
      await api.sm("PutSecretValue", { SecretId: secretId, SecretString: editor.value(), ClientRequestToken: crypto.randomUUID() });
      await rerender();
    });
  });
  sections.push(h("section", { "aria-labelledby": "value-title", class: "card" },
    h("h2", { id: "value-title" }, "Value"), valueMessages, h("div", { class: "buttons" }, reveal, hide), valueArea,
    h("details", {}, h("summary", {}, "Put a new value"), putForm)));

  // Versions and labels.
  const versionMessages = h("div", { class: "messages", "aria-live": "polite" });
  const versions = [];
  let token;
  do {
    const out = await api.sm("ListSecretVersionIds", { SecretId: secretId, IncludeDeprecated: true, MaxResults: 100, NextToken: token });
    versions.push(...(out.Versions || []));
    token = out.NextToken;
  } while (token);
  versions.sort((a, b) => (b.CreatedDate || 0) - (a.CreatedDate || 0));
  const label = h("input", { type: "text", name: "label", value: "AWSCURRENT", required: true, autocomplete: "off" });
  const target = h("select", { name: "to-version" }, versions.map((v) => h("option", { value: v.VersionId }, `${v.VersionId} ${(v.VersionStages || []).join(",")}`)));
  const moveButton = h("button", { type: "submit" }, "Move label");
  const moveForm = h("form", { id: "move-label", class: "toolbar" }, field("Label", label), field("To version", target), moveButton);
  moveForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(moveButton, versionMessages, async () => {
      const holder = versions.find((v) => (v.VersionStages || []).includes(label.value.trim()));
      const request = { SecretId: secretId, VersionStage: label.value.trim(), MoveToVersionId: target.value };
      if (holder) request.RemoveFromVersionId = holder.VersionId;
      await api.sm("UpdateSecretVersionStage", request);
      await rerender();
    });
  });
  sections.push(h("section", { "aria-labelledby": "versions-title", class: "card" },
    h("h2", { id: "versions-title" }, "Versions"), versionMessages,
    table("Versions and their staging labels", ["Version", "Labels", "Created", "Last accessed"],
      versions.map((v) => [h("code", {}, v.VersionId), h("span", { class: "labels" }, (v.VersionStages || []).map((s) => h("span", { class: "label" }, s))), formatDate(v.CreatedDate), formatDate(v.LastAccessedDate)])),
    moveForm));

  // Tags.
  const tagMessages = h("div", { class: "messages", "aria-live": "polite" });
  const tagKey = h("input", { type: "text", name: "tag-key", required: true, autocomplete: "off" });
  const tagValue = h("input", { type: "text", name: "tag-value", autocomplete: "off" });
  const tagButton = h("button", { type: "submit" }, "Add tag");
  const tagForm = h("form", { class: "toolbar" }, field("Key", tagKey), field("Value", tagValue), tagButton);
  tagForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(tagButton, tagMessages, async () => {
      await api.sm("TagResource", { SecretId: secretId, Tags: [{ Key: tagKey.value, Value: tagValue.value }] });
      await rerender();
    });
  });
  const tags = described.Tags || [];
  sections.push(h("section", { "aria-labelledby": "tags-title", class: "card" },
    h("h2", { id: "tags-title" }, "Tags"), tagMessages,
    tags.length ? table("Tags", ["Key", "Value", ""], tags.map((t) => [t.Key, t.Value,
      h("button", { type: "button", class: "secondary", "aria-label": `Remove tag ${t.Key}`, onclick: (e) => busy(e.target, tagMessages, async () => {
        await api.sm("UntagResource", { SecretId: secretId, TagKeys: [t.Key] });
        await rerender();
      }) }, "Remove")])) : h("p", {}, "No tags."),
    tagForm));

  // Resource policy.
  const policyMessages = h("div", { class: "messages", "aria-live": "polite" });
  let policyText = "";
  try {
    policyText = (await api.sm("GetResourcePolicy", { SecretId: secretId })).ResourcePolicy || "";
  } catch (error) {
    replace(policyMessages, h("div", { class: "error", role: "alert" }, h("strong", {}, error.code), ": ", error.message));
  }
  const policy = h("textarea", { rows: 10, class: "mono", spellcheck: "false", name: "resource-policy" });
  policy.value = policyText ? JSON.stringify(JSON.parse(policyText), null, 2) : "";
  const validate = async () => {
    const out = await api.sm("ValidateResourcePolicy", { SecretId: secretId, ResourcePolicy: policy.value });
    if (!out.PolicyValidationPassed) {
      const errors = (out.ValidationErrors || []).map((e) => `${e.CheckName}: ${e.ErrorMessage}`).join("; ");
      throw new api.ApiError("ValidationFailed", errors || "The policy did not pass validation.");
    }
  };
  const validateButton = h("button", { type: "button", class: "secondary", onclick: () => busy(validateButton, policyMessages, async () => {
    await validate();
    replace(policyMessages, notice("The policy passed validation."));
  }) }, "Validate");
  const saveButton = h("button", { type: "button", onclick: () => busy(saveButton, policyMessages, async () => {
    await validate();
    await api.sm("PutResourcePolicy", { SecretId: secretId, ResourcePolicy: policy.value, BlockPublicPolicy: true });
    replace(policyMessages, notice("Policy saved."));
  }) }, "Validate and save");
  const deletePolicy = h("button", { type: "button", class: "danger", onclick: () => busy(deletePolicy, policyMessages, async () => {
    await api.sm("DeleteResourcePolicy", { SecretId: secretId });
    await rerender();
  }) }, "Delete policy");
  sections.push(h("section", { "aria-labelledby": "policy-title", class: "card" },
    h("h2", { id: "policy-title" }, "Resource policy"), policyMessages, field("Policy document (JSON)", policy),
    h("div", { class: "buttons" }, validateButton, saveButton, policyText ? deletePolicy : null)));

  // Delete or restore.
  const dangerMessages = h("div", { class: "messages", "aria-live": "polite" });
  let danger;
  if (described.DeletedDate) {
    const restore = h("button", { type: "button", onclick: () => busy(restore, dangerMessages, async () => {
      await api.sm("RestoreSecret", { SecretId: secretId });
      await rerender();
    }) }, "Restore secret");
    danger = h("div", {}, h("p", {}, "This secret is scheduled for deletion."), restore);
  } else {
    const days = h("input", { type: "number", min: 7, max: 30, value: 30, name: "recovery-days" });
    const force = h("input", { type: "checkbox", id: "force-delete" });
    const deleteButton = h("button", { type: "submit", class: "danger" }, "Delete secret");
    danger = h("form", { class: "toolbar", id: "delete-secret" }, field("Recovery window (days)", days),
      h("div", { class: "field checkbox" }, force, h("label", { for: "force-delete" }, "Delete at once, without recovery")), deleteButton);
    danger.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(deleteButton, dangerMessages, async () => {
        const request = { SecretId: secretId };
        if (force.checked) request.ForceDeleteWithoutRecovery = true;
        else request.RecoveryWindowInDays = Number(days.value);
        await api.sm("DeleteSecret", request);
        if (force.checked) location.hash = "#/secrets";
        else await rerender();
      });
    });
  }
  sections.push(h("section", { "aria-labelledby": "danger-title", class: "card" }, h("h2", { id: "danger-title" }, "Delete"), dangerMessages, danger));

  replace(main, h("p", {}, h("a", { href: "#/secrets" }, "← Secrets")), h("h1", {}, described.Name), sections);
}
