/** The builder's document model: read a workflow's text into a graph, and edit the text. */
export {
  addStep,
  connect,
  disconnect,
  removeStep,
  renameStep,
  setEdgeOn,
  setPositions,
  setStepField,
} from "./edits.js";
export { readGraph, stepAt } from "./graph.js";
export type * from "./types.js";
