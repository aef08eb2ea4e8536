/**
 * `serve --store redis://…` stopping with a hand-off backlog: one SIGTERM ends it within its
 * shutdown grace, quietly, and every event answered "accepted" reaches the agent after a
 * restart; an agent still running at the deadline is killed and its event handed out again
 * at once. A real redis-server, the real subprocess, a slow shell agent.
 */
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";
import { backlogSurvivesSigterm, hangingAgentIsReleased } from "../support/shutdown_scenarios.ts";

const ignore = !redisServerAvailable();

Deno.test({
  name:
    "serve --store redis: one SIGTERM with a backlog exits 0 within the grace, quietly, and every accepted event reaches the agent after a restart",
  ignore,
  fn: async () => {
    await using redis = await startRedisServer();
    await backlogSurvivesSigterm({ store: redis.url, concurrency: 2 });
  },
});

Deno.test({
  name:
    "serve --store redis: an agent still running at the shutdown deadline is killed and its event handed out again at once after a restart",
  ignore,
  fn: async () => {
    await using redis = await startRedisServer();
    // A visibility timeout far beyond the test: only the release can bring the event back.
    await hangingAgentIsReleased({
      store: `${redis.url}/0?visibility_timeout=10m`,
      concurrency: 2,
    });
  },
});
