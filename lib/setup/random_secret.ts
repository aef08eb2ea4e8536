/** Fresh secrets from the CSPRNG, for `init` and `rotate`. */
import { toBase64Url } from "../util/mod.ts";

/** A fresh secret from the CSPRNG, base64url without padding (32 bytes → 43 characters). */
export function randomSecret(options: { bytes?: number } = {}): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(options.bytes ?? 32)));
}
