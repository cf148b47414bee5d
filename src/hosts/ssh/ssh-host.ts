/** A lab host that is a machine reached over SSH (ssh2), its engine's API through the same SSH (dockerode's ssh protocol). */
import { createReadStream, readFileSync } from "node:fs";
import Docker from "dockerode";
// ssh2 is CommonJS: its classes come through the default export.
import ssh2, { type Client, type ClientChannel } from "ssh2";
import type { Host } from "../host.js";
import type { InventoryHost } from "./inventory.js";
import type { RunOptions, RunResult } from "../../util/run.js";
import { CommandError, LabError, abortError, shellQuote } from "../../util/errors.js";

export class SshHost implements Host {
  readonly api: Docker;
  private conn?: Promise<Client>;
  private readonly key: Buffer;
  /** Set when the machine's hostname was read (`hostname -f`), else the inventory's. */
  hostname: string;

  constructor(readonly spec: InventoryHost) {
    this.key = readFileSync(spec.keyFile);
    this.hostname = spec.hostname ?? spec.name;
    // No `timeout` here: docker-modem sets it on the SSH stream, which has no setTimeout.
    this.api = new Docker({ protocol: "ssh", host: spec.address, port: spec.ssh.port, username: spec.ssh.user, sshOptions: { privateKey: this.key } } as Docker.DockerOptions);
  }

  get name(): string {
    return this.spec.name;
  }
  get address(): string {
    return this.spec.address;
  }
  get id(): string {
    return `${this.spec.ssh.user}@${this.spec.address}:${this.spec.ssh.port}`;
  }
  /** Root's commands go through sudo when the login is not root. */
  private get sudo(): string {
    return (this.spec.ssh.sudo ?? this.spec.ssh.user !== "root") ? "sudo -n " : "";
  }

  /** One SSH connection, opened on first use and again after it dropped. */
  connect(timeoutMs = 10_000): Promise<Client> {
    this.conn ??= new Promise<Client>((resolve, reject) => {
      const c = new ssh2.Client();
      c.once("ready", () => resolve(c));
      c.once("error", (err) => {
        this.conn = undefined;
        reject(new LabError(`cannot reach ${this.name} over SSH (${this.id}): ${err.message}`, { hint: `check the machine is up, the address and port, and that the key ${this.spec.keyFile} is in ~${this.spec.ssh.user}/.ssh/authorized_keys` }));
      });
      c.once("close", () => (this.conn = undefined));
      c.connect({ host: this.spec.address, port: this.spec.ssh.port, username: this.spec.ssh.user, privateKey: this.key, readyTimeout: timeoutMs, keepaliveInterval: 5000, keepaliveCountMax: 3 });
    });
    return this.conn;
  }

  close(): void {
    void this.conn?.then((c) => c.end()).catch(() => {});
    this.conn = undefined;
  }

  /** Runs one command line on the machine; stdin from a file when given. */
  private async run(command: string, label: readonly string[], opts: RunOptions = {}, inputFile?: string): Promise<RunResult> {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const c = await this.connect();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    return new Promise<RunResult>((resolve, reject) => {
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
      const timer = setTimeout(() => {
        channel?.close();
        finish(() => reject(new CommandError(label, this.name, undefined, stdout, stderr, `command timed out after ${timeoutMs}ms`)));
      }, timeoutMs);
      const onAbort = () => {
        channel?.close();
        finish(() => reject(abortError(opts.signal!)));
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      c.exec(command, (err, ch) => {
        if (err) return finish(() => reject(new CommandError(label, this.name, undefined, "", err.message, "command could not run over SSH")));
        channel = ch;
        ch.on("data", (d: Buffer) => (stdout += d.toString()));
        ch.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        ch.on("close", (code: number | null) => {
          const r = { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, ""), exitCode: code ?? -1 };
          if (r.exitCode !== 0 && !opts.allowFailure) finish(() => reject(new CommandError(label, this.name, r.exitCode, r.stdout, r.stderr)));
          else finish(() => resolve(r));
        });
        if (inputFile) createReadStream(inputFile).pipe(ch);
        else if (opts.input !== undefined) ch.end(opts.input);
        else ch.end();
      });
    });
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
      const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
      throw new LabError(`${operation} on ${this.name}'s engine (over SSH to ${this.id}) failed${e.statusCode ? ` (${e.statusCode})` : ""}: ${e.json?.message ?? e.message ?? String(err)}`, { cause: err });
    }
  }
}
