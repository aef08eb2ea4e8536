/**
 * Writes a `.env` file atomically with mode 0600: the text goes to a file of the same name
 * in a new private directory beside the target (created 0700, the file 0600, so the secret
 * is never readable by others, not even for a moment), is flushed to disk, then renamed
 * over the target, and the directory is flushed so the rename survives a power loss. A
 * crash leaves the old file or the new one, never half of either; what a crash in the
 * middle can leave behind is `.<name>.<random>.tmp/<name>`, which the
 * `.gitignore` line that ignores the file (`.env`) ignores too, so no `git add .` picks up
 * a secret from it.
 */
export async function writeEnvFile(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const name = slash === -1 ? path : path.slice(slash + 1);
  const tempDir = await Deno.makeTempDir({ dir, prefix: `.${name}.`, suffix: ".tmp" });
  const tempPath = `${tempDir}/${name}`;
  try {
    const file = await Deno.open(tempPath, { write: true, createNew: true, mode: 0o600 });
    try {
      // The umask can only remove bits; chmod pins the mode whatever the umask.
      if (Deno.build.os !== "windows") await Deno.chmod(tempPath, 0o600);
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tempPath, path);
    await syncDirectory(dir);
  } finally {
    await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  }
}

/**
 * A rename is on disk only once its directory is: best effort, since not every file system
 * (or permission set) lets a directory be opened and flushed, and the new file is complete
 * either way.
 */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // The old or the new .env, whole, is what a crash can leave: never half of one.
  }
}
