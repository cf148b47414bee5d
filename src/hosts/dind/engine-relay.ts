/**
 * How this machine reaches a docker-in-docker host's own engine and the ports its tasks publish.
 *
 * On a local Linux engine the lab's bridge is routed from here: the host's dockerd answers on
 * <address>:2375 and MySQL on <address>:<published port>. When the engine is elsewhere (DOCKER_HOST
 * to another machine, Docker Desktop's VM, this process in a container beside the engine) those
 * addresses are not reachable from here, but `docker exec` is: every connection then becomes a
 * `docker exec -i` into the host, `docker system dial-stdio` for its engine (what docker-modem does
 * over SSH) and `socat` for a TCP port, its stdin and stdout the connection's two directions.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { Agent } from "node:http";
import { Duplex } from "node:stream";
import { LabError } from "../../util/errors.js";
import type { EngineLocality } from "../../engine/locality.js";

/** direct: TCP to the lab's addresses from here; engine: through `docker exec` into the host. */
export type HostReach = "direct" | "engine";

export const HOST_REACH_VARIABLE = "SWARMLAB_HOST_REACH";
const REACHES: readonly HostReach[] = ["direct", "engine"];

/**
 * The reach for the hosts of an engine: direct where engineLocality finds the lab's bridge routed
 * from here (its `lab-routes` facility, the line doctor shows), through the engine otherwise.
 * SWARMLAB_HOST_REACH=engine|direct overrides it (the tests run the relay against the local engine
 * with it).
 */
export function hostReach(locality: Pick<EngineLocality, "facilities">, env: NodeJS.ProcessEnv = process.env): HostReach {
  const forced = env[HOST_REACH_VARIABLE];
  if (forced !== undefined && forced !== "") {
    if (!(REACHES as readonly string[]).includes(forced)) {
      throw new LabError(`${HOST_REACH_VARIABLE}=${forced} is not a reach: allowed are ${REACHES.join(", ")}`, {
        hint: `unset it (the lab then decides from where the engine runs) or set ${HOST_REACH_VARIABLE}=engine to go through docker exec`,
      });
    }
    return forced as HostReach;
  }
  return locality.facilities["lab-routes"].available ? "direct" : "engine";
}

/**
 * A byte stream to `argv` run inside `container` with `docker exec -i`: what is written goes to the
 * command's stdin, what it prints is read. It answers the socket calls http and mysql2 make
 * (an idle timeout, no-delay, keep-alive, ref). When the command ends badly the stream fails with
 * the command, the container and what it wrote on stderr ("No such container", a refused connect).
 */
export class ExecStream extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";
  private readonly exited: Promise<void>;
  private idle?: NodeJS.Timeout;
  private idleMs = 0;

  constructor(
    readonly container: string,
    readonly argv: readonly string[],
  ) {
    super();
    this.child = spawn("docker", ["exec", "-i", container, ...argv], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("close", () => resolve()));
    this.child.stderr.on("data", (d: Buffer) => {
      if (this.stderr.length < 2000) this.stderr += d.toString();
    });
    // A write to a command that already ended (EPIPE) is reported by the exit below, with its stderr.
    this.child.stdin.on("error", () => {});
    this.child.stdout.on("data", (d: Buffer) => {
      this.touch();
      if (!this.push(d)) this.child.stdout.pause();
    });
    // The end of output is passed on once the command's exit is known: a failed command fails the stream.
    this.child.stdout.on("end", () => void this.exited.then(() => this.destroyed || this.push(null)));
    this.child.on("error", (err) => this.destroy(this.failure(`could not start (${err.message})`)));
    this.child.on("close", (code, signal) => {
      if (this.destroyed) return;
      if (code !== 0 && code !== null) this.destroy(this.failure(`exited ${code}`));
      else if (signal) this.destroy(this.failure(`ended by ${signal}`));
    });
  }

  private failure(why: string): LabError {
    const said = this.stderr.trim().split("\n").slice(0, 3).join(" / ");
    return new LabError(`docker exec -i ${this.container} ${this.argv.join(" ")} ${why}${said ? `: ${said}` : ""}`);
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.touch();
    this.child.stdin.write(chunk, (err) => {
      if (!err) return done();
      // The command is gone: wait for its exit to say why.
      void this.exited.then(() => done(this.failure(`ended before its input was written (${err.message})`)));
    });
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child.stdin.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.idle) clearTimeout(this.idle);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    done(err);
  }

  /** net.Socket#setTimeout: 'timeout' after ms without data either way. */
  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (cb) this.once("timeout", cb);
    if (ms) this.touch();
    else if (this.idle) clearTimeout(this.idle);
    return this;
  }

  private touch(): void {
    if (!this.idleMs) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.emit("timeout"), this.idleMs);
    this.idle.unref();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    this.child.ref();
    return this;
  }

  unref(): this {
    this.child.unref();
    return this;
  }
}

/** An http.Agent for dockerode whose every connection is the host's engine through `docker system dial-stdio`. */
export function innerEngineAgent(container: string): Agent {
  const agent = new Agent({ keepAlive: false });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => new ExecStream(container, ["docker", "system", "dial-stdio"]);
  return agent;
}

/** A TCP connection to address:port opened from inside the host (socat in the host image). */
export function tcpFromHost(container: string, address: string, port: number): Duplex {
  return new ExecStream(container, ["socat", "-", `TCP:${address}:${port}`]);
}
