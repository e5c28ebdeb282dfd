export function BoardPage() {
  return <h1>Runs</h1>;
}
