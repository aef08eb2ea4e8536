/**
 * Writes a `.env` file atomically with mode 0600: the text goes to a new
 * temporary file in the same directory (created 0600, so the secret is never
 * readable by others, not even for a moment), is flushed to disk, then
 * renamed over the target. A crash leaves the old file or the new one, never
 * half of either.
 */
export async function writeEnvFile(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const name = slash === -1 ? path : path.slice(slash + 1);
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const tempPath = `${dir}/.${name}.${suffix}.tmp`;
  const file = await Deno.open(tempPath, { write: true, createNew: true, mode: 0o600 });
  try {
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
  } catch (error) {
    await Deno.remove(tempPath).catch(() => {});
    throw error;
  }
}
