package restproxy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

type resource struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Self         string `json:"self"`
		ResourceName string `json:"resource_name"`
	} `json:"metadata"`
	ClusterID         string  `json:"cluster_id"`
	TopicName         string  `json:"topic_name"`
	PartitionsCount   int     `json:"partitions_count"`
	ReplicationFactor int     `json:"replication_factor"`
	PartitionID       int32   `json:"partition_id"`
	BrokerID          int32   `json:"broker_id"`
	Port              int32   `json:"port"`
	Name              string  `json:"name"`
	Value             *string `json:"value"`
	Source            string  `json:"source"`
	IsDefault         bool    `json:"is_default"`
	AddingReplicas    []int32 `json:"adding_replicas"`
	RemovingReplicas  []int32 `json:"removing_replicas"`
	Replicas          struct {
		Related string `json:"related"`
	} `json:"replicas"`
}

type resourceList struct {
	Kind     string                `json:"kind"`
	Metadata struct{ Self string } `json:"metadata"`
	Data     []resource            `json:"data"`
}

// TestV3Resources proves v3's cluster, broker, topic, partition and topic
// config resources have Confluent's kinds, self links and resource names,
// that topics are created (with configs) and deleted, and that unknown
// clusters, topics, partitions and duplicate topics get v3's errors.
func TestV3Resources(t *testing.T) {
	p := start(t, nil)
	id := p.node.ClusterID
	c := "/v3/clusters/" + id
	var list resourceList
	p.must(200, "GET", "/v3/clusters", "", "", &list)
	if list.Kind != "KafkaClusterList" || len(list.Data) != 1 || list.Data[0].ClusterID != id ||
		list.Data[0].Metadata.Self != p.base+c || list.Data[0].Metadata.ResourceName != "crn:///kafka="+id {
		t.Fatalf("clusters: %+v", list)
	}
	var one resource
	p.must(200, "GET", c, "", "", &one)
	if one.Kind != "KafkaCluster" || one.ClusterID != id {
		t.Fatalf("cluster: %+v", one)
	}
	p.fails(404, 404, "GET", "/v3/clusters/other", "", "")
	p.fails(404, 404, "GET", "/v3/clusters/other/topics", "", "")

	p.must(200, "GET", c+"/brokers", "", "", &list)
	if list.Kind != "KafkaBrokerList" || len(list.Data) != 1 || list.Data[0].BrokerID != 1 || list.Data[0].Port == 0 {
		t.Fatalf("brokers: %+v", list)
	}
	p.must(200, "GET", c+"/brokers/1", "", "", &one)
	p.fails(404, 404, "GET", c+"/brokers/9", "", "")

	p.must(201, "POST", c+"/topics", "application/json",
		`{"topic_name":"v3-topic","partitions_count":4,"replication_factor":1,"configs":[{"name":"retention.ms","value":"3600000"}]}`, &one)
	if one.Kind != "KafkaTopic" || one.TopicName != "v3-topic" || one.PartitionsCount != 4 || one.ReplicationFactor != 1 ||
		one.Metadata.ResourceName != "crn:///kafka="+id+"/topic=v3-topic" || one.Metadata.Self != p.base+c+"/topics/v3-topic" {
		t.Fatalf("created: %+v", one)
	}
	p.fails(400, 40002, "POST", c+"/topics", "application/json", `{"topic_name":"v3-topic","partitions_count":1}`)
	p.fails(400, 400, "POST", c+"/topics", "application/json", `{"topic_name":"bad-partitions","partitions_count":0}`)
	p.fails(400, 400, "POST", c+"/topics", "application/json", `{"topic_name":"bad name!"}`)
	p.fails(400, 400, "POST", c+"/topics", "application/json", `{"partitions_count":1}`)
	p.fails(400, 400, "POST", c+"/topics", "application/json", `{"topic_name":"bad-config","configs":[{"name":"no.such.config","value":"1"}]}`)
	p.fails(415, 415, "POST", c+"/topics", "text/plain", `{"topic_name":"x"}`)
	p.must(201, "POST", c+"/topics", "application/json", `{"topic_name":"defaults"}`, &one)
	if one.PartitionsCount != 1 {
		t.Fatalf("a topic with the broker's defaults: %+v", one)
	}

	p.must(200, "GET", c+"/topics", "", "", &list)
	names := map[string]int{}
	for _, r := range list.Data {
		names[r.TopicName] = r.PartitionsCount
	}
	if list.Kind != "KafkaTopicList" || names["v3-topic"] != 4 || names["defaults"] != 1 {
		t.Fatalf("topics: %+v", list)
	}
	p.must(200, "GET", c+"/topics/v3-topic", "", "", &one)
	if one.PartitionsCount != 4 {
		t.Fatalf("topic: %+v", one)
	}
	p.must(200, "GET", c+"/topics/v3-topic/partitions", "", "", &list)
	if list.Kind != "KafkaPartitionList" || len(list.Data) != 4 || list.Data[3].PartitionID != 3 ||
		list.Data[3].Metadata.ResourceName != "crn:///kafka="+id+"/topic=v3-topic/partition=3" {
		t.Fatalf("partitions: %+v", list)
	}
	p.must(200, "GET", c+"/topics/v3-topic/partitions/2", "", "", &one)
	if one.Kind != "KafkaPartition" || one.PartitionID != 2 {
		t.Fatalf("partition: %+v", one)
	}
	p.fails(404, 404, "GET", c+"/topics/v3-topic/partitions/4", "", "")

	p.must(200, "GET", c+"/topics/v3-topic/configs", "", "", &list)
	if list.Kind != "KafkaTopicConfigList" || len(list.Data) < 10 {
		t.Fatalf("configs: %+v", list)
	}
	p.must(200, "GET", c+"/topics/v3-topic/configs/retention.ms", "", "", &one)
	if one.Kind != "KafkaTopicConfig" || one.Value == nil || *one.Value != "3600000" || one.IsDefault || one.Source != "DYNAMIC_TOPIC_CONFIG" {
		t.Fatalf("retention.ms: %+v", one)
	}
	p.must(200, "GET", c+"/topics/v3-topic/configs/segment.bytes", "", "", &one)
	if !one.IsDefault {
		t.Fatalf("segment.bytes: %+v", one)
	}
	p.fails(404, 404, "GET", c+"/topics/v3-topic/configs/no.such", "", "")
	p.fails(404, 40403, "GET", c+"/topics/nope/configs", "", "")

	p.must(204, "DELETE", c+"/topics/v3-topic", "", "", nil)
	p.fails(404, 404, "GET", c+"/topics/v3-topic", "", "")
	p.fails(404, 404, "DELETE", c+"/topics/v3-topic", "", "")
	p.fails(404, 404, "GET", c+"/topics/v3-topic/partitions", "", "")
}

type produceResult struct {
	ErrorCode   int        `json:"error_code"`
	Message     string     `json:"message"`
	ClusterID   string     `json:"cluster_id"`
	TopicName   string     `json:"topic_name"`
	PartitionID *int32     `json:"partition_id"`
	Offset      *int64     `json:"offset"`
	Timestamp   *time.Time `json:"timestamp"`
	Key         *struct {
		Type string `json:"type"`
		Size int    `json:"size"`
	} `json:"key"`
	Value *struct {
		Type string `json:"type"`
		Size int    `json:"size"`
	} `json:"value"`
}

// TestV3ProduceOneRecord proves one record object gets one answer with
// the partition, offset and the sizes of key and value, and that the
// record holds the bytes each type stands for.
func TestV3ProduceOneRecord(t *testing.T) {
	p := start(t, nil)
	p.createTopic("one", 2)
	path := "/v3/clusters/" + p.node.ClusterID + "/topics/one/records"
	var r produceResult
	p.must(200, "POST", path, "application/json",
		`{"partition_id":1,"headers":[{"name":"h","value":"dg=="}],"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":{"n": 1}},"timestamp":"2024-01-02T03:04:05Z"}`, &r)
	if r.ErrorCode != 200 || r.ClusterID != p.node.ClusterID || r.TopicName != "one" || *r.PartitionID != 1 || *r.Offset != 0 ||
		r.Key.Type != "STRING" || r.Key.Size != 1 || r.Value.Type != "JSON" || r.Value.Size != 7 || !r.Timestamp.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("answer: %s", mustJSON(r))
	}
	r = produceResult{}
	p.must(200, "POST", path, "", `{"partition_id":1,"value":{"type":"BINARY","data":"AP8="}}`, &r)
	if r.ErrorCode != 200 || *r.Offset != 1 || r.Key != nil || r.Value.Size != 2 {
		t.Fatalf("answer: %s", mustJSON(r))
	}
	recs := p.consume("one", 2)
	if string(recs[0].Key) != "k" || string(recs[0].Value) != `{"n":1}` || len(recs[0].Headers) != 1 || string(recs[0].Headers[0].Value) != "v" ||
		recs[1].Key != nil || string(recs[1].Value) != "\x00\xff" {
		t.Fatalf("records: %+v %+v", recs[0], recs[1])
	}
	p.fails(404, 404, "POST", "/v3/clusters/"+p.node.ClusterID+"/topics/nope/records", "application/json", `{"value":{"data":1}}`)
	p.fails(404, 404, "POST", "/v3/clusters/other/topics/one/records", "application/json", `{"value":{"data":1}}`)
	p.fails(415, 415, "POST", path, "application/xml", `{"value":{"data":1}}`)
}

// TestV3StreamingProduce proves the streamed form: record objects sent one
// at a time in one chunked request get their answers back one at a time,
// in order, before the request ends, with a per-record error for bad
// records that does not end the stream; a malformed object ends it.
func TestV3StreamingProduce(t *testing.T) {
	p := start(t, nil)
	p.createTopic("stream", 3)
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", p.base+"/v3/clusters/"+p.node.ClusterID+"/topics/stream/records", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Error(err)
			pr.CloseWithError(err)
			close(respc)
			return
		}
		respc <- resp
	}()
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(pw, s); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"partition_id":0,"value":{"type":"STRING","data":"first"}}`)
	var resp *http.Response
	select {
	case resp = <-respc:
	case <-time.After(20 * time.Second):
		t.Fatal("no answer to the first record while the stream is open")
	}
	if resp == nil {
		t.FailNow()
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	next := func() produceResult {
		t.Helper()
		var r produceResult
		done := make(chan error, 1)
		go func() { done <- dec.Decode(&r) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no answer within 20s")
		}
		return r
	}
	if r := next(); r.ErrorCode != 200 || *r.PartitionID != 0 || *r.Offset != 0 {
		t.Fatalf("first: %s", mustJSON(r))
	}
	for i := 1; i <= 50; i++ {
		send(fmt.Sprintf("{\"partition_id\":%d,\"key\":{\"type\":\"STRING\",\"data\":\"k%d\"},\"value\":{\"data\":{\"i\":%d}}}\n", i%3, i, i))
	}
	for i := 1; i <= 50; i++ {
		r := next()
		if r.ErrorCode != 200 || int(*r.PartitionID) != i%3 || r.Value.Type != "JSON" {
			t.Fatalf("record %d: %s", i, mustJSON(r))
		}
	}
	send(`{"partition_id":7,"value":{"data":1}}`)
	send(`{"value":{"type":"AVRO","data":1}}`)
	send(`{"value":{"type":"BINARY","data":"%%%"}}`)
	send(`{"value":{"type":"NOPE","data":1}}`)
	send(`{"value":{"schema_id":1,"data":1}}`)
	for i, want := range []int{404, 42206, 400, 400, 42206} {
		if r := next(); r.ErrorCode != want || r.Message == "" || r.Offset != nil {
			t.Fatalf("bad record %d: %s, want error_code %d", i, mustJSON(r), want)
		}
	}
	send(`{"partition_id":2,"value":{"data":"last"}}`)
	if r := next(); r.ErrorCode != 200 || *r.Offset != 17 {
		t.Fatalf("after the bad records: %s", mustJSON(r))
	}
	send(`{"value": nope}`)
	if r := next(); r.ErrorCode != 400 {
		t.Fatalf("malformed: %s", mustJSON(r))
	}
	pw.Close()
	var extra produceResult
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("after a malformed object the stream goes on: %v %s", err, mustJSON(extra))
	}
	if recs := p.consume("stream", 52); len(recs) != 52 {
		t.Fatalf("%d records", len(recs))
	}
}

// TestV3RecordObjectBound proves that in a stream each record object is
// bounded by rest.proxy.request.max.bytes: the stream's total is not, an
// object over the bound is refused with 413.
func TestV3RecordObjectBound(t *testing.T) {
	p := start(t, map[string]string{"rest.proxy.request.max.bytes": "2048"})
	p.createTopic("bound", 1)
	var body strings.Builder
	for i := 0; i < 20; i++ { // 20 objects of ~1 KiB: more than the bound in total
		fmt.Fprintf(&body, `{"value":{"type":"STRING","data":"%s"}}`, strings.Repeat("x", 1000))
	}
	fmt.Fprintf(&body, `{"value":{"type":"STRING","data":"%s"}}`, strings.Repeat("y", 5000))
	out := p.must(200, "POST", "/v3/clusters/"+p.node.ClusterID+"/topics/bound/records", "application/json", body.String(), nil)
	dec := json.NewDecoder(strings.NewReader(out))
	for i := 0; i < 21; i++ {
		var r produceResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("answer %d: %v in %s", i, err, out)
		}
		if want := map[bool]int{true: 413, false: 200}[i == 20]; r.ErrorCode != want {
			t.Fatalf("answer %d: %s, want %d", i, mustJSON(r), want)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestV3GroupsAndBrokerConfigs proves v3's consumer group resources show a
// group with a live member (a v2 consumer instance of the proxy) and its
// consumers, 404 for an unknown group, and the broker config resources
// show a broker's configs and the cluster-wide dynamic ones.
func TestV3GroupsAndBrokerConfigs(t *testing.T) {
	p := start(t, nil)
	c := "/v3/clusters/" + p.node.ClusterID
	p.createTopic("grouped", 1)
	p.must(200, "POST", "/consumers/g-v3", v2, `{"name":"m1","format":"binary"}`, nil)
	p.must(204, "POST", "/consumers/g-v3/instances/m1/subscription", v2, `{"topics":["grouped"]}`, nil)
	var group struct {
		Kind            string `json:"kind"`
		ConsumerGroupID string `json:"consumer_group_id"`
		State           string `json:"state"`
		IsSimple        bool   `json:"is_simple"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for group.State != "STABLE" {
		if time.Now().After(deadline) {
			t.Fatalf("the group did not become stable: %+v", group)
		}
		p.must(200, "GET", "/consumers/g-v3/instances/m1/records?timeout=200", "", "", nil, "Accept", v2Bin) // joins
		if status, body := p.do("GET", c+"/consumer-groups/g-v3", "", ""); status == 200 {
			json.Unmarshal([]byte(body), &group)
		}
	}
	if group.Kind != "KafkaConsumerGroup" || group.ConsumerGroupID != "g-v3" || group.IsSimple {
		t.Fatalf("group: %+v", group)
	}
	var list struct {
		Kind string `json:"kind"`
		Data []struct {
			ConsumerGroupID string `json:"consumer_group_id"`
			ConsumerID      string `json:"consumer_id"`
			ClientID        string `json:"client_id"`
			Name            string `json:"name"`
			Source          string `json:"source"`
			BrokerID        *int32 `json:"broker_id"`
		} `json:"data"`
	}
	p.must(200, "GET", c+"/consumer-groups", "", "", &list)
	if list.Kind != "KafkaConsumerGroupList" || len(list.Data) != 1 || list.Data[0].ConsumerGroupID != "g-v3" {
		t.Fatalf("groups: %+v", list)
	}
	p.must(200, "GET", c+"/consumer-groups/g-v3/consumers", "", "", &list)
	if list.Kind != "KafkaConsumerList" || len(list.Data) != 1 || list.Data[0].ClientID != "gregor-rest-proxy-m1" || list.Data[0].ConsumerID == "" {
		t.Fatalf("consumers: %+v", list)
	}
	p.fails(404, 404, "GET", c+"/consumer-groups/nope", "", "")
	p.fails(404, 404, "GET", c+"/consumer-groups/nope/consumers", "", "")

	p.must(200, "GET", c+"/brokers/1/configs", "", "", &list)
	if list.Kind != "KafkaBrokerConfigList" || len(list.Data) < 10 || list.Data[0].BrokerID == nil || *list.Data[0].BrokerID != 1 {
		t.Fatalf("broker configs: %d %+v", len(list.Data), list.Kind)
	}
	p.fails(404, 404, "GET", c+"/brokers/7/configs", "", "")
	adm := kadm.NewClient(p.kafka())
	if _, err := adm.AlterBrokerConfigs(testContext(t), []kadm.AlterConfig{{Name: "log.retention.ms", Value: kadm.StringPtr("7200000")}}); err != nil {
		t.Fatal(err)
	}
	p.must(200, "GET", c+"/broker-configs", "", "", &list)
	if list.Kind != "KafkaClusterConfigList" || len(list.Data) != 1 || list.Data[0].Name != "log.retention.ms" || list.Data[0].Source != "DYNAMIC_DEFAULT_BROKER_CONFIG" {
		t.Fatalf("cluster configs: %+v", list)
	}
}
