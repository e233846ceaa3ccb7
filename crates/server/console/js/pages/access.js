// Access: IAM users (with their access keys, console password and inline policies) and roles
// (with their inline policies). A new access key's secret is shown once, in this page only.

import { h, field, replace, busy, table, formatDate, notice, errorBox } from "../ui.js";
import * as api from "../api.js";

async function listAll(action, list, params) {
  const items = [];
  let marker;
  do {
    const doc = await api.iam(action, { ...params, Marker: marker, MaxItems: 1000 });
    items.push(...api.xmlMembers(doc, list));
    marker = api.xmlText(doc, "IsTruncated") === "true" ? api.xmlText(doc, "Marker") : undefined;
  } while (marker);
  return items;
}

function policyEditor(kind, name, messages, rerender) {
  const entity = kind === "user" ? "User" : "Role";
  const policyName = h("input", { type: "text", name: `${kind}-policy-name`, required: true, autocomplete: "off" });
  const document = h("textarea", { rows: 8, class: "mono", spellcheck: "false", name: `${kind}-policy-document`, required: true });
  const save = h("button", { type: "submit" }, "Save inline policy");
  const form = h("form", { class: "card" }, h("h3", {}, "Put an inline policy"), field("Policy name", policyName), field("Policy document (JSON)", document), save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, messages, async () => {
      // A document that is not JSON is refused here; the server checks the policy grammar
      // and answers MalformedPolicyDocument with its reason.
      try {
        JSON.parse(document.value);
      } catch (error) {
        throw new api.ApiError("MalformedPolicyDocument", `This policy contains invalid Json: ${error.message}`);
      }
      await api.iam(`Put${entity}Policy`, { [`${entity}Name`]: name, PolicyName: policyName.value, PolicyDocument: document.value });
      await rerender();
    });
  });
  return { form, policyName, document };
}

async function policiesSection(kind, name, messages, rerender) {
  const entity = kind === "user" ? "User" : "Role";
  const names = (await listAll(`List${entity}Policies`, "PolicyNames", { [`${entity}Name`]: name })).map((m) => m.textContent);
  const editor = policyEditor(kind, name, messages, rerender);
  const rows = names.map((policy) => [policy, h("div", { class: "buttons" },
    h("button", { type: "button", class: "secondary", onclick: (e) => busy(e.target, messages, async () => {
      const doc = await api.iam(`Get${entity}Policy`, { [`${entity}Name`]: name, PolicyName: policy });
      editor.policyName.value = policy;
      editor.document.value = JSON.stringify(JSON.parse(decodeURIComponent(api.xmlText(doc, "PolicyDocument"))), null, 2);
      editor.document.focus();
    }) }, "Edit"),
    h("button", { type: "button", class: "danger", onclick: (e) => busy(e.target, messages, async () => {
      await api.iam(`Delete${entity}Policy`, { [`${entity}Name`]: name, PolicyName: policy });
      await rerender();
    }) }, "Delete"))]);
  return h("div", {}, rows.length ? table(`Inline policies of ${name}`, ["Policy", ""], rows) : h("p", {}, "No inline policies."), editor.form);
}

async function userDetail(name, container) {
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const rerender = () => userDetail(name, container);
  const keys = await listAll("ListAccessKeys", "AccessKeyMetadata", { UserName: name });
  const keyRows = keys.map((key) => {
    const id = api.xmlText(key, "AccessKeyId");
    const status = api.xmlText(key, "Status");
    return [h("code", {}, id), status, formatDate(api.xmlText(key, "CreateDate")), h("div", { class: "buttons" },
      h("button", { type: "button", class: "secondary", onclick: (e) => busy(e.target, messages, async () => {
        await api.iam("UpdateAccessKey", { UserName: name, AccessKeyId: id, Status: status === "Active" ? "Inactive" : "Active" });
        await rerender();
      }) }, status === "Active" ? "Deactivate" : "Activate"),
      h("button", { type: "button", class: "danger", onclick: (e) => busy(e.target, messages, async () => {
        await api.iam("DeleteAccessKey", { UserName: name, AccessKeyId: id });
        await rerender();
      }) }, "Delete"))];
  });
  const createKey = h("button", { type: "button", onclick: () => busy(createKey, messages, async () => {
    const doc = await api.iam("CreateAccessKey", { UserName: name });
    await rerender();
    // Shown once: the page keeps it nowhere else, and it is gone on the next render.
    container.prepend(h("div", { class: "notice secret-once", role: "status" },
      h("p", {}, "The new access key. Copy the secret access key now: it is shown only this once."),
      h("dl", { class: "meta" }, h("dt", {}, "Access key ID"), h("dd", {}, h("code", {}, api.xmlText(doc, "AccessKeyId"))),
        h("dt", {}, "Secret access key"), h("dd", {}, h("code", {}, api.xmlText(doc, "SecretAccessKey"))))));
  }) }, "Create access key");

  // Console password (login profile).
  let profile = null;
  try {
    const doc = await api.iam("GetLoginProfile", { UserName: name });
    profile = { created: api.xmlText(doc, "CreateDate"), reset: api.xmlText(doc, "PasswordResetRequired") === "true" };
  } catch (error) {
    if (error.code !== "NoSuchEntity") replace(messages, errorBox(error));
  }
  const password = h("input", { type: "password", autocomplete: "new-password", name: "new-password", required: true });
  const reset = h("input", { type: "checkbox", id: `reset-${name}` });
  const setPassword = h("button", { type: "submit" }, profile ? "Change password" : "Create password");
  const passwordForm = h("form", { class: "toolbar" }, field("Console password", password, "At least 8 characters, three of: upper case, lower case, digits, symbols."),
    h("div", { class: "field checkbox" }, reset, h("label", { for: reset.id }, "Require a new password at next sign-in")), setPassword);
  passwordForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(setPassword, messages, async () => {
      await api.iam(profile ? "UpdateLoginProfile" : "CreateLoginProfile", { UserName: name, Password: password.value, PasswordResetRequired: reset.checked });
      password.value = "";
      await rerender();
      container.prepend(notice("Password saved."));
    });
  });
  const removePassword = profile ? h("button", { type: "button", class: "danger", onclick: () => busy(removePassword, messages, async () => {
    await api.iam("DeleteLoginProfile", { UserName: name });
    await rerender();
  }) }, "Remove console password") : null;

  replace(container,
    h("h2", {}, `User ${name}`), messages,
    h("h3", {}, "Access keys"),
    keyRows.length ? table(`Access keys of ${name}`, ["Access key ID", "Status", "Created", ""], keyRows) : h("p", {}, "No access keys."),
    createKey,
    h("h3", {}, "Console password"),
    h("p", {}, profile ? `Set ${formatDate(profile.created)}${profile.reset ? ", must be changed at next sign-in" : ""}.` : "None: this user cannot sign in to the console."),
    passwordForm, removePassword,
    h("h3", {}, "Inline policies"),
    await policiesSection("user", name, messages, rerender),
    h("button", { type: "button", class: "danger", onclick: (e) => busy(e.target, messages, async () => {
      await api.iam("DeleteUser", { UserName: name });
      location.hash = "#/access";
      location.reload();
    }) }, "Delete user"));
  container.focus();
}

async function roleDetail(name, container) {
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const rerender = () => roleDetail(name, container);
  const doc = await api.iam("GetRole", { RoleName: name });
  replace(container,
    h("h2", {}, `Role ${name}`), messages,
    h("dl", { class: "meta" }, h("dt", {}, "ARN"), h("dd", {}, h("code", {}, api.xmlText(doc, "Arn"))),
      h("dt", {}, "Max session"), h("dd", {}, `${api.xmlText(doc, "MaxSessionDuration")} s`)),
    h("h3", {}, "Trust policy"),
    h("pre", { class: "mono" }, JSON.stringify(JSON.parse(decodeURIComponent(api.xmlText(doc, "AssumeRolePolicyDocument"))), null, 2)),
    h("h3", {}, "Inline policies"),
    await policiesSection("role", name, messages, rerender));
  container.focus();
}

export async function render(main) {
  document.title = "Access · coffer";
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const detail = h("section", { class: "card detail", tabindex: "-1", "aria-live": "polite" }, h("p", {}, "Choose a user or role."));
  const users = await listAll("ListUsers", "Users", {});
  const roles = await listAll("ListRoles", "Roles", {}).catch((error) => {
    replace(messages, errorBox(error));
    return [];
  });
  const open = (fn, name) => (event) => busy(event.target, messages, () => fn(name, detail));
  const userRows = users.map((u) => {
    const name = api.xmlText(u, "UserName");
    return [h("button", { type: "button", class: "link", onclick: open(userDetail, name) }, name), h("code", {}, api.xmlText(u, "Arn")), formatDate(api.xmlText(u, "CreateDate"))];
  });
  const roleRows = roles.map((r) => {
    const name = api.xmlText(r, "RoleName");
    return [h("button", { type: "button", class: "link", onclick: open(roleDetail, name) }, name), h("code", {}, api.xmlText(r, "Arn")), formatDate(api.xmlText(r, "CreateDate"))];
  });
  const newUser = h("input", { type: "text", name: "new-user", required: true, autocomplete: "off" });
  const createUser = h("button", { type: "submit" }, "Create user");
  const userForm = h("form", { class: "toolbar" }, field("New user name", newUser), createUser);
  userForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(createUser, messages, async () => {
      await api.iam("CreateUser", { UserName: newUser.value.trim() });
      await render(main);
    });
  });
  replace(main, h("h1", {}, "Access"), messages,
    h("div", { class: "split" },
      h("div", {},
        h("section", { class: "card", "aria-labelledby": "users-title" }, h("h2", { id: "users-title" }, "Users"),
          userRows.length ? table("IAM users", ["Name", "ARN", "Created"], userRows) : h("p", {}, "No users."), userForm),
        h("section", { class: "card", "aria-labelledby": "roles-title" }, h("h2", { id: "roles-title" }, "Roles"),
          roleRows.length ? table("IAM roles", ["Name", "ARN", "Created"], roleRows) : h("p", {}, "No roles."))),
      detail));
}
