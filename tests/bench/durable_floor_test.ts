/**
 * The durable floor reference the bench measures hookgate's accepted path against: it
 * must be a real durable receiver (a signed delivery is stored before its 200, a replay is
 * not stored twice, a forgery never reaches the store), or its figures would be no floor.
 */
import assert from "node:assert/strict";
import { startReference } from "../../bench/servers.ts";
import { countFloorEvents } from "../../bench/stored_events.ts";
import { signedHeaders } from "../support/signing.ts";
import { tempDir } from "../support/temp_dir.ts";

function delivery(secret: string, id: string): RequestInit {
  const body = JSON.stringify({ id, event: "push" });
  return { method: "POST", body, headers: signedHeaders(body, secret) };
}

for (const engine of ["kv", "sqlite"]) {
  Deno.test(`the durable floor on ${engine} stores what it accepts, once, and no forgery`, async () => {
    await using dir = await tempDir();
    const secret = "floor-secret-" + crypto.randomUUID();
    const data = `${dir.path}/data`;
    {
      const server = await startReference("durable_floor_server.ts", {
        WEBHOOK_SECRET: secret,
        FLOOR_DATA: data,
        FLOOR_ENGINE: engine,
      });
      await using _stop = { [Symbol.asyncDispose]: () => server.stop() };
      const post = async (init: RequestInit) => {
        const response = await fetch(server.url, init);
        return [response.status, await response.json()];
      };
      const first = await Promise.all(["a", "b", "c"].map((id) => post(delivery(secret, id))));
      assert.deepEqual(first.map(([status]) => status), [200, 200, 200]);
      assert.deepEqual(await post(delivery(secret, "a")), [200, { status: "duplicate-ignored" }]);
      const [forged] = await post(delivery("another-" + secret, "d"));
      assert.equal(forged, 401);
    }
    // The server has stopped: what it left on disk.
    assert.equal(await countFloorEvents(data), 3);
  });
}
