import assert from "node:assert/strict";
import { loadEnv } from "../../lib/setup/mod.ts";
import { tempDir } from "../support/temp_dir.ts";

async function withEnvFile(text: string | null, body: (dir: string) => void | Promise<void>) {
  await using dir = await tempDir();
  if (text !== null) await Deno.writeTextFile(`${dir.path}/.env`, text);
  await body(dir.path);
}

Deno.test("loadEnv() lets a variable set in the real environment win over .env", async () => {
  await withEnvFile("WEBHOOK_SECRET=from-the-dotenv-file-123\n", (cwd) => {
    const env = loadEnv({ cwd, realEnv: { WEBHOOK_SECRET: "from-the-real-environment" } });
    assert.equal(env.WEBHOOK_SECRET, "from-the-real-environment");
  });
});

Deno.test("loadEnv() takes from .env what the real environment does not set", async () => {
  await withEnvFile("A=file\r\nexport B='quoted # kept'\n# C=commented\n", (cwd) => {
    const env = loadEnv({ cwd, realEnv: { PATH: "/bin" } });
    assert.deepEqual(env, { A: "file", B: "quoted # kept", PATH: "/bin" });
  });
});

Deno.test("loadEnv() lets an empty real variable still win (it was set on purpose)", async () => {
  await withEnvFile("EGRESS_ALLOW_HOSTS=a.example\n", (cwd) => {
    assert.equal(loadEnv({ cwd, realEnv: { EGRESS_ALLOW_HOSTS: "" } }).EGRESS_ALLOW_HOSTS, "");
  });
});

Deno.test("loadEnv() reads .env from the given directory only", async () => {
  await withEnvFile(null, (cwd) => {
    assert.deepEqual(loadEnv({ cwd, realEnv: { X: "1" } }), { X: "1" });
  });
});

Deno.test("loadEnv() reports a .env it cannot read instead of ignoring it", async () => {
  await withEnvFile(null, async (cwd) => {
    await Deno.mkdir(`${cwd}/.env`);
    assert.throws(() => loadEnv({ cwd, realEnv: {} }));
  });
});
