// app/actions.js: examples/next-action.ts, Server Actions through cookies().
"use server";
import { cookies, headers } from "next/headers";
import { sessions } from "../lib/sessions.js";

export async function saveTheme(theme) {
  const session = sessions.fromCookies(await cookies(), await headers());
  return (await session.patch({ set: { theme } })) !== null;
}

export async function logOut() {
  await sessions.fromCookies(await cookies(), await headers()).logout();
}
