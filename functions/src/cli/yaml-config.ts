/**
 * A tenant's Maestro config as a YAML file: checked against MaestroConfigSchema (the same
 * schema the server validates with) and each problem located on its line, and the
 * effective config written back as YAML. Pure: text in, problems or text out.
 */
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { z } from "zod";
import { MaestroConfigSchema, describeIssues, type MaestroConfig } from "../schemas";

export interface ConfigProblem {
  /** 1-based line of the offending field (or of its nearest enclosing field that exists). */
  line: number;
  /** The field's dotted path, "(document)" for the whole file, "yaml" for a syntax error. */
  field: string;
  /** The rule it breaks, as the server would say it. */
  rule: string;
}

export type ConfigCheck = { ok: true; config: MaestroConfig } | { ok: false; problems: ConfigProblem[] };

/** `file.yaml:12: risk.max_session_loss_pct: must be greater than 0 (got -1)`. */
export function formatProblem(file: string, problem: ConfigProblem): string {
  return `${file}:${problem.line}: ${problem.field}: ${problem.rule}`;
}

type Path = readonly PropertyKey[];

/** The node at `path`, or the deepest node on the way there that exists (a missing field is reported where its parent is). */
function nearestNode(root: Node | null | undefined, path: Path): { node: Node | null; keyNode: Node | null } {
  let node: Node | null = root ?? null;
  let keyNode: Node | null = null;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
      node = node.items[segment] as Node;
      keyNode = node;
    } else {
      break;
    }
  }
  return { node, keyNode };
}

function lineOf(lines: LineCounter, node: Node | null, fallback = 1): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : lines.linePos(offset).line;
}

/** Checks a YAML config: syntax first (each error on its line), then every field the schema refuses. */
export function checkConfigYaml(text: string): ConfigCheck {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ line: lines.linePos(e.pos[0]).line, field: "yaml", rule: e.message.split("\n")[0] })),
    };
  }
  const input: unknown = doc.toJS() ?? {};
  const parsed = MaestroConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data };

  const problems: ConfigProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One problem per unknown field, on the line of its key.
      for (const key of issue.keys) {
        const { keyNode } = nearestNode(doc.contents as Node, [...issue.path, key]);
        problems.push({ line: lineOf(lines, keyNode), field: [...issue.path, key].join("."), rule: "is not a known field" });
      }
      continue;
    }
    const { node, keyNode } = nearestNode(doc.contents as Node, issue.path);
    const sentence = describeIssues(new z.ZodError([issue]), input);
    const field = issue.path.length ? issue.path.join(".") : "(document)";
    // describeIssues says "field: rule (got value)"; the field is printed on its own.
    const rule = sentence.startsWith(`${field}: `) ? sentence.slice(field.length + 2) : sentence;
    problems.push({ line: lineOf(lines, keyNode ?? node), field, rule });
  }
  problems.sort((a, b) => a.line - b.line || a.field.localeCompare(b.field));
  return { ok: false, problems };
}

/** The effective config as YAML, under a header that says where and when it came from. */
export function configToYaml(config: MaestroConfig, header: readonly string[]): string {
  const doc = new Document(config);
  doc.commentBefore = header.map((line) => ` ${line}`).join("\n");
  return doc.toString({ lineWidth: 0 });
}
