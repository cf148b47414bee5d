/**
 * The library API: a lab is three docker-in-docker hosts (optionally a swarm with the overlay
 * network mynet). The CLI is a thin layer over this.
 */
import type Docker from "dockerode";
import { ensureEngine, type Log } from "./engine/engine.js";
import { buildImages, tagOf } from "./images/build.js";
import { createHosts, engineVolumeOf, findLab, removeLab, DEFAULT_COMPOSE_FILE } from "./hosts/dind/containers.js";
import { DindProvider } from "./hosts/dind/dind-provider.js";
import { hostByName, type Host, type HostProvider, type LabHosts, type PowerOp, type RemovalSummary } from "./hosts/host.js";
import { DEFAULT_LAB, validateLabName } from "./hosts/naming.js";
import { createOverlay, managerJoinToken, swarmInit, swarmJoin, waitSwarmReady, workerJoinToken } from "./steps/swarm.js";
import { loadImagesIntoHosts } from "./steps/images.js";
import { prefillVolume, saveCache, usableCache } from "./images/host-cache.js";
import { Progress } from "./report/progress.js";
import { startRegistry } from "./steps/registry.js";
import { SshProvider } from "./hosts/ssh/ssh-provider.js";
import { loadInventory } from "./hosts/ssh/inventory.js";
import { preflight } from "./hosts/ssh/preflight.js";
import { hostsFitProblem, readCompose, topologyForSize } from "./hosts/compose.js";
import { resolveLabSize } from "./hosts/size.js";
import { LabError } from "./util/errors.js";

export const OVERLAY_NETWORK = "mynet";

export interface StartLabOptions {
  name?: string;
  swarm?: boolean;
  subnet?: string;
  composeFile?: string;
  /** How many hosts, docker1..dockerN (1..9; default the compose file's three; beyond it they follow its pattern). */
  hosts?: number;
  /** How many of them are swarm managers (odd, at most `hosts`; default 3, or 1 for fewer than 3 hosts); the rest join as workers. */
  managers?: number;
  /** What to do when the lab already exists. */
  ifExists?: "reuse" | "replace" | "fail";
  /** Machines over SSH instead of docker-in-docker hosts: an inventory file (see docs/real-hosts.md). */
  inventory?: string;
  /** With an inventory: take machines already in a swarm (they leave it). */
  force?: boolean;
  /** Also start the lab's own registry on the manager (<manager>:5000). */
  registry?: boolean;
  /** Leave a half-made lab in place when `up` fails or is interrupted. */
  keep?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
}

export class Lab implements AsyncDisposable {
  constructor(
    /** Where the hosts come from: docker-in-docker containers, or machines over SSH. */
    readonly provider: HostProvider,
    readonly hosts: LabHosts,
    /** Remove the lab on dispose (false when the user asked to keep it). */
    public removeOnDispose = true,
  ) {}

  /** The outer engine (docker-in-docker labs only): what holds the hosts' containers. */
  get docker(): Docker {
    if (this.provider instanceof DindProvider) return this.provider.docker;
    throw new LabError(`lab ${this.name} runs on ${this.provider.kind} hosts: there is no outer engine`);
  }

  get name(): string {
    return this.hosts.name;
  }

  host(name: string): Host {
    return hostByName(this.hosts, name);
  }

  get nodes(): Host[] {
    return this.hosts.hosts;
  }

  /**
   * The hosts that run and are not frozen, asked of the provider (milliseconds for dind).
   * A stopped or frozen host's API does not refuse, it stalls until a timeout: skip it instead.
   */
  liveNodes(): Promise<Host[]> {
    return this.provider.live(this.nodes);
  }

  /** Stops, kills, freezes, thaws, starts or restarts a host (start and restart wait for its engine). */
  power(host: string, op: PowerOp, opts: { grace?: number; signal?: AbortSignal } = {}): Promise<void> {
    return this.provider.power(this.host(host), op, opts);
  }

  /** The first host, where the walkthrough types its manager commands. */
  get manager(): Host {
    return this.hosts.hosts[0]!;
  }

  async down(): Promise<RemovalSummary> {
    return this.provider.remove(this.name);
  }

  /** Closes the provider's connections (SSH): the process can exit. */
  async close(): Promise<void> {
    await this.provider.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (this.removeOnDispose) await this.down();
    } finally {
      await this.close();
    }
  }
}

/** Hosts are running swarm managers already? Used to reuse a lab. */
async function isSwarmReady(lab: LabHosts): Promise<boolean> {
  try {
    await waitSwarmReady(lab.hosts[0]!, lab.hosts.length, 3000, undefined, lab.managers ?? lab.hosts.length);
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns bare hosts into the walkthrough's swarm: init on docker1, the next hosts join as managers
 * (the walkthrough's three all do), any beyond `lab.managers` join with the worker token; mynet.
 */
export async function formSwarm(lab: LabHosts, progress: Progress): Promise<void> {
  const [first, ...rest] = lab.hosts;
  if (!first) throw new LabError("the lab has no hosts");
  const managers = lab.managers ?? lab.hosts.length;
  await progress.step(`docker swarm init --advertise-addr ${first.address} (on ${first.name})`, () => swarmInit(first));
  const token = await progress.step("docker swarm join-token manager", () => managerJoinToken(first));
  const workerToken = managers < lab.hosts.length ? await progress.step("docker swarm join-token worker", () => workerJoinToken(first)) : "";
  for (const [i, h] of rest.entries()) {
    const asManager = i + 1 < managers;
    await progress.step(`docker swarm join --token ... ${first.address}:2377 (on ${h.name}, as a ${asManager ? "manager" : "worker"})`, () =>
      swarmJoin(h, asManager ? token : workerToken, first.address),
    );
  }
  const workers = lab.hosts.length - managers;
  await progress.step(`${managers} manager${managers === 1 ? "" : "s"} Ready, one Leader${workers ? `; ${workers} worker${workers === 1 ? "" : "s"} Ready` : ""}`, () =>
    waitSwarmReady(first, lab.hosts.length, 60_000, undefined, managers),
  );
  await progress.step(`docker network create --driver overlay ${OVERLAY_NETWORK}`, () => createOverlay(first, OVERLAY_NETWORK));
}

/** Engine, images, hosts, and (with swarm) the walkthrough's swarm and overlay. */
export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  if (opts.inventory) return startSshLab(opts.inventory, opts);
  const name = validateLabName(opts.name ?? DEFAULT_LAB);
  // The size is refused before anything is made: out of 1..9, an even or too large manager count, a subnet too small.
  const file = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  const size = resolveLabSize({ hosts: opts.hosts, managers: opts.managers }, file.hosts.length);
  const sized = topologyForSize(file, size.hosts);
  const tooSmall = opts.subnet ? hostsFitProblem(sized, opts.subnet) : undefined;
  if (tooSmall) throw new LabError(`--subnet: ${tooSmall}`, { hint: "pass a /24 (the hosts keep the file's host part: .201 upward)" });
  const progress = opts.progress ?? new Progress();
  const log: Log = (l) => progress.note(l);
  const engine = await progress.step("Docker engine", () => ensureEngine(log), (e) => `${e.version}${e.started ? " (started by the lab)" : ""}`);
  const docker = engine.docker;
  await progress.step("images (built from Debian packages, reused when unchanged)", () => buildImages(docker, log), (r) =>
    r.filter((i) => i.built).length ? `built ${r.filter((i) => i.built).map((i) => i.name).join(", ")}` : "all current",
  );

  const existing = await findLab(docker, name, opts.composeFile);
  if (existing) {
    const how = opts.ifExists ?? "fail";
    if (how === "fail") {
      throw new LabError(`lab ${name} already exists (${existing.hosts.map((h) => h.id).join(", ")})`, {
        hint: "use --reuse to keep it, --replace to make it anew, or `swarmlab down` first",
      });
    }
    // A lab of another size is never reused: its hosts or roles are not the ones asked for.
    const sameSize = existing.hosts.length === size.hosts && (existing.managers ?? existing.hosts.length) === size.managers;
    if (how === "reuse" && !sameSize) {
      progress.note(`lab ${name} has ${existing.hosts.length} hosts (${existing.managers ?? existing.hosts.length} managers), asked for ${size.hosts} (${size.managers}): replacing it`);
    } else if (how === "reuse") {
      const swarmOk = !opts.swarm || (await isSwarmReady(existing));
      if (swarmOk) {
        progress.note(`reusing lab ${name}`);
        const lab = new Lab(new DindProvider(docker), existing, false);
        if (opts.registry) await progress.step("the lab's registry on the manager", () => startRegistry(lab, opts.signal), (a) => a);
        return lab;
      }
      progress.note(`lab ${name} exists but its swarm is not ready: replacing it`);
    }
    await progress.step(`remove existing lab ${name}`, () => removeLab(docker, name));
  }

  try {
    const imageTags = [tagOf("galera"), tagOf("etcd")];
    const cache = await usableCache(docker, imageTags, engine.locality);
    if (!engine.locality.local) progress.note(`host image cache: ${engine.locality.facilities["volume-paths"].detail}`);
    const what = `hosts ${sized.hosts.length === 1 ? sized.hosts[0]!.service : `${sized.hosts[0]!.service}..${sized.hosts.at(-1)!.service}`} from docker-compose.dind.yml${sized.hosts.length > file.hosts.length ? " (beyond its hosts, their pattern)" : ""}`;
    const hosts = await progress.step(
      cache ? `${what} (images from the host image cache)` : what,
      () =>
        createHosts(docker, {
          name,
          subnet: opts.subnet,
          composeFile: opts.composeFile,
          hosts: size.hosts,
          managers: size.managers,
          dindImage: tagOf("dind"),
          locality: engine.locality,
          log,
          signal: opts.signal,
          prefillEngineVolume: cache ? async (v) => void (await prefillVolume(docker, cache, v)) : undefined,
        }),
      (h) => `${h.hosts.map((x) => `${x.id}=${x.address}`).join(" ")} [${h.mode}]`,
    );
    await progress.step("images into every host (docker save | docker load)", () =>
      loadImagesIntoHosts([
        { tag: tagOf("galera"), hosts: hosts.hosts },
        // the walkthrough runs etcd on docker1 only
        { tag: tagOf("etcd"), hosts: hosts.hosts.filter((h) => h.name === "docker1") },
      ]),
    );
    if (!cache) {
      // Keep docker1's freshly loaded images (it holds them all) for the next lab; best effort.
      const spec = hosts.topology.hosts.find((h) => h.service === "docker1");
      const volume = spec ? engineVolumeOf(name, spec) : undefined;
      if (volume) await saveCache(docker, imageTags, volume, engine.locality).catch((e: Error) => progress.note(`image cache not kept: ${e.message.split("\n")[0]}`));
    }
    opts.signal?.throwIfAborted();
    if (opts.swarm) await formSwarm(hosts, progress);
    const lab = new Lab(new DindProvider(docker), hosts);
    if (opts.registry) await progress.step("the lab's registry on the manager (Debian's docker-registry)", () => startRegistry(lab, opts.signal), (a) => a);
    return lab;
  } catch (err) {
    if (!opts.keep) {
      await removeLab(docker, name).catch(() => {});
      progress.note(`removed the half-made lab ${name} (pass --keep to leave it for inspection)`);
    }
    throw err;
  }
}

/** The lab as it runs now, or an error that says how to make one. */
/** The lab's hosts from an inventory: machines over SSH (the walkthrough's names, their own addresses). */
function sshLabHosts(name: string, provider: SshProvider, composeFile?: string): LabHosts {
  const topology = readCompose(composeFile ?? DEFAULT_COMPOSE_FILE);
  const first = provider.hosts[0]!.address.split(".").slice(0, 3).join(".");
  return { name, subnet: `${first}.0/24`, network: "", mode: "ssh", hosts: provider.hosts, topology };
}

/**
 * A lab on machines over SSH: no engine of this machine is used (images come from the archives
 * `setup` made). Refused before anything changes when a machine is unreachable, has no engine, or
 * is in a swarm of its own; what each machine had is recorded so `down` leaves it as it was.
 */
async function startSshLab(inventoryFile: string, opts: StartLabOptions): Promise<Lab> {
  const name = validateLabName(opts.name ?? DEFAULT_LAB);
  const progress = opts.progress ?? new Progress();
  const topology = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  // The inventory's machines are the compose file's hosts: a size is only their roles.
  const size = resolveLabSize({ hosts: opts.hosts, managers: opts.managers }, topology.hosts.length);
  if (size.hosts !== topology.hosts.length) {
    throw new LabError(`--size ${size.hosts}: a lab on machines over SSH has the inventory's ${topology.hosts.length} hosts (${topology.hosts.map((h) => h.service).join(", ")})`);
  }
  const inventory = loadInventory(inventoryFile, topology.hosts.map((h) => h.service));
  const provider = new SshProvider(inventory);
  const lab = new Lab(provider, { ...sshLabHosts(name, provider, opts.composeFile), managers: size.managers });
  try {
    const own = await provider.hasLab(name).catch(() => false);
    await progress.step(`machines from ${inventoryFile}: reachable, an engine, no swarm of their own`, () => preflight(provider.hosts, { force: opts.force, ownLab: own }), () => provider.hosts.map((h) => `${h.name}=${h.id}`).join(" "));
    if (own) {
      if ((opts.ifExists ?? "fail") === "fail") throw new LabError(`lab ${name} is already on these machines`, { hint: "use --replace, or `swarmlab --hosts <inventory> down` first" });
      if (opts.ifExists === "reuse" && (!opts.swarm || (await isSwarmReady(lab.hosts)))) {
        lab.removeOnDispose = false;
        return lab;
      }
      await progress.step(`remove lab ${name} from the machines`, () => provider.remove(name));
    } else if (opts.force) {
      // Machines in a swarm of their own: they leave it first (asked for with --force).
      await Promise.all(provider.hosts.map((h) => h.docker(["swarm", "leave", "--force"], { allowFailure: true })));
    }
    await progress.step("record what each machine has (down removes only what the lab adds)", () => provider.recordBefore(name));
    const loaded = await progress.step("images into every machine over SSH (only what a machine lacks)", () =>
      loadImagesIntoHosts([
        { tag: tagOf("galera"), hosts: provider.hosts },
        { tag: tagOf("etcd"), hosts: provider.hosts.filter((h) => h.name === "docker1") },
      ]),
    );
    for (const l of loaded) {
      const [tag, host] = l.split(" -> ");
      await provider.noteLoadedImage(host!, tag!, name);
      await provider.noteLoadedImage(host!, `${tag!.split(":")[0]}:latest`, name);
    }
    opts.signal?.throwIfAborted();
    if (opts.swarm) await formSwarm(lab.hosts, progress);
    return lab;
  } catch (err) {
    if (!opts.keep) await provider.remove(name).catch(() => {});
    await provider.close();
    throw err;
  }
}

export async function openLab(name = DEFAULT_LAB, inventory?: string): Promise<Lab> {
  if (inventory) {
    const provider = new SshProvider(loadInventory(inventory, readCompose(DEFAULT_COMPOSE_FILE).hosts.map((h) => h.service)));
    if (!(await provider.hasLab(validateLabName(name)))) {
      await provider.close();
      throw new LabError(`no lab named ${name} is on the machines of ${inventory}`, { hint: `start one with \`swarmlab --hosts ${inventory} up --swarm\`` });
    }
    return new Lab(provider, sshLabHosts(name, provider), false);
  }
  const { docker } = await ensureEngine();
  const hosts = await findLab(docker, validateLabName(name));
  if (!hosts) throw new LabError(`no lab named ${name} is running`, { hint: "start one with `swarmlab up --swarm`" });
  return new Lab(new DindProvider(docker), hosts, false);
}
