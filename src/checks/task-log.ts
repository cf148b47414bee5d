/** Reading Galera's own words from the tasks' container logs (not from anything the lab prints). */
import type { RunContext } from "../scenarios/context.js";
import { GALERA_SERVICE } from "./galera.js";
import { waitFor } from "../util/wait.js";

export interface TaskLogMatch {
  task: string;
  host: string;
  lines: string[];
  decisions: string[];
}

/** Searches the logs of every task container of the service (running or exited) for a pattern. */
export async function taskLogMatches(ctx: RunContext, pattern: string, service = GALERA_SERVICE): Promise<TaskLogMatch[]> {
  const re = new RegExp(pattern);
  const out: TaskLogMatch[] = [];
  for (const h of ctx.lab.nodes) {
    const ps = await h.docker(["ps", "-aq", "--filter", `label=com.docker.swarm.service.name=${service}`], { allowFailure: true, timeoutMs: 20_000 }).catch(() => ({ stdout: "" }));
    for (const id of ps.stdout.split("\n").filter(Boolean)) {
      const logs = await h.docker(["logs", id], { allowFailure: true, timeoutMs: 20_000 });
      const text = `${logs.stdout}\n${logs.stderr}`.split("\n");
      const lines = text.filter((l) => re.test(l));
      if (lines.length) {
        out.push({ task: id, host: h.name, lines, decisions: text.filter((l) => l.startsWith("[swarmlab-discovery]") && /"decision"|"own-address"/.test(l)) });
      }
    }
  }
  return out;
}

export async function waitTaskLog(ctx: RunContext, pattern: string, timeoutMs: number, service?: string) {
  const matches = await waitFor(`a task log line matching /${pattern}/`, () => taskLogMatches(ctx, pattern, service), (m) => m.length > 0, { timeoutMs, intervalMs: 2000 }, () => "no match yet");
  return { matches };
}

export async function checkTaskLog(ctx: RunContext, pattern: string, service?: string) {
  const matches = await taskLogMatches(ctx, pattern, service);
  if (!matches.length) throw new Error(`no task log of ${service ?? GALERA_SERVICE} has a line matching /${pattern}/`);
  return { matches };
}

