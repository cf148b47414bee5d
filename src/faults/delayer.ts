/**
 * A userspace delayer on netfilter's queue (lab/images/dind/nfq-delay.c, in every host image): it
 * holds each queued packet for delay ± jitter ms, then lets it go. The route to latency where the
 * kernel has no netem. Started detached inside a host (or inside a task's network namespace).
 */
import type { Host } from "../hosts/host.js";
import { LabError } from "../util/errors.js";

let nextQueue = 100;
/** A netfilter queue number no other active delayer of this process uses. */
export const allocateQueue = () => nextQueue++;

export interface DelayerOptions {
  queue: number;
  delayMs: number;
  jitterMs?: number;
  lossPercent?: number;
  corruptPercent?: number;
  /** Run in the network namespace of this PID (a task's), as the host sees it. */
  netnsPid?: number;
}

export interface Delayer {
  pid: number;
  stop(): Promise<string>;
}

export function delayerArgv(o: DelayerOptions): string[] {
  const argv = ["nfq-delay", "--queue", String(o.queue), "--delay-ms", String(o.delayMs)];
  if (o.jitterMs) argv.push("--jitter-ms", String(o.jitterMs));
  if (o.lossPercent) argv.push("--loss", String(o.lossPercent));
  if (o.corruptPercent) argv.push("--corrupt", String(o.corruptPercent));
  return o.netnsPid ? ["nsenter", "-t", String(o.netnsPid), "-n", ...argv] : argv;
}

export async function startDelayer(h: Host, o: DelayerOptions): Promise<Delayer> {
  const log = `/var/log/nfq-delay-${o.queue}.log`;
  const quoted = delayerArgv(o).join(" ");
  // Detached: the docker exec returns, the delayer runs on until heal stops it.
  const r = await h.sh(`nohup ${quoted} >${log} 2>&1 & echo $!`, { timeoutMs: 15_000 });
  const pid = Number(r.stdout.trim());
  // It says so once it has bound its queue; a missing binary or a refused bind shows here.
  for (let i = 0; i < 20; i++) {
    const out = await h.sh(`cat ${log} 2>/dev/null; kill -0 ${pid} 2>/dev/null && echo RUNNING`, { allowFailure: true, timeoutMs: 10_000 });
    if (/nfq-delay: queue/.test(out.stdout) && out.stdout.includes("RUNNING")) break;
    if (!out.stdout.includes("RUNNING")) throw new LabError(`the packet delayer did not start on ${h.name}: ${quoted}\n${out.stdout}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  return {
    pid,
    async stop() {
      await h.exec(["kill", "-TERM", String(pid)], { allowFailure: true, timeoutMs: 10_000 });
      const out = await h.sh(`sleep 0.3; cat ${log}`, { allowFailure: true, timeoutMs: 10_000 });
      return `${h.name}: stopped ${quoted} (${out.stdout.trim().split("\n").at(-1) ?? ""})`;
    },
  };
}
