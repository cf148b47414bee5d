import Docker from "dockerode";
import { execa } from "execa";
import { run, type RunOptions, type RunResult } from "../../util/run.js";
import { CommandError, LabError } from "../../util/errors.js";
import type { Host } from "../host.js";
import { innerEngineAgent, tcpFromHost, type HostReach } from "./engine-relay.js";
import type { Duplex } from "node:stream";

/** Port where each host's inner dockerd also listens, on the lab's own bridge only. */
export const INNER_API_PORT = 2375;

/**
 * One lab host (a docker-in-docker container). It runs commands inside itself, the docker CLI
 * against its own engine (so steps read like the walkthrough), and offers a dockerode client of
 * its inner engine for structured queries.
 */
export class HostNode implements Host {
  readonly api: Docker;
  constructor(
    /** The walkthrough's name: docker1 */
    readonly name: string,
    /** The container that is this host (docker1, or lab-docker1) */
    readonly container: string,
    readonly hostname: string,
    readonly address: string,
    /** direct: TCP to address:2375 from here; engine: through `docker exec` (an engine elsewhere, see engine-relay.ts). */
    readonly reach: HostReach = "direct",
  ) {
    this.api =
      reach === "direct"
        ? new Docker({ host: address, port: INNER_API_PORT, timeout: 15_000 })
        : new Docker({ protocol: "http", host: name, port: INNER_API_PORT, timeout: 15_000, agent: innerEngineAgent(container) } as Docker.DockerOptions);
  }

  /** A connection to address:port on the lab's network made from inside this host, when this machine does not route there. */
  streamTo(address: string, port: number): Duplex | undefined {
    return this.reach === "engine" ? tcpFromHost(this.container, address, port) : undefined;
  }

  get id(): string {
    return this.container;
  }

  async execWithInput(argv: readonly string[], file: string, opts: RunOptions = {}): Promise<RunResult> {
    const full = ["docker", "exec", "-i", this.container, ...argv];
    const r = await execa(full[0]!, full.slice(1), { inputFile: file, reject: false, timeout: opts.timeoutMs ?? 600_000, cancelSignal: opts.signal });
    const out = { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode ?? -1 };
    if (out.exitCode !== 0 && !opts.allowFailure) throw new CommandError(full, this.name, r.exitCode, out.stdout, out.stderr);
    return out;
  }

  /** Runs argv inside the host, with environment variables set. */
  exec(argv: readonly string[], opts: RunOptions = {}, vars: Record<string, string> = {}): Promise<RunResult> {
    const flags = opts.input !== undefined ? ["-i"] : [];
    const envFlags = Object.entries(vars).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    return run(["docker", "exec", ...flags, ...envFlags, this.container, ...argv], { where: this.name, timeoutMs: 120_000, ...opts });
  }

  /** Runs a shell command line inside the host, as a person at its prompt would, with variables set. */
  sh(command: string, opts: RunOptions = {}, vars: Record<string, string> = {}): Promise<RunResult> {
    return this.exec(["sh", "-c", command], opts, vars);
  }

  /**
   * A call to the host's own engine API, its failure worded with the operation, the host and the
   * engine's whole message (not cut to a line).
   */
  async engine<T>(operation: string, call: (api: Docker) => Promise<T>): Promise<T> {
    try {
      return await call(this.api);
    } catch (err) {
      const e = err as { statusCode?: number; json?: { message?: string }; message?: string; code?: string };
      const msg = e.json?.message ?? e.message ?? String(err);
      const where = this.reach === "direct" ? `${this.address}:${INNER_API_PORT}` : `docker exec ${this.container} docker system dial-stdio`;
      throw new LabError(`${operation} on ${this.name}'s engine (${where}) failed${e.statusCode ? ` (${e.statusCode})` : ""}: ${msg}${e.code ? ` [${e.code}]` : ""}`, { cause: err });
    }
  }

  /** The docker CLI of the host's own engine. */
  docker(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.exec(["docker", ...argv], opts);
  }
}
