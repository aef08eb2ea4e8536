// The page's live view: reads GET /events/stream (Server-Sent Events) and
// reconnects when it ends, e.g. while serve restarts.

const RECONNECT_FIRST_MS = 1_000;
const RECONNECT_MAX_MS = 10_000;
/** serve sends a heartbeat every 15 s: this much silence means the connection is gone. */
const SILENCE_MS = 40_000;

/**
 * Follows the stream until `signal` aborts. `open(signal)` makes the request
 * with fetch(), so the token goes in the Authorization header like every other
 * API call (EventSource cannot send one, and a token in a URL ends up in logs);
 * it throws to stop following for good (the token was refused).
 */
export async function follow({ open, signal, onMessage, onState }) {
  let pauseMs = RECONNECT_FIRST_MS;
  while (!signal.aborted) {
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    signal.addEventListener("abort", stop, { once: true });
    let silence = 0;
    const watch = () => {
      clearTimeout(silence);
      silence = setTimeout(stop, SILENCE_MS);
    };
    try {
      watch();
      const response = await open(attempt.signal);
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      onState("live");
      pauseMs = RECONNECT_FIRST_MS;
      await readMessages(response.body, (name, data) => {
        watch();
        onMessage(name, data);
      });
    } catch (error) {
      if (error?.final) return;
    } finally {
      clearTimeout(silence);
      signal.removeEventListener("abort", stop);
    }
    if (signal.aborted) return;
    onState("reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, RECONNECT_MAX_MS);
  }
}

/** The text/event-stream format: blocks separated by a blank line; `event:` and `data:` lines. */
async function readMessages(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      onMessage(name, data.join("\n"));
    }
  }
}
