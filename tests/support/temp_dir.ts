/**
 * A temporary directory that removes itself: `await using dir = await tempDir("name-")`
 * (or `using` with `tempDirSync`). Tests never leave directories behind, even when
 * they fail.
 */
export interface TempDir extends AsyncDisposable, Disposable {
  path: string;
}

function disposable(path: string): TempDir {
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
    [Symbol.dispose]() {
      try {
        Deno.removeSync(path, { recursive: true });
      } catch {
        // already gone
      }
    },
  };
}

export async function tempDir(prefix = "hookgate-test-"): Promise<TempDir> {
  return disposable(await Deno.makeTempDir({ prefix }));
}

export function tempDirSync(prefix = "hookgate-test-"): TempDir {
  return disposable(Deno.makeTempDirSync({ prefix }));
}
