import Docker from "dockerode";
import { existsSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { LabError } from "../util/errors.js";
import { run } from "../util/run.js";
import { waitFor } from "../util/wait.js";
import { stateDir } from "../util/paths.js";
import { engineProblems, formatProblem, localMachine, remoteDockerHost, type EngineInfo, type EngineProblem, type EngineVersion } from "../hosts/dind/host-mode.js";
import { engineLocality, thisMachine, type EngineLocality } from "./locality.js";

export interface Engine {
  docker: Docker;
  /** True when this process installed or started dockerd. */
  started: boolean;
  version: string;
  /** The engine's GET /info. */
  info: EngineInfo;
  /** What engineProblems says of it (fatal ones other than too-old are logged, not refused). */
  problems: EngineProblem[];
  /** Where it runs and which of this machine's facilities apply to it (src/engine/locality.ts). */
  locality: EngineLocality;
}

export type Log = (line: string) => void;

/** Debian packages the lab needs on the machine that runs the outer engine. */
export const ENGINE_PACKAGES = ["docker.io", "iptables", "debootstrap"];

const PING_TIMEOUT_MS = 3000;

/** undefined when the engine answers; otherwise what went wrong (the error's code and message). */
async function ping(docker: Docker): Promise<string | undefined> {
  try {
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${PING_TIMEOUT_MS / 1000} s`)), PING_TIMEOUT_MS).unref())]);
    return undefined;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const msg = (e.message ?? String(err)).split("\n")[0]!;
    return e.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
  }
}

/** What to say when no engine answers: one-line message and one-line fix. Pure. */
export interface NoEngineFacts {
  /** $DOCKER_HOST, when set. */
  dockerHost?: string;
  /** What the attempt ended with ("connect ECONNREFUSED 10.1.2.3:2375", "no answer within 3 s"). */
  error?: string;
  platform: string;
  isRoot: boolean;
  debianLike: boolean;
  /** $SSH_AUTH_SOCK is set (dockerode logs in over ssh:// with the agent only). */
  sshAgent?: boolean;
}

/** What an error from a connection attempt means, in a few words. */
function plainError(error: string | undefined): string {
  if (!error) return "no answer";
  if (/ECONNREFUSED/.test(error)) return `refused: nothing listens there (${error})`;
  if (/ENOTFOUND|EAI_AGAIN/.test(error)) return `the host name does not resolve (${error})`;
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|no answer within/.test(error)) return `no route or no answer: the machine is down or a firewall drops it (${error})`;
  if (/authentication methods failed|permission denied/i.test(error)) return `the ssh login was refused (${error})`;
  if (/ENOENT/.test(error)) return `no such socket (${error})`;
  if (/EACCES/.test(error)) return `permission denied on the socket (${error}): run as root or join the docker group`;
  return error;
}

/**
 * The one-line reason and fix when no engine answers: at a DOCKER_HOST (what was tried: the
 * scheme, the address, what came back), or at the default socket (whether the lab can start one).
 */
export function noEngineMessage(f: NoEngineFacts): { message: string; hint: string } {
  if (f.dockerHost) {
    const remote = remoteDockerHost(f.dockerHost);
    const scheme = f.dockerHost.match(/^([a-z]+):\/\//i)?.[1]?.toLowerCase() ?? "tcp";
    const how =
      scheme === "ssh"
        ? `over ssh to ${remote ?? "this machine"}`
        : scheme === "unix" || scheme === "npipe"
          ? `on the socket ${f.dockerHost.replace(/^[a-z]+:\/\//i, "")}`
          : `over ${scheme} to ${f.dockerHost.replace(/^[a-z]+:\/\//i, "")}`;
    const message = `no Docker engine answers at DOCKER_HOST=${f.dockerHost} (tried ${how} for ${PING_TIMEOUT_MS / 1000} s: ${plainError(f.error)})`;
    const unset = "or unset DOCKER_HOST to use a local engine";
    let hint: string;
    if (scheme === "ssh") {
      hint = `check that \`ssh ${f.dockerHost.replace(/^ssh:\/\//i, "")} docker version\` works from here with a key in ssh-agent${f.sshAgent === false ? " (SSH_AUTH_SOCK is not set, and dockerode logs in with the agent only)" : ""}, ${unset}`;
    } else if (scheme === "unix" || scheme === "npipe") {
      hint = `start dockerd on that socket, or point DOCKER_HOST at one that exists, ${unset}`;
    } else if (remote) {
      hint = `start dockerd on ${remote} with a TCP listener (dockerd -H tcp://0.0.0.0:2375, or 2376 with TLS and DOCKER_TLS_VERIFY=1) and open that port to this machine, or use DOCKER_HOST=ssh://user@${remote}, ${unset}`;
    } else {
      hint = `start dockerd with -H ${f.dockerHost}, ${unset}`;
    }
    return { message, hint };
  }
  const where = f.platform === "linux" ? "/var/run/docker.sock" : "/var/run/docker.sock or ~/.docker/run/docker.sock";
  const message = `no Docker engine answers at ${where}${f.error ? ` (${plainError(f.error)})` : ""}`;
  if (f.platform !== "linux") {
    return { message, hint: `start Docker Desktop (or OrbStack, colima) on this ${f.platform} machine, or set DOCKER_HOST to a Linux engine; the lab starts an engine itself only on Debian/Ubuntu` };
  }
  if (!f.isRoot) return { message, hint: "run as root so the lab can install Debian's docker.io and start dockerd, or start an engine yourself" };
  if (!f.debianLike) return { message, hint: "this is not a Debian/Ubuntu machine: install Docker Engine and start it (dockerd), then retry" };
  return { message, hint: "" };
}

/** The engine's problems the lab refuses to run on (with their one-line reason and fix), from engineProblems. */
export function refusedProblems(problems: EngineProblem[]): EngineProblem[] {
  return problems.filter((p) => p.code === "too-old");
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

export interface EnsureEngineOptions {
  /** Refuse an engine older than the lab's minimum (default true; `down` and `images prune` pass false, so cleanup always works). */
  check?: boolean;
}

/** The engine's facts the lab decides with: /version, /info, its problems and where it runs. */
async function engineFacts(docker: Docker, log: Log, check: boolean): Promise<Omit<Engine, "docker" | "started">> {
  const version = (await docker.version()) as EngineVersion & { Version: string };
  const info = (await docker.info()) as EngineInfo;
  const problems = engineProblems(info, version, localMachine());
  const refused = refusedProblems(problems);
  if (check && refused.length) {
    throw new LabError(refused.map((p) => p.reason).join("; "), { hint: refused.map((p) => p.fix).join("; ") });
  }
  for (const p of problems) if (!refused.includes(p)) log(`${p.severity === "fatal" ? "warning" : "note"}: ${formatProblem(p)}`);
  return { version: version.Version, info, problems, locality: engineLocality(info, thisMachine()) };
}

/**
 * Returns a working engine. One that answers is used as it is (unless older than the lab's
 * minimum, MIN_ENGINE in hosts/dind/host-mode.ts); when none answers and we are root on
 * Debian/Ubuntu, Debian's docker.io is installed and dockerd started in the background with its
 * log in the state folder. Never starts a local engine while DOCKER_HOST is set.
 */
export async function ensureEngine(log: Log = () => {}, opts: EnsureEngineOptions = {}): Promise<Engine> {
  const check = opts.check ?? true;
  const docker = new Docker();
  const failure = await ping(docker);
  if (failure === undefined) {
    return { docker, started: false, ...(await engineFacts(docker, log, check)) };
  }
  const isRoot = process.getuid?.() === 0;
  const facts: NoEngineFacts = {
    dockerHost: process.env.DOCKER_HOST || undefined,
    error: failure,
    platform: process.platform,
    isRoot,
    debianLike: isDebianLike(),
    sshAgent: Boolean(process.env.SSH_AUTH_SOCK),
  };
  if (facts.dockerHost || process.platform !== "linux" || !isRoot || !facts.debianLike) {
    const { message, hint } = noEngineMessage(facts);
    throw new LabError(message, { hint });
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
      async () => (await ping(docker)) === undefined,
      (ok) => ok,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } catch (err) {
    const tailOfLog = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-15).join("\n");
    throw new LabError(`${(err as Error).message}\ndockerd log (${logFile}):\n${tailOfLog}`);
  }
  const described = await engineFacts(docker, log, check);
  log(`dockerd ${described.version} started (pid ${child.pid})`);
  return { docker, started: true, ...described };
}
