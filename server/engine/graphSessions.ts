// Sessions of the small graphs the engine writes at run time (gpuDownload.ts, gpuUpload.ts): one per
// key (the graph's layout), created on first use on `ep` (the CPU behind it), never optimised (a
// handful of nodes), released together. A creation that fails is forgotten, so the next use tries again.
import * as ort from 'onnxruntime-node';

export interface GraphSessions<K> {
  /** The session for `key`, created from `model()` (with `opts` added) the first time. */
  get(key: K, model: () => Uint8Array, opts?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  release(): Promise<void>;
}

export function graphSessions<K>(ep: string): GraphSessions<K> {
  const sessions = new Map<K, Promise<ort.InferenceSession>>();
  return {
    get(key, model, opts = {}) {
      let s = sessions.get(key);
      if (!s) {
        s = ort.InferenceSession.create(model(), {
          executionProviders: ep === 'cpu' ? ['cpu'] : [ep as 'webgpu', 'cpu'],
          graphOptimizationLevel: 'disabled',
          ...opts,
        });
        sessions.set(key, s);
        s.catch(() => sessions.delete(key));
      }
      return s;
    },
    async release() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map(async (p) => (await p).release().catch(() => {})));
    },
  };
}
