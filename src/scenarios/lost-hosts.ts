/**
 * The hosts a scenario lost (their SSH gone mid-run): from a failed step's error or the provider's
 * word, and what the teardown heal had to skip on them. The runner keeps one book per scenario;
 * the result carries its entries (report.json `lostHosts`, summary.md), the terminal its notes.
 */
import type { StepResult } from "../context/run-context.js";
import type { HostProvider } from "../hosts/host.js";
import { lostHostReport, lostHostsIn, type HostUnreachableError, type LostHostReport } from "../hosts/lost-host.js";

export class LostHostBook {
  private readonly entries = new Map<string, LostHostReport>();

  constructor(
    private readonly provider: Pick<HostProvider, "lostHosts">,
    private readonly lab: string,
    /** The scenario's start: a host lost before it is not this scenario's. */
    private readonly since: number,
  ) {}

  private add(e: HostUnreachableError, during: string): LostHostReport {
    let entry = this.entries.get(e.host);
    if (!entry) {
      entry = lostHostReport(e, during, this.lab);
      this.entries.set(e.host, entry);
    }
    return entry;
  }

  /**
   * A step failed: the hosts its error names, and those the provider declared lost meanwhile (a
   * wait that polled a lost host only saw its own timeout). The step's error names them too.
   */
  fromStep(r: StepResult, err: unknown): void {
    const named = lostHostsIn(err);
    const others = (this.provider.lostHosts?.(this.since) ?? []).filter((e) => !named.some((n) => n.host === e.host));
    const during = `step ${r.index + 1}: ${r.title}`;
    for (const e of [...named, ...others]) this.add(e, during);
    this.skippedBy(err);
    if (others.length) r.error = `${r.error ?? ""}\n(meanwhile ${others.map((e) => e.message).join("; ")})`;
  }

  /**
   * The teardown heal failed: what it skipped on lost hosts (and any host it found lost itself).
   * Returns what the run's notes say of that heal: its error, and what it did heal on the others.
   */
  fromHeal(err: unknown): Record<string, unknown> {
    for (const e of lostHostsIn(err)) this.add(e, "teardown heal");
    this.skippedBy(err);
    const x = err as { message?: string; healed?: string[]; skipped?: Record<string, string[]> };
    return { error: x.message ?? String(err), ...(x.healed ? { healed: x.healed } : {}), ...(x.skipped ? { skipped: x.skipped } : {}) };
  }

  /** A heal's error (HealIncompleteError) says what it left as it was on each lost host. */
  private skippedBy(err: unknown): void {
    const skipped = (err as { skipped?: Record<string, string[]> } | undefined)?.skipped ?? {};
    for (const [host, what] of Object.entries(skipped)) this.entries.get(host)?.healSkipped.push(...what);
  }

  get any(): boolean {
    return this.entries.size > 0;
  }

  report(): LostHostReport[] {
    return [...this.entries.values()];
  }

  /** Lines for the terminal: which host, what heal left there, what to check. */
  notes(): string[] {
    return this.report().flatMap((l) => [
      `${l.host} (${l.ssh}) was lost in ${l.during}${l.healSkipped.length ? `; heal skipped ${l.healSkipped.length} action${l.healSkipped.length === 1 ? "" : "s"} there (its lab rules stay until \`down\`)` : ""}`,
      `${l.whatToCheck[0] ?? ""}`,
      ...l.whatToCheck.slice(1).map((c) => `  - ${c}`),
    ]);
  }
}
