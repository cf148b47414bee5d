import { defineCheck } from "../../context/step-kinds.js";
import { probeTcp } from "../probes.js";
import { tcpFields } from "./probe-fields.js";

export default defineCheck({
  name: "tcp",
  doc: "a TCP connection to `address` (host:port) opens within 3 s, from host `on` (default the manager) or from inside a task of service `task`",
  fields: tcpFields,
  run: (ctx, s) => probeTcp(ctx, s),
});
