/**
 * The smoke app as a Worker module for workerd. The store is created on the first request and
 * kept for the isolate's life, as a real Worker would keep it: that is what makes a store's state
 * (its deadline timer among it) span requests.
 */
import { createSmokeApp } from "./smoke-app.js";
import { type CONFIG_VARIABLES, createSmokeStore, readSmokeConfig } from "./smoke-store.js";

type Bindings = Partial<Record<(typeof CONFIG_VARIABLES)[number], string>>;

let app: Promise<ReturnType<typeof createSmokeApp>> | undefined;

export default {
  fetch(request: Request, env: Bindings): Promise<Response> {
    app ??= createSmokeStore(readSmokeConfig((name) => env[name])).then((store) => createSmokeApp(store, "workerd"));
    return app.then((ready) => ready.fetch(request));
  },
};
