#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist/ by `npm run build`).
import { main } from "../dist/src/cli/main.js";
process.exitCode = await main(process.argv);
// A finished command must end. Should anything still hold the event loop (a socket to a host the
// run removed), say so, name what it is, and exit; the timer itself does not keep the process alive.
setTimeout(() => {
  process.stderr.write(`swarmlab: something was still open 10 s after the command ended (a bug: please report it): ${openHandles()}; exiting\n`);
  process.exit();
}, 10_000).unref();

/** What holds the event loop: resource types, and a socket's peer where there is one. */
function openHandles() {
  const sockets = (process._getActiveHandles?.() ?? [])
    .filter((h) => h && typeof h === "object" && "remoteAddress" in h && h.remoteAddress)
    .map((h) => `socket to ${h.remoteAddress}:${h.remotePort}`);
  const types = process.getActiveResourcesInfo().filter((t) => t !== "Timeout" && t !== "TTYWrap");
  return [...sockets, ...types].join(", ") || "a timer";
}
