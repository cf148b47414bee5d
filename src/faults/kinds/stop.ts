import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { grace, graceNote } from "./grace.js";

export default defineFault({
  name: "stop",
  doc: "stops `host` (its container or machine): SIGTERM then SIGKILL at once; `grace: <s>` lets its dockerd stop its containers first (a clean shutdown)",
  fields: { host, grace },
  takesHostOut: true,
  async apply(ctx, s) {
    await ctx.lab.power(s.host, "stop", { grace: s.grace ?? 0 });
    return { target: s.host, stopped: [s.host] };
  },
  describe: (s, target) => `stop ${target ?? s.host}${graceNote(s.grace)}`,
});
