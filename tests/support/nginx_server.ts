/**
 * Runs nginx (the Debian package) in the foreground, from a configuration written into a
 * temporary prefix, on a free loopback port; always stopped and removed on dispose.
 */

import { availableOrSkip } from "./machine.ts";
const NGINX_BINS = ["nginx", "/usr/sbin/nginx"];

function nginxBin(): string | null {
  for (const bin of NGINX_BINS) {
    try {
      const { success } = new Deno.Command(bin, { args: ["-v"], stdout: "null", stderr: "null" })
        .outputSync();
      if (success) return bin;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Whether nginx can be run here; tests skip with a clear message when not (never in CI). */
export function nginxAvailable(): boolean {
  return availableOrSkip(nginxBin() !== null, {
    program: "nginx",
    tests: "front-proxy tests",
    install: "nginx",
  });
}

export interface NginxServer {
  port: number;
  errorLog(): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts nginx with `httpBlock` (directives for the http context, e.g. a `server { … }`)
 * listening on `port`, and waits until that port answers.
 */
export async function startNginx(httpBlock: string, port: number): Promise<NginxServer> {
  const bin = nginxBin();
  if (bin === null) throw new Error("nginx is not installed (apt-get install nginx)");
  const prefix = await Deno.makeTempDir({ prefix: "hookgate-nginx-" });
  const conf = `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${httpBlock}
}
`;
  await Deno.writeTextFile(`${prefix}/nginx.conf`, conf);
  const child = new Deno.Command(bin, {
    args: ["-p", prefix, "-c", `${prefix}/nginx.conf`, "-e", `${prefix}/error.log`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const dispose = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
    await stderr.catch(() => "");
    await Deno.remove(prefix, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) {
        await dispose();
        throw new Error(`nginx did not listen on ${port} in time: ${await stderr.catch(() => "")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    errorLog: () => Deno.readTextFile(`${prefix}/error.log`).catch(() => ""),
    [Symbol.asyncDispose]: dispose,
  };
}
