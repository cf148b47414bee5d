/** Every fault kind a scenario can name. Adding one: a file here and a line below. */
import type { AnyFaultKind } from "../../context/step-kinds.js";
import stop from "./stop.js";
import stopLeader from "./stop-leader.js";
import kill from "./kill.js";
import pause from "./pause.js";
import restart from "./restart.js";
import ports from "./ports.js";
import isolate from "./isolate.js";
import split from "./split.js";
import link from "./link.js";
import clock from "./clock.js";
import disk from "./disk.js";
import dns from "./dns.js";
import mtu from "./mtu.js";
import processFault from "./process.js";

export const FAULTS: readonly AnyFaultKind[] = [stop, stopLeader, kill, pause, restart, ports, isolate, split, link, clock, disk, dns, mtu, processFault];
