/** What swarm itself shows during a fault: node states and where a service's tasks are. */
import type { RunContext } from "../context/run-context.js";
import { serviceTasks, reachableManager } from "./galera.js";
import { nodeList } from "../steps/swarm.js";
import { swarmNodeStates } from "./conditions.js";
import { LabError } from "../util/errors.js";

export async function swarmView(ctx: RunContext): Promise<{ nodes: string; tasks: string[] }> {
  const nodes = await swarmNodeStates(ctx);
  const tasks = await serviceTasks(ctx.lab)
    .then((ts) => ts.map((t) => `${t.slot}@${t.nodeHostname.split(".")[0]}:${t.state}`))
    .catch((e: Error) => [`no task list (${e.message.split("\n")[0]})`]);
  return { nodes, tasks };
}

/** The lab host that is swarm's Leader now. */
export async function leaderHost(ctx: RunContext): Promise<string> {
  const rows = await nodeList(await reachableManager(ctx.lab));
  const leader = rows.find((r) => r.managerStatus === "Leader");
  const host = ctx.lab.nodes.find((h) => h.hostname === leader?.hostname);
  if (!host) throw new LabError(`no Leader found in: ${rows.map((r) => `${r.hostname}:${r.managerStatus}`).join(" ")}`);
  return host.name;
}
