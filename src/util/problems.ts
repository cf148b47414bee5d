/**
 * Turns zod's issues into sentences a user can act on: the path, the offending value and what is
 * allowed. zod's own wording ("Invalid discriminator value") never reaches the user.
 */
import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";
import { LabError } from "./errors.js";

export interface Problem {
  path: Array<string | number>;
  message: string;
}

export const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** "did you mean X?" when a known word is close enough to the typed one. */
export function didYouMean(typed: string, known: readonly string[]): string {
  if (!known.length) return "";
  const best = closest(typed, [...known]);
  return distance(typed, best) <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean "${best}"?` : "";
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  return v;
}

/** One problem per issue (an unknown key gives one per key, at the key). */
export function problemsOf(error: z.ZodError, root: unknown, prefix: Array<string | number> = [], allowedKeys?: readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const value = valueAt(root, issue.path);
    switch (issue.code) {
      case "unrecognized_keys": {
        for (const key of issue.keys) {
          const hint = allowedKeys ? `${didYouMean(key, allowedKeys) || ` (allowed: ${allowedKeys.join(", ")})`}` : "";
          out.push({ path: [...path, key], message: `unknown field "${key}"${hint}` });
        }
        break;
      }
      case "invalid_type":
        out.push({
          path,
          message:
            issue.received === "undefined"
              ? `is required (${issue.expected})`
              : issue.expected === "integer"
                ? `${show(value)} must be a whole number`
                : `${show(value)} is a ${issue.received}, expected ${issue.expected}`,
        });
        break;
      case "invalid_enum_value":
        out.push({ path, message: `${show(value)} is not allowed (${issue.options.join(", ")})${didYouMean(String(value), issue.options.map(String))}` });
        break;
      case "invalid_literal":
        out.push({ path, message: `${show(value)} is not allowed (expected ${show(issue.expected)})` });
        break;
      case "too_small":
        out.push({
          path,
          message:
            issue.type === "array"
              ? `has ${Array.isArray(value) ? value.length : 0} entries, needs at least ${issue.minimum}`
              : issue.type === "string"
                ? `${show(value)} is too short (at least ${issue.minimum} characters)`
                : `${show(value)} is below the minimum ${issue.inclusive ? "" : "(exclusive) "}${issue.minimum}`,
        });
        break;
      case "too_big":
        out.push({ path, message: issue.type === "array" ? `has ${Array.isArray(value) ? value.length : 0} entries, at most ${issue.maximum} allowed` : `${show(value)} is above the maximum ${issue.maximum}` });
        break;
      case "invalid_string":
        out.push({ path, message: issue.message && issue.message !== "Invalid" ? `${show(value)}: ${issue.message}` : `${show(value)} is not allowed here (${String(issue.validation)})` });
        break;
      case "invalid_union": {
        // The forms a value may take, from what each branch of the union expected here.
        const forms = issue.unionErrors.flatMap((e) =>
          e.issues.filter((i) => i.path.length === issue.path.length).flatMap((i) => (i.code === "invalid_enum_value" ? i.options.map(String) : i.code === "invalid_type" ? [i.expected === "array" ? "a list" : `a ${i.expected}`] : [])),
        );
        const allowed = [...new Set(forms)];
        out.push({ path, message: `${show(value)} is not allowed${allowed.length ? ` (${allowed.join(", ")})` : ""}${typeof value === "string" ? didYouMean(value, allowed) : ""}` });
        break;
      }
      case "custom":
        out.push({ path, message: issue.message });
        break;
      default:
        out.push({ path, message: `${show(value)} is not valid here` });
    }
  }
  return out;
}


/** A file (a scenario, an inventory) with problems: every one, each with its line. */
export class FileProblemsError extends LabError {
  override name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly problems: Array<{ line: number | string; path: string; message: string }>,
  ) {
    const line = (p: { line: number | string; path: string; message: string }) => `${file}:${p.line}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
    super(problems.length === 1 ? line(problems[0]!) : `${file} has ${problems.length} problems:\n${problems.map((p) => `  ${line(p)}`).join("\n")}`);
  }
}
