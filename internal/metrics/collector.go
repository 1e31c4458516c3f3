package metrics

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gregor/internal/kafka"
)

// The state read at scrape time, by Kafka's MBean names through the JMX
// exporter's rules (kafka.log:type=Log,name=Size,topic=T,partition=P is
// kafka_log_log_size{topic,partition}).
//
// These families grow with partitions and groups (at 10,000 partitions
// and a group committed on each, 70,000 series), so they are written in
// Prometheus' text format (0.0.4) straight from the View, in one walk of
// the partitions and one of the groups, rather than built as
// client_golang const metrics, sorted and encoded: that cost 390 ms a
// scrape. Each family is appended to its own buffer during the walk and
// written whole, so its lines stay together as the format requires;
// series are in the View's order, not sorted (Prometheus does not ask it).
var (
	logSize        = family("kafka_log_log_size", gaugeType, "Bytes of the partition's log segments.", "topic", "partition")
	logSegments    = family("kafka_log_log_numlogsegments", gaugeType, "Segments of the partition's log.", "topic", "partition")
	logStartOffset = family("kafka_log_log_logstartoffset", gaugeType, "The partition's log start offset.", "topic", "partition")
	logEndOffset   = family("kafka_log_log_logendoffset", gaugeType, "The partition's log end offset.", "topic", "partition")
	underRepl      = family("kafka_cluster_partition_underreplicated", gaugeType, "1 when the ISR of a partition this node leads is smaller than its replicas.", "topic", "partition")

	partitionCount     = family("kafka_server_replicamanager_partitioncount", gaugeType, "Local replicas.")
	leaderCount        = family("kafka_server_replicamanager_leadercount", gaugeType, "Local replicas that lead their partition.")
	underReplicated    = family("kafka_server_replicamanager_underreplicatedpartitions", gaugeType, "Partitions this node leads whose ISR is smaller than their replicas.")
	underMinISR        = family("kafka_server_replicamanager_underminisrpartitioncount", gaugeType, "Partitions this node leads whose ISR is below min.insync.replicas.")
	offlineReplicas    = family("kafka_server_replicamanager_offlinereplicacount", gaugeType, "Local replicas on offline log directories.")
	purgatorySize      = family("kafka_server_delayedoperationpurgatory_purgatorysize", gaugeType, "Requests waiting in a purgatory: acks=all produces, fetch long-polls (one per partition watched).", "delayedOperation")
	connectionCount    = family("kafka_server_socket_server_metrics_connection_count", gaugeType, "Open client connections.", "listener")
	activeController   = family("kafka_controller_kafkacontroller_activecontrollercount", gaugeType, "1 on the active controller.")
	offlinePartitions  = family("kafka_controller_kafkacontroller_offlinepartitionscount", gaugeType, "Partitions without a leader.")
	globalTopics       = family("kafka_controller_kafkacontroller_globaltopiccount", gaugeType, "Topics in the cluster.")
	globalPartitions   = family("kafka_controller_kafkacontroller_globalpartitioncount", gaugeType, "Partitions in the cluster.")
	numGroups          = family("kafka_coordinator_group_groupmetadatamanager_numgroups", gaugeType, "Groups this node coordinates.")
	numGroupsByState   = family("kafka_coordinator_group_groupmetadatamanager_numgroups_state", gaugeType, "Groups this node coordinates, by state.", "state")
	groupMembers       = family("kafka_consumergroup_members", gaugeType, "Members of a group.", "consumergroup")
	groupOffset        = family("kafka_consumergroup_current_offset", gaugeType, "A group's committed offset.", "consumergroup", "topic", "partition")
	groupLag           = family("kafka_consumergroup_lag", gaugeType, "High watermark minus the group's committed offset, for partitions this node leads.", "consumergroup", "topic", "partition")
	groupLagSum        = family("kafka_consumergroup_lag_sum", gaugeType, "A group's lag summed over a topic's partitions this node leads.", "consumergroup", "topic")
	cleanerRecopy      = family("kafka_log_logcleaner_cleaner_recopy_percent", gaugeType, "Bytes written over bytes read by the last cleaning, in percent.")
	cleanerMaxTime     = family("kafka_log_logcleaner_max_clean_time_secs", gaugeType, "The longest cleaning, in seconds.")
	cleanerSinceRun    = family("kafka_log_logcleanermanager_time_since_last_run_ms", gaugeType, "Milliseconds since the last cleaning (0: none yet).")
	cleanerUncleanable = family("kafka_log_logcleanermanager_uncleanable_partitions_count", gaugeType, "Partitions not cleaned again until restart after a failed cleaning.")
	cleanerCleanings   = family("gregor_log_cleaner_cleanings_total", counterType, "Cleanings done.")
	cleanerBytesRead   = family("gregor_log_cleaner_bytes_read_total", counterType, "Bytes read by cleanings.")
	cleanerBytesWrite  = family("gregor_log_cleaner_bytes_written_total", counterType, "Bytes written by cleanings.")
)

const (
	gaugeType   = "gauge"
	counterType = "counter"
)

// familyDesc is a family's name, type, help and labels.
type familyDesc struct {
	name, typ, help string
	labels          []string // as add takes their values
	order           []int    // indexes of labels sorted by name, the order they are written in
}

func family(name, typ, help string, labels ...string) *familyDesc {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return &familyDesc{name: name, typ: typ, help: help, labels: labels, order: order}
}

// textFamily is one family's samples of one scrape, in the text format.
type textFamily struct {
	desc *familyDesc
	buf  []byte
}

// add appends a sample; values are the label values in desc.labels' order.
func (f *textFamily) add(v float64, values ...string) {
	if len(values) != len(f.desc.labels) {
		panic("metrics: " + f.desc.name + " takes " + strconv.Itoa(len(f.desc.labels)) + " label values")
	}
	b := append(f.buf, f.desc.name...)
	for n, i := range f.desc.order {
		if n == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, f.desc.labels[i]...)
		b = append(b, '=', '"')
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
	}
	if len(f.desc.order) > 0 {
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendValue(b, v)
	f.buf = append(b, '\n')
}

// writeTo writes the family, HELP and TYPE lines first, unless it has
// no samples (client_golang leaves such families out too).
func (f *textFamily) writeTo(w io.Writer) error {
	if len(f.buf) == 0 {
		return nil
	}
	b := append([]byte("# HELP "), f.desc.name...)
	b = append(b, ' ')
	b = appendEscaped(b, f.desc.help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, f.desc.name...)
	b = append(b, ' ')
	b = append(b, f.desc.typ...)
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err := w.Write(f.buf)
	return err
}

// appendEscaped escapes as the text format does: backslash and newline
// everywhere, double quotes in label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quote:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendValue writes v as client_golang's text encoder does.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// stateFamilies is one scrape's state families. Their buffers are kept
// for the next scrape (statePool), which then rarely grows them.
type stateFamilies map[*familyDesc]*textFamily

var statePool = sync.Pool{New: func() any { return stateFamilies{} }}

func (s stateFamilies) add(d *familyDesc, v float64, values ...string) {
	f := s[d]
	if f == nil {
		f = &textFamily{desc: d}
		s[d] = f
	}
	f.add(v, values...)
}

// writeState writes the state families the View describes now to w,
// sorted by name.
func writeState(w io.Writer, v View) error {
	s := statePool.Get().(stateFamilies)
	defer statePool.Put(s)
	for _, f := range s {
		f.buf = f.buf[:0]
	}
	hw := collectPartitions(s, v)
	collectGroups(s, v.Groups(), hw)
	for listener, n := range v.Connections() {
		s.add(connectionCount, float64(n), listener)
	}
	collectController(s, v.Controller())
	collectCleaner(s, v.Cleaner())
	families := make([]*textFamily, 0, len(s))
	for _, f := range s {
		families = append(families, f)
	}
	slices.SortFunc(families, func(a, b *textFamily) int { return strings.Compare(a.desc.name, b.desc.name) })
	for _, f := range families {
		if err := f.writeTo(w); err != nil {
			return err
		}
	}
	return nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectPartitions adds the per-partition gauges and their sums, and
// returns the high watermarks of the partitions this node leads, for lag.
func collectPartitions(s stateFamilies, v View) map[kafka.TopicPartition]kafka.Offset {
	var partitions, leaders, under, underMin, produces, fetches, offline int
	hw := map[kafka.TopicPartition]kafka.Offset{}
	v.Partitions(func(p PartitionState) {
		topic, partition := p.TP.Topic, strconv.Itoa(int(p.TP.Partition))
		s.add(logSize, float64(p.Size), topic, partition)
		s.add(logSegments, float64(p.Segments), topic, partition)
		s.add(logStartOffset, float64(p.LogStartOffset), topic, partition)
		s.add(logEndOffset, float64(p.LogEndOffset), topic, partition)
		partitions++
		offline += int(boolValue(p.Offline))
		produces += p.WaitingProduces
		fetches += p.WaitingFetchWatches
		if !p.Leader {
			return
		}
		leaders++
		hw[p.TP] = p.HighWatermark
		isUnder := p.ISR < p.Replicas
		s.add(underRepl, boolValue(isUnder), topic, partition)
		under += int(boolValue(isUnder))
		underMin += int(boolValue(p.ISR < p.MinInsyncReplicas))
	})
	s.add(partitionCount, float64(partitions))
	s.add(leaderCount, float64(leaders))
	s.add(underReplicated, float64(under))
	s.add(underMinISR, float64(underMin))
	s.add(offlineReplicas, float64(offline))
	s.add(purgatorySize, float64(produces), "Produce")
	s.add(purgatorySize, float64(fetches), "Fetch")
	return hw
}

// groupStates are Kafka's classic group states, each reported even at 0.
var groupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"}

func collectGroups(s stateFamilies, groups []GroupState, hw map[kafka.TopicPartition]kafka.Offset) {
	byState := map[string]int{}
	for _, g := range groups {
		byState[g.State]++
		s.add(groupMembers, float64(g.Members), g.Group)
		lagSum := map[string]int64{}
		for tp, committed := range g.Committed {
			partition := strconv.Itoa(int(tp.Partition))
			s.add(groupOffset, float64(committed), g.Group, tp.Topic, partition)
			if high, ok := hw[tp]; ok {
				lag := max(int64(high-committed), 0)
				s.add(groupLag, float64(lag), g.Group, tp.Topic, partition)
				lagSum[tp.Topic] += lag
			}
		}
		for topic, lag := range lagSum {
			s.add(groupLagSum, float64(lag), g.Group, topic)
		}
	}
	s.add(numGroups, float64(len(groups)))
	for _, st := range groupStates {
		s.add(numGroupsByState, float64(byState[st]), st)
	}
}

func collectController(s stateFamilies, c ControllerState) {
	s.add(activeController, boolValue(c.Active))
	s.add(offlinePartitions, float64(c.OfflinePartitions))
	s.add(globalTopics, float64(c.Topics))
	s.add(globalPartitions, float64(c.Partitions))
}

func collectCleaner(s stateFamilies, c CleanerState) {
	s.add(cleanerRecopy, c.LastRecopyPercent)
	s.add(cleanerMaxTime, c.MaxCleanTime.Seconds())
	var since float64
	if !c.LastRun.IsZero() {
		since = float64(time.Since(c.LastRun).Milliseconds())
	}
	s.add(cleanerSinceRun, since)
	s.add(cleanerUncleanable, float64(c.Uncleanable))
	s.add(cleanerCleanings, float64(c.Cleanings))
	s.add(cleanerBytesRead, float64(c.BytesRead))
	s.add(cleanerBytesWrite, float64(c.BytesWritten))
}
