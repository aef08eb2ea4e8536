/**
 * The `.env.example` text, embedded so that `init` works where no copy is at
 * hand (a compiled binary run in another directory). The committed
 * `.env.example` must equal it (tests/cli/init_test.ts checks).
 */
export const ENV_TEMPLATE =
  `# hookgate configuration. Copy with 'hookgate init' (it fills in strong secrets).
# Never commit .env: it is gitignored.

# The shared HMAC secret for POST /webhook (at least 16 bytes; init makes 32 random bytes).
WEBHOOK_SECRET=

# The key that signs inspection-API bearer tokens ('hookgate token'); init makes 32 random bytes.
HOOKGATE_TOKEN_SECRET=

# Hosts the agent's fetch_url tool may reach (comma-separated). Empty denies everything.
# Entries: host, host:port, http://host[:port] (plain http), *.example.com (subdomains only).
EGRESS_ALLOW_HOSTS=api.github.com,api.weather.gov

# Listed hosts fetch may reach even when they resolve to loopback/private addresses.
# Local development and tests only; leave unset in production.
# EGRESS_ALLOW_PRIVATE=localhost
`;
