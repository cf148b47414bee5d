/**
 * The step-kind reference in docs/scenario-format.md, made from the registries so the page cannot
 * drift from the code (a unit test compares them; `swarmlab docs --write` updates the page).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { WAITS, CHECKS } from "../checks/kinds/index.js";
import { FAULTS } from "../faults/kinds/index.js";
import { projectRoot } from "../util/paths.js";

export const FORMAT_DOC = join(projectRoot, "docs", "scenario-format.md");
const BEGIN = "<!-- step kinds: generated from src/checks/kinds and src/faults/kinds by `swarmlab docs --write` -->";
const END = "<!-- end of step kinds -->";

/** A field's type in a few words: "a host", "in | out | both (default both)", "list of ...". */
export function describeField(schema: z.ZodTypeAny): string {
  let s = schema;
  let optional = false;
  let dflt: unknown;
  for (;;) {
    if (s instanceof z.ZodOptional) {
      optional = true;
      s = s.unwrap();
    } else if (s instanceof z.ZodDefault) {
      dflt = s._def.defaultValue();
      s = s.removeDefault();
    } else break;
  }
  let what: string;
  if (s.description) what = s.description;
  else if (s instanceof z.ZodEnum) what = (s.options as string[]).join(" \\| ");
  else if (s instanceof z.ZodArray) what = `list of ${describeField(s.element)}`;
  else if (s instanceof z.ZodNumber) what = "number";
  else if (s instanceof z.ZodBoolean) what = "true/false";
  else if (s instanceof z.ZodString) what = "text";
  else what = "see the kind";
  return `${what}${dflt !== undefined ? ` (default ${String(dflt)})` : optional ? " (optional)" : ""}`;
}

const fieldsCell = (fields: z.ZodRawShape) =>
  Object.entries(fields)
    .map(([k, v]) => `\`${k}\`: ${describeField(v)}`)
    .join("; ");

const table = (head: [string, string], rows: Array<{ name: string; doc: string; fields: z.ZodRawShape }>) =>
  [`| ${head[0]} | ${head[1]} | fields |`, "| --- | --- | --- |", ...rows.map((k) => `| \`${k.name}\` | ${k.doc.replace(/\|/g, "\\|")} | ${fieldsCell(k.fields)} |`)].join("\n");

export function stepKindsReference(): string {
  return [
    BEGIN,
    "#### waits (each with `timeout`, seconds, required)",
    "",
    table(["wait", "holds when"], [...WAITS]),
    "",
    "#### checks",
    "",
    table(["check", "passes when"], [...CHECKS]),
    "",
    "#### faults (`fault: { kind: ..., <fields> }`)",
    "",
    table(["kind", "what happens"], [...FAULTS]),
    END,
  ].join("\n");
}

/** The page with its generated block replaced by the current reference. */
export function withCurrentReference(page: string): string {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${FORMAT_DOC} has no generated block (${BEGIN} ... ${END})`);
  return page.slice(0, a) + stepKindsReference() + page.slice(b + END.length);
}

export function writeReference(file = FORMAT_DOC): boolean {
  const page = readFileSync(file, "utf8");
  const next = withCurrentReference(page);
  if (next !== page) writeFileSync(file, next);
  return next !== page;
}
