/** pullImage's bounds and verdicts, against a stand-in for the engine's pull stream (no engine is asked). */
import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { pullImage } from "../../src/images/upstream.js";

type Script = Array<{ afterMs: number; line?: object; end?: boolean }>;

/** A dockerode whose pull streams the scripted lines (the real modem's followProgress reads them). */
function fakeEngine(script: Script | Error, image = { Id: "sha256:1234567890abcdef", RepoDigests: ["elcolio/etcd@sha256:feed"] }) {
  const docker = new Docker({ socketPath: "/nonexistent.sock" });
  const seen: { aborted: boolean } = { aborted: false };
  (docker as unknown as { pull: unknown }).pull = async (_ref: string, opts: { abortSignal?: AbortSignal }) => {
    if (script instanceof Error) throw script;
    const s = new PassThrough();
    opts.abortSignal?.addEventListener("abort", () => {
      seen.aborted = true;
      s.destroy();
    });
    for (const step of script) {
      setTimeout(() => {
        if (s.destroyed) return;
        if (step.line) s.write(`${JSON.stringify(step.line)}\r\n`);
        if (step.end) s.end();
      }, step.afterMs);
    }
    return s;
  };
  (docker as unknown as { getImage: unknown }).getImage = () => ({ inspect: async () => image });
  return { docker, seen };
}

const answered = { status: "Pulling from elcolio/etcd", id: "latest" };
const done = { status: "Status: Downloaded newer image for elcolio/etcd:latest" };

describe("pullImage", () => {
  it("a pull that ends with the engine's Status line: the image's ID and digest", async () => {
    const { docker } = fakeEngine([{ afterMs: 5, line: answered }, { afterMs: 10, line: { status: "Digest: sha256:feed" } }, { afterMs: 15, line: done, end: true }]);
    const r = await pullImage(docker, "elcolio/etcd", { answerMs: 1000 });
    expect(r).toMatchObject({ ref: "elcolio/etcd:latest", ok: true, id: "sha256:1234567890abcdef", digest: "elcolio/etcd@sha256:feed" });
  });

  it("no answer within the bound: no-answer, and the request is cancelled", async () => {
    const { docker, seen } = fakeEngine([{ afterMs: 5000, line: answered }]);
    const r = await pullImage(docker, "debian:bookworm", { answerMs: 50 });
    expect(r).toEqual({ ref: "debian:bookworm", ok: false, failure: "no-answer", message: "no answer within 0.05 s" });
    expect(seen.aborted).toBe(true);
  });

  it("answered, then slower than the whole bound: cancelled with its own message", async () => {
    const { docker, seen } = fakeEngine([{ afterMs: 5, line: answered }, { afterMs: 5000, line: done, end: true }]);
    const r = await pullImage(docker, "percona/percona-xtradb-cluster", { answerMs: 1000, totalMs: 100 });
    expect(r).toMatchObject({ ok: false, failure: "no-answer", message: expect.stringMatching(/^not pulled within 0.1 s$/) });
    expect(seen.aborted).toBe(true);
  });

  it("the engine's error in the stream (a mirror without the image, then Docker Hub)", async () => {
    const { docker } = fakeEngine([{ afterMs: 5, line: { errorDetail: { message: "manifest for percona/percona-xtradb-cluster:latest not found: manifest unknown" }, error: "manifest for percona/percona-xtradb-cluster:latest not found: manifest unknown" }, end: true }]);
    const r = await pullImage(docker, "percona/percona-xtradb-cluster", { answerMs: 1000 });
    expect(r).toEqual({ ref: "percona/percona-xtradb-cluster:latest", ok: false, failure: "missing", message: "manifest for percona/percona-xtradb-cluster:latest not found: manifest unknown" });
  });

  it("the engine refusing the request: its message without dockerode's prefix", async () => {
    const { docker } = fakeEngine(new Error("(HTTP code 404) unexpected - pull access denied for percona/percona-xtradb-cluster, repository does not exist or may require 'docker login' "));
    const r = await pullImage(docker, "percona/percona-xtradb-cluster", { answerMs: 1000 });
    expect(r).toMatchObject({ ok: false, failure: "missing", message: "pull access denied for percona/percona-xtradb-cluster, repository does not exist or may require 'docker login'" });
  });

  it("a stream cut before the Status line is not a pull", async () => {
    const { docker } = fakeEngine([{ afterMs: 5, line: answered, end: true }]);
    const r = await pullImage(docker, "elcolio/etcd", { answerMs: 1000 });
    expect(r).toMatchObject({ ok: false, message: "the pull ended before the engine said it was done" });
  });

  it("Ctrl-C (the caller's signal) throws, and cancels the request", async () => {
    const { docker, seen } = fakeEngine([{ afterMs: 5, line: answered }, { afterMs: 5000, line: done, end: true }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new DOMException("interrupted", "AbortError")), 30);
    await expect(pullImage(docker, "elcolio/etcd", { answerMs: 1000, signal: ac.signal })).rejects.toThrow(/interrupted/);
    expect(seen.aborted).toBe(true);
  });
});
