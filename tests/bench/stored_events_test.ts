/**
 * The bench's count of what a run left in its store, read from the file itself: for another
 * checkout's run (`--tree`), on either local store.
 */
import assert from "node:assert/strict";
import { countEventRecords } from "../../bench/stored_events.ts";
import { openStore } from "../../lib/store/mod.ts";
import { event } from "../support/contract_events.ts";
import { tempDir } from "../support/temp_dir.ts";

for (const spec of ["sqlite", "kv"]) {
  Deno.test(`countEventRecords() counts the events of a ${spec} store from its file`, async () => {
    await using dir = await tempDir("hookgate-stored-events-");
    const store = await openStore(spec, { dataDir: dir.path });
    try {
      for (let i = 0; i < 3; i++) assert.equal(await store.accept(event()), "accepted");
    } finally {
      await store.close();
    }
    assert.equal(await countEventRecords(dir.path), 3);
  });
}
