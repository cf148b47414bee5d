/**
 * The engine side of `--images local|upstream|auto` (the decisions are in ./source.ts): pulls with
 * a bounded, cancellable wait for the registry's answer, the registry the engine pulls Docker Hub
 * names from (its mirrors), and `prepareImages`, which gives a lab its ImageSet:
 *
 * - local: every image built here (debootstrap base), the scenarios run the lab's names;
 * - upstream: `debian:bookworm` pulled (the probe: does a registry answer?), the lab's own images
 *   (hosts, registry) built FROM it, `elcolio/etcd` and `percona/percona-xtradb-cluster` pulled
 *   and run under those names;
 * - auto: upstream when every pull works, else local, saying why.
 */
import type Docker from "dockerode";
import type { Log } from "../engine/engine.js";
import { LabError, abortError } from "../util/errors.js";
import { buildImages, debianMirror, tagOf, DEBOOTSTRAP, type BaseOrigin } from "./build.js";
import type { ImageName } from "./spec.js";
import {
  decideImages,
  describeRegistry,
  classifyPullError,
  parseImagesMode,
  withTag,
  UPSTREAM_BASE,
  WALKTHROUGH_IMAGES,
  type ImageSet,
  type ImagesMode,
  type PullOutcome,
  type RanImage,
  type WalkthroughRole,
} from "./source.js";

/** How long a registry has to answer a pull (the manifest: "Pulling from ..."), unless SWARMLAB_REGISTRY_ANSWER_SECONDS says otherwise. */
export const REGISTRY_ANSWER_MS = 30_000;
/** How long a whole pull may take once the registry answered. */
export const PULL_TOTAL_MS = 30 * 60_000;

const answerMs = (): number => {
  const s = Number(process.env.SWARMLAB_REGISTRY_ANSWER_SECONDS);
  return Number.isFinite(s) && s > 0 ? s * 1000 : REGISTRY_ANSWER_MS;
};

interface PullEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Pulls `ref` into the engine. The registry must answer (the engine prints "Pulling from",
 * "Digest" or "Status" once it has the manifest) within `answerMs`, and the whole pull end within
 * `totalMs`; either bound cancels the request (the engine stops the pull with it). A failure is
 * returned, sorted (no answer, missing, other), not thrown; only an abort of `signal` throws.
 */
export async function pullImage(docker: Docker, ref: string, o: { answerMs?: number; totalMs?: number; signal?: AbortSignal; log?: Log } = {}): Promise<PullOutcome> {
  const full = withTag(ref);
  const t0 = Date.now();
  const ac = new AbortController();
  const onAbort = () => ac.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const answerBound = o.answerMs ?? answerMs();
  const totalBound = o.totalMs ?? PULL_TOTAL_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    o.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const bound = (ms: number, what: string) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          settle(new Error(what));
          ac.abort();
        }, ms);
        timer.unref?.();
      };
      bound(answerBound, `no answer within ${answerBound / 1000} s`);
      let answered = false;
      docker.pull(full, { abortSignal: ac.signal }).then(
        (stream: NodeJS.ReadableStream) =>
          docker.modem.followProgress(
            stream,
            (err: Error | null, output: PullEvent[]) => {
              const failed = output.find((e) => e.error || e.errorDetail?.message);
              // A pull that ends well ends with the engine's "Status: ..." line; a cut stream does not.
              const done = output.some((e) => /^Status: /.test(e.status ?? ""));
              const message = err?.message ?? failed?.errorDetail?.message ?? failed?.error ?? (done ? undefined : "the pull ended before the engine said it was done");
              settle(message ? new Error(message) : undefined);
            },
            (e: PullEvent) => {
              if (!answered && /^(Pulling from|Digest:|Status:|Already exists|Pulling fs layer)/.test(e.status ?? "")) {
                answered = true;
                o.log?.(`${full}: the registry answered after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
                bound(Math.max(1000, totalBound - (Date.now() - t0)), `not pulled within ${totalBound / 1000} s`);
              }
            },
          ),
        (err: Error) => settle(err),
      );
    });
  } catch (err) {
    if (o.signal?.aborted) throw abortError(o.signal);
    const message = ((err as Error).message ?? String(err)).replace(/^\(HTTP code \d+\) [a-z ]+ - /, "").trim();
    return { ref: full, ok: false, failure: classifyPullError(message), message };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  }
  if (o.signal?.aborted) throw abortError(o.signal);
  const info = await docker.getImage(full).inspect();
  const repo = full.replace(/:[^:/]+$/, "");
  const digest = (info.RepoDigests ?? []).find((d) => d.replace(/^docker\.io\//, "").startsWith(`${repo.replace(/^library\//, "")}@`) || d.startsWith(`${repo}@`));
  return { ref: full, ok: true, id: info.Id, digest, seconds: (Date.now() - t0) / 1000 };
}

/** Where this engine pulls Docker Hub names from, in words (its registry-mirrors, else Docker Hub). */
export async function engineRegistry(docker: Docker): Promise<string> {
  const info = (await docker.info().catch(() => ({}))) as { RegistryConfig?: { Mirrors?: string[]; IndexConfigs?: Record<string, { Mirrors?: string[] }> } };
  const mirrors = info.RegistryConfig?.Mirrors ?? info.RegistryConfig?.IndexConfigs?.["docker.io"]?.Mirrors;
  return describeRegistry(mirrors);
}

export interface PrepareImagesOptions {
  mode?: ImagesMode;
  log: Log;
  signal?: AbortSignal;
  /**
   * The lab's own images to build. Default: every one in local mode (as `up` always did); in
   * upstream mode the host image and the registry's (what a lab needs). "all": every one the mode
   * builds (setup, images build).
   */
  build?: ImageName[] | "all";
}

const idOf = async (docker: Docker, ref: string): Promise<string> => (await docker.getImage(ref).inspect()).Id;

const ROLES: WalkthroughRole[] = ["etcd", "galera"];

/** The images of a lab, from where `mode` says: built here, or pulled (see the module comment). */
export async function prepareImages(docker: Docker, o: PrepareImagesOptions): Promise<ImageSet> {
  const asked = parseImagesMode(o.mode);
  const log = o.log;
  if (asked === "local") return localSet(docker, o, asked, "--images local: every image built here from Debian packages");
  const registry = await engineRegistry(docker);
  log(`--images ${asked}: pulling ${UPSTREAM_BASE}, ${ROLES.map((r) => WALKTHROUGH_IMAGES[r].walkthrough).join(" and ")} from ${registry}`);
  const pulls: PullOutcome[] = [];
  for (const ref of [UPSTREAM_BASE, ...ROLES.map((r) => WALKTHROUGH_IMAGES[r].walkthrough)]) {
    const p = await pullImage(docker, ref, { signal: o.signal, log });
    pulls.push(p);
    log(p.ok ? `pulled ${p.ref} (${p.id.replace(/^sha256:/, "").slice(0, 12)}) in ${p.seconds.toFixed(1)} s` : `${p.ref}: ${p.failure}: ${p.message.split("\n")[0]}`);
    if (!p.ok) break; // the first failure decides
  }
  const decision = decideImages(asked, registry, pulls);
  if (decision.error) throw new LabError(decision.error.message, { hint: decision.error.hint });
  log(decision.why);
  if (decision.mode === "local") return localSet(docker, o, asked, decision.why);
  const base = pulls[0] as Extract<PullOutcome, { ok: true }>;
  const origin: BaseOrigin = { kind: "upstream", ref: base.ref, id: base.id };
  const wanted: ImageName[] = o.build === "all" ? ["base", "dind", "registry", "machine"] : (o.build?.filter((n) => n !== "etcd" && n !== "galera") ?? ["dind", "registry"]);
  const built = await buildImages(docker, log, wanted, origin);
  if (built.some((b) => b.built)) log(`built FROM ${base.ref}: ${built.filter((b) => b.built).map((b) => b.tag).join(", ")}`);
  const images: RanImage[] = ROLES.map((role, i) => {
    const p = pulls[i + 1] as Extract<PullOutcome, { ok: true }>;
    return { role, name: WALKTHROUGH_IMAGES[role].walkthrough, ref: p.ref, id: p.id, ...(p.digest ? { digest: p.digest } : {}), origin: `pulled from ${registry}` };
  });
  return {
    asked,
    mode: "upstream",
    why: decision.why,
    images,
    tags: { base: tagOf("base", origin), dind: tagOf("dind", origin), registry: tagOf("registry", origin) },
    baseOrigin: `built here FROM ${base.ref} (${base.id.replace(/^sha256:/, "").slice(0, 12)}${base.digest ? `, ${base.digest.replace(/^.*@/, "")}` : ""}) pulled from ${registry}; apt from ${debianMirror()}`,
  };
}

async function localSet(docker: Docker, o: PrepareImagesOptions, asked: ImagesMode, why: string): Promise<ImageSet> {
  const built = await buildImages(docker, o.log, o.build === "all" ? undefined : o.build);
  if (built.some((b) => b.built)) o.log(`built ${built.filter((b) => b.built).map((b) => b.name).join(", ")}`);
  const images: RanImage[] = [];
  for (const role of ROLES) {
    const ref = tagOf(role);
    // Present when built (or asked to be); an `images build dind` does not make etcd.
    const id = await idOf(docker, ref).catch(() => "");
    if (id) images.push({ role, name: WALKTHROUGH_IMAGES[role].lab, ref, id, origin: "built here from Debian packages" });
  }
  return {
    asked,
    mode: "local",
    why,
    images,
    tags: { base: tagOf("base", DEBOOTSTRAP), dind: tagOf("dind", DEBOOTSTRAP), registry: tagOf("registry", DEBOOTSTRAP) },
    baseOrigin: `debootstrap --variant=minbase bookworm from ${debianMirror()}, built here`,
  };
}
