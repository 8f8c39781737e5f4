// apib-mock's dashboard: everything it shows comes from the admin API
// (routes, requests, coverage, status, settings, state, events), so a
// script can do the same. Request content is only ever set as text
// (textContent), never as markup.
"use strict";

const base = location.pathname.replace(/\/(index\.html)?$/, "");
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const MAX_ROWS = 500;

function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers["Authorization"] = "Bearer " + token;
  return fetch(base + path, Object.assign({}, options, { headers, cache: "no-store" }));
}

async function json(path) {
  const res = await api(path);
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}

// el("td", {class: "x"}, "text", child): strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function replace(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

// Tabs: buttons with arrow-key moves, as the ARIA tabs pattern has it.
const tabs = [...document.querySelectorAll('[role="tab"]')];
function show(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
  }
  const view = tab.getAttribute("aria-controls");
  if (view === "routes") loadRoutes();
  if (view === "coverage") loadCoverage();
  if (view === "spec") loadStatus();
  if (view === "sandbox") loadSandbox();
}
tabs.forEach((tab, i) => {
  tab.tabIndex = i === 0 ? 0 : -1;
  tab.addEventListener("click", () => show(tab));
  tab.addEventListener("keydown", (e) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    next.focus();
    show(next);
  });
});

// ---- Requests: the journal, then the live stream.
const rows = document.querySelector("#request-table tbody");
const onlyMisses = document.getElementById("only-misses");
let selected = null;

function addRow(r, top = true) {
  const miss = !r.transaction;
  const tr = el("tr", {
    class: miss ? "miss" : "",
    tabindex: 0,
    "data-id": r.id,
    "aria-label": r.method + " " + r.target + " " + r.status,
  },
    el("td", { class: "method" }, r.method),
    el("td", { class: "mono" }, r.target),
    el("td", { class: "status-" + String(r.status)[0] }, r.status),
    el("td", {}, (r.micros / 1000).toFixed(1)),
    el("td", {}, r.transaction || r.problem || "",
      r.sandbox ? el("div", { class: "muted" }, "sandbox: " + r.sandbox) : null),
  );
  tr.hidden = onlyMisses.checked && !miss;
  const open = () => detail(r.id, tr);
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    if (e.key === "ArrowDown" && tr.nextElementSibling) tr.nextElementSibling.focus();
    if (e.key === "ArrowUp" && tr.previousElementSibling) tr.previousElementSibling.focus();
  });
  if (top) rows.prepend(tr); else rows.append(tr);
  while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
  document.getElementById("no-requests").hidden = rows.children.length > 0;
}

onlyMisses.addEventListener("change", () => {
  for (const tr of rows.children) tr.hidden = onlyMisses.checked && !tr.classList.contains("miss");
});

document.getElementById("clear-requests").addEventListener("click", async () => {
  await api("/requests", { method: "DELETE" });
  replace(rows);
  document.getElementById("no-requests").hidden = false;
});

async function loadJournal() {
  let after = null;
  const all = [];
  for (let page = 0; page < 20; page++) {
    const data = await json("/requests?limit=1000" + (after === null ? "" : "&after=" + after));
    all.push(...data.requests);
    if (data.next_after === null || data.next_after === undefined) break;
    after = data.next_after;
  }
  replace(rows);
  for (const r of all.slice(-MAX_ROWS).reverse()) {
    addRow({
      id: r.id, method: r.method, target: r.path + (r.query ? "?" + r.query : ""),
      status: r.status, micros: r.micros, transaction: r.transaction, problem: r.problem,
      sandbox: r.sandbox,
    }, false);
  }
  document.getElementById("no-requests").hidden = rows.children.length > 0;
}

function headerTable(headers) {
  return el("table", { class: "mono" }, el("tbody", {},
    headers.map(([name, value]) => el("tr", {}, el("td", {}, name), el("td", {}, value)))));
}

async function detail(id, tr) {
  if (selected) selected.classList.remove("selected");
  selected = tr;
  tr.classList.add("selected");
  const box = document.getElementById("request-detail");
  let data;
  try {
    data = await json("/requests/" + id);
  } catch (e) {
    replace(box, el("p", { class: "muted" }, "This request is no longer in the journal."));
    return;
  }
  const r = data.request;
  const parts = [
    el("h2", {}, r.method + " ", el("span", { class: "mono" }, r.path + (r.query ? "?" + r.query : ""))),
    el("p", {}, "Answered ", el("strong", {}, String(r.status)), " by ",
      el("strong", {}, r.transaction || ("no documented example (" + (r.problem || "miss") + ")")),
      " in " + (r.micros / 1000).toFixed(2) + " ms"),
    r.sandbox ? el("p", {}, "Sandbox: ", el("strong", {}, r.sandbox)) : null,
  ];
  if (r.violations && r.violations.length) {
    parts.push(el("h3", {}, "Contract violations"),
      el("ul", {}, r.violations.map((v) => el("li", {}, v.in + " " + v.at + ": expected " + v.expected + ", got " + v.actual + " (" + v.rule + ")"))));
  }
  parts.push(el("h3", {}, "Headers"), headerTable(r.headers));
  if (r.body) {
    parts.push(el("h3", {}, "Body" + (data.body_cut ? " (its first 4 KiB)" : "")), el("pre", { class: "request-body" }, r.body));
  }
  if (data.candidates.length) {
    parts.push(el("h3", {}, "Why this answer"));
    for (const c of data.candidates) {
      const chosen = c.transaction === r.transaction;
      parts.push(el("div", { class: "candidate" + (chosen ? " chosen" : "") },
        el("div", {}, el("strong", {}, c.transaction), " → " + c.status + (chosen ? " (answered)" : "")),
        c.matches.length ? el("ul", {}, c.matches.map((m) => el("li", { class: "yes" }, "✓ " + m))) : null,
        c.differs.length ? el("ul", {}, c.differs.map((m) => el("li", { class: "no" }, "✗ " + m))) : null,
        !c.matches.length && !c.differs.length ? el("p", { class: "muted" }, "nothing to compare: the first documented example answers") : null,
      ));
    }
  } else {
    parts.push(el("h3", {}, "No documented route takes it"));
    if (data.allow.length) parts.push(el("p", {}, "The path is documented for " + data.allow.join(", ") + "."));
    if (data.closest.length) {
      parts.push(el("p", {}, "Closest documented routes:"),
        el("ul", { class: "closest" }, data.closest.map((c) =>
          el("li", {}, el("span", { class: "method" }, c.method), " ", el("span", { class: "mono" }, c.uri_template),
            c.example_uri ? el("span", { class: "muted" }, "  e.g. " + c.example_uri) : null))));
    }
  }
  replace(box, parts);
}

// ---- Routes, with a button that sends each documented request.
async function loadRoutes() {
  const routes = await json("/routes");
  const list = document.getElementById("route-list");
  const count = routes.reduce((n, r) => n + r.transactions.length, 0);
  replace(list, el("p", { id: "route-count" }, routes.length + " routes, " + count + " transactions"),
    routes.map((r) => el("div", { class: "route" },
      el("div", { class: "head" }, el("span", { class: "method" }, r.method), el("span", { class: "mono" }, r.uri_template), el("span", { class: "muted" }, r.name)),
      r.transactions.map((t) => {
        const out = el("pre", { hidden: true });
        const send = async () => {
          const headers = {};
          for (const [k, v] of t.request_headers || []) {
            if (!/^(host|content-length|connection)$/i.test(k)) headers[k] = v;
          }
          const uri = t.example_uri || r.example_uri;
          if (!uri) { out.hidden = false; out.textContent = "no example URI: a path variable has no example"; return; }
          try {
            const res = await fetch(uri, { method: r.method, headers, body: ["GET", "HEAD"].includes(r.method) ? undefined : (t.request_body || undefined) });
            const text = await res.text();
            out.textContent = res.status + " " + res.statusText + "\n" + (res.headers.get("apib-mock-transaction") || "") + "\n\n" + text;
          } catch (e) {
            out.textContent = String(e);
          }
          out.hidden = false;
        };
        return el("div", { class: "tx-block" },
          el("div", { class: "tx" }, el("span", { class: "status-" + String(t.status)[0] }, String(t.status)),
            el("span", {}, t.transaction), t.request ? el("span", { class: "muted" }, "[" + t.request + "]") : null,
            el("span", { class: "mono muted" }, t.example_uri || ""),
            el("button", { type: "button", onclick: send, "aria-label": "send " + t.transaction }, "Send")),
          out);
      }))));
}

// ---- Coverage.
async function loadCoverage() {
  const c = await json("/coverage");
  document.getElementById("coverage-summary").textContent =
    c.exercised + " of " + c.total + " documented transactions served";
  const never = c.transactions.filter((t) => !t.served);
  replace(document.getElementById("never"),
    never.length ? never.map((t) => el("li", {}, el("span", { class: "method" }, t.method), " " + t.transaction, el("span", { class: "muted" }, "  " + t.source)))
      : el("li", { class: "muted" }, "none: every transaction answered at least once"));
  replace(document.querySelector("#served tbody"),
    c.transactions.filter((t) => t.served).map((t) => el("tr", {}, el("td", {}, t.transaction), el("td", {}, t.status), el("td", {}, t.served))));
}

// ---- Spec health.
async function loadStatus() {
  const s = await json("/status");
  const badge = document.getElementById("health");
  badge.textContent = s.last_error ? "reload error" : s.transactions + " transactions";
  badge.className = "badge " + (s.last_error ? "bad" : "ok");
  const last = s.last_reload;
  replace(document.getElementById("spec-status"), el("dl", {},
    el("dt", {}, "files"), el("dd", { class: "mono" }, s.files.join(", ")),
    el("dt", {}, "served"), el("dd", {}, s.transactions + " transactions, " + s.endpoints + " routes, loaded " + s.loaded_at),
    el("dt", {}, "watching"), el("dd", {}, s.watching ? "yes: saves reload" : "no"),
    el("dt", {}, "reloads"), el("dd", {}, s.reloads + " served, " + s.failed_reloads + " refused"),
    el("dt", {}, "last reload"), el("dd", {}, last ? last.at + " (" + last.millis.toFixed(1) + " ms): " +
      last.added.length + " added, " + last.removed.length + " removed, " + last.changed.length + " changed" +
      (last.notes && last.notes.length ? "; " + last.notes.join("; ") : "") : "none")));
  const warnings = s.warnings || [];
  replace(document.getElementById("spec-warnings"), warnings.length
    ? [el("h2", {}, warnings.length + " warning" + (warnings.length === 1 ? "" : "s")),
       el("ul", { class: "diagnostics" }, warnings.map((d) =>
         el("li", { class: "mono" }, d.file + ":" + d.line + ":" + d.column + ": " + d.severity + ": " + d.message)))]
    : []);
  const box = document.getElementById("spec-error");
  if (!s.last_error) { replace(box); return; }
  const e = s.last_error;
  replace(box, el("div", { class: "error", role: "alert" },
    el("h2", {}, "The last save was not served"),
    el("p", {}, e.message + " (" + e.at + "); the last good spec is still served."),
    el("ul", { class: "diagnostics" }, (e.diagnostics || []).map((d) =>
      el("li", { class: "mono" }, d.file + ":" + d.line + ":" + d.column + ": " + d.severity + ": " + d.message)))));
}

// ---- Sandbox and network.
async function loadSandbox() {
  try {
    document.getElementById("settings").textContent = JSON.stringify(await json("/settings"), null, 2);
  } catch (e) { /* admin API off or refused */ }
  const box = document.getElementById("state");
  const res = await api("/state");
  if (!res.ok) { replace(box, el("p", { class: "muted" }, "The sandbox is off (serve --sandbox turns it on).")); return; }
  const state = await res.json();
  replace(box,
    el("p", {}, state.collections.length + " collections keep state; " + state.bytes + " bytes stored"),
    state.collections.map((c) => el("p", {}, el("strong", {}, c.name), " ", el("span", { class: "mono" }, c.path), ": " + c.operations.join(", "))),
    Object.entries(state.sessions).map(([name, collections]) => el("div", {},
      el("h3", {}, "session " + name),
      Object.entries(collections).map(([key, entities]) => el("div", {},
        el("p", { class: "mono" }, key + ": " + entities.length + " entities"),
        el("pre", {}, JSON.stringify(entities, null, 2)))))));
}

// ---- Live: server-sent events.
function connect() {
  const live = document.getElementById("live");
  const source = new EventSource(base + "/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
  source.addEventListener("hello", () => { live.textContent = "● live"; live.className = "badge ok"; });
  source.addEventListener("request", (e) => {
    addRow(JSON.parse(e.data));
    const view = document.querySelector('[aria-selected="true"]').getAttribute("aria-controls");
    if (view === "coverage") loadCoverage();
    if (view === "sandbox") loadSandbox();
  });
  source.addEventListener("reload", () => {
    loadStatus();
    const view = document.querySelector('[aria-selected="true"]').getAttribute("aria-controls");
    if (view === "routes") loadRoutes();
    if (view === "coverage") loadCoverage();
  });
  source.addEventListener("lagged", () => loadJournal());
  source.onerror = () => { live.textContent = "○ reconnecting"; live.className = "badge bad"; };
}

loadStatus().catch(() => {});
loadJournal().catch(() => {});
connect();
