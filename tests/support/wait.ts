/** Waiting in tests, always with a deadline. */

/** Polls `check` until it holds or `limitMs` passed; returns whether it held. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  limitMs = 10_000,
  everyMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return await check();
}

/** Like waitFor, but throws naming `what` when it never held. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  limitMs = 30_000,
): Promise<void> {
  if (!(await waitFor(check, limitMs, 100))) throw new Error(`timed out waiting until ${what}`);
}

/** The non-empty lines of a text file; none when it does not exist yet. */
export async function fileLines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
