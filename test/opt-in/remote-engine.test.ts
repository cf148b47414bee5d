/**
 * A remote engine for real (opt-in: `npm run test:remote-engine`, about 5 minutes; not in `npm test`).
 * A stand-in machine (`machines up`: Debian with its own dockerd, listening on tcp 2375) is the
 * engine elsewhere: DOCKER_HOST=tcp://<machine>:2375, as a user points the lab at a build box. The
 * lab builds its images there, makes its hosts there (a third level of nesting here, a second on a
 * real machine), and reaches them only through that engine (docker exec: dial-stdio, socat), since
 * this machine has no route to the bridge on that machine. The seed and a VXLAN cut pass; `down`
 * leaves the engine without the lab.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import Docker from "dockerode";
import { parse } from "yaml";

const MACHINES = "swarmlab-remote";
const LAB = "swarmlab-remote-lab";
const dir = mkdtempSync(join(tmpdir(), "swarmlab-remote-"));
const inventory = join(dir, "machines.yaml");
const swarmlab = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execa("node", ["bin/swarmlab.js", ...args], { reject: false, all: true, env: { ...process.env, CI: "1", ...env }, timeout: 30 * 60_000 });

let remote: NodeJS.ProcessEnv = {};

/**
 * Whether a dockerd answers GET /_ping at address:port from this machine within 3 s. (A bare TCP
 * connect proves nothing here: this machine's gateway accepts connections to any address.)
 */
async function dockerAnswers(address: string, port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://${address}:${port}/_ping`, { signal: AbortSignal.timeout(3000) });
    return (await r.text()) === "OK";
  } catch {
    return false;
  }
}

afterAll(async () => {
  if (remote.DOCKER_HOST) await swarmlab(["--name", LAB, "down"], remote);
  await swarmlab(["--name", MACHINES, "machines", "down"]);
  rmSync(dir, { recursive: true, force: true });
});

describe("a remote engine (DOCKER_HOST=tcp:// to a stand-in machine)", () => {
  it("the machine's dockerd answers over TCP", async () => {
    const up = await swarmlab(["--name", MACHINES, "machines", "up", "--inventory", inventory]);
    expect(up.exitCode, String(up.all).slice(-3000)).toBe(0);
    const inv = parse(readFileSync(inventory, "utf8")) as { hosts: Array<{ name: string; address: string }> };
    const machine = inv.hosts.find((h) => h.name === "docker1")!.address;
    remote = { DOCKER_HOST: `tcp://${machine}:2375` };
    const v = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { env: { ...process.env, ...remote }, reject: false });
    expect(v.exitCode, v.stderr).toBe(0);
  });

  it("doctor says where the engine is and that the hosts are reached through it", async () => {
    const d = await swarmlab(["doctor", "--json"], remote);
    const checks = JSON.parse(d.stdout) as Array<{ name: string; verdict: string; detail: string }>;
    const detail = (name: string) => checks.find((c) => c.name === name)?.detail;
    expect(detail("engine place")).toMatch(/^the engine is not on this machine: DOCKER_HOST=tcp:\/\/[\d.]+:2375 points at/);
    expect(detail("lab routes")).toMatch(/^not available here: .*the hosts' engines and published ports are reached through the engine \(docker exec/);
  });

  it("runs the seed and a VXLAN cut there, with no route from this machine to the lab", async () => {
    const r = await swarmlab(["--name", LAB, "run", "seed", "partition-vxlan", "--keep", "--report", join(dir, "report")], remote);
    expect(r.exitCode, String(r.all).slice(-5000)).toBe(0);
    expect(r.all).toContain("hosts reached through the engine (docker exec: dial-stdio for their engines, socat for published ports): this machine does not route to the lab's bridge");
    const report = JSON.parse(readFileSync(join(dir, "report", "report.json"), "utf8")) as { scenarios: Array<{ scenario: string; ok: boolean }> };
    expect(report.scenarios.map((s) => [s.scenario, s.ok])).toEqual([
      ["seed", true],
      ["partition-vxlan", true],
    ]);
    // The lab's first host, on the bridge of that machine: not reachable from here.
    const first = String(r.all).match(/-docker1=(\d+\.\d+\.\d+\.\d+)/)?.[1];
    expect(first).toBeDefined();
    expect(await dockerAnswers(first!, 2375)).toBe(false);
  });

  it("down leaves the remote engine without the lab", async () => {
    const d = await swarmlab(["--name", LAB, "down"], remote);
    expect(d.exitCode, String(d.all).slice(-2000)).toBe(0);
    const [host, port] = remote.DOCKER_HOST!.replace("tcp://", "").split(":");
    const engine = new Docker({ host, port: Number(port) });
    const left = await engine.listContainers({ all: true, filters: { label: [`swarmlab.lab=${LAB}`] } });
    expect(left).toEqual([]);
  });
});
