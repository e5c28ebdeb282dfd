export function ActivePanel(_props: { open: boolean; onClose: () => void }) {
  return null;
}
