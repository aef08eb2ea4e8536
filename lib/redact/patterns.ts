/**
 * The regular expressions of the shape pass, compiled once at module load. Every group a
 * handler reads is named.
 */

/**
 * Characters a bare value may contain: a match ends at whitespace, a quote, `\`, `,`, `;`,
 * `&` or a bracket, never with a greedy `\S+`.
 */
export const VALUE_CHARS = "[^\\s\"'`\\\\,;&()\\[\\]{}<>]";
export const AUTH_SCHEME = "(?:Bearer|Basic|Token|Digest|Bot|ApiKey|Key|Negotiate|NTLM|HOBA|MAC)";

/** Every name `isSecretKey` accepts (and every query-only name) contains one of these. */
const KEY_WORDS = "(?i:pass|secret|token|key|auth|cookie|credential|sig|jwt|session|code)";

const VENDOR_TOKENS = [
  "gh[pousr]_[A-Za-z0-9]{20,255}",
  "github_pat_[A-Za-z0-9_]{20,255}",
  "xox[a-z]-[A-Za-z0-9-]{10,255}",
  "xapp-[A-Za-z0-9-]{10,255}",
  "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,255}",
  "whsec_[A-Za-z0-9+/=_-]{10,255}",
  "sk-ant-[A-Za-z0-9_-]{16,255}",
  "sk-(?=[A-Za-z0-9_-]{0,255}[0-9])[A-Za-z0-9_-]{8,255}",
  "AIza[A-Za-z0-9_-]{30,64}",
  "npm_[A-Za-z0-9]{30,64}",
  "glpat-[A-Za-z0-9_-]{16,64}",
  "hf_[A-Za-z0-9]{30,64}",
  "SG\\.[A-Za-z0-9_-]{16,64}\\.[A-Za-z0-9_-]{16,64}",
  "pypi-[A-Za-z0-9_-]{50,255}",
  "shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",
  "dop_v1_[a-f0-9]{64}",
  // hookgate's own inspection-API tokens (lib/api/bearer_token.ts).
  "hgt_[A-Za-z0-9_-]{1,256}\\.[A-Za-z0-9_-]{43}",
].join("|");

/**
 * Where a token that stands on its own may start: not inside a word, or right after a
 * percent-encoded character (`%20ghp_…`, `id%3Aghp_…` in an encoded URL or path).
 */
const TOKEN_START = "(?:(?<![\\w-])|(?<=%[0-9A-Fa-f]{2}))";

/**
 * Credential shapes that stand on their own. Alternatives that begin at the same position
 * are tried in order.
 */
export const TOKEN_SHAPES = new RegExp(
  [
    // A password in a URL's userinfo: `//user:password@`.
    "//(?<urlUser>[^\\s/@:\"'`\\\\<>]{0,256}):(?<urlPassword>[^\\s/@\"'`\\\\<>]{1,256})@",
    `${TOKEN_START}(?<vendor>${VENDOR_TOKENS})`,
    // An AWS access key id, and the secret access key next to it.
    "(?<![A-Za-z0-9])(?<awsId>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Za-z0-9])" +
    "(?:(?<awsGap>[^A-Za-z0-9/+\\r\\n]{1,10})(?<awsSecret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?",
    // A webhook URL whose path is the credential: the host stays, the path goes.
    "(?<hookHost>hooks\\.slack\\.com/services/|discord(?:app)?\\.com/api/webhooks/)" +
    "(?<hookPath>[A-Za-z0-9/_-]{10,255})",
    `${TOKEN_START}(?<jwt>eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*)`,
    "(?<![\\w-])(?<bearer>[Bb]earer|BEARER)[ \\t]{1,16}" +
    "(?=[A-Za-z0-9._~+/-]{0,4096}[0-9])(?<bearerToken>[A-Za-z0-9._~+/-]{8,}=*)",
  ].join("|"),
  "g",
);

/**
 * Credentials on a command line. Scanned only in text with an option in it (` -`), so
 * JSON records pay nothing for it.
 */
export const COMMAND_LINE = new RegExp(
  [
    // `curl -u user:password`, `--user user:password`: the user stays, the password goes.
    // A uid:gid pair (`docker run -u 1000:1000`) is not a credential.
    "(?<![\\w-])(?:--(?:proxy-)?user(?:[ \\t]{1,16}|=)|-[uU][ \\t]{0,16})['\"]?(?![0-9]+:)" +
    "(?<flagUser>[^\\s:'\"`\\\\]{1,256}):(?<flagPassword>[^\\s'\"`\\\\]{1,256})",
    // `--password VALUE`, `--api-key=VALUE`: a long option whose name says it holds a secret.
    `(?<![\\w-])--(?<flag>[A-Za-z][\\w-]{0,60})(?<=${KEY_WORDS}[\\w-]{0,60})` +
    "(?<flagSeparator>=|[ \\t]{1,16})(?=[^\\s-])",
  ].join("|"),
  "g",
);

/**
 * `key: value` and `key=value` with a secret-looking key. Anchored at the separator (a
 * lookbehind reads the key) and only for keys that contain a word every secret name
 * contains, so the engine skips ordinary `"name":` pairs without calling back. Kept apart
 * from `TOKEN_SHAPES`: one combined expression scans JSON about three times slower.
 */
export const KEYED = new RegExp(
  // The opening quote is a backreference to the closing one (a lookbehind matches right to
  // left), so `'NAME':` is a quoted key but `…:NAME': reason` is not.
  `(?<=(?<![\\w.-])(?<keyOpen>\\k<keyClose>)(?<key>[A-Za-z_][\\w.-]{0,100})` +
    `(?<=${KEY_WORDS}[\\w.-]{0,100})(?<keyClose>\\\\?["'])?(?<keyGap>[ \\t]{0,16}))` +
    `(?<separator>[:=])(?<valueGap>[ \\t]{0,16})`,
  "g",
);
