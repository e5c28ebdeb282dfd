export function InboxPage() {
  return <h1>Review</h1>;
}
