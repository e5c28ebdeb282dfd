/**
 * The prompt an agent step sends: its rendered `prompt`, followed by its rendered `inputs` as JSON, then the
 * text of its context `documents`, each in a `<document name="…">` block.
 */
import type { Json } from "../../core/json.js";

export function buildPrompt(stepId: string, prompt: string | undefined, inputs: Json | undefined): string {
  if (inputs === undefined) return prompt ?? "";
  const block = `Inputs:\n\`\`\`json\n${JSON.stringify(inputs, null, 2)}\n\`\`\``;
  if (prompt !== undefined && prompt.trim() !== "") return `${prompt}\n\n${block}`;
  const names = inputs !== null && typeof inputs === "object" && !Array.isArray(inputs) ? Object.keys(inputs) : [];
  const listed = names.length > 0 ? `: ${names.join(", ")}` : "";
  return `Work on step "${stepId}" with these inputs${listed}. Answer with the result.\n\n${block}`;
}

/** The prompt followed by the context documents' text, each under its name; the prompt alone without any. */
export function withDocuments(prompt: string, documents: ReadonlyArray<{ name: string; text: string }>): string {
  if (documents.length === 0) return prompt;
  const blocks = documents.map((d) => `<document name=${JSON.stringify(d.name)}>\n${d.text}\n</document>`);
  const head = prompt.trim() === "" ? "" : `${prompt}\n\n`;
  return `${head}Context documents:\n\n${blocks.join("\n\n")}`;
}
