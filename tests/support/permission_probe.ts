/**
 * Preloaded into a real hookgate process (`deno run --preload`) by
 * tests/setup/permissions_test.ts. On SIGUSR1 it tries, from inside that process and
 * with its permissions, what the command must not be able to do, and prints
 * one line `probe {...}` on stderr: "ok" or the error's name for each attempt.
 * Targets come from HOOKGATE_PROBE (JSON).
 */
interface ProbeTargets {
  outsideFile: string;
  outsideWrite: string;
  listedPort: number;
  unlistedPort: number;
}

async function attempt(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}

async function connectAndClose(hostname: string, port: number): Promise<void> {
  const conn = await Deno.connect({ hostname, port });
  conn.close();
}

async function probe(targets: ProbeTargets): Promise<Record<string, string>> {
  return {
    readEnv: await attempt(() => Deno.readTextFile(".env")),
    readOutside: await attempt(() => Deno.readTextFile(targets.outsideFile)),
    writeOutside: await attempt(() => Deno.writeTextFile(targets.outsideWrite, "probe")),
    connectListed: await attempt(() => connectAndClose("127.0.0.1", targets.listedPort)),
    connectUnlisted: await attempt(() => connectAndClose("127.0.0.2", targets.unlistedPort)),
    runShell: await attempt(() =>
      new Deno.Command("/bin/sh", { args: ["-c", "exit 0"], stdout: "null", stderr: "null" })
        .output()
    ),
  };
}

const targets = JSON.parse(Deno.env.get("HOOKGATE_PROBE") ?? "null") as ProbeTargets | null;
if (targets !== null) {
  const onSignal = async () => {
    Deno.removeSignalListener("SIGUSR1", onSignal);
    console.error(`probe ${JSON.stringify(await probe(targets))}`);
  };
  Deno.addSignalListener("SIGUSR1", onSignal);
}
