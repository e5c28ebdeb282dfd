export function SignInPage(_props: { refused: boolean }) {
  return <h1>Sign in</h1>;
}
