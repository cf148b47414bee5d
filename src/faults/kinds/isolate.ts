import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { isolateRules } from "../grudge.js";
import { direction } from "./direction.js";

export default defineFault({
  name: "isolate",
  doc: "drops everything between `host` and the other lab hosts (`direction` in, out or both)",
  fields: { host, direction },
  takesHostOut: true,
  async apply(ctx, s) {
    const others = ctx.lab.nodes.filter((h) => h.name !== s.host).map((h) => h.address);
    return { target: s.host, rules: isolateRules(s.host, others, s.direction) };
  },
  describe: (s) => `isolate ${s.host} (${s.direction})`,
});
