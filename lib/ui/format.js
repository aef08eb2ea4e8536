// Helpers of the events page: how times, tokens and an event's history read, and
// the small elements that show them (built with textContent only).

export function timeText(ms) {
  if (!Number.isFinite(ms)) return "";
  const date = new Date(ms);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/**
 * What tells events apart: the href. A key or id that looks like a credential is redacted in
 * the summary, so two such events can share a shown key, but each keeps its own href.
 */
export function idOf(event) {
  return event.href ?? `${event.route}\n${event.key}`;
}

/** Newest first, as the list shows them. */
export function newestFirst(a, b) {
  return b.receivedAt.localeCompare(a.receivedAt) || a.key.localeCompare(b.key);
}

/**
 * The ids of the events beyond the newest `limit` of their status (never `keep`, the one
 * open), and whether a status holds `limit` or more: a page left open on a busy serve keeps
 * what a reload would show, and neither grows without end nor slows down.
 */
export function beyondNewest(events, limit, keep) {
  const byStatus = new Map();
  for (const event of events) {
    byStatus.set(event.status, [...(byStatus.get(event.status) ?? []), event]);
  }
  const drop = [];
  let full = false;
  for (const of of byStatus.values()) {
    full ||= of.length >= limit;
    for (const event of of.sort(newestFirst).slice(limit)) {
      if (idOf(event) !== keep) drop.push(idOf(event));
    }
  }
  return { drop, full };
}

/**
 * Controls a webhook's text may hold, spelled out (`\u202e`): C0 but tab and newline, DEL,
 * C1, and the bidirectional embeddings, overrides, isolates and marks, which would reorder
 * what follows them so that an id reads as another (`evt\u202egnp.exe` as `evtexe.png`).
 */
// deno-lint-ignore no-control-regex
const HIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text) {
  return text.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The claims a hookgate token carries, unverified: only to show the scope and expiry (serve checks). */
export function claimsOf(token) {
  const match = /^hgt_([A-Za-z0-9_-]+)\./.exec(token);
  if (!match) return null;
  try {
    const base64 = match[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(base64 + "=".repeat((4 - base64.length % 4) % 4)));
    return typeof claims === "object" && claims !== null ? claims : null;
  } catch {
    return null;
  }
}

/** A payload as the API returns it (a JSON value, or text), ready to show. */
export function payloadText(payload) {
  // In JSON text, a control spelled `\u202e` is the same string: the copy stays valid JSON.
  return visible(typeof payload === "string" ? payload : JSON.stringify(payload, null, 2));
}

/**
 * [when, what] steps: what the store records (received, attempts, last error,
 * state), then the states this page saw arrive live.
 */
export function timeline(event, seenLive) {
  const steps = [[timeText(Date.parse(event.receivedAt)), "received, verified and stored"]];
  if (event.attempt > 0) {
    const failed = event.lastError === null ? "" : `; the last failed: ${visible(event.lastError)}`;
    steps.push(["", `${event.attempt} attempt${event.attempt === 1 ? "" : "s"} so far${failed}`]);
  }
  if (event.nextAttemptAt) steps.push([timeText(Date.parse(event.nextAttemptAt)), "next attempt"]);
  const now = {
    pending: event.attempt === 0 ? "waiting for its first attempt" : "waiting for a retry",
    done: "done: the agent took it",
    dead: "dead letter: no more attempts",
  }[event.status];
  steps.push([event.updatedAt ? timeText(Date.parse(event.updatedAt)) : "now", now]);
  for (const seen of seenLive) {
    const error = seen.lastError === null ? "" : ` (${visible(seen.lastError)})`;
    steps.push([timeText(seen.atMs), `seen live: ${seen.status}, attempt ${seen.attempt}${error}`]);
  }
  return steps;
}

export function option(value, label) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = visible(label);
  return element;
}

export function cell(label, content, title) {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (typeof content === "string") td.textContent = visible(content);
  else td.append(content);
  if (title) td.title = title;
  return td;
}

export function badge(status) {
  const span = document.createElement("span");
  span.className = `status status-${status}`;
  span.textContent = status;
  return span;
}
