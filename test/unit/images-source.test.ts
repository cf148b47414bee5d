import { describe, expect, it } from "vitest";
import {
  classifyPullError,
  decideImages,
  describeRegistry,
  imageNameTable,
  imagesSummary,
  missingImageMessage,
  parseImagesMode,
  renameNote,
  rewriteImageRefs,
  upstreamBaseDockerfile,
  withTag,
  type PullOutcome,
} from "../../src/images/source.js";
import { labImageNeeds, upstreamRefusal, withImageNames } from "../../src/scenarios/images-mode.js";
import { loadScenario, parseScenario, type Step } from "../../src/scenarios/schema.js";

const UP = imageNameTable("upstream");
const ok = (ref: string, id = "sha256:abc"): PullOutcome => ({ ref, ok: true, id, seconds: 1 });
const failed = (ref: string, failure: "no-answer" | "missing" | "error", message: string): PullOutcome => ({ ref, ok: false, failure, message });
const MIRROR = "Docker Hub through the engine's mirror http://127.0.0.1:5000";

describe("--images: the mode", () => {
  it("takes local, upstream and auto; default local", () => {
    expect(parseImagesMode(undefined)).toBe("local");
    for (const m of ["local", "upstream", "auto"]) expect(parseImagesMode(m)).toBe(m);
  });
  it("refuses anything else, naming the value and the allowed ones", () => {
    expect(() => parseImagesMode("remote")).toThrow(/^--images "remote": use local \(.*\), upstream \(.*\) or auto \(.*\)$/);
    expect(() => parseImagesMode("")).toThrow(/--images "": use local/);
    expect(() => parseImagesMode(3)).toThrow(/--images 3: use local/);
  });
});

describe("the walkthrough's image names", () => {
  it("the table: swarmlab/etcd -> elcolio/etcd, swarmlab/galera -> percona/percona-xtradb-cluster; nothing for local", () => {
    expect(UP).toEqual({ "swarmlab/etcd": "elcolio/etcd", "swarmlab/galera": "percona/percona-xtradb-cluster" });
    expect(imageNameTable("local")).toEqual({});
  });

  it("rewrites the seed's commands whole-token, as the walkthrough wrote them", () => {
    const create = "docker service create --name mysql-galera --replicas 3 \\\n-p 3306:3306 --network mynet \\\n--env CLUSTER_NAME=galera \\\nswarmlab/galera";
    const r = rewriteImageRefs(create, UP);
    expect(r.text).toBe(create.replace("swarmlab/galera", "percona/percona-xtradb-cluster"));
    expect(r.renamed).toEqual([["swarmlab/galera", "percona/percona-xtradb-cluster"]]);
    expect(rewriteImageRefs("docker run -d --name etcd swarmlab/etcd \\\n-name etcd1", UP).text).toBe("docker run -d --name etcd elcolio/etcd \\\n-name etcd1");
  });

  it("keeps :latest, leaves other tags, registries, longer names and paths alone", () => {
    expect(rewriteImageRefs("docker pull swarmlab/galera:latest", UP).text).toBe("docker pull percona/percona-xtradb-cluster:latest");
    for (const keep of [
      "docker run swarmlab/galera:3048df112d48",
      "docker push 10.0.0.1:5000/swarmlab/galera",
      "docker run swarmlab/galera-tasks",
      "cat /run/swarmlab/galera",
      "docker run myswarmlab/galera",
      "swarmlab/galeraX",
      "swarmlab/etcd2",
    ]) {
      expect(rewriteImageRefs(keep, UP)).toEqual({ text: keep, renamed: [] });
    }
  });

  it("rewrites names in quotes, after = and at the ends of lines; every occurrence", () => {
    const text = `ARG BASE=swarmlab/galera\nimage: "swarmlab/etcd"\n'swarmlab/galera' swarmlab/galera`;
    const r = rewriteImageRefs(text, UP);
    expect(r.text).toBe(`ARG BASE=percona/percona-xtradb-cluster\nimage: "elcolio/etcd"\n'percona/percona-xtradb-cluster' percona/percona-xtradb-cluster`);
    expect(r.renamed.map(([f]) => f).sort()).toEqual(["swarmlab/etcd", "swarmlab/galera"]);
  });

  it("changes nothing with an empty table (local)", () => {
    expect(rewriteImageRefs("docker run swarmlab/etcd", {})).toEqual({ text: "docker run swarmlab/etcd", renamed: [] });
  });

  it("withTag: latest unless a tag or digest is given", () => {
    expect(withTag("elcolio/etcd")).toBe("elcolio/etcd:latest");
    expect(withTag("debian:bookworm")).toBe("debian:bookworm");
    expect(withTag("127.0.0.1:5000/x")).toBe("127.0.0.1:5000/x:latest");
    expect(withTag("x@sha256:00")).toBe("x@sha256:00");
  });

  it("says what it renamed", () => {
    expect(renameNote([])).toBeUndefined();
    expect(renameNote([["swarmlab/galera", "percona/percona-xtradb-cluster"]])).toBe(
      "--images upstream: the walkthrough's own image percona/percona-xtradb-cluster (the scenario file says swarmlab/galera)",
    );
  });
});

describe("the seed with the walkthrough's images", () => {
  const seed = loadScenario("seed");
  const steps = seed.steps.map((s) => withImageNames(s, UP));
  const commands = steps.map((s) => ("run" in s.step ? s.step.run : "")).join("\n");

  it("runs elcolio/etcd and percona/percona-xtradb-cluster, and no swarmlab/* name is left", () => {
    expect(commands).toMatch(/--name etcd elcolio\/etcd \\/);
    expect(commands).toMatch(/--env CLUSTER_NAME=galera \\\npercona\/percona-xtradb-cluster$/m);
    expect(commands).not.toMatch(/swarmlab\/(etcd|galera)/);
  });

  it("docker ps expects elcolio/etcd; the walkthrough's own output is untouched", () => {
    const ps = steps.find((s) => "run" in s.step && s.step.run === "docker ps")!;
    expect((ps.step as Extract<Step, { run: string }>).expect).toBe("elcolio/etcd");
    expect(ps.note).toMatch(/elcolio\/etcd/);
    expect((ps.step as Extract<Step, { run: string }>).walkthrough).toBe((seed.steps.find((s) => "run" in s && s.run === "docker ps") as Extract<Step, { run: string }>).walkthrough);
  });

  it("leaves the other steps as they are (the same objects), and the file's steps untouched", () => {
    const untouched = steps.filter((s) => !s.note);
    expect(untouched.length).toBe(seed.steps.length - 3); // etcd run, docker ps, service create
    for (const s of untouched) expect(seed.steps).toContain(s.step);
    expect(seed.steps.map((s) => ("run" in s ? s.run : "")).join("\n")).toMatch(/swarmlab\/galera/);
  });

  it("keeps without_ipvs working on the renamed command", () => {
    const create = steps.find((s) => "run" in s.step && s.step.run.startsWith("docker service create"))!.step as Extract<Step, { run: string }>;
    expect(create.without_ipvs?.replace).toBe("-p 3306:3306");
    expect(create.run).toContain("-p 3306:3306");
  });
});

describe("faults that need the lab's own Galera image", () => {
  it("clock-skew and chaos-short are refused with upstream images, each with its reason", () => {
    const clock = upstreamRefusal(loadScenario("clock-skew"));
    expect(clock?.message).toMatch(/^clock-skew needs the lab's own Galera image, which --images upstream does not run: step \d+, fault clock: .*libfaketime/);
    expect(clock?.hint).toBe("run it with --images local");
    const chaos = upstreamRefusal(loadScenario("chaos-short"));
    expect(chaos?.message).toMatch(/chaos draws clock faults: /);
    expect(chaos?.hint).toMatch(/--faults/);
  });

  it("the seed, node-stop and partition-vxlan run as they are", () => {
    for (const n of ["seed", "node-stop", "partition-vxlan"]) expect(upstreamRefusal(loadScenario(n)), n).toBeUndefined();
  });

  it("a chaos step without faults draws the default kinds, clock among them", () => {
    const s = parseScenario("name: c\ntitle: c\nneeds: galera\nsteps:\n  - chaos: { seed: 1, duration: 60 }\n", "c.yaml");
    expect(labImageNeeds(s)).toEqual([{ step: 1, reason: expect.stringMatching(/^chaos draws clock faults \(a default kind\): /) }]);
    const without = parseScenario("name: c\ntitle: c\nneeds: galera\nsteps:\n  - chaos: { seed: 1, duration: 60, faults: [link, pause] }\n", "c.yaml");
    expect(labImageNeeds(without)).toEqual([]);
  });
});

describe("where images come from: the decision", () => {
  const base = "debian:bookworm";
  const etcd = "elcolio/etcd:latest";
  const pxc = "percona/percona-xtradb-cluster:latest";

  it("local never pulls", () => {
    expect(decideImages("local", MIRROR, [])).toEqual({ mode: "local", why: expect.stringMatching(/^--images local: /) });
  });

  it("upstream and auto: upstream when every pull worked", () => {
    for (const asked of ["upstream", "auto"] as const) {
      const d = decideImages(asked, MIRROR, [ok(base), ok(etcd), ok(pxc)]);
      expect(d.mode).toBe("upstream");
      expect(d.error).toBeUndefined();
      expect(d.why).toContain(MIRROR);
    }
  });

  it("auto: local when no registry answers, saying why", () => {
    const d = decideImages("auto", MIRROR, [failed(base, "no-answer", "no answer within 30 s")]);
    expect(d).toEqual({ mode: "local", why: `--images auto: local, because no registry answers (debian:bookworm from ${MIRROR}: no answer within 30 s)` });
  });

  it("auto: local when the registry answers but lacks an image, saying which", () => {
    const d = decideImages("auto", MIRROR, [ok(base), ok(etcd), failed(pxc, "missing", "manifest unknown")]);
    expect(d.mode).toBe("local");
    expect(d.why).toBe(`--images auto: local, because ${MIRROR} answers but ${pxc} could not be pulled (manifest unknown)`);
  });

  it("upstream: a registry that answers but lacks an image gives one line and the fix", () => {
    const d = decideImages("upstream", MIRROR, [ok(base), ok(etcd), failed(pxc, "missing", "pull access denied for percona/percona-xtradb-cluster, repository does not exist")]);
    expect(d.error?.message).toBe(
      `registry ${MIRROR} answers but has no percona/percona-xtradb-cluster (the engine said: pull access denied for percona/percona-xtradb-cluster, repository does not exist): push it there or use --images local`,
    );
    expect(d.error?.message).not.toContain("\n");
    expect(d.error?.hint).toMatch(/docker push <registry>\/percona\/percona-xtradb-cluster/);
  });

  it("upstream: a registry that answers without debian:bookworm says so, not that none answers", () => {
    const d = decideImages("upstream", MIRROR, [failed(base, "missing", "manifest for debian:bookworm not found: manifest unknown")]);
    expect(d.error?.message).toMatch(/^registry .* answers but has no debian:bookworm \(the engine said: manifest for debian:bookworm not found: manifest unknown\): push it there or use --images local$/);
    expect(d.error?.hint).toMatch(/library\/debian:bookworm/);
  });

  it("upstream: no registry at all is its own line", () => {
    const d = decideImages("upstream", "Docker Hub (docker.io)", [failed(base, "no-answer", "dial tcp: lookup registry-1.docker.io: no such host")]);
    expect(d.error?.message).toBe("--images upstream: no registry answers: pulling debian:bookworm from Docker Hub (docker.io) failed (dial tcp: lookup registry-1.docker.io: no such host)");
    expect(d.error?.hint).toMatch(/--images local/);
  });

  it("upstream: a registry that answers but is too slow for the whole pull says so, not that the image is missing", () => {
    const d = decideImages("upstream", MIRROR, [ok(base), failed(etcd, "no-answer", "not pulled within 1800 s")]);
    expect(d.error?.message).toBe(`registry ${MIRROR} answers but elcolio/etcd was not pulled within 1800 s`);
  });

  it("the missing-image line names library/ for official images", () => {
    expect(missingImageMessage("R", "debian:bookworm").hint).toMatch(/library\/debian:bookworm/);
  });
});

describe("pull errors and registries", () => {
  it("sorts what the engine says", () => {
    expect(classifyPullError("manifest for elcolio/etcd:latest not found: manifest unknown: manifest unknown")).toBe("missing");
    expect(classifyPullError("pull access denied for percona/percona-xtradb-cluster, repository does not exist or may require 'docker login'")).toBe("missing");
    expect(classifyPullError('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host')).toBe("no-answer");
    expect(classifyPullError("Get http://127.0.0.1:5000/v2/: dial tcp 127.0.0.1:5000: connect: connection refused")).toBe("no-answer");
    expect(classifyPullError("net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)")).toBe("no-answer");
    expect(classifyPullError("not pulled within 1800 s")).toBe("no-answer");
    expect(classifyPullError("unauthorized: authentication required")).toBe("error");
  });

  it("names the engine's mirrors, else Docker Hub", () => {
    expect(describeRegistry(undefined)).toBe("Docker Hub (docker.io)");
    expect(describeRegistry([])).toBe("Docker Hub (docker.io)");
    expect(describeRegistry(["http://127.0.0.1:5000/"])).toBe(MIRROR);
  });
});

describe("the upstream base", () => {
  it("sets apt up as the debootstrap base does, on this machine's mirror", () => {
    const d = upstreamBaseDockerfile("http://deb.debian.org/debian");
    expect(d).toMatch(/^ARG BASE\nFROM \$\{BASE\}$/m);
    expect(d).toContain("deb %s bookworm main\\ndeb %s bookworm-updates main");
    expect(d).toContain("'http://deb.debian.org/debian' 'http://deb.debian.org/debian'");
    expect(d).toContain('APT::Install-Recommends "false";');
    expect(d).toMatch(/rm -f \/etc\/apt\/sources.list.d\/debian.sources && apt-get update && apt-get install -y --no-install-recommends ca-certificates/);
  });

  it("an https mirror: ca-certificates first, from the image's own sources", () => {
    const d = upstreamBaseDockerfile("https://mirror.example/debian");
    expect(d).toMatch(/apt-get install -y --no-install-recommends ca-certificates && rm -rf \/var\/lib\/apt\/lists\/\* && printf 'deb %s/);
  });
});

describe("the report's images", () => {
  it("a table: the name the commands used, the image ID, where it came from", () => {
    const lines = imagesSummary({
      mode: "upstream",
      why: "--images upstream: R answered",
      baseOrigin: "built here FROM debian:bookworm",
      images: [
        { role: "etcd", name: "elcolio/etcd", ref: "elcolio/etcd:latest", id: "sha256:0123456789abcdef", digest: "elcolio/etcd@sha256:feed", origin: "pulled from R" },
        { role: "galera", name: "percona/percona-xtradb-cluster", ref: "percona/percona-xtradb-cluster:latest", id: "sha256:fedcba9876543210", origin: "pulled from R" },
      ],
    });
    expect(lines[0]).toBe("Images: upstream (--images upstream: R answered).");
    expect(lines).toContain("| `elcolio/etcd` (etcd) | `0123456789ab` (sha256:feed) | pulled from R |");
    expect(lines).toContain("| `percona/percona-xtradb-cluster` (galera) | `fedcba987654` | pulled from R |");
    expect(lines.at(-1)).toBe("| the lab's hosts (`swarmlab/dind`) | | built here FROM debian:bookworm |");
  });
});
