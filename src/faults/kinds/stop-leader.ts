import { defineFault } from "../../context/step-kinds.js";
import { leaderHost } from "../../checks/swarm-view.js";
import { grace, graceNote } from "./grace.js";

export default defineFault({
  name: "stop-leader",
  doc: "stops whichever host is swarm's Leader now (as `stop`, with an optional `grace`)",
  fields: { grace },
  takesHostOut: true,
  async apply(ctx, s) {
    const target = await leaderHost(ctx);
    ctx.formerLeader = target;
    await ctx.lab.power(target, "stop", { grace: s.grace ?? 0 });
    return { target, stopped: [target] };
  },
  describe: (s, target) => `stop-leader ${target ?? ""}${graceNote(s.grace)}`,
});
