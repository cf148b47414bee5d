/** The history check: after heal and reform, every member is read and the workload's history judged. */
import type { RunContext, Workload } from "../context/run-context.js";
import { connect, galeraMembers, hangUp, memberLabel } from "./galera.js";
import { checkWriteHistory } from "../faults/history.js";
import { LabError } from "../util/errors.js";

/** Stops the workload and reads back every id each running member holds of its table (member label -> ids). */
export async function workloadRows(ctx: RunContext, w: Workload, credentials?: { user?: string; password?: string }): Promise<Record<string, string[]>> {
  await w.stop();
  const rows: Record<string, string[]> = {};
  for (const m of await galeraMembers(ctx.lab, w.service)) {
    const c = await connect(m, { user: credentials?.user ?? w.user, password: credentials?.password ?? w.password ?? ctx.password });
    try {
      const [r] = await c.query(`SELECT id FROM ${w.table}`);
      rows[memberLabel(m)] = (r as Array<{ id: string }>).map((x) => x.id);
    } finally {
      hangUp(c);
    }
  }
  return rows;
}

export async function checkHistory(ctx: RunContext, credentials?: { user?: string; password?: string }): Promise<Record<string, unknown>> {
  const w = ctx.faults.workload;
  if (!w) throw new LabError("no write workload ran in this scenario (a fault step needs `workload: true`)");
  const rows = await workloadRows(ctx, w, credentials);
  const verdict = checkWriteHistory(w.history, rows);
  ctx.timeline.push({ at: new Date().toISOString(), what: "history checked", data: verdict.counts });
  if (!verdict.ok) throw new LabError(`write history check failed: ${verdict.problems.join("; ")}`);
  return { service: w.service, counts: verdict.counts, members: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.length])) };
}
