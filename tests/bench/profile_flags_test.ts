import assert from "node:assert/strict";
import { profileServeFlags, RECEIVE_ONLY_FLAGS } from "../../bench/servers.ts";

Deno.test("bench:profile --serve-flags adds to the scenario's own serve flags", () => {
  assert.deepEqual(profileServeFlags("accepted", ""), []);
  assert.deepEqual(profileServeFlags("accepted", "--no-trace"), ["--no-trace"]);
  assert.deepEqual(profileServeFlags("exec", " --quiet  --no-trace "), [
    "--exec",
    "true",
    "--quiet",
    "--no-trace",
  ]);
  assert.deepEqual(profileServeFlags("receive-only", "--log-format json"), [
    ...RECEIVE_ONLY_FLAGS,
    "--log-format",
    "json",
  ]);
});

Deno.test("bench:profile --serve-flags is refused for verify-only, which runs the reference", () => {
  assert.deepEqual(profileServeFlags("verify-only", ""), []);
  assert.throws(
    () => profileServeFlags("verify-only", "--quiet"),
    /verify-only runs the reference/,
  );
});
