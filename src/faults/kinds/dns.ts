import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host, serviceName } from "../../context/fields.js";
import { taskTargets } from "../task-target.js";
import { allocateQueue, startDelayer, type Delayer } from "../delayer.js";
import type { Rule } from "../grudge.js";

/** Swarm's embedded DNS server inside every task's network namespace. */
const EMBEDDED_DNS = "127.0.0.11";

export default defineFault({
  name: "dns",
  doc: "swarm's embedded DNS (127.0.0.11) stops answering (`mode: drop`) or answers `delay_ms` late (`mode: delay`) inside the task of `service` on `host`, or inside every task of it; heal restores it",
  fields: {
    host: host.optional(),
    service: serviceName.optional(),
    mode: z.enum(["drop", "delay"]),
    delay_ms: z.number().int().min(1).max(60_000).optional().describe("1-60000 ms (mode delay)"),
  },
  check: (s) =>
    s.mode === "delay" && !s.delay_ms
      ? [{ field: "delay_ms", message: "mode delay needs delay_ms (how late each answer comes, 1-60000 ms)" }]
      : s.mode === "drop" && s.delay_ms
        ? [{ field: "delay_ms", message: `${s.delay_ms} given, but mode drop sends no answer at all (use mode: delay)` }]
        : [],
  async apply(ctx, s) {
    const tasks = await taskTargets(ctx, s.service, s.host);
    const rules: Rule[] = [];
    const delayers: Delayer[] = [];
    try {
      for (const t of tasks) {
        // Queries only: filter OUTPUT sees them after the NAT that sends 127.0.0.11:53 to the resolver's own port.
        if (s.mode === "drop") {
          rules.push({ host: t.host, netnsPid: t.pid, note: t.name, spec: ["OUTPUT", "-d", EMBEDDED_DNS, "-j", "DROP"] });
        } else {
          const queue = allocateQueue();
          delayers.push(await startDelayer(ctx.lab.host(t.host), { queue, delayMs: s.delay_ms!, netnsPid: t.pid }));
          rules.push({ host: t.host, netnsPid: t.pid, note: t.name, spec: ["OUTPUT", "-d", EMBEDDED_DNS, "-j", "NFQUEUE", "--queue-num", String(queue), "--queue-bypass"] });
        }
      }
    } catch (err) {
      for (const d of delayers) await d.stop().catch(() => "");
      throw err;
    }
    return {
      target: s.host,
      rules,
      route: s.mode === "delay" ? "netfilter NFQUEUE + nfq-delay in the task's network namespace" : "iptables DROP in the task's network namespace",
      details: { tasks: tasks.map((t) => `${t.name}@${t.host}`) },
      undo: delayers.length ? async () => Promise.all(delayers.map((d) => d.stop())) : undefined,
    };
  },
  describe: (s) => `dns ${s.mode}${s.delay_ms ? ` ${s.delay_ms} ms` : ""} ${s.host ?? `all tasks of ${s.service ?? "mysql-galera"}`}`,
});
