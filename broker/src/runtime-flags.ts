// Node/V8 flags every broker process runs with (broker/bin/strata passes the same ones).
// The fetch and produce paths allocate large, short-lived Buffers; with V8's default tiny initial old space
// that external-memory churn triggers a full mark-compact ~16 times a second. Starting with 64 MiB of old
// space cut full GCs from ~280 to 1–2 per run and halved broker CPU per GB moved (bench:vs-kafka profile).
export const BROKER_NODE_FLAGS = ['--initial-old-space-size=64'];
