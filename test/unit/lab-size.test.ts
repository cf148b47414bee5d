import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseCompose, topologyForSize, hostsFitProblem } from "../../src/hosts/compose.js";
import { defaultManagers, resolveLabSize, sizeProblems } from "../../src/hosts/size.js";
import { hostNamesForSize, labHostNames } from "../../src/context/fields.js";
import { loadScenario, parseScenario, type ScenarioError } from "../../src/scenarios/schema.js";
import { expandStep, substituteLabVariables } from "../../src/scenarios/lab-vars.js";
import { waitSwarmReady } from "../../src/steps/swarm.js";
import { formSwarm } from "../../src/lab.js";
import { Progress } from "../../src/report/progress.js";
import type { Host, LabHosts } from "../../src/hosts/host.js";

const composeText = readFileSync(new URL("../../docker-compose.dind.yml", import.meta.url), "utf8");
const file = parseCompose(composeText, "docker-compose.dind.yml", {});

describe("a topology of N hosts", () => {
  it("N = 3 is the compose file itself", () => {
    expect(topologyForSize(file, 3)).toEqual(file);
  });
  it("beyond the file's hosts, each follows the last one's pattern", () => {
    const t = topologyForSize(file, 5);
    expect(t.hosts.map((h) => [h.service, h.containerName, h.hostname, h.address])).toEqual([
      ["docker1", "docker1", "docker1.htsec.com", "192.168.10.201"],
      ["docker2", "docker2", "docker2.htsec.com", "192.168.10.202"],
      ["docker3", "docker3", "docker3.htsec.com", "192.168.10.203"],
      ["docker4", "docker4", "docker4.htsec.com", "192.168.10.204"],
      ["docker5", "docker5", "docker5.htsec.com", "192.168.10.205"],
    ]);
    const [d3, d4] = [t.hosts[2]!, t.hosts[3]!];
    expect(d4.volumes).toEqual([["docker4-data", "/var/lib/docker"]]);
    expect(d4.binds).toEqual(d3.binds);
    expect(d4.capAdd).toEqual(d3.capAdd);
    expect(d4.capDrop).toEqual(["ALL"]);
    expect(d4.securityOpt).toEqual(d3.securityOpt);
    expect(d4.deviceCgroupRules).toEqual(d3.deviceCgroupRules);
    expect(d4.image).toBe(d3.image);
    expect(t.volumeNames).toEqual(["docker1-data", "docker2-data", "docker3-data", "docker4-data", "docker5-data"]);
    expect(t.subnet).toBe(file.subnet);
    // the file's own hosts are not changed
    expect(file.hosts).toHaveLength(3);
    expect(topologyForSize(file, 9).hosts.at(-1)).toMatchObject({ service: "docker9", address: "192.168.10.209" });
  });
  it("fewer than the file's take its first N, with their volumes only", () => {
    const t = topologyForSize(file, 1);
    expect(t.hosts.map((h) => h.service)).toEqual(["docker1"]);
    expect(t.volumeNames).toEqual(["docker1-data"]);
    expect(topologyForSize(file, 2).hosts.map((h) => h.service)).toEqual(["docker1", "docker2"]);
  });
  it("host names in scenarios follow the size", () => {
    expect(hostNamesForSize(5)).toEqual(["docker1", "docker2", "docker3", "docker4", "docker5"]);
    expect(hostNamesForSize(2)).toEqual(["docker1", "docker2"]);
    expect(labHostNames()).toEqual(["docker1", "docker2", "docker3"]);
  });
});

describe("refused before anything is made, with the value and the limit", () => {
  it("N outside 1..9", () => {
    expect(() => topologyForSize(file, 0)).toThrow("--size 0 is not allowed: a lab has 1 to 9 hosts");
    expect(() => topologyForSize(file, 10)).toThrow("--size 10 is not allowed: a lab has 1 to 9 hosts");
    expect(() => resolveLabSize({ hosts: 0 })).toThrow("--size 0 is not allowed: a lab has 1 to 9 hosts");
    expect(() => resolveLabSize({ hosts: 10 })).toThrow("--size 10 is not allowed: a lab has 1 to 9 hosts");
    expect(() => resolveLabSize({ hosts: 2.5 })).toThrow(/--size 2\.5 is not allowed/);
  });
  it("an even manager count, or more managers than hosts", () => {
    expect(() => resolveLabSize({ hosts: 5, managers: 4 })).toThrow("--managers 4 is even: raft needs an odd number of managers (4 tolerate no more lost managers than 3)");
    expect(() => resolveLabSize({ hosts: 3, managers: 5 })).toThrow("--managers 5 is more than the lab's 3 hosts");
    expect(() => resolveLabSize({ hosts: 3, managers: 0 })).toThrow("--managers 0 is not allowed: a swarm has at least 1 manager");
  });
  it("more replicas than hosts unless colocation is allowed", () => {
    expect(() => resolveLabSize({ hosts: 3, replicas: 5 })).toThrow(
      "--replicas 5 is more than the lab's 3 hosts: two Galera members would share a host (allow it with --allow-colocated)",
    );
    expect(resolveLabSize({ hosts: 3, replicas: 5, allowColocated: true })).toEqual({ hosts: 3, managers: 3, replicas: 5 });
    expect(() => resolveLabSize({ hosts: 3, replicas: 10, allowColocated: true })).toThrow("--replicas 10 is not allowed: 1 to 9 Galera members");
  });
  it("every problem at once", () => {
    expect(sizeProblems({ hosts: 3, managers: 4, replicas: 4 }).map((p) => p.field)).toEqual(["managers", "replicas"]);
    expect(() => resolveLabSize({ hosts: 3, managers: 4, replicas: 4 })).toThrow(/^--managers 4 is even.*; --replicas 4 is more than/);
  });
  it("a subnet too small for the hosts", () => {
    // hosts from .250: five fit below .255, a sixth would be the broadcast address
    const high = parseCompose(composeText.replace(/192\.168\.10\.20(\d)/g, (_, d: string) => `192.168.10.${249 + Number(d)}`), "high.yml", {});
    expect(topologyForSize(high, 5).hosts.at(-1)!.address).toBe("192.168.10.254");
    expect(() => topologyForSize(high, 6)).toThrow(
      "subnet 192.168.10.0/24 is too small for 6 hosts from 192.168.10.250: docker6 would be 192.168.10.255, the last usable address is 192.168.10.254 (at most 5 hosts)",
    );
    // --subnet: the hosts keep their host part (.201...), which a /25 does not have
    expect(hostsFitProblem(topologyForSize(file, 3), "10.0.0.0/24")).toBeUndefined();
    expect(hostsFitProblem(topologyForSize(file, 3), "10.0.0.0/25")).toMatch(/^subnet 10\.0\.0\.0\/25 is too small for 3 hosts .* the last usable address is 10\.0\.0\.126 \(at most 0 hosts\)$/);
  });
});

describe("defaults", () => {
  it("the walkthrough's three managers; odd below three hosts", () => {
    expect([1, 2, 3, 4, 5, 9].map(defaultManagers)).toEqual([1, 1, 3, 3, 3, 3]);
    expect(resolveLabSize({})).toEqual({ hosts: 3, managers: 3, replicas: 3 });
    expect(resolveLabSize({ hosts: 5 })).toEqual({ hosts: 5, managers: 3, replicas: 5 });
    expect(resolveLabSize({ hosts: 2 })).toEqual({ hosts: 2, managers: 1, replicas: 2 });
  });
});

describe("${HOSTS}, ${REPLICAS} and for_each", () => {
  const size5 = { hosts: 5, managers: 3, replicas: 5 };
  it("substitutes in text, and a value that is only a variable becomes the number (not under env)", () => {
    expect(substituteLabVariables({ run: "scale=${REPLICAS} of ${HOSTS}", members: "${REPLICAS}", env: { N: "${HOSTS}" }, other: "${TOKEN}" }, size5)).toEqual({
      run: "scale=5 of 5",
      members: 5,
      env: { N: "5" },
      other: "${TOKEN}",
    });
  });
  const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
  const problems = (text: string, lab = {}) => {
    try {
      parseScenario(text, "v.yaml", lab);
    } catch (e) {
      return (e as ScenarioError).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    }
    return [];
  };
  it("members: ${REPLICAS} is validated as the lab's number", () => {
    const text = `${head}  - wait: galera-synced\n    members: \${REPLICAS}\n    timeout: 60\n  - on: docker1\n    run: docker service scale mysql-galera=\${REPLICAS}\n`;
    expect(parseScenario(text, "v.yaml").steps).toMatchObject([{ members: 3 }, { run: "docker service scale mysql-galera=3" }]);
    expect(parseScenario(text, "v.yaml", { hosts: 5 }).steps).toMatchObject([{ members: 5 }, { run: "docker service scale mysql-galera=5" }]);
    expect(parseScenario(text, "v.yaml", { hosts: 5, replicas: 3 }).steps).toMatchObject([{ members: 3 }, { run: "docker service scale mysql-galera=3" }]);
  });
  it("an unknown variable where a number or a host is expected is refused by name", () => {
    expect(problems(`${head}  - wait: galera-synced\n    members: \${REPLICA}\n    timeout: 60\n  - heal: \${HOST}\n`)).toEqual([
      '6: steps.0.members: "${REPLICA}": REPLICA is not a variable the lab sets here (${HOSTS}, ${REPLICAS}; ${HOST} in a step with for_each)',
      '8: steps.1.heal: "${HOST}": HOST is not a variable the lab sets here (${HOSTS}, ${REPLICAS}; ${HOST} in a step with for_each)',
    ]);
  });
  it("host names follow the size the file is read for", () => {
    const text = `${head}  - fault: { kind: split, groups: [[docker1, docker2, docker3], [docker4, docker5]] }\n`;
    expect(problems(text)).toEqual([
      '5: steps.0.fault.groups.1.0: "docker4" is not a host of this lab (docker1, docker2, docker3)',
      '5: steps.0.fault.groups.1.1: "docker5" is not a host of this lab (docker1, docker2, docker3)',
    ]);
    expect(problems(text, { hosts: 5 })).toEqual([]);
    expect(problems(`size: { hosts: 5 }\n${text}`)).toEqual([]);
  });
  it("a file's own size: its limits checked at size.*", () => {
    expect(problems(`size: { hosts: 5, managers: 4 }\n${head}  - heal: all\n`)).toEqual(["1: size.managers: 4 is even: raft needs an odd number of managers (4 tolerate no more lost managers than 3)"]);
    expect(problems(`size: { hosts: 10 }\n${head}  - heal: all\n`)).toEqual(["1: size.hosts: 10 is not allowed: a lab has 1 to 9 hosts"]);
    expect(problems(`size: { hosts: 3, replicas: 4 }\n${head}  - heal: all\n`)[0]).toMatch(/^1: size\.replicas: 4 is more than the lab's 3 hosts/);
    expect(problems(`size: { hosts: 3, replicas: 4 }\n${head}  - heal: all\n`, { allowColocated: true })).toEqual([]);
    expect(problems(`size: { hosts: 5, manager: 3 }\n${head}  - heal: all\n`)[0]).toMatch(/^1: size\.manager: unknown field "manager"/);
    // the file's size wins over the caller's
    expect(parseScenario(`size: { hosts: 5, managers: 5 }\n${head}  - heal: all\n`, "s.yaml", { hosts: 7 }).labSize).toEqual({ hosts: 5, managers: 5, replicas: 5 });
  });
  it("for_each repeats a step for the joining managers or the workers, ${HOST} its host", () => {
    const step = { name: "${HOST} joins", for_each: "workers", on: "${HOST}", run: "join" };
    expect(expandStep(step, size5, hostNamesForSize(5)).instances).toEqual([
      { name: "docker4 joins", on: "docker4", run: "join" },
      { name: "docker5 joins", on: "docker5", run: "join" },
    ]);
    expect(expandStep({ ...step, for_each: "joining-managers" }, size5, hostNamesForSize(5)).instances.map((s) => (s as { on: string }).on)).toEqual(["docker2", "docker3"]);
    // no worker in the walkthrough's lab: nothing to run, but still validated
    const none = expandStep(step, { hosts: 3, managers: 3, replicas: 3 }, hostNamesForSize(3));
    expect(none.instances).toEqual([]);
    expect(none.probe).toMatchObject({ on: "docker1" });
    expect(problems(`${head}  - for_each: workers\n    on: \${HOST}\n    rnu: ls\n`)).toEqual(['7: steps.0.rnu: unknown step key "rnu"; did you mean "run"?']);
    expect(problems(`${head}  - for_each: everyone\n    on: \${HOST}\n    run: ls\n`)).toEqual(['5: steps.0.for_each: "everyone" is not allowed (joining-managers, workers)']);
  });
});

describe("the seed at any size", () => {
  const runs = (s: ReturnType<typeof loadScenario>) => s.steps.flatMap((x) => ("run" in x ? [`${x.on}: ${x.run.trim().split("\n")[0]}`] : []));
  it("in the walkthrough's lab: its commands verbatim, docker2 and docker3 join as managers", () => {
    const s = loadScenario("seed");
    expect(s.labSize).toEqual({ hosts: 3, managers: 3, replicas: 3 });
    const r = runs(s);
    expect(r).toContain("docker1: docker service create --name mysql-galera --replicas 3 \\");
    expect(r.filter((x) => x.endsWith("docker swarm join \\"))).toEqual(["docker2: docker swarm join \\", "docker3: docker swarm join \\"]);
    expect(s.steps.filter((x) => x.name?.includes("joins as"))).toEqual([
      expect.objectContaining({ name: "docker2 joins as a manager", on: "docker2", expect: "This node joined a swarm as a manager." }),
      expect.objectContaining({ name: "docker3 joins as a manager", on: "docker3" }),
    ]);
    expect(s.steps.filter((x) => "members" in x).map((x) => (x as { members: number }).members)).toEqual([3, 3, 3, 3]);
  });
  it("five hosts, three managers: docker4 and docker5 join with the worker token; five replicas", () => {
    const s = loadScenario("seed", { hosts: 5 });
    expect(s.steps.filter((x) => x.name?.includes("joins as")).map((x) => x.name)).toEqual([
      "docker2 joins as a manager",
      "docker3 joins as a manager",
      "docker4 joins as a worker",
      "docker5 joins as a worker",
    ]);
    const worker = s.steps.find((x) => x.name === "docker5 joins as a worker") as { run: string; on: string };
    expect(worker.run).toContain("--token ${WORKER_TOKEN}");
    expect(runs(s)).toContain("docker1: docker service create --name mysql-galera --replicas 5 \\");
    expect(s.steps.filter((x) => "members" in x).map((x) => (x as { members: number }).members)).toEqual([5, 5, 5, 5]);
  });
  it("the init step captures the worker token it prints", () => {
    const init = loadScenario("seed").steps[0] as { capture?: Record<string, string>; walkthrough?: string };
    const re = new RegExp(init.capture!.WORKER_TOKEN!, "m");
    expect(init.walkthrough!.match(re)?.[1]).toMatch(/^SWMTKN-1-/);
  });
});

// Two are shipped scenarios (in the suite); two stay in examples/ for CI's time (see its README).
const IN_EXAMPLES = new Set(["five-members-minority", "worker-loss"]);
const five = (name: string) => (IN_EXAMPLES.has(name) ? `examples/labs-of-any-size/${name}.yaml` : name);

describe("scenarios for labs of five", () => {
  it.each([
    ["five-members-minority", { hosts: 5, managers: 5, replicas: 5 }],
    ["five-members-no-majority", { hosts: 5, managers: 5, replicas: 5 }],
    ["worker-loss", { hosts: 5, managers: 3, replicas: 5 }],
    ["manager-minority", { hosts: 5, managers: 5, replicas: 5 }],
  ])("%s validates at its own size, every step named and explained", (name, size) => {
    const s = loadScenario(five(name));
    expect(s.labSize).toEqual(size);
    for (const step of s.steps) {
      expect(step.name, JSON.stringify(step)).toBeTruthy();
      expect(step.explain, step.name).toBeTruthy();
    }
    // --size on the command line does not change a scenario that says its own
    expect(loadScenario(five(name), { hosts: 3 }).labSize).toEqual(size);
  });
  it("the splits are 3|2 and 2+2+1", () => {
    const groups = (n: string) => loadScenario(five(n)).steps.flatMap((s) => ("fault" in s && s.fault.kind === "split" ? [s.fault.groups as string[][]] : []));
    expect(groups("five-members-minority")).toEqual([[["docker1", "docker2", "docker3"], ["docker4", "docker5"]]]);
    expect(groups("five-members-no-majority")).toEqual([[["docker1", "docker2"], ["docker3", "docker4"], ["docker5"]]]);
  });
});

/** A host whose docker CLI answers from a script, recording what it was asked. */
function scriptedHost(name: string, calls: string[], answer: (argv: readonly string[]) => string): Host {
  return {
    name,
    id: name,
    hostname: `${name}.htsec.com`,
    address: `192.168.10.20${name.slice(-1)}`,
    docker: async (argv: readonly string[]) => {
      calls.push(`${name}: ${argv.join(" ")}`);
      return { stdout: answer(argv), stderr: "", exitCode: 0 };
    },
  } as unknown as Host;
}

const nodeLs = (rows: Array<[string, string]>) => rows.map(([h, m]) => JSON.stringify({ ID: h, Hostname: `${h}.htsec.com`, Status: "Ready", Availability: "Active", ManagerStatus: m })).join("\n");

describe("managers and workers", () => {
  const swarm5: Array<[string, string]> = [
    ["docker1", "Leader"],
    ["docker2", "Reachable"],
    ["docker3", "Reachable"],
    ["docker4", ""],
    ["docker5", ""],
  ];
  it("swarm is ready with three managers and two workers (a worker has no manager status)", async () => {
    const h = scriptedHost("docker1", [], () => nodeLs(swarm5));
    await expect(waitSwarmReady(h, 5, 2000, undefined, 3)).resolves.toHaveLength(5);
    // expecting five managers, the two workers are not enough
    await expect(waitSwarmReady(h, 5, 50)).rejects.toThrow(/5 Ready managers with one Leader/);
  });
  it("formSwarm joins the managers with the manager token and the rest with the worker token", async () => {
    const calls: string[] = [];
    const answer = (argv: readonly string[]) => {
      const a = argv.join(" ");
      if (a === "swarm join-token -q manager") return "MANAGER-TOKEN";
      if (a === "swarm join-token -q worker") return "WORKER-TOKEN";
      if (a.startsWith("node ls")) return nodeLs(swarm5);
      return "";
    };
    const hosts = ["docker1", "docker2", "docker3", "docker4", "docker5"].map((n) => scriptedHost(n, calls, answer));
    const lab = { name: "t", subnet: "192.168.10.0/24", network: "", mode: "test", hosts, managers: 3, topology: topologyForSize(file, 5) } as LabHosts;
    const progress = new Progress();
    progress.muted = true;
    await formSwarm(lab, progress);
    expect(calls.filter((c) => c.includes("swarm join "))).toEqual([
      "docker2: swarm join --token MANAGER-TOKEN 192.168.10.201:2377",
      "docker3: swarm join --token MANAGER-TOKEN 192.168.10.201:2377",
      "docker4: swarm join --token WORKER-TOKEN 192.168.10.201:2377",
      "docker5: swarm join --token WORKER-TOKEN 192.168.10.201:2377",
    ]);
  });
});
