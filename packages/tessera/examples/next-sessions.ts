// lib/sessions.ts of a Next.js app: one manager, bound to Next. Used by the next-*.ts examples.
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createNextSessions } from "tessera/next";

export type Data = { theme?: string };
export const sessions = createNextSessions(createSessionManager<Data>({ store: createMemoryStore() }));
