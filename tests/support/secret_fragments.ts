/** Checks that no readable piece of a secret is left in some text. */

/** Every piece of `secret` that is `chars` long (8 by default: a piece that long must not survive). */
export function fragmentsOf(secret: string, chars = 8): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + chars <= secret.length; i++) pieces.push(secret.slice(i, i + chars));
  return pieces;
}

/** The pieces of `secret` of `chars` or more characters found in `text`. */
export function survivingFragments(text: string, secret: string, chars = 8): string[] {
  return fragmentsOf(secret, chars).filter((piece) => text.includes(piece));
}
