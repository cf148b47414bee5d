/** The task container a fault aims at inside a host: found on the host's own engine, with its PID as the host sees it. */
import type { RunContext } from "../context/run-context.js";
import { GALERA_SERVICE } from "../checks/galera.js";
import { LabError } from "../util/errors.js";

export interface TaskTarget {
  host: string;
  container: string;
  name: string;
  /** PID of the task's first process in the host's PID namespace (for nsenter and kill). */
  pid: number;
}

/** The running task containers of `service` on `host` (all hosts when none is named). */
export async function taskTargets(ctx: RunContext, service = GALERA_SERVICE, host?: string): Promise<TaskTarget[]> {
  const hosts = host ? [ctx.lab.host(host)] : await ctx.lab.liveNodes();
  const out: TaskTarget[] = [];
  for (const h of hosts) {
    const ps = await h.docker(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${service}`], { timeoutMs: 20_000 });
    for (const id of ps.stdout.split("\n").filter(Boolean)) {
      const info = await h.docker(["inspect", "-f", "{{.State.Pid}} {{.Name}}", id], { timeoutMs: 20_000 });
      const [pid, name] = info.stdout.trim().split(" ");
      if (Number(pid) > 0) out.push({ host: h.name, container: id, name: (name ?? id).replace(/^\//, ""), pid: Number(pid) });
    }
  }
  if (!out.length) {
    throw new LabError(`no running task of service ${service}${host ? ` on ${host}` : " on any live host"}: the fault has nothing to aim at`, {
      hint: `check \`docker service ps ${service}\`; a fault on a task needs the service deployed`,
    });
  }
  return out;
}

/** PIDs (as the host sees them) of the processes named `comm` inside a task container. */
export async function processPids(ctx: RunContext, t: TaskTarget, comm: string): Promise<number[]> {
  const top = await ctx.lab.host(t.host).docker(["top", t.container, "-eo", "pid,comm"], { timeoutMs: 20_000 });
  const pids = top.stdout
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter(([, c]) => c === comm)
    .map(([p]) => Number(p))
    .filter((p) => p > 0);
  if (!pids.length) throw new LabError(`no process named ${comm} in task ${t.name} on ${t.host}:\n${top.stdout}`);
  return pids;
}
