import { Rocket } from "lucide-react";

/** No run yet: how to launch one. */
export function EmptyBoard() {
  return (
    <div className="board-empty">
      <Rocket size={28} aria-hidden="true" />
      <h2>No runs yet</h2>
      <p className="muted">Launch a workflow and its run appears here at once, moving through its phases live.</p>
      <div className="board-empty-how">
        <p>From a terminal, in your project:</p>
        <pre>
          <code>weft run workflow.yaml</code>
        </pre>
        <p>or through the API:</p>
        <pre>
          <code>{`curl -X POST http://127.0.0.1:4280/api/workflow-executions \\
  -H 'content-type: application/json' \\
  -d '{"workflow_definition_id": "<template id>"}'`}</code>
        </pre>
      </div>
    </div>
  );
}
