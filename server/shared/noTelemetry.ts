// onnxruntime-node 1.30 has Microsoft telemetry built in (1DS): once a session exists, an idle engine
// looks up mobile.events.data.microsoft.com every few seconds and writes
// ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db. ORT_DISABLE_TELEMETRY=1 in the
// process environment before the first session turns both off (the native library reads it when it
// creates its environment; "0" does not count). The JS API (onnxruntime-common `env`) has no switch
// for it, and the binding exposes no DisableTelemetryEvents.
//
// Importing this module sets it in this process (first import of the engine entry and of every
// module that imports onnxruntime-node); EngineClient also puts ENGINE_ENV into the environment of
// every engine it forks. test/reliability/offline.test.ts checks under strace that the engine opens no
// network socket and writes nothing under ~/.cache/Microsoft.
export const ENGINE_ENV = { ORT_DISABLE_TELEMETRY: '1' } as const;

Object.assign(process.env, ENGINE_ENV);
