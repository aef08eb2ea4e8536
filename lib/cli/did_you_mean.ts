/**
 * The closest known name to a mistyped one (`sevre` → `serve`, `--tolerence`
 * → `--tolerance`), or null when nothing is close: at most a third of the
 * name's letters may differ (one at least), or the typed text is a prefix.
 */
export function suggest(input: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(input) && input.length >= 3
      ? 0.5
      : editDistance(input, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(input.replace(/^-+/, "").length / 3));
  return bestDistance <= allowed ? best : null;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The long options a single-letter flag may stand for (`-p` → `--port`, `--pull`): those that
 * start with its letter, when there are one to three of them; otherwise none.
 */
export function longOptionsFor(flag: string, candidates: readonly string[]): string[] {
  const letter = /^-([A-Za-z])$/.exec(flag)?.[1]?.toLowerCase();
  if (letter === undefined) return [];
  const matches = candidates.filter((candidate) => candidate.startsWith(`--${letter}`));
  return matches.length <= 3 ? matches : [];
}
