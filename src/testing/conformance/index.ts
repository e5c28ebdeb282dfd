/**
 * The conformance suite's part for what `weft serve` stores: workflow definitions, comments, artifacts,
 * document attachments and API tokens; and attempts as a step's commit writes them, read back (attempts.ts). Called by
 * `storeConformanceSuite` inside its describe block, with access to the current store, another instance on the
 * same database ("another process") and a run factory.
 */
import { artifactsConformance } from "./artifacts.js";
import { attachmentsConformance } from "./attachments.js";
import { attemptsConformance } from "./attempts.js";
import { commentsConformance } from "./comments.js";
import { definitionStatusConformance } from "./definition-status.js";
import { definitionsConformance } from "./definitions.js";
import type { ServerConformanceContext } from "./fixtures.js";
import { reopenConformance } from "./reopen.js";
import { tokensConformance } from "./tokens.js";
import { viewsConformance } from "./views.js";

export type { ServerConformanceContext } from "./fixtures.js";

export function serverConformance(ctx: ServerConformanceContext): void {
  definitionsConformance(ctx);
  definitionStatusConformance(ctx);
  commentsConformance(ctx);
  artifactsConformance(ctx);
  attachmentsConformance(ctx);
  tokensConformance(ctx);
  reopenConformance(ctx);
  viewsConformance(ctx);
  attemptsConformance(ctx);
}
