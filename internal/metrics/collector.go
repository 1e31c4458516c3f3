package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gregor/internal/kafka"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The state read at scrape time, by Kafka's MBean names through the JMX
// exporter's rules (kafka.log:type=Log,name=Size,topic=T,partition=P is
// kafka_log_log_size{topic,partition}).
var (
	logSize        = desc("kafka_log_log_size", "Bytes of the partition's log segments.", "topic", "partition")
	logSegments    = desc("kafka_log_log_numlogsegments", "Segments of the partition's log.", "topic", "partition")
	logStartOffset = desc("kafka_log_log_logstartoffset", "The partition's log start offset.", "topic", "partition")
	logEndOffset   = desc("kafka_log_log_logendoffset", "The partition's log end offset.", "topic", "partition")
	underRepl      = desc("kafka_cluster_partition_underreplicated", "1 when the ISR of a partition this node leads is smaller than its replicas.", "topic", "partition")

	partitionCount     = desc("kafka_server_replicamanager_partitioncount", "Local replicas.")
	leaderCount        = desc("kafka_server_replicamanager_leadercount", "Local replicas that lead their partition.")
	underReplicated    = desc("kafka_server_replicamanager_underreplicatedpartitions", "Partitions this node leads whose ISR is smaller than their replicas.")
	underMinISR        = desc("kafka_server_replicamanager_underminisrpartitioncount", "Partitions this node leads whose ISR is below min.insync.replicas.")
	offlineReplicas    = desc("kafka_server_replicamanager_offlinereplicacount", "Local replicas on offline log directories.")
	purgatorySize      = desc("kafka_server_delayedoperationpurgatory_purgatorysize", "Requests waiting in a purgatory: acks=all produces, fetch long-polls (one per partition watched).", "delayedOperation")
	connectionCount    = desc("kafka_server_socket_server_metrics_connection_count", "Open client connections.", "listener")
	activeController   = desc("kafka_controller_kafkacontroller_activecontrollercount", "1 on the active controller.")
	offlinePartitions  = desc("kafka_controller_kafkacontroller_offlinepartitionscount", "Partitions without a leader.")
	globalTopics       = desc("kafka_controller_kafkacontroller_globaltopiccount", "Topics in the cluster.")
	globalPartitions   = desc("kafka_controller_kafkacontroller_globalpartitioncount", "Partitions in the cluster.")
	numGroups          = desc("kafka_coordinator_group_groupmetadatamanager_numgroups", "Groups this node coordinates.")
	numGroupsByState   = desc("kafka_coordinator_group_groupmetadatamanager_numgroups_state", "Groups this node coordinates, by state.", "state")
	groupMembers       = desc("kafka_consumergroup_members", "Members of a group.", "consumergroup")
	groupOffset        = desc("kafka_consumergroup_current_offset", "A group's committed offset.", "consumergroup", "topic", "partition")
	groupLag           = desc("kafka_consumergroup_lag", "High watermark minus the group's committed offset, for partitions this node leads.", "consumergroup", "topic", "partition")
	groupLagSum        = desc("kafka_consumergroup_lag_sum", "A group's lag summed over a topic's partitions this node leads.", "consumergroup", "topic")
	cleanerRecopy      = desc("kafka_log_logcleaner_cleaner_recopy_percent", "Bytes written over bytes read by the last cleaning, in percent.")
	cleanerMaxTime     = desc("kafka_log_logcleaner_max_clean_time_secs", "The longest cleaning, in seconds.")
	cleanerSinceRun    = desc("kafka_log_logcleanermanager_time_since_last_run_ms", "Milliseconds since the last cleaning (0: none yet).")
	cleanerUncleanable = desc("kafka_log_logcleanermanager_uncleanable_partitions_count", "Partitions not cleaned again until restart after a failed cleaning.")
	cleanerCleanings   = desc("gregor_log_cleaner_cleanings_total", "Cleanings done.")
	cleanerBytesRead   = desc("gregor_log_cleaner_bytes_read_total", "Bytes read by cleanings.")
	cleanerBytesWrite  = desc("gregor_log_cleaner_bytes_written_total", "Bytes written by cleanings.")
)

var stateDescs = []*prometheus.Desc{logSize, logSegments, logStartOffset, logEndOffset, underRepl,
	partitionCount, leaderCount, underReplicated, underMinISR, offlineReplicas, purgatorySize, connectionCount,
	activeController, offlinePartitions, globalTopics, globalPartitions, numGroups, numGroupsByState,
	groupMembers, groupOffset, groupLag, groupLagSum, cleanerRecopy, cleanerMaxTime, cleanerSinceRun,
	cleanerUncleanable, cleanerCleanings, cleanerBytesRead, cleanerBytesWrite}

// stateCollector reads the View at each scrape.
type stateCollector struct{ m *Metrics }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range stateDescs {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.m.view
	if v == nil {
		return
	}
	c.m.forgetTopics(v.TopicExists)
	hw := collectPartitions(ch, v)
	collectGroups(ch, v.Groups(), hw)
	for listener, n := range v.Connections() {
		gauge(ch, connectionCount, float64(n), listener)
	}
	collectController(ch, v.Controller())
	collectCleaner(ch, v.Cleaner())
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectPartitions sends the per-partition gauges and their sums, and
// returns the high watermarks of the partitions this node leads, for lag.
func collectPartitions(ch chan<- prometheus.Metric, v View) map[kafka.TopicPartition]kafka.Offset {
	var partitions, leaders, under, underMin, produces, fetches int
	hw := map[kafka.TopicPartition]kafka.Offset{}
	v.Partitions(func(p PartitionState) {
		topic, partition := p.TP.Topic, strconv.Itoa(int(p.TP.Partition))
		gauge(ch, logSize, float64(p.Size), topic, partition)
		gauge(ch, logSegments, float64(p.Segments), topic, partition)
		gauge(ch, logStartOffset, float64(p.LogStartOffset), topic, partition)
		gauge(ch, logEndOffset, float64(p.LogEndOffset), topic, partition)
		partitions++
		produces += p.WaitingProduces
		fetches += p.WaitingFetchWatches
		if !p.Leader {
			return
		}
		leaders++
		hw[p.TP] = p.HighWatermark
		isUnder := p.ISR < p.Replicas
		gauge(ch, underRepl, boolValue(isUnder), topic, partition)
		under += int(boolValue(isUnder))
		underMin += int(boolValue(p.ISR < p.MinInsyncReplicas))
	})
	gauge(ch, partitionCount, float64(partitions))
	gauge(ch, leaderCount, float64(leaders))
	gauge(ch, underReplicated, float64(under))
	gauge(ch, underMinISR, float64(underMin))
	gauge(ch, offlineReplicas, 0)
	gauge(ch, purgatorySize, float64(produces), "Produce")
	gauge(ch, purgatorySize, float64(fetches), "Fetch")
	return hw
}

// groupStates are Kafka's classic group states, each reported even at 0.
var groupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"}

func collectGroups(ch chan<- prometheus.Metric, groups []GroupState, hw map[kafka.TopicPartition]kafka.Offset) {
	byState := map[string]int{}
	for _, g := range groups {
		byState[g.State]++
		gauge(ch, groupMembers, float64(g.Members), g.Group)
		lagSum := map[string]int64{}
		for tp, committed := range g.Committed {
			partition := strconv.Itoa(int(tp.Partition))
			gauge(ch, groupOffset, float64(committed), g.Group, tp.Topic, partition)
			if high, ok := hw[tp]; ok {
				lag := max(int64(high-committed), 0)
				gauge(ch, groupLag, float64(lag), g.Group, tp.Topic, partition)
				lagSum[tp.Topic] += lag
			}
		}
		for topic, lag := range lagSum {
			gauge(ch, groupLagSum, float64(lag), g.Group, topic)
		}
	}
	gauge(ch, numGroups, float64(len(groups)))
	for _, s := range groupStates {
		gauge(ch, numGroupsByState, float64(byState[s]), s)
	}
}

func collectController(ch chan<- prometheus.Metric, c ControllerState) {
	gauge(ch, activeController, boolValue(c.Active))
	gauge(ch, offlinePartitions, float64(c.OfflinePartitions))
	gauge(ch, globalTopics, float64(c.Topics))
	gauge(ch, globalPartitions, float64(c.Partitions))
}

func collectCleaner(ch chan<- prometheus.Metric, c CleanerState) {
	gauge(ch, cleanerRecopy, c.LastRecopyPercent)
	gauge(ch, cleanerMaxTime, c.MaxCleanTime.Seconds())
	var since float64
	if !c.LastRun.IsZero() {
		since = float64(time.Since(c.LastRun).Milliseconds())
	}
	gauge(ch, cleanerSinceRun, since)
	gauge(ch, cleanerUncleanable, float64(c.Uncleanable))
	counter(ch, cleanerCleanings, float64(c.Cleanings))
	counter(ch, cleanerBytesRead, float64(c.BytesRead))
	counter(ch, cleanerBytesWrite, float64(c.BytesWritten))
}
