import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";

export default defineFault({
  name: "kill",
  doc: "SIGKILL of `host`: a power cut, nobody says goodbye",
  fields: { host },
  takesHostOut: true,
  async apply(ctx, s) {
    await ctx.lab.power(s.host, "kill");
    return { target: s.host, stopped: [s.host] };
  },
});
