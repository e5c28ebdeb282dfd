import { lazy, Suspense, useEffect, useState } from "react";
import { Route, Switch } from "wouter";
import { WeftApiError } from "./api/client";
import { live } from "./api/live";
import { useSession } from "./api/session";
import { ActivePanel } from "./components/ActivePanel";
import { ErrorView } from "./components/ErrorView";
import { Header } from "./components/Header";
import { BoardPage } from "./pages/BoardPage";
import { InboxPage } from "./pages/InboxPage";
import { SignInPage } from "./pages/SignInPage";

// The run page (and its graph library) loads when a run is opened: the board's first load does not carry it.
const RunPage = lazy(() => import("./pages/RunPage").then((m) => ({ default: m.RunPage })));
// The builder (React Flow, CodeMirror, the YAML document model) loads when it is opened.
const BuilderPage = lazy(() => import("./pages/BuilderPage").then((m) => ({ default: m.BuilderPage })));
const GalleryPage = lazy(() => import("./pages/GalleryPage").then((m) => ({ default: m.GalleryPage })));
const LaunchPage = lazy(() => import("./pages/gallery/LaunchPage").then((m) => ({ default: m.LaunchPage })));

export function App() {
  const session = useSession();
  const [panelOpen, setPanelOpen] = useState(false);
  const signedIn = session.data !== undefined;

  useEffect(() => {
    if (signedIn) live.start();
  }, [signedIn]);

  if (session.isPending) return <div className="boot" aria-busy="true" />;
  if (session.error) {
    if (session.error instanceof WeftApiError && session.error.status === 401) {
      return <SignInPage refused={false} />;
    }
    return (
      <main className="page">
        <ErrorView error={session.error} />
      </main>
    );
  }
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header onOpenActive={() => setPanelOpen(true)} />
      <main id="main" className="page">
        <Switch>
          <Route path="/" component={BoardPage} />
          <Route path="/runs/:id">
            {(params) => (
              <Suspense fallback={<div className="boot" aria-busy="true" />}>
                <RunPage id={params.id} />
              </Suspense>
            )}
          </Route>
          <Route path="/inbox" component={InboxPage} />
          <Route path="/builder/new">
            <Suspense fallback={<div className="boot" aria-busy="true" />}>
              <BuilderPage />
            </Suspense>
          </Route>
          <Route path="/builder/:id">
            {(params) => (
              <Suspense fallback={<div className="boot" aria-busy="true" />}>
                <BuilderPage id={params.id} />
              </Suspense>
            )}
          </Route>
          <Route path="/templates">
            <Suspense fallback={<div className="boot" aria-busy="true" />}>
              <GalleryPage />
            </Suspense>
          </Route>
          <Route path="/templates/:id/launch">
            {(params) => (
              <Suspense fallback={<div className="boot" aria-busy="true" />}>
                <LaunchPage id={params.id} />
              </Suspense>
            )}
          </Route>
          <Route>
            <ErrorView error={new WeftApiError(404, "WEFT_NOT_FOUND", `There is no page at ${location.pathname}.`)} />
          </Route>
        </Switch>
      </main>
      <ActivePanel open={panelOpen} onClose={() => setPanelOpen(false)} />
    </>
  );
}
