/**
 * A vitest globalSetup (import "swarm-galera-lab/global-setup"): finds or starts the Docker engine
 * and builds the lab's images once, before any test file runs. Every GaleraSwarm.start() then finds
 * them current, and test files running side by side never build the same image at once.
 *
 *   // vitest.config.mjs
 *   export default defineConfig({ test: { globalSetup: ["./global-setup.mjs"] } });
 *   // global-setup.mjs
 *   export { default } from "swarm-galera-lab/global-setup";
 */
import { ensureEngine } from "../engine/engine.js";
import { buildImages } from "../images/build.js";

export async function setup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`swarmlab: ${line}\n`);
  const engine = await ensureEngine(log);
  log(`Docker engine ${engine.version}${engine.started ? " (started by the lab)" : ""}`);
  const images = await buildImages(engine.docker, log);
  const built = images.filter((i) => i.built);
  log(built.length ? `built ${built.map((i) => `${i.name} (${i.seconds.toFixed(0)} s)`).join(", ")}` : "images current");
}

export default setup;
