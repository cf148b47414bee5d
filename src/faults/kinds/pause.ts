import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";

export default defineFault({
  name: "pause",
  doc: "freezes every process of `host` (cgroup freezer); heal thaws it",
  fields: { host },
  takesHostOut: true,
  async apply(ctx, s) {
    await ctx.lab.power(s.host, "pause");
    return { target: s.host, paused: [s.host] };
  },
});
