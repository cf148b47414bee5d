/**
 * While a scenario runs, looks at the lab every few seconds: swarm's node states, where the Galera
 * tasks are, and each member's view. The samples become the run's timeline picture.
 */
import type { RunContext, Sample } from "../context/run-context.js";
import { nodeList } from "../steps/swarm.js";
import { reachableManager, serviceTasks } from "../checks/galera.js";
import { galeraView } from "../checks/conditions.js";
import { repeatUntilStopped, withinSeconds } from "../util/wait.js";

export type { Sample };

/** A sample never waits longer than this: a paused host must not stall the picture. */
const SAMPLE_TIMEOUT_MS = 8000;

const withTimeout = <T>(p: Promise<T>, fallback: T): Promise<T> => withinSeconds(p, SAMPLE_TIMEOUT_MS / 1000, fallback);

async function sample(ctx: RunContext): Promise<Sample> {
  const hostOf = (hostname: string) => ctx.lab.nodes.find((h) => h.hostname === hostname)?.name ?? hostname.split(".")[0]!;
  const nodes = await withTimeout(
    reachableManager(ctx.lab).then((m) => nodeList(m)),
    [],
  );
  const tasks = await withTimeout(serviceTasks(ctx.lab), []);
  const view = await withTimeout(galeraView(ctx), []);
  return {
    at: Date.now(),
    nodes: Object.fromEntries(nodes.map((n) => [hostOf(n.hostname), `${n.status}${n.managerStatus ? `/${n.managerStatus}` : ""}`])),
    members: Object.fromEntries(view.map((m) => [m.member, m.error ? "unreachable" : `${m.status} ${m.state} ${m.size}`])),
    tasks: tasks.filter((t) => t.state === "running").map((t) => `${t.slot}@${hostOf(t.nodeHostname)}`),
  };
}

export interface Sampler {
  stop(): Promise<Sample[]>;
}

export function startSampler(ctx: RunContext, intervalMs = 3000): Sampler {
  const samples: Sample[] = [];
  // A lab half-way through a fault may not answer: that sample is skipped, the next one will tell.
  const loop = repeatUntilStopped(intervalMs, async () => void samples.push(await sample(ctx)));
  return {
    async stop() {
      await loop.stop();
      return samples;
    },
  };
}
