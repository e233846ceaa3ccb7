// The console's shell: the router (location.hash), the header, sign-out. Every page is a
// module exporting `render(main, params)`.

import * as session from "./session.js";
import { replace, errorBox } from "./ui.js";
import * as signin from "./pages/signin.js";
import * as secrets from "./pages/secrets.js";
import * as secret from "./pages/secret.js";
import * as access from "./pages/access.js";
import * as audit from "./pages/audit.js";

const main = document.getElementById("main");

function header() {
  const s = session.current();
  document.getElementById("nav").hidden = !s;
  document.getElementById("who").hidden = !s;
  document.getElementById("who-name").textContent = s ? `${s.label} · ${s.region}` : "";
  const page = (location.hash.split("/")[1] || "secrets").replace("secret", "secrets").replace("secretss", "secrets");
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${page}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// Each route renders into a fresh container: a page still finishing an earlier render (a
// re-render after a change, a slow call) writes into a container no longer shown, never over
// the page the user moved to.
function freshView() {
  const view = document.createElement("div");
  main.replaceChildren(view);
  return view;
}

export async function route() {
  header();
  if (!session.current()) {
    document.title = "Sign in · coffer";
    await signin.render(freshView(), { done: () => { location.hash = "#/secrets"; route(); } });
    return;
  }
  const [, page, ...rest] = location.hash.split("/");
  const param = rest.map(decodeURIComponent).join("/");
  const pages = { secrets, secret, access, audit };
  const module = pages[page] || secrets;
  const view = freshView();
  try {
    await module.render(view, { id: param });
  } catch (error) {
    if (/ExpiredToken|NotSignedIn/.test(error.code || "")) {
      session.clear();
      route();
      return;
    }
    replace(view, errorBox(error));
  }
  main.focus({ preventScroll: true });
}

document.getElementById("signout").addEventListener("click", () => {
  session.clear();
  location.hash = "";
  route();
});
window.addEventListener("hashchange", route);
route();
