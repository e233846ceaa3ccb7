// The secrets list: ListSecrets with a search (its filters), sorting, page size and
// pagination (NextToken), deleted secrets on request, and a form to create a secret.

import { h, field, replace, busy, table, formatDate, valueEditor, notice } from "../ui.js";
import * as api from "../api.js";

const state = { search: "", key: "all", sortBy: "created-date", sortOrder: "desc", pageSize: 25, deleted: false, tokens: [null], page: 0 };

export async function render(main) {
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const results = h("div", { id: "secret-results" });

  const search = h("input", { type: "search", name: "search", value: state.search, autocomplete: "off" });
  const key = h("select", { name: "filter-key" },
    [["all", "Any field"], ["name", "Name"], ["description", "Description"], ["tag-key", "Tag key"], ["tag-value", "Tag value"], ["primary-region", "Primary region"]]
      .map(([value, label]) => h("option", { value, selected: state.key === value }, label)));
  const sortBy = h("select", { name: "sort-by" },
    [["created-date", "Created"], ["name", "Name"], ["last-changed-date", "Last changed"], ["last-accessed-date", "Last accessed"]]
      .map(([value, label]) => h("option", { value, selected: state.sortBy === value }, label)));
  const sortOrder = h("select", { name: "sort-order" },
    [["desc", "Descending"], ["asc", "Ascending"]].map(([value, label]) => h("option", { value, selected: state.sortOrder === value }, label)));
  const pageSize = h("select", { name: "page-size" },
    [10, 25, 50, 100].map((n) => h("option", { value: n, selected: state.pageSize === n }, String(n))));
  const deleted = h("input", { type: "checkbox", name: "include-deleted", id: "include-deleted", checked: state.deleted });
  const searchButton = h("button", { type: "submit" }, "Search");
  const form = h("form", { class: "toolbar", role: "search", "aria-label": "Filter secrets" },
    field("Search", search), field("In", key), field("Sort by", sortBy), field("Order", sortOrder), field("Per page", pageSize),
    h("div", { class: "field checkbox" }, deleted, h("label", { for: "include-deleted" }, "Include deleted")),
    searchButton);

  const load = () => busy(searchButton, messages, async () => {
    const request = {
      MaxResults: state.pageSize,
      SortBy: state.sortBy,
      SortOrder: state.sortOrder,
      IncludePlannedDeletion: state.deleted,
    };
    const words = state.search.trim().split(/\s+/).filter(Boolean);
    // One filter per word: ListSecrets ANDs filters (and ORs the values of one), so every
    // word must match. It takes at most 10 filters.
    if (words.length) request.Filters = words.slice(0, 10).map((word) => ({ Key: state.key, Values: [word] }));
    const token = state.tokens[state.page];
    if (token) request.NextToken = token;
    const out = await api.sm("ListSecrets", request);
    state.tokens[state.page + 1] = out.NextToken || null;
    const rows = (out.SecretList || []).map((s) => [
      h("a", { href: `#/secret/${encodeURIComponent(s.Name)}` }, s.Name),
      s.Description || "",
      formatDate(s.LastChangedDate),
      formatDate(s.LastAccessedDate),
      s.DeletedDate ? `Deleted ${formatDate(s.DeletedDate)}` : "Active",
    ]);
    const previous = h("button", { type: "button", class: "secondary", disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, "Previous page");
    const next = h("button", { type: "button", class: "secondary", disabled: !out.NextToken, onclick: () => { state.page += 1; load(); } }, "Next page");
    replace(results,
      rows.length ? table(`Secrets, page ${state.page + 1}`, ["Name", "Description", "Last changed", "Last accessed", "State"], rows)
        : h("p", {}, "No secrets match."),
      h("div", { class: "pager" }, previous, h("span", {}, `Page ${state.page + 1}`), next));
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, {
      search: search.value, key: key.value, sortBy: sortBy.value, sortOrder: sortOrder.value,
      pageSize: Number(pageSize.value), deleted: deleted.checked, tokens: [null], page: 0,
    });
    load();
  });

  // Create a secret.
  const createMessages = h("div", { class: "messages", "aria-live": "polite" });
  const name = h("input", { type: "text", name: "new-secret-name", required: true, autocomplete: "off" });
  const description = h("input", { type: "text", name: "new-secret-description", autocomplete: "off" });
  const editor = valueEditor();
  const createButton = h("button", { type: "submit" }, "Create secret");
  const create = h("form", { class: "card", id: "create-secret", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create a secret"), createMessages,
    field("Name", name), field("Description", description),
    h("fieldset", {}, h("legend", {}, "Value"), editor), createButton);
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(createButton, createMessages, async () => {
      const request = { Name: name.value.trim(), SecretString: editor.value(), ClientRequestToken: crypto.randomUUID() };
      if (description.value) request.Description = description.value;
      const out = await api.sm("CreateSecret", request);
      replace(createMessages, notice(`Created ${out.Name}.`));
      location.hash = `#/secret/${encodeURIComponent(out.Name)}`;
    });
  });

  replace(main, h("h1", {}, "Secrets"), form, messages, results, h("details", { class: "create" }, h("summary", {}, "Create a secret"), create));
  document.title = "Secrets · coffer";
  await load();
}
