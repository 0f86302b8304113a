// Behind proxy.js: only visitors with a live session get here.
export default function Account() {
  return <p id="account">Account</p>;
}
