// Entry of `healthcheck.mjs`, bundled beside every service's main.mjs (tools/build/bundle.mjs):
// the command of the container images' HEALTHCHECK. Exit 0 = healthy, 1 = not.
import { containerHealthcheck } from './container-healthcheck';

containerHealthcheck(process.env).then(
  (what) => {
    console.log(what);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
