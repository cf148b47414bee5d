import Docker from "dockerode";
import { existsSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { LabError } from "../util/errors.js";
import { run } from "../util/run.js";
import { waitFor } from "../util/wait.js";
import { stateDir } from "../util/paths.js";

export interface Engine {
  docker: Docker;
  /** True when this process installed or started dockerd. */
  started: boolean;
  version: string;
}

export type Log = (line: string) => void;

/** Debian packages the lab needs on the machine that runs the outer engine. */
export const ENGINE_PACKAGES = ["docker.io", "iptables", "debootstrap"];

async function ping(docker: Docker): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error("timeout")), 3000))]);
    return true;
  } catch {
    return false;
  }
}

function isDebianLike(): boolean {
  return existsSync("/etc/debian_version");
}

/** Which of the packages the lab needs are not installed (dpkg's view). */
export async function missingPackages(names = ENGINE_PACKAGES): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const r = await run(["dpkg-query", "-W", "-f=${Status}", name], { allowFailure: true });
    if (!r.stdout.includes("install ok installed")) missing.push(name);
  }
  return missing;
}

export async function installPackages(names: string[], log: Log): Promise<void> {
  if (names.length === 0) return;
  log(`installing Debian packages: ${names.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" } as Record<string, string>;
  await run(["apt-get", "update", "-qq"], { env, timeoutMs: 300_000 });
  await run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...names], { env, timeoutMs: 900_000 });
}

/**
 * Returns a working engine. One that answers is used as it is; when none answers and we are
 * root on Debian/Ubuntu, Debian's docker.io is installed and dockerd started in the background
 * with its log in the state folder.
 */
export async function ensureEngine(log: Log = () => {}): Promise<Engine> {
  const docker = new Docker();
  if (await ping(docker)) {
    return { docker, started: false, version: (await docker.version()).Version };
  }
  if (process.env.DOCKER_HOST) {
    throw new LabError(`no Docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST}`, {
      hint: "start that engine, or unset DOCKER_HOST to let the lab start a local one",
    });
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !isDebianLike()) {
    throw new LabError("no Docker engine answers at /var/run/docker.sock", {
      hint: isRoot
        ? "this is not a Debian/Ubuntu machine: install Docker Engine and start it (dockerd), then retry"
        : "run as root so the lab can install Debian's docker.io and start dockerd, or start an engine yourself",
    });
  }
  const missing = await missingPackages();
  await installPackages(missing, log);
  const logFile = join(stateDir(), "dockerd.log");
  log(`no Docker engine answered: starting dockerd in the background (log: ${logFile})`);
  const out = openSync(logFile, "a");
  const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", out, out] });
  child.unref();
  try {
    await waitFor(
      "dockerd to answer on /var/run/docker.sock",
      () => ping(docker),
      (ok) => ok,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } catch (err) {
    const tailOfLog = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-15).join("\n");
    throw new LabError(`${(err as Error).message}\ndockerd log (${logFile}):\n${tailOfLog}`);
  }
  const version = (await docker.version()).Version;
  log(`dockerd ${version} started (pid ${child.pid})`);
  return { docker, started: true, version };
}
