/**
 * Stand-in machines for the ssh provider, on this one machine: docker-in-docker hosts whose image
 * also runs sshd (lab/images/machine), a key made for them, and the inventory that reaches them.
 * The ssh provider then drives them like any real machines, without this machine's engine.
 */
import type Docker from "dockerode";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ssh2 from "ssh2";
import { stringify } from "yaml";
import { createHosts, removeLab } from "../dind/containers.js";
import type { HostNode } from "../dind/dind-host.js";
import { tagOf } from "../../images/build.js";
import { imageArchive } from "../../steps/images.js";
import { stateDir } from "../../util/paths.js";
import { waitFor } from "../../util/wait.js";
import type { Log } from "../../engine/engine.js";
import type { RemovalSummary } from "../host.js";

export const MACHINE_POWER = { stop: "swarmlab-power stop", kill: "swarmlab-power kill", pause: "swarmlab-power pause", resume: "swarmlab-power resume", start: "swarmlab-power start" };

export interface MachinesResult {
  inventory: string;
  key: string;
  machines: Array<{ name: string; address: string; container: string }>;
}

/** Makes the stand-ins, installs a fresh key in each, and writes the inventory that reaches them. */
export async function machinesUp(docker: Docker, o: { name: string; inventory: string; log?: Log; signal?: AbortSignal }): Promise<MachinesResult> {
  const log = o.log ?? (() => {});
  const hosts = await createHosts(docker, { name: o.name, dindImage: tagOf("machine"), log, signal: o.signal, extraLabels: { "swarmlab.machine": "true" } });
  const dir = join(stateDir(), "machines", o.name);
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "id_ed25519");
  const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment: `swarmlab machines ${o.name}` });
  writeFileSync(key, pair.private);
  chmodSync(key, 0o600);
  for (const h of hosts.hosts as HostNode[]) {
    await h.exec(["sh", "-c", "mkdir -p /root/.ssh && cat >> /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys"], { input: `${pair.public}\n` });
    await waitFor(`sshd on ${h.name} (${h.address}:22)`, () => h.exec(["sh", "-c", "pgrep -x sshd"], { allowFailure: true }), (r) => r.exitCode === 0, { timeoutMs: 30_000, intervalMs: 300, signal: o.signal });
  }
  // The ssh provider loads images from these archives: no engine of this machine is needed then.
  for (const image of ["galera", "etcd"] as const) await imageArchive(tagOf(image));
  const inventory = resolve(o.inventory);
  mkdirSync(dirname(inventory), { recursive: true });
  const doc = {
    lab: true,
    hosts: hosts.hosts.map((h) => ({ name: h.name, address: h.address, hostname: h.hostname, ssh: { user: "root", port: 22, key }, power: MACHINE_POWER, logs: "cat /var/log/dockerd.log" })),
  };
  writeFileSync(inventory, `# Stand-in machines made by \`swarmlab machines up --name ${o.name}\` (sshd + dockerd each).\n# \`swarmlab machines down --name ${o.name}\` removes them.\n${stringify(doc, { aliasDuplicateObjects: false })}`);
  return { inventory, key, machines: hosts.hosts.map((h) => ({ name: h.name, address: h.address, container: h.id })) };
}

export async function machinesDown(docker: Docker, name: string): Promise<RemovalSummary> {
  return removeLab(docker, name);
}
