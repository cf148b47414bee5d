import { homedir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync, mkdirSync } from "node:fs";

/** The project root (where lab/ and scenarios/ live), found from src/ or dist/src/. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    dir = resolve(dir, "..");
    if (existsSync(join(dir, "lab", "images"))) return dir;
  }
  throw new Error("cannot find the swarm-galera-lab project root (a folder with lab/images)");
})();

/** The lab's state folder: dockerd's log, rootfs builds, probe results. */
export function stateDir(): string {
  const dir = process.env.SWARMLAB_HOME ?? join(homedir(), ".swarmlab");
  mkdirSync(dir, { recursive: true });
  return dir;
}
