/** Reading Galera's own words from the tasks' container logs (not from anything the lab prints). */
import type { RunContext } from "../context/run-context.js";
import { GALERA_SERVICE } from "./galera.js";
import { waitFor } from "../util/wait.js";
import { galeraAddressSet } from "./gcomm-address-set.js";

export interface TaskLogMatch {
  task: string;
  host: string;
  lines: string[];
  decisions: string[];
}

/** Searches the logs of every task container of the service (running or exited) for a pattern. */
export async function taskLogMatches(ctx: RunContext, pattern: string, service = GALERA_SERVICE, runningOnly = false): Promise<TaskLogMatch[]> {
  const re = new RegExp(pattern);
  // The hosts are asked at once (a poll took one docker ps and one docker logs per task in turn);
  // the matches keep the hosts' order.
  const perHost = await Promise.all(
    (await ctx.lab.liveNodes()).map(async (h) => {
      const found: TaskLogMatch[] = [];
      const ps = await h.docker(["ps", runningOnly ? "-q" : "-aq", "--filter", `label=com.docker.swarm.service.name=${service}`], { allowFailure: true, timeoutMs: 20_000 }).catch(() => ({ stdout: "" }));
      for (const id of ps.stdout.split("\n").filter(Boolean)) {
        const logs = await h.docker(["logs", id], { allowFailure: true, timeoutMs: 20_000 });
        const text = `${logs.stdout}\n${logs.stderr}`.split("\n");
        const lines = text.filter((l) => re.test(l));
        if (lines.length) {
          found.push({ task: id, host: h.name, lines, decisions: text.filter((l) => l.startsWith("[swarmlab-discovery]") && /"decision"|"own-address"/.test(l)) });
        }
      }
      return found;
    }),
  );
  return perHost.flat();
}

export async function waitTaskLog(ctx: RunContext, pattern: string, timeoutMs: number, service?: string) {
  const matches = await waitFor(`a task log line matching /${pattern}/`, () => taskLogMatches(ctx, pattern, service), (m) => m.length > 0, { timeoutMs, intervalMs: 1000, signal: ctx.signal }, () => "no match yet");
  return { matches };
}

export async function checkTaskLog(ctx: RunContext, pattern: string, service?: string) {
  const matches = await taskLogMatches(ctx, pattern, service);
  if (!matches.length) throw new Error(`no task log of ${service ?? GALERA_SERVICE} has a line matching /${pattern}/`);
  return { matches };
}


/**
 * For every task of the service whose log says "No address to connect": the address Galera was
 * given (from its own "Failed to open channel ... at '<address>'" line), and which of Galera's rules
 * removed each entry. Fails when the lab's reading of those rules would have kept an address.
 */
export async function checkNoAddressExplained(ctx: RunContext, service?: string) {
  const matches = await taskLogMatches(ctx, "No address to connect|Failed to open channel|Failed to resolve", service);
  const tasks = [];
  for (const m of matches) {
    if (!m.lines.some((l) => l.includes("No address to connect"))) continue;
    const opened = m.lines.map((l) => l.match(/Failed to open channel '[^']*' at '([^']*)'/)?.[1]).find(Boolean);
    if (!opened) throw new Error(`task ${m.task} on ${m.host} says "No address to connect" but its log names no address`);
    const unresolved = m.lines.map((l) => l.match(/Failed to resolve \w+:\/\/([^:\s]+)/)?.[1]).filter((h): h is string => Boolean(h));
    const explained = galeraAddressSet(opened, { unresolved });
    if (!explained.empty) {
      throw new Error(`Galera emptied ${opened} on task ${m.task}, but by the rules the lab knows it would keep ${explained.set.join(", ")}`);
    }
    tasks.push({ task: m.task, host: m.host, clusterAddress: opened, entries: explained.entries, galera: m.lines.filter((l) => /ERROR|Failed to resolve/.test(l)).slice(0, 8) });
  }
  if (!tasks.length) throw new Error(`no task of ${service ?? GALERA_SERVICE} logged "No address to connect"`);
  return { tasks };
}

/** The discovery decisions the service's tasks logged: own address and the cluster address each was given. */
export async function discoveryDecisions(ctx: RunContext, service?: string, runningOnly = false) {
  const matches = await taskLogMatches(ctx, "^\\[swarmlab-discovery\\]", service, runningOnly);
  return matches.flatMap((m) => {
    const events = m.decisions.map((l) => JSON.parse(l.replace(/^\[swarmlab-discovery\]\s*/, "")) as Record<string, unknown>);
    const own = events.find((e) => e.event === "own-address");
    const decision = [...events].reverse().find((e) => e.event === "decision");
    if (!decision) return [];
    return [{ task: m.task, host: m.host, own: String(own?.own ?? decision.own ?? decision.self ?? ""), kind: String(decision.kind), clusterAddress: String(decision.clusterAddress ?? "") }];
  });
}
