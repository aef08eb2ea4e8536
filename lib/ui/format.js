// Helpers of the events page: how times, tokens and an event's history read, and
// the small elements that show them (built with textContent only).

export function timeText(ms) {
  if (!Number.isFinite(ms)) return "";
  const date = new Date(ms);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
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
  return typeof payload === "string" ? payload : JSON.stringify(payload, null, 2);
}

/**
 * [when, what] steps: what the store records (received, attempts, last error,
 * state), then the states this page saw arrive live.
 */
export function timeline(event, seenLive) {
  const steps = [[timeText(Date.parse(event.receivedAt)), "received, verified and stored"]];
  if (event.attempt > 0) {
    const failed = event.lastError === null ? "" : `; the last failed: ${event.lastError}`;
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
    const error = seen.lastError === null ? "" : ` (${seen.lastError})`;
    steps.push([timeText(seen.atMs), `seen live: ${seen.status}, attempt ${seen.attempt}${error}`]);
  }
  return steps;
}

export function option(value, label) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = label;
  return element;
}

export function cell(label, content, title) {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (typeof content === "string") td.textContent = content;
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
