/**
 * The lab's own registry: Debian's docker-registry on the manager, published on 5000. Every host's
 * dockerd trusts <manager>:5000 as an insecure registry (set when the host is made), so
 * `docker service create <manager>:5000/app` and stack files work on every host and a rescheduled
 * task can pull its image.
 */
import type { Host } from "../hosts/host.js";

/**
 * What the registry needs of a lab: its hosts, the first one the manager, and the tag of the
 * registry image its images were built with (--images upstream builds it FROM a pulled Debian).
 * (Not the Lab: steps sit below it.)
 */
type Lab = { manager: Host; nodes: readonly Host[]; images?: { tags: { registry: string } } };
import { tagOf } from "../images/build.js";
import { loadImagesIntoHosts } from "./images.js";
import { waitFor } from "../util/wait.js";
import { LabError } from "../util/errors.js";

export const REGISTRY_PORT = 5000;
export const REGISTRY_CONTAINER = "swarmlab-registry";

/** host:port of the lab's registry: the manager's address (it moves with the lab's subnet). */
export const registryAddress = (lab: Lab) => `${lab.manager.address}:${REGISTRY_PORT}`;

async function answers(lab: Lab, from = lab.nodes.at(-1)!): Promise<boolean> {
  const r = await from.exec(["curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", `http://${registryAddress(lab)}/v2/`], { allowFailure: true, timeoutMs: 10_000 });
  return r.stdout.trim() === "200";
}

export async function registryUp(lab: Lab): Promise<boolean> {
  return answers(lab).catch(() => false);
}

/** Starts the registry on the manager (once) and waits until every host reaches it. */
export async function startRegistry(lab: Lab, signal?: AbortSignal): Promise<string> {
  const address = registryAddress(lab);
  if (await registryUp(lab)) return address;
  const tag = lab.images?.tags.registry ?? tagOf("registry");
  await loadImagesIntoHosts([{ tag, hosts: [lab.manager] }]);
  await lab.manager.docker(["rm", "-f", REGISTRY_CONTAINER], { allowFailure: true });
  await lab.manager.docker(["run", "-d", "--name", REGISTRY_CONTAINER, "--restart", "always", "-p", `${REGISTRY_PORT}:5000`, "-v", "swarmlab-registry:/var/lib/docker-registry", tag]);
  for (const h of lab.nodes) {
    await waitFor(`the lab registry ${address} to answer from ${h.name}`, () => answers(lab, h), Boolean, { timeoutMs: 30_000, intervalMs: 500, signal });
  }
  return address;
}

export async function requireRegistry(lab: Lab): Promise<string> {
  if (await registryUp(lab)) return registryAddress(lab);
  throw new LabError(`the lab's registry (${registryAddress(lab)}) is not running`, {
    hint: "start the lab with `swarmlab up --swarm --registry`, or give the scenario `needs: [swarm, registry]`",
  });
}
