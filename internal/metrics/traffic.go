package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/wire"
)

// topicCounters are one topic's traffic counters, looked up once per
// topic of a request.
type topicCounters struct {
	messagesIn, bytesIn, bytesOut prometheus.Counter
}

func (m *Metrics) topic(name string) *topicCounters {
	if t, ok := m.topics.Load(name); ok {
		return t.(*topicCounters)
	}
	t := &topicCounters{
		messagesIn: m.messagesIn.WithLabelValues(name),
		bytesIn:    m.bytesIn.WithLabelValues(name),
		bytesOut:   m.bytesOut.WithLabelValues(name),
	}
	actual, _ := m.topics.LoadOrStore(name, t)
	return actual.(*topicCounters)
}

// forgetTopics drops the counters of topics that no longer exist, as Kafka
// removes a deleted topic's metrics.
func (m *Metrics) forgetTopics(exists func(string) bool) {
	m.topics.Range(func(k, _ any) bool {
		if name := k.(string); !exists(name) {
			m.topics.Delete(name)
			m.messagesIn.DeleteLabelValues(name)
			m.bytesIn.DeleteLabelValues(name)
			m.bytesOut.DeleteLabelValues(name)
		}
		return true
	})
}

// produced counts the records and bytes of the partitions of req that
// resp accepted (all of them for acks=0, resp nil).
func (m *Metrics) produced(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse) {
	for i := range req.Topics {
		rt := &req.Topics[i]
		var answer *kmsg.ProduceResponseTopic
		if resp != nil {
			if i >= len(resp.Topics) || resp.Topics[i].Topic != rt.Topic || resp.Topics[i].TopicID != rt.TopicID {
				continue // not answered in order: nothing to count by
			}
			answer = &resp.Topics[i]
		}
		var records, bytes int64
		for j := range rt.Partitions {
			if answer != nil && (j >= len(answer.Partitions) || answer.Partitions[j].ErrorCode != 0) {
				continue
			}
			records += countRecords(rt.Partitions[j].Records)
			bytes += int64(len(rt.Partitions[j].Records))
		}
		if records == 0 && bytes == 0 {
			continue
		}
		if name := m.topicName(rt.Topic, rt.TopicID); name != "" {
			t := m.topic(name)
			t.messagesIn.Add(float64(records))
			t.bytesIn.Add(float64(bytes))
		}
	}
}

// countRecords sums the record counts of the batch headers in buf.
func countRecords(buf []byte) int64 {
	var n int64
	for len(buf) >= record.HeaderSize {
		size, err := record.FrameLength(buf)
		if err != nil || size > len(buf) {
			break
		}
		n += int64(record.Batch(buf[:size]).NumRecords())
		buf = buf[size:]
	}
	return n
}

// fetched counts the record bytes of a fetch response, those it carries
// and those it sends from file regions (in response order): per topic for
// consumers, in one counter for followers (as Kafka separates them).
func (m *Metrics) fetched(resp *kmsg.FetchResponse, regions []wire.FetchRegion, follower bool) {
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		var bytes int
		for j := range rt.Partitions {
			bytes += len(rt.Partitions[j].RecordBatches)
		}
		for ; len(regions) > 0 && regions[0].Topic == i; regions = regions[1:] {
			bytes += int(regions[0].Region.Length)
		}
		switch {
		case bytes == 0:
		case follower:
			m.replicationBytesOut.Add(float64(bytes))
		default:
			if name := m.topicName(rt.Topic, rt.TopicID); name != "" {
				m.topic(name).bytesOut.Add(float64(bytes))
			}
		}
	}
}

// topicName is a topic's name in a request or response that names it by
// id (Fetch v13 and later, Produce v13 and later) or by name.
func (m *Metrics) topicName(name string, id [16]byte) string {
	if name != "" || m.view == nil {
		return name
	}
	name, _ = m.view.TopicName(kafka.TopicID(id))
	return name
}
