export function InboxBadge() {
  return null;
}
