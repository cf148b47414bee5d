/**
 * A host the lab lost mid-run: its SSH stopped answering (refused, unreachable, no greeting, no
 * answer to keepalives) and one new connection failed too. The error names the host, how it was
 * reached, the command that was running and why, and says what to check on that machine. Pure:
 * the ssh host raises it, the runner and heal read it, the unit tests check the words.
 */
import { LabError, shellQuote } from "../util/errors.js";
import { DEFAULT_LAB } from "./naming.js";

/** How the lab reaches a machine: enough to tell a person how to try it by hand. */
export interface SshTarget {
  /** The walkthrough's name: docker3 */
  host: string;
  user: string;
  address: string;
  port: number;
  /** The private key the inventory names (absolute). */
  keyFile?: string;
  /** The inventory file the machine is listed in. */
  inventory?: string;
}

export const sshId = (t: Pick<SshTarget, "user" | "address" | "port">) => `${t.user}@${t.address}:${t.port}`;

/** What an ssh2 or Node error says about the machine: gone (unreachable), a refused login, or anything else. */
export type SshFailureKind = "unreachable" | "auth" | "other";

/** Socket errors that mean the machine (or its sshd) cannot be reached, as opposed to a command failing. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ECONNRESET", "ECONNABORTED", "EPIPE"]);
/** ssh2's own words for a connection that never came up or went away (and docker-modem's over it). */
const UNREACHABLE_MESSAGES = [/timed out while waiting for handshake/i, /keepalive timeout/i, /connection lost before handshake/i, /no response from server/i, /^not connected$/i, /socket hang up/i];

/** Classifies an error from ssh2 or Node's net (its `cause` chain too, as wrapped by the lab). */
export function sshFailureKind(err: unknown): SshFailureKind {
  let e = err as { code?: unknown; level?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    if (e.level === "client-authentication") return "auth";
    if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return "unreachable";
    if (e.level === "client-timeout" || e.level === "client-socket") return "unreachable";
    if (typeof e.message === "string" && UNREACHABLE_MESSAGES.some((re) => re.test(e!.message as string))) return "unreachable";
    e = e.cause as typeof e;
  }
  return "other";
}

/**
 * How an SSH exec channel ended: its command's exit status came (`exited`), a signal ended it
 * (`signalled`), or no status came at all, because the connection went away (`dropped`) or the
 * server closed the channel on a live connection (`closed-without-status`).
 */
export function channelOutcome(code: number | null | undefined, signal: string | undefined, connectionGone: boolean): "exited" | "signalled" | "dropped" | "closed-without-status" {
  if (typeof code === "number") return "exited";
  if (signal) return "signalled";
  return connectionGone ? "dropped" : "closed-without-status";
}

/** An ssh2/Node error in words a person can act on, the original kept in parentheses. */
export function describeSshCause(err: unknown, timing: { handshakeMs?: number; keepaliveIntervalMs?: number; keepaliveCountMax?: number } = {}): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const msg = typeof e?.message === "string" ? e.message : String(err);
  const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  if (/keepalive timeout/i.test(msg)) {
    // ssh2 gives up at the interval after its last unanswered keepalive.
    const ms = ((timing.keepaliveCountMax ?? 3) + 1) * (timing.keepaliveIntervalMs ?? 5000);
    return `no answer to SSH keepalives for ${s(ms)} (${msg})`;
  }
  if (/timed out while waiting for handshake/i.test(msg)) return `no SSH greeting within ${s(timing.handshakeMs ?? 10_000)}: sshd stopped or frozen, or the machine gone (${msg})`;
  switch (e?.code) {
    case "ECONNREFUSED":
      return `connection refused: the address answers but no sshd listens on the port (${msg})`;
    case "EHOSTUNREACH":
    case "EHOSTDOWN":
      return `no route to the machine: powered off or off the network (${msg})`;
    case "ENETUNREACH":
    case "ENETDOWN":
      return `no route to its network from this machine (${msg})`;
    case "ETIMEDOUT":
      return `the connection timed out (${msg})`;
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return `the connection was reset (${msg})`;
  }
  if (/no response from server|connection lost before handshake|^not connected$/i.test(msg)) return `the connection closed (${msg})`;
  return msg;
}

/** A command as a person would read it: one line, not a script's worth. */
export function shortCommand(argv: readonly string[] | string, max = 120): string {
  const text = (typeof argv === "string" ? argv : argv[0] === "sh" && argv[1] === "-c" && argv.length === 3 ? argv[2]! : shellQuote(argv)).replace(/\s*\n\s*/g, "; ").trim();
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

export interface LostHostFacts {
  target: SshTarget;
  /** The command that was running (or about to), as shortCommand gives it. */
  command?: string;
  /** `drop`: the connection broke while the command ran; `connect`: no connection could be made for it. */
  phase: "drop" | "connect";
  /** Why, in order: the first failure, then the reconnect's. */
  causes: string[];
  /** Whether the lab had reached the machine before in this process (lost) or never (cannot reach). */
  wasReached: boolean;
  /** When the host was declared lost, when this error repeats an earlier declaration. */
  lostSince?: number;
}

/** The error's first line: the host first, then how it was reached, what ran, and why. */
export function lostHostMessage(f: LostHostFacts, now = Date.now()): string {
  const id = sshId(f.target);
  const cmd = f.command ? ` \`${f.command}\`` : "";
  const why = f.causes.length > 1 ? `${f.causes[0]}; one new connection failed too: ${f.causes[f.causes.length - 1]}` : (f.causes[0] ?? "no reason given");
  const head = f.wasReached ? `${f.target.host} lost: SSH to ${id}` : `cannot reach ${f.target.host} over SSH (${id})`;
  const what = f.phase === "drop" ? ` broke while it ran${cmd}` : f.wasReached ? ` stopped answering${cmd ? ` before${cmd} could run` : ""}` : cmd ? ` to run${cmd}` : "";
  const since = f.lostSince !== undefined ? ` (declared lost ${Math.max(0, Math.round((now - f.lostSince) / 1000))} s ago, not tried again yet)` : "";
  return `${head}${what}: ${why}${since}`;
}

/** What a person checks on the lost machine, and how the lab is cleaned up once it is back. */
export function whatToCheck(t: SshTarget, lab?: string): string[] {
  const key = t.keyFile ? `-i ${shellQuote([t.keyFile])} ` : "";
  const inv = t.inventory ? shellQuote([t.inventory]) : "<inventory>";
  const name = lab && lab !== DEFAULT_LAB ? ` --name ${lab}` : "";
  return [
    `what to check on ${t.host} (${sshId(t)}):`,
    `from this machine, does SSH answer with the lab's key: ssh ${key}-p ${t.port} ${t.user}@${t.address} true`,
    `is the machine powered and on the network: ping -c 3 ${t.address}`,
    `on its console: is sshd running: systemctl status ssh (sshd on some systems)`,
    `was it rebooted (uptime; last reboot): then the lab's iptables rules on it are gone and dockerd may have restarted, its containers with it`,
    `once it answers: swarmlab --hosts ${inv}${name} down removes the lab from every machine; if it does not come back, see docs/real-hosts.md, "Losing a host mid-run" and "Out of a broken state by hand"`,
  ];
}

/** Raised by the ssh host when a machine cannot be reached (or stopped answering) mid-run. */
export class HostUnreachableError extends LabError {
  override name = "HostUnreachableError";
  readonly at: number;
  constructor(
    readonly facts: LostHostFacts,
    options: { cause?: unknown } = {},
  ) {
    super(lostHostMessage(facts), { cause: options.cause, hint: whatToCheck(facts.target).join("\n  ") });
    this.at = facts.lostSince ?? Date.now();
  }
  get host(): string {
    return this.facts.target.host;
  }
  get ssh(): string {
    return sshId(this.facts.target);
  }
  /** The same loss, for another command that was refused because of it (no new attempt). */
  again(command: string | undefined): HostUnreachableError {
    return new HostUnreachableError({ ...this.facts, command, lostSince: this.at }, { cause: this });
  }
  whatToCheck(lab?: string): string[] {
    return whatToCheck(this.facts.target, lab);
  }
}

/** Every lost host an error carries (itself, its causes, an AggregateError's errors, a heal's skips), one per host. */
export function lostHostsIn(err: unknown): HostUnreachableError[] {
  const found = new Map<string, HostUnreachableError>();
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== "object" || seen.has(e) || depth > 8) return;
    seen.add(e);
    if (e instanceof HostUnreachableError && !found.has(e.host)) found.set(e.host, e);
    const x = e as { cause?: unknown; errors?: unknown; lost?: unknown };
    for (const list of [x.errors, x.lost]) if (Array.isArray(list)) for (const y of list) visit(y, depth + 1);
    visit(x.cause, depth + 1);
  };
  visit(err, 0);
  return [...found.values()];
}

/** A lost host in a scenario's result (report.json `lostHosts`, a section of summary.md). */
export interface LostHostReport {
  host: string;
  /** user@address:port */
  ssh: string;
  /** When it was declared lost. */
  at: string;
  /** Where the run noticed: "step 2: docker3: sleep 97", or "teardown heal". */
  during: string;
  command?: string;
  /** The error's own words. */
  error: string;
  /** What heal left as it was on that host (skipped, not tried again, so the others were healed). */
  healSkipped: string[];
  whatToCheck: string[];
}

export function lostHostReport(e: HostUnreachableError, during: string, lab?: string): LostHostReport {
  return {
    host: e.host,
    ssh: e.ssh,
    at: new Date(e.at).toISOString(),
    during,
    ...(e.facts.command ? { command: e.facts.command } : {}),
    error: e.message,
    healSkipped: [],
    whatToCheck: e.whatToCheck(lab),
  };
}

/** The Markdown section of summary.md for the lost hosts of one scenario. */
export function lostHostsMarkdown(lost: readonly LostHostReport[]): string[] {
  const out: string[] = [];
  for (const l of lost) {
    out.push("", `### Lost host: ${l.host}`, "", `${l.host} (${l.ssh}) was lost in ${l.during}, at ${l.at}:`, "", "```", l.error, "```");
    if (l.healSkipped.length) out.push("", `Heal skipped on ${l.host} (left as it was, so the other hosts were healed):`, "", ...l.healSkipped.map((s) => `- \`${s.replace(/`/g, "'")}\``));
    const [title, ...checks] = l.whatToCheck;
    out.push("", `${(title ?? "").replace(/^w/, "W").replace(/:$/, "")}:`, "", ...checks.map((c) => `- ${c}`));
  }
  return out;
}
