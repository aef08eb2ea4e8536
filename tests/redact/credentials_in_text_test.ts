import assert from "node:assert/strict";
import { createRedactor, REDACTED } from "../../lib/redact/mod.ts";

const redactor = createRedactor();
const PASSWORD = "hunter2-" + "Pa55w0rd";

const COMMAND_LINES: [string, string, string][] = [
  [
    "curl -u user:password",
    `curl -u alice:${PASSWORD} https://api.example.com/v1`,
    `curl -u alice:${REDACTED} https://api.example.com/v1`,
  ],
  [
    "curl -u with the value attached",
    `curl -ualice:${PASSWORD} https://api.example.com/v1`,
    `curl -ualice:${REDACTED} https://api.example.com/v1`,
  ],
  [
    "curl --user in quotes",
    `curl --user 'alice:${PASSWORD}' https://api.example.com/v1`,
    `curl --user 'alice:${REDACTED}' https://api.example.com/v1`,
  ],
  [
    "--user=user:password",
    `wget --user=alice:${PASSWORD} https://api.example.com/`,
    `wget --user=alice:${REDACTED} https://api.example.com/`,
  ],
  [
    "curl --proxy-user",
    `curl --proxy-user bob:${PASSWORD} -x http://proxy:3128 https://api.example.com/`,
    `curl --proxy-user bob:${REDACTED} -x http://proxy:3128 https://api.example.com/`,
  ],
  [
    "--password VALUE",
    `mysql --user alice --password ${PASSWORD} --host db.internal`,
    `mysql --user alice --password ${REDACTED} --host db.internal`,
  ],
  [
    "--password=VALUE",
    `pg_dump --password=${PASSWORD} --host db.internal`,
    `pg_dump --password=${REDACTED} --host db.internal`,
  ],
  [
    "--http-password and --api-key",
    `wget --http-password=${PASSWORD} x; tool --api-key ak-${PASSWORD} y`,
    `wget --http-password=${REDACTED} x; tool --api-key ${REDACTED} y`,
  ],
];

for (const [name, input, expected] of COMMAND_LINES) {
  Deno.test(`a credential on a command line is removed, the user and URL kept: ${name}`, () => {
    assert.equal(redactor.text(input), expected);
  });
}

Deno.test("command-line look-alikes that hold no credential are kept", () => {
  for (
    const input of [
      "docker run -u 1000:1000 alpine",
      "curl -u alice https://api.example.com/ (curl asks for the password)",
      "hookgate send --secret-var GITHUB_WEBHOOK_SECRET URL",
      "use --password PASSWORD to give it, or --password-file FILE",
      'curl -u "alice:$PASSWORD" https://api.example.com/',
    ]
  ) assert.equal(redactor.text(input), input);
});

const COOKIES: [string, string, string][] = [
  [
    "a Cookie header keeps other cookies",
    "Cookie: theme=dark; sessionid=abc123def456; lang=en",
    `Cookie: theme=dark; sessionid=${REDACTED}; lang=en`,
  ],
  [
    "a Set-Cookie header keeps its attributes",
    "Set-Cookie: sid=AbC123xYz789; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax",
    `Set-Cookie: sid=${REDACTED}; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax`,
  ],
  [
    "auth, token, csrf and __Host- cookies",
    "cookie: auth_token=t0k3n; csrftoken=c5rf; __Host-id=h0st; _ga=GA1.2.3",
    `cookie: auth_token=${REDACTED}; csrftoken=${REDACTED}; __Host-id=${REDACTED}; _ga=GA1.2.3`,
  ],
  [
    "well-known session cookie names",
    "Cookie: PHPSESSID=p1; JSESSIONID=j2; connect.sid=s3; laravel_session=l4; remember_me=r5",
    `Cookie: PHPSESSID=${REDACTED}; JSESSIONID=${REDACTED}; connect.sid=${REDACTED}; ` +
    `laravel_session=${REDACTED}; remember_me=${REDACTED}`,
  ],
  [
    "a token shape inside an ordinary cookie still goes",
    `Cookie: prefs=${"ghp_" + "A1b2C3d4E5".repeat(4)}; lang=en`,
    `Cookie: prefs=${REDACTED}; lang=en`,
  ],
  [
    "a cookie header in JSON text",
    `{"set-cookie":"session=s3ss10n; Path=/; HttpOnly"}`,
    `{"set-cookie":"session=${REDACTED}; Path=/; HttpOnly"}`,
  ],
];

for (const [name, input, expected] of COOKIES) {
  Deno.test(`cookies: ${name}`, () => {
    assert.equal(redactor.text(input), expected);
  });
}

Deno.test("cookies in structured data follow the same rule", () => {
  assert.deepEqual(
    redactor.value({ headers: { cookie: "theme=dark; sid=abc123", "set-cookie": "x=1; Path=/" } }),
    { headers: { cookie: `theme=dark; sid=${REDACTED}`, "set-cookie": "x=1; Path=/" } },
  );
});
