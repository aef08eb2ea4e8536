/**
 * `deno task install` for real: into a temporary install root, then `hookgate`
 * is used from a project directory elsewhere, as a user would.
 */
import assert from "node:assert/strict";
import { installArgs } from "../../lib/cli/install.ts";
import { childEnv } from "../support/cli.ts";
import { closedPort } from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function baseEnv(installRoot: string): Record<string, string> {
  return childEnv({ PATH: `${installRoot}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` });
}

/**
 * The environment of a hookgate that may use only its cache: the npm registry (and JSR, and
 * any proxy Deno would send a download through) is a closed loopback port, and HOME is an
 * empty directory, so no ~/.npmrc names another registry. A package missing from the cache
 * then fails at once instead of being downloaded. Deno keys its npm cache by registry, so
 * the packages are put in that registry's folder (see lockfileOnlyNpmCache).
 */
function offlineEnv(registry: URL, home: string): Record<string, string> {
  const nowhere = registry.href;
  return {
    HOME: home,
    NPM_CONFIG_REGISTRY: nowhere,
    JSR_URL: nowhere,
    HTTP_PROXY: nowhere,
    HTTPS_PROXY: nowhere,
  };
}

/** The folder of a Deno cache's npm/ that holds the packages of `registry`. */
function npmCacheFolder(registry: URL): string {
  return registry.port === "" ? registry.hostname : `${registry.hostname}_${registry.port}`;
}

async function run(
  args: string[],
  options: { cwd: string; env: Record<string, string>; program?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(options.program ?? args[0] as string, {
    args: options.program ? args : args.slice(1),
    cwd: options.cwd,
    clearEnv: true,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("installArgs() grants each permission kind the commands need, never -A, and keeps .env relative", () => {
  const args = installArgs({ checkoutDir: "/src/hookgate/", root: "/tmp/root" });
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  assert.ok(args.includes("--cached-only"), "installs offline, from Deno's cache");
  const read = args.find((arg) => arg.startsWith("--allow-read="));
  assert.ok(read?.split("=")[1]?.split(",").includes(".env"), read);
  assert.ok(read?.includes("/src/hookgate/lib/egress/fetch_worker_entry.ts"), read);
  assert.equal(args.at(-1), "/src/hookgate/main.ts");
  assert.deepEqual(args.slice(args.indexOf("--root"), args.indexOf("--root") + 2), [
    "--root",
    "/tmp/root",
  ]);
});

Deno.test("installArgs() runs hookgate with the serve task's V8 flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const serveFlags = /--v8-flags=\S+/.exec(config.tasks.serve)?.[0];
  assert.match(serveFlags ?? "", /--max-old-space-size=/);
  const args = installArgs({ checkoutDir: "/src/hookgate/" });
  assert.deepEqual(args.filter((arg) => arg.startsWith("--v8-flags=")), [serveFlags]);
});

Deno.test("deno task install puts hookgate on the PATH: init, serve and send work from another directory, uninstall removes it", async () => {
  await using installRoot = await tempDir("hookgate-install-");
  await using project = await tempDir("hookgate-project-");
  const env = baseEnv(installRoot.path);
  const installed = await run(["deno", "task", "install", "--root", installRoot.path], {
    cwd: ROOT,
    env,
  });
  assert.equal(installed.code, 0, installed.stderr);
  const hookgate = `${installRoot.path}/bin/hookgate`;
  const script = await Deno.readTextFile(hookgate);
  assert.doesNotMatch(script, /--allow-all|\s-A\s/);

  const init = await run(["init"], { cwd: project.path, env, program: hookgate });
  assert.equal(init.code, 0, init.stderr);
  assert.match(await Deno.readTextFile(`${project.path}/.env`), /^WEBHOOK_SECRET=.{40,}$/m);
  assert.match(await Deno.readTextFile(`${project.path}/.gitignore`), /^\.env$/m);

  await using serve = {
    process: await startServe({
      env,
      command: (args) =>
        new Deno.Command(hookgate, {
          args,
          cwd: project.path,
          clearEnv: true,
          env,
          stdout: "piped",
          stderr: "piped",
        }),
    }),
    async [Symbol.asyncDispose]() {
      await this.process.stop();
    },
  };
  const sent = await run(["send", `${serve.process.url}/webhook`, "--data", '{"id":"e1"}'], {
    cwd: project.path,
    env,
    program: hookgate,
  });
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^200 .*accepted/);
  assert.ok(await exists(`${project.path}/.hookgate`), "the store is the project's own");

  // fetch runs each hop in a Worker loaded from the checkout: it must start under the
  // installed (narrowed) permissions from a directory that is not the checkout.
  const port = new URL(serve.process.url).port;
  const fetched = await run(["fetch", `http://localhost:${port}/healthz`], {
    cwd: project.path,
    env: {
      ...env,
      EGRESS_ALLOW_HOSTS: `http://localhost:${port}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    },
    program: hookgate,
  });
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, /"status":"ok"/);

  const removed = await run(["deno", "task", "uninstall", "--root", installRoot.path], {
    cwd: ROOT,
    env,
  });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(await exists(hookgate), false);
});

Deno.test("the installed hookgate loads every command from a Deno cache filled from the lockfile alone", async () => {
  // A fresh machine's cache, as `deno task` fills it from deno.lock: the npm packages,
  // but not the registry's package metadata that resolving without a lockfile needs.
  await using denoDir = await tempDir("hookgate-deno-dir-");
  await using installRoot = await tempDir("hookgate-install-");
  await using project = await tempDir("hookgate-project-");
  await using home = await tempDir("hookgate-home-");
  const registry = new URL(`http://localhost:${closedPort()}/`);
  await lockfileOnlyNpmCache(denoDir.path, registry);
  const env = {
    ...baseEnv(installRoot.path),
    ...offlineEnv(registry, home.path),
    DENO_DIR: denoDir.path,
  };
  const installed = await run(["deno", "task", "install", "--root", installRoot.path], {
    cwd: ROOT,
    env,
  });
  assert.equal(installed.code, 0, installed.stderr);
  for (const command of ["serve", "send", "events", "mcp", "fetch", "token", "ui", "rotate"]) {
    const help = await run([command, "--help"], {
      cwd: project.path,
      env,
      program: `${installRoot.path}/bin/hookgate`,
    });
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^hookgate ${command} — `));
  }
});

/**
 * Copies the npm packages of the test's own Deno cache into `dir`, as the cache of
 * `registry`, without the registry's package metadata.
 */
async function lockfileOnlyNpmCache(dir: string, registry: URL): Promise<void> {
  const info = await new Deno.Command("deno", {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
  const current = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const from = npmCacheFolder(
    new URL(Deno.env.get("NPM_CONFIG_REGISTRY") ?? "https://registry.npmjs.org/"),
  );
  const to = `${dir}/npm/${npmCacheFolder(registry)}`;
  await Deno.mkdir(`${dir}/npm`);
  const copy = await new Deno.Command("cp", {
    args: ["-al", `${current}/npm/${from}`, to],
    stderr: "piped",
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  const removeMetadata = async (path: string): Promise<void> => {
    for await (const entry of Deno.readDir(path)) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) await removeMetadata(child);
      else if (entry.name === "registry.json") await Deno.remove(child);
    }
  };
  await removeMetadata(to);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
