/** The lab foundation against the real engine: swarm, overlay traffic across hosts, cleanup. */
import { afterAll, describe, expect, it } from "vitest";
import { startLab, type Lab } from "../../src/lab.js";
import { nodeList } from "../../src/steps/swarm.js";
import { serviceTasks } from "../../src/checks/galera.js";
import { tagOf } from "../../src/images/build.js";
import { waitFor } from "../../src/util/wait.js";
import { labelled } from "./helpers.js";

const LAB = "found";
let lab: Lab | undefined;

afterAll(async () => {
  await lab?.down();
});

describe("up --swarm on the real engine", () => {
  it("gives three Ready managers with exactly one Leader", async () => {
    lab = await startLab({ name: LAB, swarm: true, ifExists: "replace" });
    const rows = await nodeList(lab.manager);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === "Ready" && r.managerStatus !== "")).toBe(true);
    expect(rows.filter((r) => r.managerStatus === "Leader")).toHaveLength(1);
    expect(rows.map((r) => r.hostname).sort()).toEqual(["docker1.htsec.com", "docker2.htsec.com", "docker3.htsec.com"]);
    // Another lab gets its own subnet, and its hosts their own names.
    expect(lab.hosts.subnet).not.toBe("192.168.10.0/24");
    expect(lab.nodes.map((h) => h.id)).toEqual(["found-docker1", "found-docker2", "found-docker3"]);
  });

  it("a host holds no capability that reaches the machine: date -s and loading a module both fail", async () => {
    for (const h of lab!.nodes) {
      const status = await h.exec(["cat", "/proc/1/status"]);
      const bnd = BigInt(`0x${status.stdout.match(/^CapBnd:\s*([0-9a-f]+)/m)![1]}`);
      // Guard first: with SYS_TIME (25) or SYS_MODULE (16) in the bounding set, the commands below
      // would act on this machine, so they are never run then.
      const held = [25n, 16n, 22n, 17n].filter((bit) => ((bnd >> bit) & 1n) === 1n);
      expect(held, `${h.name} holds SYS_TIME/SYS_MODULE/SYS_BOOT/SYS_RAWIO (bits ${held.join(",")})`).toEqual([]);
      // Setting the clock to the second it already is: even a wrong guard could not move it far.
      const date = await h.sh('date -s "@$(date +%s)"', { allowFailure: true });
      expect(date.exitCode, date.stdout).not.toBe(0);
      expect(`${date.stderr}${date.stdout}`).toMatch(/Operation not permitted/);
      const mod = await h.exec(["sh", "-c", "modprobe dummy 2>&1 || insmod /nonexistent.ko 2>&1; echo rc=$?"], { allowFailure: true });
      expect(mod.stdout).not.toMatch(/rc=0$/);
    }
  });

  it("mynet carries a TCP connection between tasks on different hosts", async () => {
    const m = lab!.manager;
    const etcd = tagOf("etcd").replace(/:.*/, ":latest");
    // A server task on docker2 (etcd answers HTTP) and a client task on docker3.
    await m.docker(["service", "create", "--detach", "--name", "probe-server", "--network", "mynet", "--constraint", "node.hostname==docker2.htsec.com", etcd,
      "-listen-client-urls", "http://0.0.0.0:2379", "-advertise-client-urls", "http://probe-server:2379"]);
    await m.docker(["service", "create", "--detach", "--name", "probe-client", "--network", "mynet", "--constraint", "node.hostname==docker3.htsec.com", "--entrypoint", "sleep", etcd, "600"]);
    const running = async (svc: string) => (await serviceTasks(lab!, svc)).find((t) => t.state === "running");
    const server = await waitFor("probe-server running", () => running("probe-server"), Boolean, { timeoutMs: 90_000 });
    const client = await waitFor("probe-client running", () => running("probe-client"), Boolean, { timeoutMs: 90_000 });
    expect(server!.host!.name).toBe("docker2");
    expect(client!.host!.name).toBe("docker3");
    const serverIp = server!.addresses.mynet!;
    expect(serverIp).toMatch(/^10\.0\.1\./);
    const out = await waitFor(
      `an HTTP answer from ${serverIp}:2379 across hosts`,
      () => client!.host!.docker(["exec", client!.containerId!, "curl", "-s", "--max-time", "3", `http://${serverIp}:2379/version`], { allowFailure: true }),
      (r) => r.exitCode === 0 && r.stdout.includes("etcdserver"),
      { timeoutMs: 60_000 },
      (r) => r.stderr || r.stdout,
    );
    expect(JSON.parse(out.stdout).etcdserver).toMatch(/^3\.4/);
  });

  it("down leaves no container, network or volume with the label, and twice is fine", async () => {
    await lab!.down();
    expect(await labelled(LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    await lab!.down();
  });
});
