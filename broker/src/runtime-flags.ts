// Node/V8 flags every broker process runs with (broker/bin/strata and broker/Dockerfile pass the same ones).
// The fetch and produce paths allocate large, short-lived Buffers; with V8's default tiny initial old space
// that external-memory churn triggers a full mark-compact ~16 times a second. Starting with 64 MiB of old
// space cut full GCs from ~280 to 1–2 per run and halved broker CPU per GB moved (bench:vs-kafka profile).
// Node 24's V8 sizes the young generation much larger: Buffer wrappers then live long enough that external
// memory grows until it forces mark-compacts (bench/produce-fetch: ~25 scavenges and ~130 full GCs per run
// instead of ~550 and ~85, produce MB/s down by about 40%, +60 MiB RSS). Capping each semi-space at 2 MiB
// keeps frequent, cheap scavenges freeing them, and restored Node 20's throughput and RSS (issue 15).
export const BROKER_NODE_FLAGS = ['--initial-old-space-size=64', '--max-semi-space-size=2'];
