// hookgate's events page. Plain browser JavaScript, no build step: serve ships
// this file as it is. Everything that came from a webhook is put on the page
// with textContent, never parsed as HTML.

import {
  badge,
  beyondNewest,
  cell,
  claimsOf,
  idOf,
  option,
  payloadText,
  timeline,
  timeText,
  visible,
} from "./format.js";
import { follow } from "./live.js";

const TOKEN_STORAGE = "hookgate.token";
const STATUSES = ["pending", "done", "dead"];
/** Per status: what the page lists at load, and the most it keeps as live changes arrive. */
const LIST_LIMIT = 1000;

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  scope: null,
  /** the event's href → its summary as GET /events lists it */
  events: new Map(),
  /** the event's href → states this page saw arrive live: [{atMs, status, attempt, lastError}] */
  seen: new Map(),
  /** the id of the event open in the detail, and its payload as shown */
  selected: null,
  payloadText: "",
  stream: null,
  expiryTimer: 0,
};

class Unauthorized extends Error {
  /** Tells the live view to stop reconnecting. */
  final = true;
}

// ------------------------------------------------------------------ token

/** The token from a `#token=` link (then removed from the address bar), else the session's. */
function takeToken() {
  const match = /^#token=([A-Za-z0-9_.-]+)$/.exec(location.hash);
  if (location.hash !== "") history.replaceState(null, "", location.pathname + location.search);
  if (match) sessionStorage.setItem(TOKEN_STORAGE, match[1]);
  return sessionStorage.getItem(TOKEN_STORAGE);
}

function logIn(token) {
  const claims = claimsOf(token);
  if (claims === null) {
    showLogin("that is not a hookgate token (it starts with hgt_)");
    return;
  }
  state.token = token;
  state.scope = claims.scope === "write" ? "write" : "read";
  sessionStorage.setItem(TOKEN_STORAGE, token);
  const expiresAtMs = Number(claims.exp) * 1000;
  $("who").textContent = `${state.scope} token, until ${timeText(expiresAtMs)}`;
  clearTimeout(state.expiryTimer);
  state.expiryTimer = setTimeout(
    () => logOut("the token expired: run 'hookgate ui' for a new link"),
    Math.max(0, Math.min(expiresAtMs - Date.now(), 2 ** 31 - 1)),
  );
  $("login").hidden = true;
  $("events").hidden = false;
  $("logout").hidden = false;
  loadAll().catch(showLoadError);
  startLive();
}

function showLoadError(error) {
  if (!(error instanceof Unauthorized)) {
    $("count").textContent = `could not load the events (${error.message}): reload to retry`;
  }
}

function logOut(reason) {
  state.token = null;
  state.scope = null;
  sessionStorage.removeItem(TOKEN_STORAGE);
  clearTimeout(state.expiryTimer);
  state.stream?.abort();
  state.stream = null;
  state.events.clear();
  state.seen.clear();
  closeDetail();
  $("rows").replaceChildren();
  $("who").textContent = "";
  setLive("offline");
  showLogin(reason);
}

function showLogin(reason) {
  $("events").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = reason ?? "";
  $("token-input").value = "";
  $("token-input").focus();
}

// ------------------------------------------------------------------ API

async function api(path, init = {}) {
  const token = state.token;
  const response = await fetch(path, {
    ...init,
    headers: { authorization: `Bearer ${token}` },
    cache: "no-store",
    credentials: "omit",
  });
  if (response.status === 401) {
    const body = await response.json().catch(() => ({}));
    // A late answer to an older token must not log the current one out.
    if (state.token === token) {
      logOut(`${body.error ?? "the token was refused"}: run 'hookgate ui' for a new link`);
    }
    throw new Unauthorized();
  }
  return response;
}

async function loadAll() {
  const lists = await Promise.all(STATUSES.map(async (status) => {
    const response = await api(`/events?status=${status}&limit=${LIST_LIMIT}`);
    if (!response.ok) throw new Error(`listing ${status} events: HTTP ${response.status}`);
    return (await response.json()).events;
  }));
  state.events.clear();
  for (const event of lists.flat()) state.events.set(idOf(event), event);
  for (const id of state.seen.keys()) if (!state.events.has(id)) state.seen.delete(id);
  render();
  refreshDetail();
}

// ------------------------------------------------------------------ live updates

function startLive() {
  state.stream?.abort();
  const controller = new AbortController();
  state.stream = controller;
  follow({
    open: (signal) => api("/events/stream", { signal }),
    signal: controller.signal,
    onMessage,
    onState: setLive,
  });
}

function onMessage(name, data) {
  if (name === "ready") {
    // Anything that changes from now on arrives as `changes`: take the lists once more.
    loadAll().catch(showLoadError);
  } else if (name === "changes") {
    for (const event of JSON.parse(data).events) {
      const id = idOf(event);
      state.events.set(id, event);
      const seen = state.seen.get(id) ?? [];
      seen.push({
        atMs: Date.now(),
        status: event.status,
        attempt: event.attempt,
        lastError: event.lastError,
      });
      state.seen.set(id, seen.slice(-20));
    }
    for (const id of beyondNewest(state.events.values(), LIST_LIMIT, state.selected).drop) {
      state.events.delete(id);
      state.seen.delete(id);
    }
    render();
    refreshDetail();
  } else if (name === "closing") {
    const { reason } = JSON.parse(data);
    if (reason === "expired" || reason === "revoked") {
      logOut(`the token ${reason === "expired" ? "expired" : "was revoked"}: run 'hookgate ui'`);
    } else if (reason === "unchecked") {
      setLive("the token could not be checked (the store is unreachable); retrying");
    }
  }
}

function setLive(text) {
  $("live").textContent = text;
  $("live").dataset.state = text === "live" ? "live" : "off";
}

// ------------------------------------------------------------------ the table

function filtered() {
  const status = $("filter-status").value;
  const route = $("filter-route").value;
  const text = $("filter-text").value.trim().toLowerCase();
  return [...state.events.values()]
    .filter((event) => status === "" || event.status === status)
    .filter((event) => route === "" || event.route === route)
    .filter((event) =>
      text === "" ||
      [event.route, event.key, event.id ?? "", event.lastError ?? "", event.status]
        .some((field) => field.toLowerCase().includes(text))
    )
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || a.key.localeCompare(b.key));
}

function render() {
  renderRouteChoices();
  const focusedId = document.activeElement?.closest?.("tr")?.eventId ?? null;
  const events = filtered();
  const rows = events.map(row);
  $("rows").replaceChildren(...rows);
  $("empty").hidden = events.length > 0;
  const capped = beyondNewest(state.events.values(), LIST_LIMIT, null).full;
  $("count").textContent = `${events.length} of ${state.events.size} events` +
    (capped ? ` (the newest ${LIST_LIMIT} of each status)` : "");
  if (focusedId !== null) {
    rows.find((tr) => tr.eventId === focusedId)?.querySelector("button")?.focus();
  }
}

function renderRouteChoices() {
  const select = $("filter-route");
  const routes = [...new Set([...state.events.values()].map((event) => event.route))].sort();
  const have = [...select.options].slice(1).map((option) => option.value);
  if (routes.join("\n") === have.join("\n")) return;
  const chosen = select.value;
  select.replaceChildren(option("", "all"), ...routes.map((route) => option(route, route)));
  select.value = routes.includes(chosen) ? chosen : "";
}

function row(event) {
  const tr = document.createElement("tr");
  tr.eventId = idOf(event);
  if (state.selected === tr.eventId) tr.classList.add("selected");
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link";
  open.textContent = visible(event.id ?? event.key);
  open.title = visible(event.key);
  open.addEventListener("click", () => openDetail(tr.eventId));
  tr.append(
    cell("Received", timeText(Date.parse(event.receivedAt)), event.receivedAt),
    cell("Route", event.route),
    cell("Key / id", open),
    cell("Status", badge(event.status)),
    cell("Attempts", String(event.attempt)),
    cell("Last error", event.lastError ?? ""),
  );
  tr.addEventListener("click", (click) => {
    if (click.target === tr || click.target.tagName === "TD") openDetail(tr.eventId);
  });
  return tr;
}

// ------------------------------------------------------------------ the detail

async function openDetail(id) {
  const event = state.events.get(id);
  if (!event) return;
  state.selected = id;
  state.payloadText = "";
  $("payload").textContent = "loading…";
  $("action-result").textContent = "";
  $("copy-result").textContent = "";
  $("detail").hidden = false;
  refreshDetail();
  render();
  $("detail-title").focus();
  $("detail").scrollIntoView({ block: "nearest" });
  try {
    const response = await api(event.href);
    if (state.selected !== id) return;
    if (!response.ok) {
      $("payload").textContent = `could not load the payload: HTTP ${response.status}`;
      return;
    }
    const full = await response.json();
    state.payloadText = payloadText(full.payload);
    $("payload").textContent = state.payloadText;
  } catch (error) {
    if (!(error instanceof Unauthorized)) $("payload").textContent = "could not load the payload";
  }
}

function closeDetail() {
  const id = state.selected;
  state.selected = null;
  $("detail").hidden = true;
  if (id === null) return;
  render();
  [...$("rows").children].find((tr) => tr.eventId === id)?.querySelector("button")?.focus();
}

function refreshDetail() {
  const event = state.selected === null ? undefined : state.events.get(state.selected);
  if (!event) return;
  $("detail-title").textContent = visible(event.id ?? event.key);
  const facts = [
    ["Route", visible(event.route)],
    ["Key", visible(event.key)],
    ["Id", event.id ? visible(event.id) : "(none)"],
    ["Status", event.status],
    ["Attempts", String(event.attempt)],
    ["Received", new Date(event.receivedAt).toLocaleString()],
    ["Payload", `${event.payloadBytes} bytes`],
  ];
  $("detail-facts").replaceChildren(...facts.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    return [dt, dd];
  }));
  $("timeline").replaceChildren(
    ...timeline(event, state.seen.get(idOf(event)) ?? []).map(([when, what]) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = when;
      li.append(time, document.createTextNode(` ${what}`));
      return li;
    }),
  );
  const canRedeliver = state.scope === "write" &&
    (event.status === "done" || event.status === "dead");
  $("redeliver").hidden = !canRedeliver;
}

async function redeliver() {
  const event = state.selected === null ? undefined : state.events.get(state.selected);
  if (!event) return;
  $("redeliver").disabled = true;
  try {
    const response = await api(`${event.href}/redeliver`, { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 202) {
      state.events.set(idOf(event), { ...event, status: "pending", attempt: 0 });
      $("action-result").textContent = "sent back to pending";
      render();
      refreshDetail();
    } else {
      $("action-result").textContent = `not redelivered: ${
        body.error ?? `HTTP ${response.status}`
      }`;
    }
  } catch (error) {
    if (!(error instanceof Unauthorized)) $("action-result").textContent = "not redelivered";
  } finally {
    $("redeliver").disabled = false;
  }
}

async function copyPayload() {
  try {
    await navigator.clipboard.writeText(state.payloadText);
    $("copy-result").textContent = "copied";
  } catch {
    // No clipboard API (plain http on another host): select it for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents($("payload"));
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    $("copy-result").textContent = "selected: press Ctrl+C";
  }
}

// ------------------------------------------------------------------ wiring

function start() {
  $("login-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const token = $("token-input").value.trim();
    if (token !== "") logIn(token);
  });
  $("logout").addEventListener("click", () => logOut("logged out"));
  $("filters").addEventListener("submit", (submit) => submit.preventDefault());
  for (const id of ["filter-status", "filter-route", "filter-text"]) {
    $(id).addEventListener("input", render);
  }
  $("detail-close").addEventListener("click", closeDetail);
  $("detail").addEventListener("keydown", (key) => {
    if (key.key === "Escape") closeDetail();
  });
  $("redeliver").addEventListener("click", redeliver);
  $("copy").addEventListener("click", copyPayload);
  addEventListener("hashchange", () => {
    const token = takeToken();
    if (token !== null && token !== state.token) logIn(token);
  });
  const token = takeToken();
  if (token === null) showLogin();
  else logIn(token);
}

start();
