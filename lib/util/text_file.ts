/** A text file's contents, or null when there is no such file (any other failure is thrown). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Whether `path` is there: false only when it is known not to be (NotFound). Any other
 * failure (a permission) counts as there, so the caller's next step meets and reports it.
 */
export function pathExists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, (error) => !(error instanceof Deno.errors.NotFound));
}
