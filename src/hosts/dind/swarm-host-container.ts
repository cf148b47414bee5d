/**
 * A lab host as a testcontainers container: the one way a docker-in-docker host is created (the CLI's
 * `up` and the GaleraSwarm module both go through createHosts, which uses this class).
 *
 * What testcontainers has a builder for goes through the builder; what it has none for (the fixed
 * IPv4 address on the lab network, the private cgroup namespace, device cgroup rules, empty masked
 * and read-only paths, a log driver with options) is set on the create request through the
 * protected `createOpts` and `hostConfig` that GenericContainer keeps for its subclasses.
 */
import "./testcontainers-env.js";
import type Docker from "dockerode";
import type { ContainerCreateOptions } from "dockerode";
import { GenericContainer, ImageName, PullPolicy, getContainerRuntimeClient, type StartedTestContainer, type WaitStrategy } from "testcontainers";
import type { HostSpec } from "../compose.js";
import type { HostMode } from "./host-mode.js";
import { HOST_LABEL, labLabels, volumeName } from "../naming.js";
import { HostNode, INNER_API_PORT } from "./dind-host.js";
import type { HostReach } from "./engine-relay.js";
import { INNER_ENGINE_TIMEOUT_MS, waitForInnerEngine } from "./inner-engine.js";
import { LabError, isAbort } from "../../util/errors.js";

export interface SwarmHostOptions {
  /** The lab's name (swarmlab.lab label, volume names). */
  lab: string;
  /** The host as docker-compose.dind.yml describes it. */
  spec: HostSpec;
  /** The container's name (docker1, or <lab>-docker1). */
  container: string;
  /** Its fixed IPv4 address on the lab network. */
  address: string;
  /** The lab network (created by createHosts before any host). */
  network: string;
  subnet: string;
  mode: HostMode;
  /** <manager>:5000, the lab's registry every host's dockerd trusts. */
  registry: string;
  /** How this machine reaches the host's engine (engine-relay.ts); direct by default. */
  reach?: HostReach;
  extraLabels?: Record<string, string>;
  /** The lab's engine client: testcontainers must act on the same engine. */
  docker: Docker;
  signal?: AbortSignal;
}

/** The host's binds: compose's host paths (no cgroup bind under --privileged) and the lab's named volumes. */
function bindMounts(o: SwarmHostOptions, privileged: boolean): Array<{ source: string; target: string; mode?: "rw" | "ro" | "z" | "Z" }> {
  const hostPaths = o.spec.binds
    // Under --privileged on cgroup v2 the container has its own cgroup namespace: no host bind.
    .filter((b) => !(privileged && b.startsWith("/sys/fs/cgroup")))
    .map((b) => {
      const [source = "", target = "", mode] = b.split(":");
      // compose's mode goes through as written (testcontainers writes source:target:mode)
      return { source, target, mode: (mode || "rw") as "rw" };
    });
  const volumes = o.spec.volumes.map(([vol, target]) => ({ source: volumeName(o.lab, vol), target }));
  return [...hostPaths, ...volumes];
}

/**
 * Waits for the host's own dockerd the lab's way (`docker info` inside the host, every 500 ms, 90 s).
 * A dockerd that never answers is not reported from here: testcontainers removes a container that
 * fails its wait strategy, and `up --keep` must leave that host for inspection. The failure is kept
 * and thrown by SwarmHostContainer.containerStarted, after testcontainers' own handling.
 */
class InnerDockerdWait implements WaitStrategy {
  private timeoutMs = INNER_ENGINE_TIMEOUT_MS;
  private timeoutSet = false;
  failed?: { error: unknown };
  constructor(
    private readonly host: HostNode,
    private readonly signal?: AbortSignal,
  ) {}

  async waitUntilReady(): Promise<void> {
    this.failed = undefined;
    try {
      await waitForInnerEngine(this.host, this.signal, this.timeoutMs);
    } catch (error) {
      this.failed = { error };
    }
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.timeoutMs = startupTimeoutMs;
    this.timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }

  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

/** testcontainers and the lab act on one engine: compared once per lab engine client (engine IDs). */
const engineChecks = new WeakMap<Docker, Promise<void>>();

function assertSameEngine(docker: Docker): Promise<void> {
  let check = engineChecks.get(docker);
  if (!check) {
    check = (async () => {
      let client;
      try {
        client = await getContainerRuntimeClient();
      } catch (err) {
        throw new LabError(`testcontainers finds no Docker engine: ${(err as Error).message}`, {
          hint: "set DOCKER_HOST to the lab's engine (or leave it unset for /var/run/docker.sock), and run `swarmlab doctor`",
          cause: err,
        });
      }
      type EngineId = { ID?: string; Name?: string };
      const [ours, theirs] = (await Promise.all([docker.info(), client.container.dockerode.info()])) as [EngineId, EngineId];
      if (ours.ID !== theirs.ID) {
        throw new LabError(
          `testcontainers talks to another Docker engine (${theirs.Name ?? "?"}, id ${theirs.ID ?? "?"}) than the lab (${process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock"}: ${ours.Name ?? "?"}, id ${ours.ID ?? "?"})`,
          { hint: "point both at one engine: set DOCKER_HOST, and remove tc.host and docker.host from ~/.testcontainers.properties" },
        );
      }
    })();
    engineChecks.set(docker, check);
    // A failed check is not remembered: the next lab asks again.
    check.catch(() => engineChecks.delete(docker));
  }
  return check;
}

export class SwarmHostContainer extends GenericContainer {
  /** The host as the lab drives it once it runs (commands, its inner engine's API). */
  readonly host: HostNode;
  private readonly dockerdWait: InnerDockerdWait;

  constructor(
    image: string,
    private readonly o: SwarmHostOptions,
  ) {
    super(image);
    const { spec } = o;
    const privileged = o.mode === "privileged" || spec.privileged;
    this.host = new HostNode(spec.service, o.container, spec.hostname, o.address, o.reach);
    this.dockerdWait = new InnerDockerdWait(this.host, o.signal);
    this.withName(o.container)
      .withHostname(spec.hostname)
      // --tls=false: an explicit choice skips dockerd's deliberate start-up delay for plain TCP (lab bridge only).
      .withCommand([`--host=tcp://0.0.0.0:${INNER_API_PORT}`, "--tls=false", `--insecure-registry=${o.registry}`])
      .withLabels(labLabels(o.lab, { [HOST_LABEL]: spec.service, "swarmlab.subnet": o.subnet, "swarmlab.mode": o.mode, ...o.extraLabels }))
      // Not withNetworkAliases: with aliases testcontainers creates the container on the default
      // bridge and connects it afterwards, without the fixed address. The endpoint is set below.
      .withNetworkMode(o.network)
      .withBindMounts(bindMounts(o, privileged))
      // The CLI's systempaths=unconfined is no API security option: it means empty masked/read-only paths.
      .withSecurityOpt(...spec.securityOpt.filter((s) => s !== "systempaths=unconfined"))
      // PullPolicy has no "never" in testcontainers 11: start() refuses a missing image before
      // testcontainers would pull it, and the default policy never pulls an image that is there.
      .withPullPolicy(PullPolicy.defaultPolicy())
      // A host outlives a stop: the lab's power faults stop and start it; removal is the lab's.
      .withAutoRemove(false)
      .withStartupTimeout(INNER_ENGINE_TIMEOUT_MS)
      .withWaitStrategy(this.dockerdWait);
    if (privileged) {
      this.withPrivilegedMode();
      // Nested cgroups need a cgroup namespace of the host's own (the entrypoint refuses otherwise).
      // No builder method, and dockerode's HostConfig type lacks the field.
      Object.assign(this.hostConfig, { CgroupnsMode: "private" });
    } else {
      this.withAddedCapabilities(...spec.capAdd).withDroppedCapabilities(...spec.capDrop);
      this.hostConfig.DeviceCgroupRules = spec.deviceCgroupRules;
    }
    if (spec.securityOpt.includes("systempaths=unconfined")) {
      this.hostConfig.MaskedPaths = [];
      this.hostConfig.ReadonlyPaths = [];
    }
    // The inner engine keeps swarm state and images: no log growth from the outer side.
    // (withDefaultLogDriver() would set json-file without max-size.)
    this.hostConfig.LogConfig = { Type: "json-file", Config: { "max-size": "10m" } };
    this.createOpts.NetworkingConfig = {
      EndpointsConfig: { [o.network]: { IPAMConfig: { IPv4Address: o.address }, Aliases: [spec.service, spec.hostname] } },
    };
  }

  /**
   * What this host asks the engine for, as testcontainers will send it (its own org.testcontainers.*
   * labels are added by start()). For tests and `swarmlab doctor`-style explanations.
   */
  get createRequest(): ContainerCreateOptions {
    return { ...this.createOpts, HostConfig: { ...this.hostConfig, NetworkMode: this.networkMode } };
  }

  /** Creates and starts the host, then waits for its dockerd; failures worded as the lab words them. */
  override async start(): Promise<StartedTestContainer> {
    this.o.signal?.throwIfAborted();
    await assertSameEngine(this.o.docker);
    const client = await getContainerRuntimeClient();
    if (!(await client.image.exists(ImageName.fromString(this.imageName.string)))) {
      throw new LabError(`cannot start host ${this.o.container}: image ${this.imageName.string} is not on this engine (the lab builds its images and never pulls them)`, {
        hint: "run `swarmlab setup` to build the lab's images",
      });
    }
    try {
      return await super.start();
    } catch (err) {
      if (err instanceof LabError || isAbort(err)) throw err;
      throw new LabError(`cannot start host ${this.o.container} (${this.o.mode}): ${(err as Error).message}`, {
        hint: "run `swarmlab doctor` to see what this engine allows",
        cause: err,
      });
    }
  }

  protected override async containerStarted(): Promise<void> {
    if (this.dockerdWait.failed) throw this.dockerdWait.failed.error;
  }
}
