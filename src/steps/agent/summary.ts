/** The markdown summary of an agent step (`summary.md`): who answered, the usage, and how the answer starts. */
import type { ProviderResponse } from "../../agents/provider.js";

const PREVIEW_LINES = 8;
const PREVIEW_CHARS = 800;

export function answerSummary(opts: {
  agent: string;
  provider: string;
  configured: boolean;
  response: ProviderResponse;
}): string {
  const { agent, provider, configured, response } = opts;
  const { inputTokens, outputTokens, costUsd } = response.usage;
  const cost = costUsd === undefined ? "" : ` · $${costUsd.toFixed(4)}`;
  const note = configured ? "" : " (not configured: offline mock)";
  const lines = response.text.trim().split("\n");
  let preview = lines.slice(0, PREVIEW_LINES).join("\n");
  if (preview.length > PREVIEW_CHARS) preview = `${preview.slice(0, PREVIEW_CHARS)}…`;
  else if (lines.length > PREVIEW_LINES) preview += "\n…";
  const quoted = preview
    .split("\n")
    .map((l) => (l === "" ? ">" : `> ${l}`))
    .join("\n");
  return [
    `**Agent** \`${agent}\` · provider \`${provider}\`${note} · model \`${response.model}\``,
    `**Tokens** ${inputTokens} in / ${outputTokens} out${cost}`,
    "",
    quoted || "> (empty answer)",
    "",
  ].join("\n");
}
