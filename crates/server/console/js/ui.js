// Small DOM helpers. Text from the server is only ever set as text (textContent, attribute
// values), never parsed as HTML, so a secret name or a policy cannot inject markup.

let idCounter = 0;

/** A fresh element id. */
export function uid(prefix) {
  idCounter += 1;
  return `${prefix || "id"}-${idCounter}`;
}

/** `h("button", {class: "x", onclick: f}, "text", child)`: an element. */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled control: the label is tied to the control by id. */
export function field(label, control, hint) {
  const id = control.id || uid("f");
  control.id = id;
  const hintId = hint ? uid("hint") : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", { id: hintId }, hint) : null);
}

/** An error box showing AWS's code and message; `role=alert` so screen readers announce it. */
export function errorBox(error) {
  const code = error && error.code ? error.code : "Error";
  const message = error && error.message ? error.message : String(error);
  return h("div", { class: "error", role: "alert" }, h("strong", {}, code), ": ", message);
}

/** A notice (success) box. */
export function notice(text) {
  return h("div", { class: "notice", role: "status" }, text);
}

/** Shows `error` in `slot` (an element kept for messages). */
export function showError(slot, error) {
  replace(slot, errorBox(error));
}

/** A date from epoch seconds (awsJson) or an ISO string (XML), in the reader's locale. */
export function formatDate(value) {
  if (value === undefined || value === null || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** Runs `action` with `button` disabled meanwhile; errors go to `slot`. */
export async function busy(button, slot, action) {
  if (button) button.disabled = true;
  if (slot) replace(slot);
  try {
    return await action();
  } catch (error) {
    if (slot) showError(slot, error);
    else throw error;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A table with a caption, column headers and rows (arrays of cells). */
export function table(caption, headers, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
    ),
  );
}

/** Parses a JSON object whose values are all strings (a key/value secret), or null. */
export function keyValues(text) {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed);
      if (entries.every(([, v]) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
        return entries.map(([k, v]) => [k, String(v)]);
      }
    }
  } catch {
    // Not JSON: a plain value.
  }
  return null;
}

/**
 * A value editor: key/value rows (for a JSON object of strings) or a plain text area, with a
 * switch between the two. `editor.value()` gives the SecretString to send.
 */
export function valueEditor(initial) {
  const pairs = initial === undefined ? [["", ""]] : keyValues(initial);
  let mode = initial === undefined || pairs ? "kv" : "plain";
  const container = h("div", { class: "value-editor" });
  const rows = h("div", { class: "kv-rows" });
  const plain = h("textarea", { rows: 6, spellcheck: "false", autocomplete: "off", class: "mono" });
  plain.value = initial || "";
  const addRow = (key, value) => {
    const keyInput = h("input", { type: "text", autocomplete: "off", "aria-label": "Key", class: "kv-key" });
    const valueInput = h("input", { type: "text", autocomplete: "off", "aria-label": "Value", class: "kv-value" });
    keyInput.value = key;
    valueInput.value = value;
    const row = h("div", { class: "kv-row" }, keyInput, valueInput,
      h("button", { type: "button", class: "secondary", onclick: () => row.remove(), "aria-label": "Remove this row" }, "Remove"));
    rows.append(row);
  };
  for (const [k, v] of pairs || [["", ""]]) addRow(k, v);
  const kvPane = h("div", {}, rows, h("button", { type: "button", class: "secondary", onclick: () => addRow("", "") }, "Add row"));
  const plainPane = field("Value (plain text)", plain);
  const toggle = h("button", { type: "button", class: "secondary" });
  const render = () => {
    kvPane.hidden = mode !== "kv";
    plainPane.hidden = mode !== "plain";
    toggle.textContent = mode === "kv" ? "Edit as plain text" : "Edit as key/value";
  };
  toggle.addEventListener("click", () => {
    if (mode === "kv") {
      plain.value = collect();
      mode = "plain";
    } else {
      const parsed = keyValues(plain.value);
      if (!parsed && plain.value.trim() !== "") {
        toggle.setCustomValidity("This value is not a JSON object of strings.");
        toggle.reportValidity();
        return;
      }
      rows.replaceChildren();
      for (const [k, v] of parsed || [["", ""]]) addRow(k, v);
      mode = "kv";
    }
    render();
  });
  const collect = () => {
    const object = {};
    for (const row of rows.querySelectorAll(".kv-row")) {
      const key = row.querySelector(".kv-key").value;
      if (key !== "") object[key] = row.querySelector(".kv-value").value;
    }
    return JSON.stringify(object);
  };
  render();
  container.append(toggle, kvPane, plainPane);
  container.value = () => (mode === "kv" ? collect() : plain.value);
  return container;
}
