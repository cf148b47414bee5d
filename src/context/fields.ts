/**
 * Field types that step kinds share (hosts, seconds, services). Their messages name the value and
 * what is allowed, because they reach the user as `file:line: path: message`.
 */
import { join } from "node:path";
import { z } from "zod";
import { readCompose, topologyForSize } from "../hosts/compose.js";
import { projectRoot } from "../util/paths.js";

let hostNames: string[] | undefined;
/** Set while a scenario is validated for a lab of another size (zod's refinements run synchronously). */
let sizedNames: string[] | undefined;

const composeFile = () => join(projectRoot, "docker-compose.dind.yml");

/** The lab's host names, from docker-compose.dind.yml (the single source of truth), or those of the size being validated for. */
export function labHostNames(): string[] {
  if (sizedNames) return sizedNames;
  hostNames ??= readCompose(composeFile()).hosts.map((h) => h.service);
  return hostNames;
}

/** docker1..dockerN for a lab of n hosts: the compose file's, and beyond them its pattern. */
export function hostNamesForSize(n: number): string[] {
  return topologyForSize(readCompose(composeFile()), n).hosts.map((h) => h.service);
}

/** Runs fn (a validation) with labHostNames() answering these names: a scenario parsed for a lab of n hosts. */
export function withLabHostNames<T>(names: string[], fn: () => T): T {
  const before = sizedNames;
  sizedNames = names;
  try {
    return fn();
  } finally {
    sizedNames = before;
  }
}

const show = (v: unknown) => JSON.stringify(v);

/** A host of the lab; `extra` are further words allowed in its place ("manager", "all"). */
export function hostField(...extra: string[]) {
  return z
    .string()
    .superRefine((v, c) => {
      if (!labHostNames().includes(v) && !extra.includes(v)) {
        c.addIssue({ code: "custom", message: `${show(v)} is not a host of this lab (${[...labHostNames(), ...extra].join(", ")})` });
      }
    })
    .describe(extra.length ? `a host or ${extra.join(", ")}` : "a host");
}

export const host = hostField();
export const seconds = z.number().positive().max(3600).describe("seconds, up to 3600");
/** A swarm service name (as `docker service create --name` takes it). */
export const serviceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).describe("a service name");
export const members = z.number().int().min(0).max(9).describe("0-9");
