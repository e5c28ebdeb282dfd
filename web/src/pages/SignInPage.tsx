/**
 * Sign-in, shown when the server has API tokens and this tab has none the server knows (a 401 from
 * /api/session). The token is checked against the server before it is kept; it is kept for this tab only
 * (sessionStorage, api/auth.ts) and never goes into a URL.
 */
import { createWeftClient } from "@client";
import { KeyRound } from "lucide-react";
import { type FormEvent, useState } from "react";
import { setToken } from "../api/auth";
import { call, messageOf, WeftApiError } from "../api/client";
import { live } from "../api/live";
import "./SignInPage.css";

export function SignInPage({ refused }: { refused: boolean }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(
    refused ? "The server no longer accepts the token this tab used. Sign in again." : null,
  );
  const [checking, setChecking] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const token = value.trim();
    if (!token) {
      setError("Paste an API token to sign in.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await call(createWeftClient({ baseUrl: "", token }).GET("/api/session"));
      setToken(token);
      live.restart();
    } catch (err) {
      setError(
        err instanceof WeftApiError && err.status === 401
          ? "The server does not know this token. Check that you copied all of it, and that it was not revoked."
          : messageOf(err),
      );
      setChecking(false);
    }
  }

  return (
    <main className="signin">
      <form className="signin-card card" onSubmit={(e) => void submit(e)} noValidate>
        <div className="signin-brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>weft</span>
        </div>
        <h1>Sign in</h1>
        <p className="signin-lead">
          This server needs an API token. It is kept for this tab only and never put in a URL.
        </p>
        <label htmlFor="signin-token" className="signin-label">
          API token
        </label>
        <div className="signin-field">
          <KeyRound size={16} aria-hidden="true" />
          <input
            id="signin-token"
            className="input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error ? "signin-error" : "signin-help"}
            // biome-ignore lint/a11y/noAutofocus: the only field of the page; the person came here to type in it.
            autoFocus
          />
        </div>
        {error && (
          <p id="signin-error" className="signin-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary signin-submit" disabled={checking}>
          {checking ? "Checking…" : "Sign in"}
        </button>
        <div id="signin-help" className="signin-help">
          <p>No token? Whoever runs the server creates one:</p>
          <code>weft token create --name &lt;you&gt; --project &lt;project&gt;:operate</code>
        </div>
      </form>
    </main>
  );
}
