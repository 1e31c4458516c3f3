// Package metrics is the broker's Prometheus metrics, named as the
// Prometheus JMX exporter's common Kafka rules name Kafka's MBeans
// (kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=T
// becomes kafka_server_brokertopicmetrics_messagesin_total{topic="T"}), so
// that dashboards built for Kafka read Gregor unchanged. docs/METRICS.md
// lists which of Kafka's are here.
//
// Two kinds of metric, by where their cost falls:
//
//   - Counters of traffic (records and bytes per topic, requests, errors
//     and latency per API) are updated once per request by Served, which
//     the server calls after answering. Served reads the decoded request
//     and response: it counts a produce's records from the batch headers
//     (no per-record work) and looks each topic's counters up once per
//     request.
//   - Everything that is state (partitions, log sizes and offsets, the
//     ISR, purgatories, groups and their lag, connections, the cleaner,
//     the controller) is read at scrape time from a View that the node
//     implements, so the hot path pays nothing for it; it is written in
//     the text format directly (collector.go), since it grows with
//     partitions and groups.
//
// Consumer lag is computed by the broker: for each group this node
// coordinates, the high watermark of each partition it leads minus the
// group's committed offset, under kafka_exporter's names
// (kafka_consumergroup_lag{consumergroup,topic,partition}), the most common
// exporter's, so that its dashboards work too.
//
// Metrics is safe for concurrent use.
package metrics
