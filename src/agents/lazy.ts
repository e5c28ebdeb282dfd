/**
 * A provider whose module is imported on its first call. The SDK providers pull in large SDKs (about 0.2 s
 * each to load); the CLI registers them lazily so that `weft status`, `weft pause` and the rest start fast.
 */
import type { Provider } from "./provider.js";

export function lazyProvider(name: string, load: () => Promise<Provider>, opts: { images: boolean }): Provider {
  let loaded: Promise<Provider> | undefined;
  const get = () => {
    loaded ??= load();
    return loaded;
  };
  const provider: Provider = {
    name,
    generate: async (req) => (await get()).generate(req),
  };
  if (opts.images) {
    provider.generateImages = async (req) => {
      const p = await get();
      if (!p.generateImages) throw new Error(`provider ${name} has no image API`);
      return p.generateImages(req);
    };
  }
  return provider;
}
