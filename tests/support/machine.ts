/**
 * What tests need of this machine: whether a program runs, the skip-or-fail rule
 * for a missing one (a test may skip with a clear message only off CI; in CI a
 * missing program is a broken .ci/run), and a free loopback port.
 */

/** Whether `bin args…` runs and exits 0 (e.g. `redis-server --version`). */
export function programRuns(bin: string, args: string[]): boolean {
  try {
    return new Deno.Command(bin, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * `present`, or false after a SKIPPING warning naming what to install. Throws in CI,
 * which must run every test.
 */
export function availableOrSkip(
  present: boolean,
  need: { program: string; tests: string; install: string },
): boolean {
  if (present) return true;
  if (Deno.env.get("CI")) {
    throw new Error(
      `${need.program} is not installed, but CI must run the ${need.tests}: see .ci/run`,
    );
  }
  console.warn(
    `SKIPPING ${need.tests}: ${need.program} is not installed (apt-get install ${need.install})`,
  );
  return false;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
