/**
 * Probes for any service, not only the seed's: an HTTP GET, a TCP connect (from a host, or from
 * inside a task of a service) and a SQL query on every running task of a MySQL-protocol service.
 */
import type { RunContext } from "../context/run-context.js";
import type { Host } from "../hosts/host.js";
import { galeraMembers, memberLabel, connect, hangUp, MemberError } from "./galera.js";
import { serviceCredentials } from "./credentials.js";
import { taskTargets } from "../faults/task-target.js";
import { LabError } from "../util/errors.js";

/** Where a probe runs: a host's own shell, or inside the first running task of a service. */
export interface ProbeFrom {
  on?: string;
  task?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function runProbe(ctx: RunContext, from: ProbeFrom, command: string): Promise<{ host: Host; where: string; stdout: string; exitCode: number }> {
  if (from.task) {
    const [t] = await taskTargets(ctx, from.task);
    const host = ctx.lab.host(t!.host);
    const r = await host.docker(["exec", t!.container, "sh", "-c", command], { allowFailure: true, timeoutMs: 30_000, signal: ctx.signal });
    return { host, where: `task ${t!.name} on ${t!.host}`, stdout: `${r.stdout}${r.stderr ? `\n${r.stderr}` : ""}`, exitCode: r.exitCode };
  }
  const host = from.on ? ctx.lab.host(from.on) : ctx.lab.manager;
  const r = await host.sh(command, { allowFailure: true, timeoutMs: 30_000, signal: ctx.signal });
  return { host, where: host.name, stdout: `${r.stdout}${r.stderr ? `\n${r.stderr}` : ""}`, exitCode: r.exitCode };
}

/** GET url; the answer's status and body must match what the step expects. */
export async function probeHttp(ctx: RunContext, s: ProbeFrom & { url: string; status?: number; body?: string }): Promise<Record<string, unknown>> {
  // curl where there is one, else busybox/wget; the status code on the last line.
  // The status on a line of its own first, then the body (curl), or wget's headers (-S) and body.
  const cmd = `if command -v curl >/dev/null; then echo "HTTP_STATUS=$(curl -s -m 10 -o /tmp/.swl-body -w '%{http_code}' ${quote(s.url)})"; cat /tmp/.swl-body; else wget -q -S -T 10 -O - ${quote(s.url)} 2>&1; fi`;
  const r = await runProbe(ctx, s, cmd);
  const code = Number(r.stdout.match(/^HTTP_STATUS=(\d{3})/m)?.[1] ?? r.stdout.match(/HTTP\/\S+ (\d{3})/)?.[1] ?? 0);
  const problems: string[] = [];
  if (code === 0) problems.push(`no HTTP answer (${r.stdout.trim().split("\n").at(-1) ?? ""})`);
  if (s.status !== undefined && code !== s.status) problems.push(`status ${code}, expected ${s.status}`);
  if (s.body && !new RegExp(s.body, "m").test(r.stdout)) problems.push(`body does not match /${s.body}/`);
  if (problems.length) throw new LabError(`GET ${s.url} from ${r.where}: ${problems.join("; ")}\n${r.stdout.slice(0, 2000)}`);
  return { url: s.url, from: r.where, status: code };
}

/** A TCP connection to host:port opens within 3 s. */
export async function probeTcp(ctx: RunContext, s: ProbeFrom & { address: string }): Promise<Record<string, unknown>> {
  const [h, p] = [s.address.slice(0, s.address.lastIndexOf(":")), s.address.slice(s.address.lastIndexOf(":") + 1)];
  const cmd = `if command -v bash >/dev/null; then timeout 3 bash -c ${quote(`</dev/tcp/${h}/${p}`)}; else nc -z -w 3 ${quote(h)} ${quote(p)}; fi && echo CONNECTED`;
  const r = await runProbe(ctx, s, cmd);
  if (!r.stdout.includes("CONNECTED")) throw new LabError(`no TCP connection to ${s.address} from ${r.where} within 3 s${r.stdout.trim() ? `: ${r.stdout.trim()}` : ""}`);
  return { address: s.address, from: r.where };
}

/** A query on every running task of a MySQL-protocol service (through its published port); each first value must match `expect`. */
export async function probeSql(ctx: RunContext, s: { service: string; query: string; expect?: string; user?: string; password?: string; database?: string; members?: number }): Promise<Record<string, unknown>> {
  const members = (await galeraMembers(ctx.lab, s.service)).filter((m) => !m.hostDown);
  if (!members.length) throw new LabError(`service ${s.service} has no running task to query`);
  if (s.members !== undefined && members.length !== s.members) throw new LabError(`service ${s.service} has ${members.length} running tasks, expected ${s.members}`);
  const creds = await serviceCredentials(ctx, s.service, s);
  const answers: Record<string, string> = {};
  const problems: string[] = [];
  for (const m of members) {
    try {
      const c = await connect(m, creds);
      try {
        const [rows] = await c.query({ sql: s.query, timeout: 10_000, rowsAsArray: true });
        const first = Array.isArray(rows) && Array.isArray(rows[0]) ? String((rows[0] as unknown[])[0]) : "";
        answers[memberLabel(m)] = first;
        if (s.expect && !new RegExp(s.expect).test(first)) problems.push(`${memberLabel(m)} answered ${JSON.stringify(first)}, not /${s.expect}/`);
      } catch (err) {
        throw err instanceof MemberError ? err : new MemberError(`query ${JSON.stringify(s.query)}`, m, err);
      } finally {
        hangUp(c);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new LabError(`sql on ${s.service}: ${problems.join("; ")}`);
  return { service: s.service, query: s.query, answers };
}
