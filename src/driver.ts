/**
 * Faults and checks from code, for teams writing their own failure tests in vitest: the same
 * nemesis, waits and checkers the scenarios use, on a lab you started.
 *
 *   await using lab = await startLab({ name: "ci" });
 *   await runScenario(lab, loadScenario("seed"), { progress });
 *   const d = await LabDriver.for(lab);
 *   await d.fault({ kind: "ports", host: "docker3", ports: ["4789/udp"], direction: "both" }, { workload: true });
 *   await d.waitSplit(2, 120_000);
 *   await d.heal();
 *   await d.waitSynced(3, 180_000);
 *   const history = await d.checkHistory();   // throws when an acknowledged write was lost
 */
import type { Lab } from "./lab.js";
import type { RunContext } from "./scenarios/context.js";
import { newRunContext } from "./scenarios/runner.js";
import type { Progress } from "./report/progress.js";
import { applyFault, healFaults, waitDegraded, type FaultSpec } from "./faults/nemesis.js";
import { checkHistory } from "./faults/workload.js";
import { galeraView, waitGaleraSynced, checkClusterAddresses, type MemberView } from "./checks/conditions.js";
import { noteSynced, type RecoveryRecord } from "./faults/recovery.js";
import type { Profile } from "./scenarios/profile.js";

export class LabDriver {
  private constructor(readonly ctx: RunContext) {}

  static async for(lab: Lab, opts: { password?: string; progress?: Progress; profile?: Profile } = {}): Promise<LabDriver> {
    return new LabDriver(await newRunContext(lab, opts));
  }

  /** Injects a fault (optionally starting the write workload); it stays until heal(). */
  fault(spec: FaultSpec, opts: { workload?: boolean } = {}): Promise<Record<string, unknown>> {
    return applyFault(this.ctx, spec, opts.workload ?? false);
  }

  /** Removes exactly what the faults added, unpauses and starts stopped hosts: all faults, or those touching `host`. */
  heal(host: "all" | string = "all"): Promise<Record<string, unknown>> {
    return healFaults(this.ctx, host);
  }

  /** Every running member's view, through mysql2. */
  galera(): Promise<MemberView[]> {
    return galeraView(this.ctx);
  }

  async waitSynced(members: number, timeoutMs: number): Promise<MemberView[]> {
    const v = await waitGaleraSynced(this.ctx, members, timeoutMs);
    noteSynced(this.ctx.recoveries, Date.now());
    return v;
  }

  /** `members` Primary with that size, the rest not (0: no Primary at all). */
  waitSplit(members: number, timeoutMs: number): Promise<Record<string, unknown>> {
    return waitDegraded(this.ctx, { members }, timeoutMs);
  }

  checkHistory(): Promise<Record<string, unknown>> {
    return checkHistory(this.ctx);
  }

  checkClusterAddresses(): Promise<Record<string, unknown>> {
    return checkClusterAddresses(this.ctx, this.ctx.recoveries.length > 0);
  }

  /** Per fault: when it showed and how long until all members were Synced again. */
  get recoveries(): RecoveryRecord[] {
    return this.ctx.recoveries;
  }
}
