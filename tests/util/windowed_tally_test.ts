import assert from "node:assert/strict";
import { type TallyEntry, windowedTally } from "../../lib/util/mod.ts";
import { waitFor } from "../support/wait.ts";

interface Report {
  counts: [string, number][];
  firsts: unknown[];
  other: number;
}

/** A tally on a clock the test moves, recording every report. */
function tallyWithClock<T>(
  options: { passPerWindow?: number; maxKeys?: number; keep?: (item: T) => T },
) {
  const clock = { ms: 1_000_000 };
  const reports: Report[] = [];
  const tally = windowedTally<T>({
    windowMs: 10_000,
    now: () => clock.ms,
    ...options,
    report(entries: ReadonlyMap<string, TallyEntry<T>>, other: number) {
      reports.push({
        counts: [...entries].map(([key, entry]) => [key, entry.count]),
        firsts: [...entries.values()].map((entry) => entry.first),
        other,
      });
    },
  });
  return { tally, clock, reports };
}

Deno.test("windowedTally() lets passPerWindow through, counts the rest, and reports them when the window ends", () => {
  const { tally, clock, reports } = tallyWithClock<null>({ passPerWindow: 2 });
  const passed = ["401 bad signature", "404 not found", "401 bad signature", "404 not found"]
    .map((key) => tally.passOrCount(key, null));
  assert.deepEqual(passed, [true, true, false, false], "the first two pass, uncounted");
  tally.count("401 bad signature", null);
  assert.deepEqual(reports, [], "nothing is reported while the window lasts");
  clock.ms += 9_999;
  assert.equal(
    tally.passOrCount("404 not found", null),
    false,
    "the window still has no room a millisecond before it ends",
  );
  clock.ms += 1;
  assert.equal(
    tally.passOrCount("401 bad signature", null),
    true,
    "a new window lets items through",
  );
  assert.deepEqual(reports, [{
    counts: [["401 bad signature", 2], ["404 not found", 2]],
    firsts: [null, null],
    other: 0,
  }]);
  tally.flush();
  assert.equal(reports.length, 1, "a window that counted nothing reports nothing");
});

Deno.test("windowedTally() keeps the first item of each key as keep() made it", () => {
  const { tally, reports } = tallyWithClock<{ path: string }>({
    keep: (item) => ({ ...item }),
  });
  const reused = { path: "/first" };
  tally.count("404", reused);
  reused.path = "/second";
  tally.count("404", reused);
  tally.flush();
  assert.deepEqual(reports[0]?.firsts, [{ path: "/first" }]);
  assert.deepEqual(reports[0]?.counts, [["404", 2]]);
});

Deno.test("windowedTally() counts keys past maxKeys as other, not as keys of their own", () => {
  const { tally, reports } = tallyWithClock<null>({ maxKeys: 2 });
  for (const key of ["a", "b", "c", "d", "a", "c"]) tally.count(key, null);
  tally.flush();
  assert.deepEqual(reports, [{ counts: [["a", 2], ["b", 1]], firsts: [null, null], other: 3 }]);
  tally.count("z", null);
  tally.flush();
  assert.deepEqual(reports[1]?.counts, [["z", 1]], "the next window starts with empty counts");
});

Deno.test("windowedTally() reports a window at its end even when nothing more arrives", async () => {
  const reports: number[] = [];
  const tally = windowedTally<null>({
    windowMs: 30,
    report: (entries) => reports.push(entries.get("flood")?.count ?? 0),
  });
  try {
    for (let i = 0; i < 100; i++) tally.count("flood", null);
    assert.deepEqual(reports, []);
    assert.ok(await waitFor(() => reports.length > 0, 5_000), "the window's timer reported");
    assert.deepEqual(reports, [100], "one report for the whole window");
  } finally {
    tally.flush();
  }
});
