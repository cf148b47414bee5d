/** Which active faults a symptom or a heal belongs to. Pure over the run context's fault book. */
import type { ActiveFault, RunContext } from "../context/run-context.js";
import type { RecoveryRecord } from "./recovery.js";
import { LabError } from "../util/errors.js";
import { lostHostsIn, type HostUnreachableError } from "../hosts/lost-host.js";

/** The faults a symptom can belong to: every active one, or those that touch `host`. */
export function activeCauses(ctx: Pick<RunContext, "faults">, host?: string): RecoveryRecord[] {
  return ctx.faults.active.filter((f) => !host || f.hosts.includes(host)).map((f) => f.record);
}

/** The active faults `heal` selects: all of them, or those that touch one host. */
export function faultsToHeal(active: ActiveFault[], which: "all" | string): ActiveFault[] {
  if (which === "all") return [...active];
  const chosen = active.filter((f) => f.hosts.includes(which));
  if (!chosen.length) {
    const now = active.map((f) => `${f.record.fault} (${f.hosts.join(", ")})`).join("; ") || "none";
    throw new LabError(`heal ${which}: no active fault touches ${which}; active faults: ${now}`);
  }
  return chosen;
}

/**
 * What a heal could not do because a host was lost (its SSH gone): once one operation on a host
 * fails that way, the rest of that host's work is skipped, not tried again and not waited on, so
 * the other hosts are healed. Pure bookkeeping; healActive fills it, the runner reports it.
 */
export class HealSkips {
  private readonly lostHosts = new Map<string, HostUnreachableError>();
  private readonly skippedOn = new Map<string, string[]>();

  isLost(host: string): boolean {
    return this.lostHosts.has(host);
  }

  /** Whether `err` says a host is lost (from now on it is, for this heal); the hosts it names. */
  lostBy(err: unknown): string[] {
    const found = lostHostsIn(err);
    for (const e of found) if (!this.lostHosts.has(e.host)) this.lostHosts.set(e.host, e);
    return found.map((e) => e.host);
  }

  skip(host: string, what: string): void {
    this.skippedOn.set(host, [...(this.skippedOn.get(host) ?? []), what]);
  }

  get any(): boolean {
    return this.lostHosts.size > 0;
  }

  /** What was left as it was on each lost host. */
  skipped(): Record<string, string[]> {
    return Object.fromEntries([...this.lostHosts.keys()].map((h) => [h, this.skippedOn.get(h) ?? []]));
  }

  lost(): HostUnreachableError[] {
    return [...this.lostHosts.values()];
  }

  /** One phrase per lost host, for the heal's error. */
  lines(): string[] {
    return this.lost().map((e) => {
      const n = this.skippedOn.get(e.host)?.length ?? 0;
      return `${e.host} lost, ${n} heal action${n === 1 ? "" : "s"} there skipped (${e.message})`;
    });
  }
}

/** A heal that did what it could: `healed` was done, `skipped` left as it was on lost hosts, `problems` failed. */
export class HealIncompleteError extends LabError {
  override name = "HealIncompleteError";
  readonly lost: HostUnreachableError[];
  readonly skipped: Record<string, string[]>;
  constructor(
    readonly healed: string[],
    skips: HealSkips,
    readonly problems: string[],
  ) {
    const lost = skips.lost();
    super(`heal left work undone: ${[...skips.lines(), ...problems].join("; ")}`, { cause: lost.length > 1 ? new AggregateError(lost, "hosts lost") : lost[0], hint: lost[0]?.hint });
    this.lost = lost;
    this.skipped = skips.skipped();
  }
}
