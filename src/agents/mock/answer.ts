/** The mock provider's plain-text answers: short, readable, and about what the prompt asked. */
import type { Rng } from "./rng.js";

/** The prompt's first sentence or line, whitespace collapsed, at most ~80 characters. */
export function subjectOf(prompt: string): string {
  const firstLine =
    prompt
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "" && !l.startsWith("```")) ?? "";
  const sentence = (firstLine.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? firstLine).replace(/[.!?:]+$/, "");
  const text = sentence.replace(/\s+/g, " ").trim();
  if (text.length <= 80) return text || "the task";
  const cut = text.slice(0, 80);
  const space = cut.lastIndexOf(" ");
  return `${space > 40 ? cut.slice(0, space) : cut}…`;
}

const VERBS = ["Reviewed", "Worked through", "Looked into", "Analysed", "Went over"];
const FINDINGS = [
  "the main path holds up, but one edge case needs a test",
  "naming is inconsistent in a couple of places",
  "error handling could say what to do next",
  "one input is not validated before use",
  "a slow step could run in parallel with the others",
  "the documentation lags behind the behaviour",
  "a retry would hide a real failure here",
  "two parts duplicate the same logic",
];

/** E.g. `[mock security] Reviewed “Scan auth.ts for vulnerabilities”: 3 findings. 1) … This is …`. */
export function mockAnswer(agent: string, prompt: string, rng: Rng): string {
  const subject = subjectOf(prompt);
  const count = rng.int(1, 4);
  const pool = [...FINDINGS];
  const findings: string[] = [];
  for (let i = 0; i < count; i++) findings.push(pool.splice(rng.int(0, pool.length - 1), 1)[0] as string);
  const listed = findings.map((f, i) => `${i + 1}) ${f[0]?.toUpperCase()}${f.slice(1)}.`).join(" ");
  return [
    `[mock ${agent}] ${rng.pick(VERBS)} “${subject}”: ${count} ${count === 1 ? "finding" : "findings"}.`,
    listed,
    `This is a deterministic answer from weft's offline mock provider; configure agent "${agent}" with a real provider for real work.`,
  ].join(" ");
}
