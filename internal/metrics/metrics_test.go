package metrics

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/wire"
)

func batch(t testing.TB, n int) []byte {
	t.Helper()
	var recs []record.Record
	for i := range n {
		recs = append(recs, record.Record{Value: []byte(fmt.Sprint(i))})
	}
	b, err := record.Build(record.BatchSpec{ProducerID: -1, BaseSequence: -1, ProducerEpoch: -1, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func produce(t testing.TB, topic string, batches ...[]byte) (*wire.Request, *kmsg.ProduceResponse) {
	req := kmsg.NewPtrProduceRequest()
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	resp := kmsg.NewPtrProduceResponse()
	st := kmsg.NewProduceResponseTopic()
	st.Topic = topic
	for i, b := range batches {
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition, p.Records = int32(i), b
		rt.Partitions = append(rt.Partitions, p)
		sp := kmsg.NewProduceResponseTopicPartition()
		sp.Partition = int32(i)
		st.Partitions = append(st.Partitions, sp)
	}
	req.Topics = append(req.Topics, rt)
	resp.Topics = append(resp.Topics, st)
	return &wire.Request{Header: wire.RequestHeader{Key: 0, Version: 9}, Body: req}, resp
}

// TestServedCountsAcceptedRecords proves a Produce counts the records of
// every batch the response accepted, from the batch headers, and none of
// a partition answered with an error, whose code is counted by name.
func TestServedCountsAcceptedRecords(t *testing.T) {
	m := New(nil)
	two := append(batch(t, 3), batch(t, 4)...) // two batches in one partition
	req, resp := produce(t, "orders", two, batch(t, 5))
	resp.Topics[0].Partitions[1].ErrorCode = 87 // INVALID_RECORD
	m.Served(req, resp, time.Millisecond)
	if got := testutil.ToFloat64(m.messagesIn.WithLabelValues("orders")); got != 7 {
		t.Errorf("messagesin %v, want 7", got)
	}
	if got := testutil.ToFloat64(m.bytesIn.WithLabelValues("orders")); got != float64(len(two)) {
		t.Errorf("bytesin %v, want %d", got, len(two))
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues("Produce", "INVALID_RECORD")); got != 1 {
		t.Errorf("INVALID_RECORD counted %v times, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("Produce", "9")); got != 1 {
		t.Errorf("requests %v, want 1", got)
	}
	// acks=0: no response, everything counts.
	req, _ = produce(t, "orders", batch(t, 2))
	m.Served(req, nil, time.Millisecond)
	if got := testutil.ToFloat64(m.messagesIn.WithLabelValues("orders")); got != 9 {
		t.Errorf("messagesin after acks=0 %v, want 9", got)
	}
}

// TestFetchCountsRegionBytes proves that a Fetch counts, per topic, the
// record bytes it carries and those it sends from file regions, and a
// follower's fetch the same in replication bytes out.
func TestFetchCountsRegionBytes(t *testing.T) {
	m := New(nil)
	for _, follower := range []int32{-1, 2} {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = follower
		resp := kmsg.NewPtrFetchResponse()
		for _, name := range []string{"a", "b"} {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = name
			for range 2 {
				p := kmsg.NewFetchResponseTopicPartition()
				p.RecordBatches = []byte{}
				rt.Partitions = append(rt.Partitions, p)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		resp.Topics[0].Partitions[0].RecordBatches = make([]byte, 10)
		regions := []wire.FetchRegion{
			{Topic: 0, Partition: 1, Region: kafka.NewFileRegion(nil, 0, 100, nil)},
			{Topic: 1, Partition: 0, Region: kafka.NewFileRegion(nil, 0, 1000, nil)},
			{Topic: 1, Partition: 1, Region: kafka.NewFileRegion(nil, 0, 3, nil)},
		}
		m.Served(&wire.Request{Header: wire.RequestHeader{Key: 1, Version: 12}, Body: req, FetchRegions: regions}, resp, time.Millisecond)
	}
	if a, b := testutil.ToFloat64(m.bytesOut.WithLabelValues("a")), testutil.ToFloat64(m.bytesOut.WithLabelValues("b")); a != 110 || b != 1003 {
		t.Errorf("bytes out a %v, b %v; want 110 and 1003", a, b)
	}
	if got := testutil.ToFloat64(m.replicationBytesOut); got != 1113 {
		t.Errorf("replication bytes out %v, want 1113", got)
	}
}

// TestErrorCodesOfOtherResponses proves the reflective walk finds the
// top-level, topic and partition error codes of a response it has no
// explicit case for.
func TestErrorCodesOfOtherResponses(t *testing.T) {
	resp := kmsg.NewPtrMetadataResponse()
	topic := kmsg.NewMetadataResponseTopic()
	topic.ErrorCode = 3
	p := kmsg.NewMetadataResponseTopicPartition()
	p.ErrorCode = 9
	topic.Partitions = append(topic.Partitions, p, p)
	resp.Topics = append(resp.Topics, topic)
	var c codeCounts
	eachErrorCode(resp, c.add)
	got := map[int16]int{}
	for i := range c.n {
		got[c.codes[i]] = c.counts[i]
	}
	if len(got) != 3 || got[0] != 1 || got[3] != 1 || got[9] != 2 {
		t.Fatalf("codes %v, want the top level's 0, the topic's 3 and the partitions' 9 twice", got)
	}
	if errorName(3) != "UNKNOWN_TOPIC_OR_PARTITION" || errorName(0) != "NONE" {
		t.Fatalf("names %s %s", errorName(3), errorName(0))
	}
}

// TestErrorCodePlansMatchAFullWalk proves the planned walk finds exactly
// the error codes a walk over every field finds, in every response kmsg
// knows, filled so that each slice has two elements, each pointer a value
// and each ErrorCode a number of its own.
func TestErrorCodePlansMatchAFullWalk(t *testing.T) {
	for key := int16(0); key <= kmsg.MaxKey; key++ {
		resp := kmsg.ResponseForKey(key)
		if resp == nil {
			continue
		}
		next := int16(0)
		fillForWalk(reflect.ValueOf(resp).Elem(), &next, 0)
		var planned, full []int16
		walkErrorCodes(reflect.ValueOf(resp), func(c int16) { planned = append(planned, c) })
		walkEveryField(reflect.ValueOf(resp), func(c int16) { full = append(full, c) })
		slices.Sort(planned)
		slices.Sort(full)
		if !slices.Equal(planned, full) {
			t.Errorf("%s: planned walk %v, full walk %v", kmsg.NameForKey(key), planned, full)
		}
	}
}

func fillForWalk(v reflect.Value, next *int16, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Name == "ErrorCode" && f.Type == int16Type {
				*next++
				v.Field(i).SetInt(int64(*next))
				continue
			}
			fillForWalk(v.Field(i), next, depth+1)
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
			fillForWalk(v.Elem(), next, depth+1)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				fillForWalk(v.Index(i), next, depth+1)
			}
		}
	}
}

// walkEveryField is the walk without a plan: every exported field is
// looked at.
func walkEveryField(v reflect.Value, fn func(int16)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkEveryField(v.Elem(), fn)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		for i := range v.Len() {
			walkEveryField(v.Index(i), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Name == "ErrorCode" && f.Type == int16Type {
				fn(int16(v.Field(i).Int()))
			} else if f.IsExported() {
				walkEveryField(v.Field(i), fn)
			}
		}
	}
}

// bigView is a broker with many partitions and a group committed on each.
type bigView struct {
	partitions int
	group      bool // a group has committed on every partition
}

func (v bigView) Partitions(fn func(PartitionState)) {
	for i := range v.partitions {
		fn(PartitionState{TP: kafka.TopicPartition{Topic: fmt.Sprintf("topic-%03d", i/100), Partition: int32(i % 100)},
			Leader: true, Replicas: 3, ISR: 3, MinInsyncReplicas: 2, LogEndOffset: 1000, HighWatermark: 1000, Size: 1 << 30, Segments: 4})
	}
}

func (v bigView) Groups() []GroupState {
	if !v.group {
		return nil
	}
	g := GroupState{Group: "readers", State: "Stable", Members: 10, Committed: map[kafka.TopicPartition]kafka.Offset{}}
	for i := range v.partitions {
		g.Committed[kafka.TopicPartition{Topic: fmt.Sprintf("topic-%03d", i/100), Partition: int32(i % 100)}] = 900
	}
	return []GroupState{g}
}

func (bigView) Connections() map[string]int64          { return map[string]int64{"PLAINTEXT": 3} }
func (bigView) Controller() ControllerState            { return ControllerState{Active: true} }
func (bigView) Cleaner() CleanerState                  { return CleanerState{} }
func (bigView) TopicName(kafka.TopicID) (string, bool) { return "", false }
func (bigView) TopicExists(string) bool                { return true }

func scrape(t testing.TB, m *Metrics) []byte {
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScrapeTenThousandPartitions proves a broker with 10,000 partitions
// and a group committed on each scrapes to under 20 MB, with one log size
// and one lag series per partition.
func TestScrapeTenThousandPartitions(t *testing.T) {
	body := scrape(t, New(bigView{partitions: 10000, group: true}))
	if len(body) >= 20<<20 {
		t.Fatalf("/metrics is %d bytes, want under 20 MB", len(body))
	}
	for _, name := range []string{"kafka_log_log_size{", "kafka_consumergroup_lag{"} {
		if n := bytes.Count(body, []byte("\n"+name)); n != 10000 {
			t.Errorf("%s: %d series, want 10000", name, n)
		}
	}
	if !strings.Contains(string(body), `kafka_consumergroup_lag{consumergroup="readers",partition="7",topic="topic-003"} 100`) {
		t.Errorf("lag of readers on topic-003/7 is not 100")
	}
	t.Logf("/metrics at 10,000 partitions: %d bytes", len(body))
}

// oddView is a broker whose group id needs escaping in the text format.
type oddView struct{ bigView }

func (oddView) Groups() []GroupState {
	return []GroupState{{Group: "a \"quoted\" \\ group\nid", State: "Empty", Committed: map[kafka.TopicPartition]kafka.Offset{{Topic: "topic-000", Partition: 1}: 400}}}
}

// TestScrapeParses proves the state families written straight in the
// text format parse with Prometheus' own parser, once per family, with
// label values escaped and the values of the view: lag is the high
// watermark minus the committed offset.
func TestScrapeParses(t *testing.T) {
	m := New(oddView{bigView{partitions: 3}})
	req, resp := produce(t, "topic-000", batch(t, 2))
	m.Served(req, resp, time.Millisecond)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(scrape(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	lag := families["kafka_consumergroup_lag"]
	if lag == nil || len(lag.Metric) != 1 || lag.Metric[0].GetGauge().GetValue() != 600 {
		t.Fatalf("lag family %v", lag)
	}
	labels := map[string]string{}
	for _, l := range lag.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["consumergroup"] != "a \"quoted\" \\ group\nid" || labels["topic"] != "topic-000" || labels["partition"] != "1" {
		t.Fatalf("lag labels %v", labels)
	}
	if f := families["kafka_log_log_size"]; f == nil || len(f.Metric) != 3 || f.GetType() != dto.MetricType_GAUGE || f.Metric[0].GetGauge().GetValue() != 1<<30 {
		t.Fatalf("log size family %v", f)
	}
	if f := families["gregor_log_cleaner_cleanings_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER {
		t.Fatalf("cleanings family %v", f)
	}
	if f := families["kafka_server_brokertopicmetrics_messagesin_total"]; f == nil || f.Metric[0].GetCounter().GetValue() != 2 {
		t.Fatalf("messagesin family %v", f)
	}
}

// BenchmarkScrapeTenThousandPartitions times one /metrics answer at 10,000
// partitions (the target is under 200 ms), without and with a group that
// committed on every partition (two more series per partition).
func BenchmarkScrapeTenThousandPartitions(b *testing.B) {
	for _, group := range []bool{false, true} {
		b.Run(fmt.Sprintf("group=%v", group), func(b *testing.B) {
			m := New(bigView{partitions: 10000, group: group})
			var size int
			for b.Loop() {
				size = len(scrape(b, m))
			}
			b.ReportMetric(float64(size)/(1<<20), "MB/scrape")
		})
	}
}

// BenchmarkServedProduce is the per-request cost of counting one Produce
// of ten partitions of one topic.
func BenchmarkServedProduce(b *testing.B) {
	m := New(nil)
	var bs [][]byte
	for range 10 {
		bs = append(bs, batch(b, 100))
	}
	req, resp := produce(b, "orders", bs...)
	b.ReportAllocs()
	for b.Loop() {
		m.Served(req, resp, time.Millisecond)
	}
}

// BenchmarkErrorCodesMetadata counts the error codes of a Metadata answer
// of 10 topics of 2,000 partitions, as every such request does.
func BenchmarkErrorCodesMetadata(b *testing.B) {
	resp := kmsg.NewPtrMetadataResponse()
	for range 10 {
		topic := kmsg.NewMetadataResponseTopic()
		for i := range 2000 {
			p := kmsg.NewMetadataResponseTopicPartition()
			p.Partition, p.Replicas, p.ISR = int32(i), []int32{1, 2, 3}, []int32{1, 2, 3}
			topic.Partitions = append(topic.Partitions, p)
		}
		resp.Topics = append(resp.Topics, topic)
	}
	var c codeCounts
	for b.Loop() {
		c = codeCounts{}
		eachErrorCode(resp, c.add)
	}
	if c.n != 1 || c.counts[0] != 20_011 {
		b.Fatalf("counted %+v", c)
	}
}
