/**
 * The third reference for `deno task bench`: the least any durable, verifying receiver
 * can do per accepted event on one JavaScript thread. It is verify-only (one verify of
 * `timestamp.body` with hookgate's own HMAC, as its gates take it) plus a JSON parse for the id and a group commit of the
 * claim and the inbox record, settled done in the next commit (bench/floor_engines.ts),
 * before its 200. No freshness check, no trace, no log line, no hand-off, no lease: its
 * rate is the ceiling for hookgate's accepted scenario on the same engine.
 *
 * The engine comes from FLOOR_ENGINE: `kv` (Deno KV, the default here) or
 * `sqlite` (node:sqlite, its WAL's fdatasync on the runtime's thread pool, as hookgate's
 * SQLite store does).
 * FLOOR_DATA is the directory it writes in.
 */
import { type FloorEngine, type FloorEvent, openDenoKv, openSqlite } from "./floor_engines.ts";
import {
  referenceHmacFromEnv,
  referenceVerifier,
  serveReference,
  verifiedBody,
} from "./reference_server.ts";

/** At most this many events per commit: Deno KV allows 100 checks in one. */
const BATCH_MAX = 100;

const secret = Deno.env.get("WEBHOOK_SECRET");
const dataDir = Deno.env.get("FLOOR_DATA");
if (!secret || !dataDir) {
  throw new Error("durable_floor_server.ts needs WEBHOOK_SECRET and FLOOR_DATA in the environment");
}
const engineName = Deno.env.get("FLOOR_ENGINE") ?? "kv";
await Deno.mkdir(dataDir, { recursive: true });
const engine: FloorEngine = engineName === "sqlite"
  ? openSqlite(`${dataDir}/floor.db`)
  : await openDenoKv(`${dataDir}/floor.kv`, "accept + settle");

const verify = await referenceVerifier(secret, referenceHmacFromEnv("hookgate"));
const headers = { "content-type": "application/json" };
const answers = {
  accepted: JSON.stringify({ status: "accepted" }),
  duplicate: JSON.stringify({ status: "duplicate-ignored" }),
  rejected: JSON.stringify({ error: "invalid signature" }),
  malformed: JSON.stringify({ error: "payload must be a JSON object with an id" }),
  unavailable: JSON.stringify({ error: "store unavailable, retry later" }),
};

interface Waiting extends FloorEvent {
  /** null: the commit failed. */
  claimed(yes: boolean | null): void;
}
let waiting: Waiting[] = [];
let committing = false;

/**
 * Commits what has arrived while the previous commit ran, in batches, one commit at a
 * time: the group commit every durable receiver on one thread needs under load.
 */
async function commitWaiting(): Promise<void> {
  try {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, BATCH_MAX);
      waiting = waiting.slice(BATCH_MAX);
      const claimed = await Promise.resolve(engine.commit(batch)).catch(() => null);
      batch.forEach((event, i) => event.claimed(claimed === null ? null : claimed[i] === true));
    }
  } finally {
    committing = false;
  }
}

function claim(event: FloorEvent): Promise<boolean | null> {
  return new Promise((resolve) => {
    waiting.push({ ...event, claimed: resolve });
    if (committing) return;
    // After this turn of the event loop, so the requests that arrived with it share the commit.
    committing = true;
    setTimeout(() => void commitWaiting(), 0);
  });
}

serveReference(async (request) => {
  const body = await verifiedBody(request, verify);
  if (body === null) return new Response(answers.rejected, { status: 401, headers });
  let id: unknown;
  try {
    id = JSON.parse(new TextDecoder().decode(body))?.id;
  } catch {
    id = undefined;
  }
  if (typeof id !== "string") return new Response(answers.malformed, { status: 400, headers });
  const claimed = await claim({ key: `id:${id}`, payload: body });
  if (claimed === null) return new Response(answers.unavailable, { status: 503, headers });
  return new Response(claimed ? answers.accepted : answers.duplicate, { headers });
});
