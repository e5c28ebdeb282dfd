import { AlertTriangle } from "lucide-react";
import { messageOf, WeftApiError } from "../api/client";

/** An error from the API (its code and message) or from the network, readable, with what to do. */
export function ErrorView({ error, retry }: { error: unknown; retry?: () => void }) {
  const code = error instanceof WeftApiError ? error.code : undefined;
  return (
    <div className="error-view" role="alert">
      <AlertTriangle aria-hidden="true" size={20} />
      <div>
        <p className="error-message">{messageOf(error)}</p>
        {code && <p className="error-code">{code}</p>}
        {retry && (
          <button type="button" className="btn" onClick={retry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
