// app/actions.ts of a Next.js app: Server Actions through `cookies()`. Compiled by
// `npm run typecheck`; `cookies()` needs a running Next server, so this one is not run in tests.
"use server";
import { cookies, headers } from "next/headers.js";
import { sessions } from "./next-sessions.js";

export async function saveTheme(theme: string): Promise<boolean> {
  const session = sessions.fromCookies(await cookies(), await headers());
  return (await session.patch({ set: { theme } })) !== null; // false without a live session
}

export async function logOut(): Promise<void> {
  await sessions.fromCookies(await cookies(), await headers()).logout(); // clears the cookie via cookies().set
}
