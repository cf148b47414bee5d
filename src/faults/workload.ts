/** A real mysql2 client that writes to every reachable member of a MySQL-protocol service while faults are active. */
import { randomUUID } from "node:crypto";
import type { RunContext, Workload } from "../context/run-context.js";
import { connect, galeraMembers, hangUp, memberLabel, GALERA_SERVICE, type Credentials, type GaleraMember } from "../checks/galera.js";
import type { WriteOp } from "./history.js";
import { LabError } from "../util/errors.js";

/** Which service the workload writes to, and as whom (default: the seed's service as root). */
export interface WorkloadOptions {
  service?: string;
  user?: string;
  password?: string;
  database?: string;
  /** Stop by itself after this long (default 300 s; a chaos run asks for its whole length). */
  maxSeconds?: number;
}

/** Bounds: the workload stops by itself after this long (or when asked), and it keeps at most this many writes. */
const MAX_SECONDS = 300;
const MAX_WRITES = 200_000;

const safeName = (s: string) => {
  if (!/^[A-Za-z0-9_]+$/.test(s)) throw new LabError(`workload database "${s}" must be letters, digits and _`);
  return s;
};

function classify(err: unknown): "failed" | "unknown" {
  const code = (err as { code?: string }).code ?? "";
  // The server said no before committing: the write did not happen.
  if (/^ER_/.test(code) && !/LOCK_DEADLOCK|QUERY_INTERRUPTED/.test(code)) return "failed";
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH") return "failed";
  // Timeouts and lost connections: it may or may not have committed.
  return "unknown";
}

export function workloadCredentials(ctx: RunContext, o: WorkloadOptions): Credentials {
  return { user: o.user ?? "root", password: o.password ?? ctx.password };
}

export async function startWorkload(ctx: RunContext, o: WorkloadOptions = {}): Promise<Workload> {
  const service = o.service ?? GALERA_SERVICE;
  const creds = workloadCredentials(ctx, o);
  const database = safeName(o.database ?? "swarmlab");
  const members = (await galeraMembers(ctx.lab, service)).filter((m): m is GaleraMember & { endpoint: object } => Boolean(m.endpoint));
  if (members.length === 0) throw new LabError(`the workload found no task of ${service} with a published MySQL port`);
  const table = `${database}.history_${Date.now()}`;
  const c = await connect(members[0]!, creds);
  try {
    await c.query(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (id VARCHAR(64) PRIMARY KEY, member VARCHAR(64), at BIGINT)`);
  } finally {
    hangUp(c);
  }
  const history: WriteOp[] = [];
  let running = true;
  let wake: () => void = () => {};
  const pause = (ms: number) => new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    wake = () => (clearTimeout(t), r());
  });
  const onAbort = () => {
    running = false;
    wake();
  };
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const t0 = Date.now();
  const loops = members.map(async (m) => {
    const label = memberLabel(m);
    while (running && history.length < MAX_WRITES && Date.now() - t0 < (o.maxSeconds ?? MAX_SECONDS) * 1000) {
      const id = randomUUID();
      const at = Date.now();
      try {
        const conn = await connect(m, creds, 2000);
        try {
          await conn.query({ sql: `INSERT INTO ${table} (id, member, at) VALUES (?, ?, ?)`, timeout: 3000, values: [id, label, at] });
          history.push({ id, member: label, outcome: "ok", at });
        } finally {
          hangUp(conn);
        }
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause ?? err;
        history.push({ id, member: label, outcome: classify(cause), at, error: (err as Error).message.split("\n")[0] });
        if (running) await pause(500);
      }
      if (running) await pause(100);
    }
  });
  return {
    table,
    service,
    user: creds.user,
    password: creds.password,
    history,
    async stop() {
      running = false;
      wake();
      await Promise.all(loops);
      ctx.signal.removeEventListener("abort", onAbort);
    },
  };
}
