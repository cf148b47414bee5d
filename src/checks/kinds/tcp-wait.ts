import { defineWait } from "../../context/step-kinds.js";
import { probeTcp } from "../probes.js";
import { tcpFields } from "./probe-fields.js";
import { waitFor } from "../../util/wait.js";

export default defineWait({
  name: "tcp",
  doc: "a TCP connection to `address` (from `on` or inside a task of `task`) opens; tried every second",
  fields: tcpFields,
  run: (ctx, s) => waitFor(`a TCP connection to ${s.address}`, () => probeTcp(ctx, s), () => true, { timeoutMs: s.timeout * 1000, intervalMs: 1000, signal: ctx.signal }),
});
