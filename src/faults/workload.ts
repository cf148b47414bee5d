/** A real mysql2 client that writes to every reachable member while a fault is active. */
import { randomUUID } from "node:crypto";
import type { RunContext } from "../scenarios/context.js";
import { connect, galeraMembers, memberLabel, type GaleraMember } from "../checks/galera.js";
import { checkWriteHistory, type WriteOp } from "./history.js";
import { LabError } from "../util/errors.js";

export interface Workload {
  /** Each workload writes its own table, so a lab reused across scenarios holds no foreign rows. */
  table: string;
  history: WriteOp[];
  stop(): Promise<void>;
}

/** Bounds: the workload stops by itself after this many writes or seconds. */
const MAX_WRITES = 2000;
const MAX_SECONDS = 300;

async function ensureTable(m: GaleraMember, password: string, table: string): Promise<void> {
  const c = await connect(m, password);
  try {
    await c.query("CREATE DATABASE IF NOT EXISTS swarmlab");
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (id VARCHAR(64) PRIMARY KEY, member VARCHAR(64), at BIGINT)`);
  } finally {
    c.destroy();
  }
}

function classify(err: unknown): "failed" | "unknown" {
  const code = (err as { code?: string }).code ?? "";
  // The server said no before committing: the write did not happen.
  if (/^ER_/.test(code) && !/LOCK_DEADLOCK|QUERY_INTERRUPTED/.test(code)) return "failed";
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH") return "failed";
  // Timeouts and lost connections: it may or may not have committed.
  return "unknown";
}

export async function startWorkload(ctx: RunContext): Promise<Workload> {
  const members = (await galeraMembers(ctx.lab)).filter((m) => m.endpoint);
  if (members.length === 0) throw new LabError("the workload found no member with a MySQL endpoint");
  const table = `swarmlab.history_${Date.now()}`;
  await ensureTable(members[0]!, ctx.password, table);
  const history: WriteOp[] = [];
  let running = true;
  const t0 = Date.now();
  const loops = members.map(async (m) => {
    const label = memberLabel(m);
    while (running && history.length < MAX_WRITES && Date.now() - t0 < MAX_SECONDS * 1000) {
      const id = randomUUID();
      const at = Date.now();
      try {
        const c = await connect(m, ctx.password, 2000);
        try {
          await c.query({ sql: `INSERT INTO ${table} (id, member, at) VALUES (?, ?, ?)`, timeout: 3000, values: [id, label, at] });
          history.push({ id, member: label, outcome: "ok", at });
        } finally {
          c.destroy();
        }
      } catch (err) {
        history.push({ id, member: label, outcome: classify(err), at, error: (err as Error).message.split("\n")[0] });
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return {
    table,
    history,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** After heal and reform: read every member and judge the history. */
export async function checkHistory(ctx: RunContext): Promise<Record<string, unknown>> {
  const w = ctx.faults.workload;
  if (!w) throw new LabError("no write workload ran in this scenario (a fault step needs `workload: true`)");
  await w.stop();
  const rows: Record<string, string[]> = {};
  for (const m of await galeraMembers(ctx.lab)) {
    const c = await connect(m, ctx.password);
    try {
      const [r] = await c.query(`SELECT id FROM ${w.table}`);
      rows[memberLabel(m)] = (r as Array<{ id: string }>).map((x) => x.id);
    } finally {
      c.destroy();
    }
  }
  const verdict = checkWriteHistory(w.history, rows);
  ctx.timeline.push({ at: new Date().toISOString(), what: "history checked", data: verdict.counts });
  if (!verdict.ok) throw new LabError(`write history check failed: ${verdict.problems.join("; ")}`);
  return { counts: verdict.counts, members: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.length])) };
}
