// Sign in: an IAM user's console password (POST /console/api/signin gives an hour of
// temporary credentials), or an access key pair (checked with sts:GetCallerIdentity and then
// kept in this tab's sessionStorage, as the session is).

import { h, field, replace, busy } from "../ui.js";
import * as api from "../api.js";
import * as session from "../session.js";

const REGION = "us-east-1";

export async function render(main, { done }) {
  const error = h("div", { class: "messages", "aria-live": "polite" });

  const account = h("input", { type: "text", name: "account", autocomplete: "off", inputmode: "numeric", placeholder: "optional with one account" });
  const user = h("input", { type: "text", name: "username", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const region = h("input", { type: "text", name: "region", value: REGION, required: true });
  const passwordButton = h("button", { type: "submit" }, "Sign in");
  const passwordForm = h("form", { class: "card", id: "signin-password", "aria-labelledby": "signin-password-title" },
    h("h2", { id: "signin-password-title" }, "IAM user and password"),
    field("Account ID", account),
    field("User name", user),
    field("Password", password),
    field("Region", region),
    passwordButton);
  passwordForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(passwordButton, error, async () => {
      const out = await api.signInWithPassword(account.value.trim(), user.value.trim(), password.value);
      password.value = "";
      session.save({
        accessKeyId: out.Credentials.AccessKeyId,
        secretAccessKey: out.Credentials.SecretAccessKey,
        sessionToken: out.Credentials.SessionToken,
        expiration: out.Credentials.Expiration,
        region: region.value.trim() || REGION,
        arn: out.Arn,
        accountId: out.AccountId,
        label: `${out.UserName} @ ${out.AccountId}`,
      });
      done();
    });
  });

  const keyId = h("input", { type: "text", name: "access-key-id", autocomplete: "off", spellcheck: "false", required: true });
  const secretKey = h("input", { type: "password", name: "secret-access-key", autocomplete: "off", required: true });
  const token = h("input", { type: "password", name: "session-token", autocomplete: "off" });
  const keyRegion = h("input", { type: "text", name: "key-region", value: REGION, required: true });
  const keyButton = h("button", { type: "submit" }, "Sign in with key");
  const keyForm = h("form", { class: "card", id: "signin-key", "aria-labelledby": "signin-key-title" },
    h("h2", { id: "signin-key-title" }, "Access key"),
    field("Access key ID", keyId),
    field("Secret access key", secretKey),
    field("Session token", token, "Only for temporary (ASIA…) credentials."),
    field("Region", keyRegion),
    keyButton);
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(keyButton, error, async () => {
      session.save({
        accessKeyId: keyId.value.trim(),
        secretAccessKey: secretKey.value.trim(),
        sessionToken: token.value.trim() || undefined,
        region: keyRegion.value.trim() || REGION,
        label: keyId.value.trim(),
      });
      try {
        const doc = await api.sts("GetCallerIdentity", {});
        const arn = api.xmlText(doc, "Arn");
        const accountId = api.xmlText(doc, "Account");
        const saved = session.current();
        session.save({ ...saved, arn, accountId, label: `${arn.split(":").pop()} @ ${accountId}` });
      } catch (e) {
        session.clear();
        throw e;
      } finally {
        secretKey.value = "";
        token.value = "";
      }
      done();
    });
  });

  replace(main,
    h("h1", {}, "Sign in to coffer"),
    error,
    h("div", { class: "signin-grid" }, passwordForm, keyForm),
    h("p", { class: "hint" }, "Credentials are kept in this browser tab only (sessionStorage) and forgotten when you sign out or close the tab."));
  user.focus();
}
