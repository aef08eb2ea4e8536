/**
 * A permission denial names what the command may touch, not Deno's
 * "run again with --allow-…", which an installed hookgate user cannot do.
 */
import assert from "node:assert/strict";
import { permissionDeniedMessage } from "../../lib/cli/permission_hint.ts";
import { everyCommandPermissions, permissionFlags } from "../../lib/setup/mod.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("serve --data-dir outside .hookgate is denied with what serve may write, exit 77", async () => {
  await using dir = await tempDir();
  const result = await runCli(["serve", "--data-dir", "data", "--port", "0"], {
    cwd: dir.path,
    env: { WEBHOOK_SECRET: "permission-hint-test-secret-0123456789" },
    permissions: ["--no-prompt", ...permissionFlags(everyCommandPermissions())],
  });
  assert.equal(result.code, 77, result.stderr);
  assert.match(
    result.stderr,
    /Requires write access to "data": hookgate serve may write only \.hookgate\b/,
  );
  assert.doesNotMatch(result.stderr, /run again with/);
});

Deno.test("permissionDeniedMessage() keeps Deno's words for a command it does not know", () => {
  assert.equal(
    permissionDeniedMessage(
      undefined,
      'Requires read access to "x", run again with the --allow-read flag',
    ),
    'Requires read access to "x"',
  );
});
