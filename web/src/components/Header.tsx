import { Activity, Inbox, LayoutGrid, LayoutTemplate, LogOut } from "lucide-react";
import { Link, useLocation } from "wouter";
import { setToken } from "../api/auth";
import { type ConnectionState, live, useConnection } from "../api/live";
import { useSession } from "../api/session";
import { InboxBadge } from "./InboxBadge";

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
};

/** The header of every page: navigation, the project, the server's version, the live connection. */
export function Header({ onOpenActive }: { onOpenActive: () => void }) {
  const { data: session } = useSession();
  const connection = useConnection();
  const [location] = useLocation();
  const projects = session?.scopes.map((s) => (s.project_id === "*" ? "all projects" : s.project_id)) ?? [];
  return (
    <header className="header">
      <Link href="/" className="brand" aria-label="weft home">
        <img src="/favicon.svg" alt="" width={24} height={24} />
        <span>weft</span>
      </Link>
      <nav className="nav" aria-label="Main">
        <Link href="/" className="nav-link" aria-current={location === "/" ? "page" : undefined}>
          <LayoutGrid size={16} aria-hidden="true" /> Runs
        </Link>
        <Link href="/inbox" className="nav-link" aria-current={location === "/inbox" ? "page" : undefined}>
          <Inbox size={16} aria-hidden="true" /> Review
          <InboxBadge />
        </Link>
        <Link
          href="/templates"
          className="nav-link"
          aria-current={location.startsWith("/templates") ? "page" : undefined}
        >
          <LayoutTemplate size={16} aria-hidden="true" /> Templates
        </Link>
        <button type="button" className="nav-link" aria-haspopup="dialog" onClick={onOpenActive}>
          <Activity size={16} aria-hidden="true" /> Active
        </button>
      </nav>
      <div className="header-meta">
        <span className="project" title={`${session?.name ?? ""}`}>
          {[...new Set(projects)].join(", ")}
        </span>
        <span
          className={`connection connection-${connection}`}
          role="status"
          aria-live="polite"
          title={CONNECTION_LABEL[connection]}
        >
          <span className="dot" aria-hidden="true" />
          <span className="connection-label">{CONNECTION_LABEL[connection]}</span>
        </span>
        <span className="version">v{session?.version}</span>
        {session?.mode === "token" && (
          <button
            type="button"
            className="icon-btn"
            aria-label="Sign out"
            title="Sign out"
            onClick={() => {
              setToken(null);
              live.restart();
            }}
          >
            <LogOut size={16} aria-hidden="true" />
          </button>
        )}
      </div>
    </header>
  );
}
