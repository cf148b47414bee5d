import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host, serviceName } from "../../context/fields.js";
import { processPids, taskTargets } from "../task-target.js";

export default defineFault({
  name: "process",
  doc: "sends `signal` (STOP: frozen until heal sends CONT; KILL or TERM: over at once) to `process` (default mariadbd) in the task of `service` on `host`, not touching the host",
  fields: {
    host,
    signal: z.enum(["STOP", "KILL", "TERM"]),
    process: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/).default("mariadbd").describe("a process name (its comm, up to 15 characters; default mariadbd)"),
    service: serviceName.optional(),
  },
  async apply(ctx, s) {
    const [task] = await taskTargets(ctx, s.service, s.host);
    const pids = await processPids(ctx, task!, s.process);
    const h = ctx.lab.host(s.host);
    await h.exec(["kill", `-${s.signal}`, ...pids.map(String)], { timeoutMs: 15_000 });
    const details = { task: task!.name, pids };
    if (s.signal !== "STOP") return { target: s.host, instant: true, details };
    return {
      target: s.host,
      details,
      undo: async () => {
        await h.exec(["kill", "-CONT", ...pids.map(String)], { timeoutMs: 15_000 });
        return [`${s.host}: kill -CONT ${pids.join(" ")} (${s.process} in ${task!.name})`];
      },
    };
  },
  describe: (s) => `process ${s.signal} ${s.process} on ${s.host}`,
});
