/** A lab host that is a machine reached over SSH (ssh2), its engine's API through the same SSH (dockerode's ssh protocol). */
import { createReadStream, readFileSync } from "node:fs";
import Docker from "dockerode";
// ssh2 is CommonJS: its classes come through the default export.
import ssh2, { type Client, type ClientChannel } from "ssh2";
import type { Host } from "../host.js";
import type { InventoryHost } from "./inventory.js";
import type { RunOptions, RunResult } from "../../util/run.js";
import { CommandError, LabError, abortError, isAbort, shellQuote } from "../../util/errors.js";
import { sleep, untilAborted } from "../../util/wait.js";
import { HostUnreachableError, channelOutcome, describeSshCause, lostHostsIn, shortCommand, sshFailureKind, sshId, type SshTarget } from "../lost-host.js";

/** Every wait on a machine is bounded: the greeting, the keepalives of a live connection, the pause before reconnecting. */
export interface SshTiming {
  /** A new connection's greeting and login (ssh2's readyTimeout). */
  handshakeMs: number;
  /** A keepalive every this often on an open connection... */
  keepaliveIntervalMs: number;
  /** ...and the connection is dropped after this many more go unanswered (a dead peer noticed in about interval × (max + 1)). */
  keepaliveCountMax: number;
  /** Before the one reconnect attempt that tells a blip from a lost machine. */
  reconnectPauseMs: number;
  /** A host declared lost fails at once for this long (heal and the others are not held up); then it is tried again. */
  lostRetryMs: number;
}

export const SSH_TIMING: SshTiming = { handshakeMs: 10_000, keepaliveIntervalMs: 5000, keepaliveCountMax: 3, reconnectPauseMs: 1000, lostRetryMs: 30_000 };

/** One ssh2 connection and what became of it. */
interface Connection {
  client: Client;
  ready: boolean;
  /** The error that broke it (keepalive timeout, socket error). */
  broken?: Error;
  /** Its socket ended or closed. */
  gone: boolean;
  /** Ended by close(): what ran on it stops, nothing reconnects. */
  closedByUs?: boolean;
}

/** How a command's channel ended: its result, or the connection went away under it. */
type Outcome = { kind: "done"; result: RunResult } | { kind: "dropped"; started: boolean; cause: Error; stdout: string; stderr: string };

export class SshHost implements Host {
  readonly api: Docker;
  private conn?: Promise<Connection>;
  private current?: Connection;
  private readonly key: Buffer;
  private readonly timing: SshTiming;
  /** Reached at least once by this process: a failure then is a host lost, not one never reached. */
  private reached = false;
  private lostState?: HostUnreachableError;
  /** The inventory it is listed in: named in what to check when it is lost. */
  private readonly inventoryFile?: string;
  /** Set when the machine's hostname was read (`hostname -f`), else the inventory's. */
  hostname: string;

  constructor(
    readonly spec: InventoryHost,
    opts: { inventoryFile?: string; timing?: Partial<SshTiming> } = {},
  ) {
    this.key = readFileSync(spec.keyFile);
    this.hostname = spec.hostname ?? spec.name;
    this.inventoryFile = opts.inventoryFile;
    this.timing = { ...SSH_TIMING, ...opts.timing };
    // No `timeout` here: docker-modem sets it on the SSH stream, which has no setTimeout. Its own
    // connection (one per request) gets the same bounds as ours: a greeting, keepalives.
    const bounds = { readyTimeout: this.timing.handshakeMs, keepaliveInterval: this.timing.keepaliveIntervalMs, keepaliveCountMax: this.timing.keepaliveCountMax };
    this.api = new Docker({ protocol: "ssh", host: spec.address, port: spec.ssh.port, username: spec.ssh.user, sshOptions: { privateKey: this.key, ...bounds } } as Docker.DockerOptions);
  }

  get name(): string {
    return this.spec.name;
  }
  get address(): string {
    return this.spec.address;
  }
  get id(): string {
    return sshId(this.target);
  }
  /** How it is reached, for the words of a lost host. */
  get target(): SshTarget {
    return { host: this.name, user: this.spec.ssh.user, address: this.spec.address, port: this.spec.ssh.port, keyFile: this.spec.keyFile, inventory: this.inventoryFile };
  }
  /** Declared lost (its SSH gone, one new connection failed too) and not reached since. */
  get lost(): HostUnreachableError | undefined {
    return this.lostState;
  }
  /** Root's commands go through sudo when the login is not root. */
  private get sudo(): string {
    return (this.spec.ssh.sudo ?? this.spec.ssh.user !== "root") ? "sudo -n " : "";
  }
  private sshHint(): string {
    return `check the machine is up, the address and port, and that the key ${this.spec.keyFile} is in ~${this.spec.ssh.user}/.ssh/authorized_keys`;
  }

  /** One connection attempt (shared by concurrent callers); a broken connection is replaced. */
  private open(timeoutMs = this.timing.handshakeMs): Promise<Connection> {
    if (this.current && (this.current.gone || this.current.broken)) {
      this.current = undefined;
      this.conn = undefined;
    }
    this.conn ??= new Promise<Connection>((resolve, reject) => {
      const c = new ssh2.Client();
      const conn: Connection = { client: c, ready: false, gone: false };
      this.current = conn;
      const forget = () => {
        if (this.current !== conn) return;
        this.current = undefined;
        this.conn = undefined;
      };
      const fail = (err: Error) => reject(new LabError(`cannot reach ${this.name} over SSH (${this.id}): ${err.message}`, { hint: this.sshHint(), cause: err }));
      c.on("ready", () => {
        conn.ready = true;
        this.reached = true;
        this.lostState = undefined;
        resolve(conn);
      });
      // Listened to for the connection's whole life: a later error (a keepalive timeout) must not go unheard.
      c.on("error", (err: Error) => {
        conn.broken ??= err;
        forget();
        if (!conn.ready) {
          fail(err);
          c.end();
        }
      });
      c.on("end", () => {
        conn.gone = true;
        forget();
      });
      c.on("close", () => {
        conn.gone = true;
        forget();
        if (!conn.ready) fail(conn.broken ?? new Error("Connection lost before handshake"));
      });
      try {
        c.connect({
          host: this.spec.address,
          port: this.spec.ssh.port,
          username: this.spec.ssh.user,
          privateKey: this.key,
          readyTimeout: timeoutMs,
          keepaliveInterval: this.timing.keepaliveIntervalMs,
          keepaliveCountMax: this.timing.keepaliveCountMax,
        });
      } catch (err) {
        // A key ssh2 cannot parse: said at once, and the next call tries afresh.
        forget();
        fail(err as Error);
      }
    });
    return this.conn;
  }

  /** One SSH connection, opened on first use and again after it dropped (one attempt: preflight's). */
  async connect(timeoutMs = this.timing.handshakeMs): Promise<Client> {
    return (await this.open(timeoutMs)).client;
  }

  close(): void {
    if (this.current) this.current.closedByUs = true;
    void this.conn
      ?.then((c) => {
        c.closedByUs = true;
        c.client.end();
      })
      .catch(() => {});
    this.conn = undefined;
    this.current = undefined;
  }

  private declareLost(command: string | undefined, phase: "drop" | "connect", causes: unknown[], cause: unknown): HostUnreachableError {
    const e = new HostUnreachableError({ target: this.target, command, phase, causes: causes.map((c) => describeSshCause(c, this.timing)), wasReached: this.reached }, { cause });
    this.lostState = e;
    return e;
  }

  /**
   * A connection for a command: one more attempt after a failed one, then the host is declared
   * lost. A host declared lost a moment ago fails at once (heal goes on to the others).
   */
  private async reach(command: string | undefined, signal?: AbortSignal): Promise<Connection> {
    const lost = this.lostState;
    if (lost && Date.now() - lost.at < this.timing.lostRetryMs) throw lost.again(command);
    let first: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        return await untilAborted(this.open(), signal);
      } catch (err) {
        if (isAbort(err)) throw err;
        const cause = (err as Error).cause ?? err;
        if (sshFailureKind(cause) !== "unreachable") throw err;
        if (attempt > 0) throw this.declareLost(command, "connect", [first, cause], err);
        first = cause;
        await sleep(this.timing.reconnectPauseMs, signal);
      }
    }
  }

  /** After the connection broke under a running command: one reconnect says whether the machine is still there. */
  private async afterDrop(out: Extract<Outcome, { kind: "dropped" }>, label: readonly string[], command: string, signal?: AbortSignal): Promise<Error> {
    try {
      await sleep(this.timing.reconnectPauseMs, signal);
      await untilAborted(this.open(), signal);
    } catch (err) {
      if (isAbort(err)) return err as Error;
      const cause = (err as Error).cause ?? err;
      if (sshFailureKind(cause) === "unreachable") return this.declareLost(command, "drop", [out.cause, cause], err);
      return err as Error;
    }
    return new CommandError(
      label,
      this.name,
      undefined,
      out.stdout,
      out.stderr,
      out.started
        ? `the SSH connection to ${this.id} broke while the command ran (${describeSshCause(out.cause, this.timing)}); a new one opened at once, so ${this.name} is up, but whether the command finished is unknown`
        : `the SSH connection to ${this.id} broke twice before the command could start (${describeSshCause(out.cause, this.timing)}); ${this.name} answers, the command did not run`,
    );
  }

  /** Runs one command line on an open connection; stdin from a file when given. */
  private execOn(conn: Connection, command: string, label: readonly string[], opts: RunOptions, timeoutMs: number, inputFile?: string): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      let done = false;
      let channel: ClientChannel | undefined;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const dropped = (started: boolean, cause: Error) => finish(() => resolve({ kind: "dropped", started, cause, stdout, stderr }));
      const timer = setTimeout(() => {
        channel?.close();
        finish(() => reject(new CommandError(label, this.name, undefined, stdout, stderr, `command timed out after ${timeoutMs}ms`)));
      }, timeoutMs);
      const onAbort = () => {
        channel?.close();
        finish(() => reject(abortError(opts.signal!)));
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        conn.client.exec(command, (err, ch) => {
          if (err) {
            if (conn.closedByUs) return finish(() => reject(new CommandError(label, this.name, undefined, "", err.message, "the lab closed its SSH connection before the command ran")));
            // The connection went before the channel opened: the command never ran.
            if (conn.gone || conn.broken || sshFailureKind(err) === "unreachable") return dropped(false, conn.broken ?? err);
            return finish(() => reject(new CommandError(label, this.name, undefined, "", err.message, "command could not run over SSH")));
          }
          channel = ch;
          // A write after the connection went (stdin) errors the stream; the close below says what happened.
          ch.on("error", () => {});
          ch.on("data", (d: Buffer) => (stdout += d.toString()));
          ch.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          ch.on("close", (code?: number | null, signal?: string) => {
            const how = channelOutcome(code, signal, conn.gone || Boolean(conn.broken));
            if (how === "dropped" && conn.closedByUs) return finish(() => reject(new CommandError(label, this.name, undefined, stdout, stderr, "the lab closed its SSH connection while the command ran")));
            if (how === "dropped") return dropped(true, conn.broken ?? new Error("the connection closed before the command's exit status came"));
            const r = { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, ""), exitCode: typeof code === "number" ? code : -1 };
            if (r.exitCode !== 0 && !opts.allowFailure) {
              const reason = how === "signalled" ? `command ended by ${signal}` : how === "closed-without-status" ? "the SSH channel closed without an exit status" : undefined;
              finish(() => reject(new CommandError(label, this.name, r.exitCode, r.stdout, r.stderr, reason)));
            } else finish(() => resolve({ kind: "done", result: r }));
          });
          if (inputFile) {
            createReadStream(inputFile)
              .on("error", (e: Error) => {
                ch.close();
                finish(() => reject(new CommandError(label, this.name, undefined, stdout, stderr, `could not read ${inputFile}: ${e.message}`)));
              })
              .pipe(ch);
          } else if (opts.input !== undefined) ch.end(opts.input);
          else ch.end();
        });
      } catch (err) {
        // ssh2 throws "Not connected" when the socket went between reach() and here.
        dropped(false, err as Error);
      }
    });
  }

  /**
   * Runs one command line on the machine. A connection that broke before the command started is
   * made again once; one that broke while it ran gets one reconnect: failing, the host is lost
   * (HostUnreachableError, naming it); succeeding, the command's outcome is unknown (CommandError).
   */
  private async run(command: string, label: readonly string[], opts: RunOptions = {}, inputFile?: string): Promise<RunResult> {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const what = shortCommand(label);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.reach(what, opts.signal);
      const out = await this.execOn(conn, command, label, opts, timeoutMs, inputFile);
      if (out.kind === "done") return out.result;
      if (!out.started && attempt === 0) continue;
      throw await this.afterDrop(out, label, what, opts.signal);
    }
  }

  exec(argv: readonly string[], opts: RunOptions = {}, vars: Record<string, string> = {}): Promise<RunResult> {
    const env = Object.entries(vars).map(([k, v]) => `${k}=${shellQuote([v])}`);
    const cmd = `${this.sudo}${env.length ? `env ${env.join(" ")} ` : ""}${shellQuote(argv)}`;
    return this.run(cmd, argv, opts);
  }

  sh(command: string, opts: RunOptions = {}, vars: Record<string, string> = {}): Promise<RunResult> {
    return this.exec(["sh", "-c", command], opts, vars);
  }

  docker(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.exec(["docker", ...argv], opts);
  }

  execWithInput(argv: readonly string[], file: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(`${this.sudo}${shellQuote(argv)}`, argv, { timeoutMs: 900_000, ...opts }, file);
  }

  async engine<T>(operation: string, call: (api: Docker) => Promise<T>): Promise<T> {
    try {
      return await call(this.api);
    } catch (err) {
      if (sshFailureKind(err) === "unreachable") {
        // The API rides its own SSH connection: whether the machine is there at all, our connection says.
        const lost = await this.reach(operation).then(
          () => undefined,
          (e: unknown) => lostHostsIn(e)[0],
        );
        if (lost) throw lost;
      }
      const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
      throw new LabError(`${operation} on ${this.name}'s engine (over SSH to ${this.id}) failed${e.statusCode ? ` (${e.statusCode})` : ""}: ${e.json?.message ?? e.message ?? String(err)}`, { cause: err });
    }
  }
}
