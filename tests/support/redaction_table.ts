/**
 * Credentials that must disappear, shared by the redactor tests; the look-alikes that must
 * survive are in redaction_lookalikes.ts (re-exported here, so one import serves both).
 */

// Fake credentials with the real shapes, built at run time so no file holds a token-shaped literal.
export const alnum = (n: number, seed = "A1b2C3d4E5f6G7h8J9k0") =>
  seed.repeat(Math.ceil(n / seed.length)).slice(0, n);
export const GH = (prefix: string) => prefix + alnum(36);
export const AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE";
export const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY";
export const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." +
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ" + "." +
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
export const PEM_BODY = "MIIEowIBAAKCAQEA" + alnum(60) + "\n" + alnum(64, "Zx9Yw8Vu7") + "\n" +
  "q1w2e3==";
export const pem = (label: string) =>
  `-----BEGIN ${label}-----\n${PEM_BODY}\n-----END ${label}-----`;
export const CANARY = "cAnArY-" + "9f8e7d6c5b4a3210";

export interface Row {
  name: string;
  input: string;
  /** Substrings that must not survive. */
  gone: string[];
  /** Substrings next to the credential that must survive (the match stops at a delimiter). */
  kept?: string[];
}

export const MUST_DISAPPEAR: Row[] = [
  // Percent-encoded text: a token right after an encoded character
  {
    name: "a vendor token after a percent-encoded space or colon",
    input: `GET /search?q=deploy%20${GH("ghp_")} and /events/webhook/id%3A${GH("gho_")}`,
    gone: [GH("ghp_"), GH("gho_")],
    kept: ["q=deploy%20", "/events/webhook/id%3A"],
  },
  {
    name: "a JWT after a percent-encoded space",
    input: `token%20${JWT}`,
    gone: [JWT],
    kept: ["token%20"],
  },
  // Authorization and cookies
  {
    name: "an Authorization: Bearer header",
    input: "Authorization: Bearer abc123def456ghi789",
    gone: ["abc123def456ghi789"],
    kept: ["Authorization: Bearer"],
  },
  {
    name: "an Authorization: Basic header",
    input: "Authorization: Basic dXNlcjpodW50ZXIy",
    gone: ["dXNlcjpodW50ZXIy"],
    kept: ["Basic"],
  },
  {
    name: "an Authorization: token header",
    input: "authorization: token 0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    gone: ["0a1b2c3d4e5f60718293a4b5c6d7e8f9"],
  },
  {
    name: "a Proxy-Authorization header",
    input: "Proxy-Authorization: Basic cHJveHk6c2VjcmV0cHc=",
    gone: ["cHJveHk6c2VjcmV0cHc="],
  },
  {
    name: "the reference example",
    input: "Authorization: Bearer sk-abc123def456ghi",
    gone: ["sk-abc123def456ghi", "abc123def456ghi"],
  },
  {
    name: "a curl -H argument",
    input: `curl -H "Authorization: Bearer tok_9f8e7d6c5b4a" https://api.example.com`,
    gone: ["tok_9f8e7d6c5b4a"],
    kept: ["https://api.example.com"],
  },
  {
    name: "an Authorization header in JSON text",
    input: `{"Authorization":"Bearer 77aa88bb99cc00dd"}`,
    gone: ["77aa88bb99cc00dd"],
  },
  {
    name: "a bare bearer token in a log line",
    input: "retrying with bearer 4f3e2d1c0b9a8f7e6d5c",
    gone: ["4f3e2d1c0b9a8f7e6d5c"],
  },
  {
    name: "a Cookie header, every pair",
    input: "Cookie: session=s3ss10nv4lue; csrftoken=c5rfv4lue",
    gone: ["s3ss10nv4lue", "c5rfv4lue"],
  },
  {
    name: "a Set-Cookie header",
    input: "set-cookie: sid=AbC123xYz789; Path=/; HttpOnly",
    gone: ["AbC123xYz789"],
  },
  // URLs and forms
  {
    name: "a password in URL userinfo",
    input: "GET https://deploy:hunter2hunter2@git.example.com/repo.git",
    gone: ["hunter2hunter2"],
    kept: ["deploy:", "@git.example.com/repo.git"],
  },
  {
    name: "a database URL password",
    input: "DATABASE_URL=postgres://app:Pg-p4ss-w0rd@db.internal:5432/app",
    gone: ["Pg-p4ss-w0rd"],
  },
  {
    name: "a redis URL password without a user",
    input: "connecting to redis://:r3d1sP4ss@cache:6379/0",
    gone: ["r3d1sP4ss"],
    kept: ["@cache:6379/0"],
  },
  {
    name: "an access_token query parameter",
    input: "https://api.example.com/v1?access_token=at_5f4e3d2c1b&page=2",
    gone: ["at_5f4e3d2c1b"],
    kept: ["page=2"],
  },
  {
    name: "an api_key query parameter",
    input: "/search?q=cats&api_key=k3y-v4lu3-123&lang=en",
    gone: ["k3y-v4lu3-123"],
    kept: ["q=cats", "lang=en"],
  },
  {
    name: "a SAS sig parameter",
    input: "https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sig=AbCdEf%2BGhIj%3D&se=2026",
    gone: ["AbCdEf%2BGhIj%3D"],
    kept: ["sv=2024-01-01", "se=2026"],
  },
  {
    name: "presigned S3 URL credentials",
    input:
      "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FwoGZXIvYXdzEJr&X-Amz-Signature=9a8b7c6d5e4f",
    gone: ["FwoGZXIvYXdzEJr", "9a8b7c6d5e4f"],
  },
  {
    name: "a client_secret form field",
    input: "grant_type=client_credentials&client_id=app1&client_secret=cs_8f7e6d5c4b3a",
    gone: ["cs_8f7e6d5c4b3a"],
    kept: ["client_id=app1", "grant_type=client_credentials"],
  },
  {
    name: "a refresh_token form field",
    input: "grant_type=refresh_token&refresh_token=rt.1a2b3c4d5e6f",
    gone: ["rt.1a2b3c4d5e6f"],
  },
  {
    name: "a token query parameter",
    input: "wss://stream.example.com/live?token=ws-t0k3n-abc",
    gone: ["ws-t0k3n-abc"],
  },
  {
    name: "an id_token in a URL fragment",
    input: `https://app.example.com/cb#id_token=${JWT}&state=xyz`,
    gone: [JWT],
    kept: ["state=xyz"],
  },
  // KEY=value and key: value
  {
    name: "a WEBHOOK_SECRET line",
    input: "WEBHOOK_SECRET=dev-shared-secret-change-me",
    gone: ["dev-shared-secret-change-me"],
  },
  {
    name: "an export of a token",
    input: "export NPM_AUTH_TOKEN=4f5e6d7c8b9a0f1e",
    gone: ["4f5e6d7c8b9a0f1e"],
  },
  {
    name: "a double-quoted password",
    input: `DB_PASSWORD="correct horse battery staple"`,
    gone: ["correct horse battery staple", "horse"],
  },
  {
    name: "a single-quoted api key",
    input: "API_KEY='s1ngl3-qu0t3d-k3y'",
    gone: ["s1ngl3-qu0t3d-k3y"],
  },
  {
    name: "an AWS secret access key line",
    input: `aws_secret_access_key = ${AWS_SECRET}`,
    gone: [AWS_SECRET],
  },
  {
    name: "a YAML password",
    input: "database:\n  password: y4mlP4ssw0rd\n  host: db",
    gone: ["y4mlP4ssw0rd"],
    kept: ["host: db"],
  },
  {
    name: "a YAML client_secret",
    input: "oauth:\n  client_secret: 0c1d2e3f4a5b\n",
    gone: ["0c1d2e3f4a5b"],
  },
  { name: "an x-api-key header", input: "X-Api-Key: xak-55aa66bb77cc", gone: ["xak-55aa66bb77cc"] },
  {
    name: "a password in JSON text",
    input: `{"user":"ann","password":"pa\\"ss-w0rd","n":1}`,
    gone: ['pa\\"ss-w0rd', "ss-w0rd"],
    kept: [`"user":"ann"`, `"n":1`],
  },
  {
    name: "a camelCase apiKey in JSON text",
    input: `{"apiKey": "ak_1234567890abcdef"}`,
    gone: ["ak_1234567890abcdef"],
  },
  {
    name: "a numeric PIN under a secret key",
    input: `{"card_password": 987654}`,
    gone: ["987654"],
  },
  {
    name: "a token inside escaped JSON",
    input: `{"body":"{\\"token\\":\\"esc-t0k3n-v4l\\"}"}`,
    gone: ["esc-t0k3n-v4l"],
  },
  {
    name: "a private key in escaped JSON",
    input: JSON.stringify({ private_key: pem("RSA PRIVATE KEY") }),
    gone: ["MIIEowIBAAKCAQEA", "q1w2e3=="],
  },
  {
    name: "a secret_key_base line",
    input: "secret_key_base: 9a9b9c9d9e9f8a8b8c8d",
    gone: ["9a9b9c9d9e9f8a8b8c8d"],
  },
  {
    name: "a previous (rotated) secret line",
    input: "WEBHOOK_SECRET_PREVIOUS=old-secret-value-xyz",
    gone: ["old-secret-value-xyz"],
  },
  {
    name: "a camelCase clientSecret",
    input: "clientSecret=cs-camel-5678",
    gone: ["cs-camel-5678"],
  },
  {
    name: "a dotted config key",
    input: "spring.datasource.password=spr1ngP4ss",
    gone: ["spr1ngP4ss"],
  },
  // Private keys
  {
    name: "an RSA private key block",
    input: `key:\n${pem("RSA PRIVATE KEY")}\nnext line`,
    gone: ["MIIEowIBAAKCAQEA", "q1w2e3==", "BEGIN RSA PRIVATE KEY"],
    kept: ["next line"],
  },
  {
    name: "an OpenSSH private key block",
    input: pem("OPENSSH PRIVATE KEY"),
    gone: ["MIIEowIBAAKCAQEA", "q1w2e3=="],
  },
  { name: "an EC private key block", input: pem("EC PRIVATE KEY"), gone: ["MIIEowIBAAKCAQEA"] },
  {
    name: "an encrypted PKCS#8 block",
    input: pem("ENCRYPTED PRIVATE KEY"),
    gone: ["MIIEowIBAAKCAQEA"],
  },
  {
    name: "a PGP private key block",
    input: pem("PGP PRIVATE KEY BLOCK"),
    gone: ["MIIEowIBAAKCAQEA", "q1w2e3=="],
  },
  {
    name: "a private key cut off before its END line",
    input: `before\n-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\nMORE`,
    gone: ["MIIEowIBAAKCAQEA", "MORE"],
    kept: ["before"],
  },
  // JWTs and vendor tokens
  {
    name: "a JWT",
    input: `session ${JWT} expired`,
    gone: [JWT, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
    kept: ["expired"],
  },
  { name: "a GitHub personal token (ghp_)", input: `push with ${GH("ghp_")}`, gone: [GH("ghp_")] },
  { name: "a GitHub OAuth token (gho_)", input: `token=${GH("gho_")}`, gone: [GH("gho_")] },
  { name: "a GitHub user token (ghu_)", input: `"${GH("ghu_")}"`, gone: [GH("ghu_")] },
  { name: "a GitHub app token (ghs_)", input: `x-access-token ${GH("ghs_")}`, gone: [GH("ghs_")] },
  { name: "a GitHub refresh token (ghr_)", input: `(${GH("ghr_")})`, gone: [GH("ghr_")] },
  {
    name: "a fine-grained GitHub token",
    input: `github_pat_11ABCDEFG0${alnum(40)}_${alnum(20)}`,
    gone: [alnum(40)],
  },
  { name: "an AWS access key id", input: `id ${AWS_ID} here`, gone: [AWS_ID], kept: ["here"] },
  { name: "an AWS key pair in CSV", input: `${AWS_ID},${AWS_SECRET}`, gone: [AWS_ID, AWS_SECRET] },
  {
    name: "a temporary AWS key pair",
    input: `ASIA${"Z".repeat(12)}7Q2W ${AWS_SECRET}`,
    gone: [AWS_SECRET, `ASIA${"Z".repeat(12)}7Q2W`],
  },
  {
    name: "a Slack bot token",
    input: "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
    gone: ["1234567890-0987654321-AbCdEfGhIjKl"],
  },
  {
    name: "a Slack user token",
    input: "slack: xoxp-99887766-55443322-zyxwvut",
    gone: ["xoxp-99887766-55443322-zyxwvut"],
  },
  {
    name: "a Slack webhook URL",
    input: "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX",
    gone: ["T0000/B0000/XXXXXXXXXXXXXXXX"],
    kept: ["hooks.slack.com/services/"],
  },
  {
    name: "a Stripe live secret key",
    input: `stripe ${"sk_live_" + alnum(24)}`,
    gone: [alnum(24)],
  },
  {
    name: "a Stripe restricted key",
    input: `${"rk_live_" + alnum(24)};`,
    gone: [alnum(24)],
    kept: [";"],
  },
  {
    name: "a webhook signing secret (whsec_)",
    input: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    gone: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
  },
  { name: "an OpenAI key (sk-)", input: `OPENAI ${"sk-" + alnum(48)}`, gone: [alnum(48)] },
  {
    name: "an OpenAI project key (sk-proj-)",
    input: `key ${"sk-proj-" + alnum(40)}`,
    gone: [alnum(40)],
  },
  {
    name: "an Anthropic key (sk-ant-)",
    input: `${"sk-ant-api03-" + alnum(60)}-AA`,
    gone: [alnum(60)],
  },
  { name: "a Google API key", input: `maps ${"AIza" + alnum(35)}`, gone: [alnum(35)] },
  {
    name: "an npm token",
    input: `//registry.npmjs.org/:_authToken=${"npm_" + alnum(36)}`,
    gone: [alnum(36)],
  },
  { name: "a GitLab token", input: `glpat-${alnum(20)}`, gone: [alnum(20)] },
  { name: "a Hugging Face token", input: `HF ${"hf_" + alnum(34)}`, gone: [alnum(34)] },
  {
    name: "a SendGrid key",
    input: `SG.${alnum(22)}.${alnum(43, "Qq8Rr7Ss6")}`,
    gone: [alnum(22), alnum(43, "Qq8Rr7Ss6")],
  },
  {
    name: "a hookgate inspection-API token",
    input: `TOKEN=$(hookgate token --scope read) # ${"hgt_eyJzY29wZSI6InJlYWQifQ." + alnum(43)}`,
    gone: [alnum(43), "eyJzY29wZSI6InJlYWQifQ"],
  },
];

export { MUST_SURVIVE } from "./redaction_lookalikes.ts";
