/** Powering hosts for faults and heal, through the lab (its provider decides how). */
import type { RunContext } from "../context/run-context.js";

/** The walkthrough's etcd is a plain container on docker1 (no restart policy): bring it back with its host. */
export async function startPlainContainers(ctx: RunContext, host: string): Promise<void> {
  await ctx.lab.host(host).sh("docker ps -aq --filter name=^etcd$ | xargs -r docker start", { allowFailure: true });
}

/** Starts a stopped host, waits for its engine, restarts its plain containers. */
export async function startHost(ctx: RunContext, host: string): Promise<void> {
  await ctx.lab.power(host, "start");
  await startPlainContainers(ctx, host);
}
