// A Server Component that reads the session through cookies(), and a form for the Server Actions.
import { cookies, headers } from "next/headers";
import { sessions } from "../../lib/sessions.js";
import { logOut, saveTheme } from "../actions.js";

export default async function Profile() {
  const current = await sessions.fromCookies(await cookies(), await headers()).session();
  return (
    <main>
      <p id="who">{current ? `Signed in as ${current.userId} (theme ${current.data.theme})` : "Not signed in"}</p>
      <form action={saveTheme.bind(null, "light")}>
        <button type="submit">Light theme</button>
      </form>
      <form action={logOut}>
        <button type="submit">Log out</button>
      </form>
    </main>
  );
}
