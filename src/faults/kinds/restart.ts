import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { startPlainContainers } from "../power.js";

export default defineFault({
  name: "restart",
  doc: "restarts `host` at once and waits for its engine (over when the step ends: nothing to heal)",
  fields: { host },
  async apply(ctx, s) {
    await ctx.lab.power(s.host, "restart");
    await startPlainContainers(ctx, s.host);
    return { target: s.host, instant: true };
  },
});
