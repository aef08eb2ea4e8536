import assert from "node:assert/strict";
import { ENV_TEMPLATE, parseDotenv } from "../../lib/setup/mod.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { fileMode, git, tempRepo, writeFileWithMode } from "../support/temp_repo.ts";

const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const INIT_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-run=git"];

function init(cwd: string) {
  return runCli(["init"], { cwd, permissions: INIT_PERMISSIONS });
}

async function readEnv(dir: string): Promise<Record<string, string>> {
  return parseDotenv(await Deno.readTextFile(`${dir}/.env`));
}

function countLines(text: string, line: string): number {
  return text.split("\n").filter((existing) => existing === line).length;
}

Deno.test("the committed .env.example is the template init embeds", async () => {
  const committed = await Deno.readTextFile(new URL("../../.env.example", import.meta.url));
  assert.equal(
    committed,
    ENV_TEMPLATE,
    "change .env.example and lib/setup/env_template.ts together: init writes the template where there is no .env.example",
  );
});

Deno.test("init creates a 0600 .env with two distinct 43-character base64url secrets", async () => {
  await using dir = await tempRepo();
  const result = await init(dir.path);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await fileMode(`${dir.path}/.env`), 0o600);
  const env = await readEnv(dir.path);
  assert.match(env.WEBHOOK_SECRET ?? "", SECRET_SHAPE);
  assert.match(env.HOOKGATE_TOKEN_SECRET ?? "", SECRET_SHAPE);
  assert.notEqual(env.WEBHOOK_SECRET, env.HOOKGATE_TOKEN_SECRET);
});

Deno.test("init keeps EGRESS_ALLOW_HOSTS from the template", async () => {
  await using dir = await tempDir();
  assert.equal((await init(dir.path)).code, 0);
  assert.equal((await readEnv(dir.path)).EGRESS_ALLOW_HOSTS, "api.github.com,api.weather.gov");
});

Deno.test("init builds .env from the working directory's .env.example when there is one", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/.env.example`,
    "# mine\nWEBHOOK_SECRET=public-placeholder-from-example\nEXTRA=kept\n",
  );
  assert.equal((await init(dir.path)).code, 0);
  const text = await Deno.readTextFile(`${dir.path}/.env`);
  const env = parseDotenv(text);
  assert.ok(text.startsWith("# mine\n"));
  assert.equal(env.EXTRA, "kept");
  // A template's value is public: it is replaced, never kept as the secret.
  assert.match(env.WEBHOOK_SECRET ?? "", SECRET_SHAPE);
  assert.match(env.HOOKGATE_TOKEN_SECRET ?? "", SECRET_SHAPE);
});

Deno.test("init never prints a secret on stdout or stderr", async () => {
  await using dir = await tempRepo();
  const first = await init(dir.path);
  const second = await init(dir.path);
  const env = await readEnv(dir.path);
  for (const secret of [env.WEBHOOK_SECRET, env.HOOKGATE_TOKEN_SECRET]) {
    assert.ok(secret && secret.length === 43);
    for (const text of [first.stdout, first.stderr, second.stdout, second.stderr]) {
      assert.ok(!text.includes(secret), "a secret was printed");
    }
  }
  // Nothing was even attempted: the redactor did not have to step in.
  assert.ok(!(first.stdout + first.stderr + second.stdout + second.stderr).includes("redacted"));
});

Deno.test("init adds .env and .hookgate/ to .gitignore exactly once across two runs", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/.gitignore`, "node_modules/\n.env \n# .env");
  assert.equal((await init(dir.path)).code, 0);
  assert.equal((await init(dir.path)).code, 0);
  const text = await Deno.readTextFile(`${dir.path}/.gitignore`);
  assert.equal(countLines(text, ".env"), 1);
  assert.equal(countLines(text, ".hookgate/"), 1);
  assert.ok(text.startsWith("node_modules/\n.env \n# .env\n"), "existing lines are kept");
});

Deno.test("init leaves .env untracked: git status does not list it", async () => {
  await using dir = await tempRepo();
  assert.equal((await init(dir.path)).code, 0);
  const status = await git(dir.path, "status", "--short", "--untracked-files=all");
  assert.ok(!/(^|\s)\.env$/m.test(status), status);
  assert.match(status, /\.gitignore/);
});

Deno.test("init run twice keeps the first secrets and says so", async () => {
  await using dir = await tempRepo();
  assert.equal((await init(dir.path)).code, 0);
  const first = await readEnv(dir.path);
  const again = await init(dir.path);
  assert.equal(again.code, 0);
  assert.deepEqual(await readEnv(dir.path), first);
  assert.match(again.stdout, /WEBHOOK_SECRET is already set in \.env: kept/);
});

Deno.test("init adds only the missing secret to an existing .env and keeps the rest", async () => {
  await using dir = await tempDir();
  const mine = "my-own-webhook-secret-0123456789abcdef";
  await writeFileWithMode(
    `${dir.path}/.env`,
    `# keep me\nWEBHOOK_SECRET=${mine}\nPORT=9000\n`,
    0o600,
  );
  const result = await init(dir.path);
  assert.equal(result.code, 0);
  const text = await Deno.readTextFile(`${dir.path}/.env`);
  const env = parseDotenv(text);
  assert.equal(env.WEBHOOK_SECRET, mine);
  assert.equal(env.PORT, "9000");
  assert.ok(text.startsWith("# keep me\n"));
  assert.match(env.HOOKGATE_TOKEN_SECRET ?? "", SECRET_SHAPE);
  assert.ok(!(result.stdout + result.stderr).includes(env.HOOKGATE_TOKEN_SECRET ?? "?"));
  assert.match(result.stdout, /new HOOKGATE_TOKEN_SECRET, 32 random bytes \(never printed\)/);
});

Deno.test("init fills in an empty WEBHOOK_SECRET", async () => {
  await using dir = await tempDir();
  await writeFileWithMode(`${dir.path}/.env`, "WEBHOOK_SECRET=\n", 0o600);
  assert.equal((await init(dir.path)).code, 0);
  assert.match((await readEnv(dir.path)).WEBHOOK_SECRET ?? "", SECRET_SHAPE);
});

Deno.test("init makes an existing world-readable .env private", async () => {
  await using dir = await tempDir();
  const text = "WEBHOOK_SECRET=already-here-0123456789abcdef\nHOOKGATE_TOKEN_SECRET=" +
    "token-key-here-0123456789abcdef\n";
  await writeFileWithMode(`${dir.path}/.env`, text, 0o644);
  assert.equal((await init(dir.path)).code, 0);
  assert.equal(await fileMode(`${dir.path}/.env`), 0o600);
  assert.equal(await Deno.readTextFile(`${dir.path}/.env`), text);
});

Deno.test("init refuses a tracked .env with exit 78, explains the fix and changes nothing", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/.env`, "WEBHOOK_SECRET=\n");
  await git(dir.path, "add", ".env");
  const result = await init(dir.path);
  assert.equal(result.code, 78);
  assert.match(result.stderr, /\.env is tracked by git/);
  assert.match(result.stderr, /git rm --cached \.env/);
  assert.match(result.stderr, /rotate/);
  assert.equal(await Deno.readTextFile(`${dir.path}/.env`), "WEBHOOK_SECRET=\n");
  await assert.rejects(Deno.stat(`${dir.path}/.gitignore`), Deno.errors.NotFound);
});

Deno.test("init works outside a git repository", async () => {
  await using dir = await tempDir();
  const result = await init(dir.path);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /not a git repository/);
  assert.equal(countLines(await Deno.readTextFile(`${dir.path}/.gitignore`), ".env"), 1);
});

Deno.test("init rejects an unknown flag with exit 64 and writes nothing", async () => {
  await using dir = await tempDir();
  const result = await runCli(["init", "--force"], {
    cwd: dir.path,
    permissions: INIT_PERMISSIONS,
  });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /--force/);
  await assert.rejects(Deno.stat(`${dir.path}/.env`), Deno.errors.NotFound);
});

Deno.test("init warns when .env is in git history even though it is no longer tracked", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/.env`, "WEBHOOK_SECRET=\n");
  await git(dir.path, "add", ".env");
  await git(dir.path, "commit", "--quiet", "-m", "oops");
  await git(dir.path, "rm", "--cached", "--quiet", ".env");
  const result = await init(dir.path);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /\.env appears in git history/);
});

Deno.test("init still sets up .env when it may not run git, and says it could not check", async () => {
  await using dir = await tempRepo();
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  const result = await runCli(["init"], { cwd: dir.path, permissions });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /could not ask git \(running git is not permitted/);
  assert.match((await readEnv(dir.path)).WEBHOOK_SECRET ?? "", SECRET_SHAPE);
});

Deno.test("init refuses a .env that is a symbolic link, and leaves the file it points to alone", async () => {
  await using dir = await tempDir();
  await using elsewhere = await tempDir();
  const target = `${elsewhere.path}/shared.env`;
  const text =
    "WEBHOOK_SECRET=aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z\nHOOKGATE_TOKEN_SECRET=Zx8Cv7Bn6Mm5Aa4Ss3Dd2Ff1Gg0Hh9Jj\n";
  await Deno.writeTextFile(target, text);
  await Deno.chmod(target, 0o644);
  await Deno.symlink(target, `${dir.path}/.env`);
  const result = await init(dir.path);
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /\.env is a symbolic link/);
  assert.equal((await Deno.stat(target)).mode! & 0o777, 0o644, "the target's mode is as it was");
  assert.equal(await Deno.readTextFile(target), text);
  assert.equal((await Deno.lstat(`${dir.path}/.env`)).isSymlink, true, "the link is still there");
});
