package restproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type offsetsAnswer struct {
	Offsets []struct {
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
		ErrorCode *int    `json:"error_code"`
		Error     *string `json:"error"`
	} `json:"offsets"`
	KeySchemaID   *int `json:"key_schema_id"`
	ValueSchemaID *int `json:"value_schema_id"`
}

// TestV2TopicsAndProduce proves v2's topic resources describe a real
// topic, that json and binary produce store exactly the bytes the
// embedded format stands for, at the partition asked for or the one
// Kafka's murmur2 partitioner picks for the key, and that bad requests get
// Confluent's status and error code.
func TestV2TopicsAndProduce(t *testing.T) {
	p := start(t, nil)
	p.createTopic("v2-topic", 3)

	var names []string
	p.must(200, "GET", "/topics", "", "", &names)
	if !slices.Contains(names, "v2-topic") || slices.Contains(names, "__consumer_offsets") {
		t.Fatalf("GET /topics: %v", names)
	}
	var topic struct {
		Name       string            `json:"name"`
		Configs    map[string]string `json:"configs"`
		Partitions []struct {
			Partition int32 `json:"partition"`
			Leader    int32 `json:"leader"`
			Replicas  []struct {
				Broker int32 `json:"broker"`
				Leader bool  `json:"leader"`
				InSync bool  `json:"in_sync"`
			} `json:"replicas"`
		} `json:"partitions"`
	}
	p.must(200, "GET", "/topics/v2-topic", "", "", &topic)
	if topic.Name != "v2-topic" || topic.Configs["cleanup.policy"] != "delete" || len(topic.Partitions) != 3 ||
		len(topic.Partitions[2].Replicas) != 1 || !topic.Partitions[2].Replicas[0].Leader || !topic.Partitions[2].Replicas[0].InSync {
		t.Fatalf("GET /topics/v2-topic: %+v", topic)
	}
	p.must(200, "GET", "/topics/v2-topic/partitions", "", "", &topic.Partitions)
	if len(topic.Partitions) != 3 || topic.Partitions[1].Partition != 1 {
		t.Fatalf("partitions: %+v", topic.Partitions)
	}
	p.must(200, "GET", "/topics/v2-topic/partitions/2", "", "", nil)
	var brokers struct{ Brokers []int32 }
	p.must(200, "GET", "/brokers", "", "", &brokers)
	if !slices.Equal(brokers.Brokers, []int32{1}) {
		t.Fatalf("brokers: %v", brokers)
	}

	var ans offsetsAnswer
	p.must(200, "POST", "/topics/v2-topic", v2JSON,
		`{"records":[{"key":"k1","value":{"a": [1, 2]}},{"value":"plain","partition":2},{"key":null,"value":null,"partition":0}]}`, &ans)
	if len(ans.Offsets) != 3 || ans.Offsets[1].Partition == nil || *ans.Offsets[1].Partition != 2 ||
		ans.Offsets[0].ErrorCode != nil || ans.KeySchemaID != nil {
		t.Fatalf("json produce: %+v", ans)
	}
	wantKeyed := kgo.StickyKeyPartitioner(nil).ForTopic("v2-topic").Partition(&kgo.Record{Key: []byte(`"k1"`)}, 3)
	if int(*ans.Offsets[0].Partition) != wantKeyed {
		t.Fatalf("keyed record went to partition %d, murmur2 says %d", *ans.Offsets[0].Partition, wantKeyed)
	}
	p.must(200, "POST", "/topics/v2-topic/partitions/1", v2Bin,
		`{"records":[{"key":"AAE=","value":"aGVsbG8="}]}`, &ans)
	if len(ans.Offsets) != 1 || *ans.Offsets[0].Partition != 1 {
		t.Fatalf("binary produce: %+v", ans)
	}

	got := map[string]string{}
	for _, r := range p.consume("v2-topic", 4) {
		got[fmt.Sprintf("%d:%d", r.Partition, r.Offset)] = fmt.Sprintf("%q=%q", r.Key, r.Value)
	}
	want := map[string]string{
		fmt.Sprintf("%d:0", wantKeyed):                                `"\"k1\""="{\"a\":[1,2]}"`,
		"2:" + map[bool]string{true: "1", false: "0"}[wantKeyed == 2]: `""="\"plain\""`,
		"1:" + map[bool]string{true: "1", false: "0"}[wantKeyed == 1]: `"\x00\x01"="hello"`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("record %s: %s, want %s (all: %v)", k, got[k], v, got)
		}
	}

	p.fails(404, 40401, "GET", "/topics/nope", "", "")
	p.fails(404, 40401, "GET", "/topics/nope/partitions", "", "")
	p.fails(404, 40402, "GET", "/topics/v2-topic/partitions/3", "", "")
	p.fails(404, 40401, "POST", "/topics/nope", v2JSON, `{"records":[{"value":1}]}`)
	p.fails(404, 40402, "POST", "/topics/v2-topic/partitions/7", v2JSON, `{"records":[{"value":1}]}`)
	p.fails(404, 40402, "POST", "/topics/v2-topic", v2JSON, `{"records":[{"value":1,"partition":3}]}`)
	p.fails(415, 415, "POST", "/topics/v2-topic", "text/plain", `{"records":[{"value":1}]}`)
	// Without a schema registry the schema formats are refused.
	p.fails(422, 42206, "POST", "/topics/v2-topic", "application/vnd.kafka.avro.v2+json", `{"value_schema":"\"string\"","records":[{"value":"x"}]}`)
	p.fails(400, 400, "POST", "/topics/v2-topic", v2JSON, `{"records":[`)
	p.fails(422, 422, "POST", "/topics/v2-topic", v2JSON, `{"records":[]}`)
	p.fails(422, 422, "POST", "/topics/v2-topic", v2JSON, `{"records":"no"}`)
	p.fails(422, 422, "POST", "/topics/v2-topic", v2Bin, `{"records":[{"value":"not base64!"}]}`)
	p.fails(422, 422, "POST", "/topics/v2-topic", v2Bin, `{"records":[{"value":{"a":1}}]}`)
	p.fails(404, 404, "GET", "/no/such/path", "", "")
	p.fails(405, 405, "PUT", "/topics", v2, "")
}

// TestV2ProducePerRecordErrors proves a record Kafka refuses gets its own
// error_code (2: not retriable) and message while the answer stays 200,
// as Confluent's proxy answers: a record without a key on a compacted
// topic.
func TestV2ProducePerRecordErrors(t *testing.T) {
	p := start(t, nil)
	p.must(201, "POST", "/v3/clusters/"+p.node.ClusterID+"/topics", "application/json",
		`{"topic_name":"compacted","partitions_count":1,"configs":[{"name":"cleanup.policy","value":"compact"}]}`, nil)
	var ans offsetsAnswer
	p.must(200, "POST", "/topics/compacted", v2JSON, `{"records":[{"value":1}]}`, &ans)
	if len(ans.Offsets) != 1 || ans.Offsets[0].ErrorCode == nil || *ans.Offsets[0].ErrorCode != 2 ||
		ans.Offsets[0].Error == nil || !strings.Contains(*ans.Offsets[0].Error, "INVALID_RECORD") || ans.Offsets[0].Offset != nil {
		t.Fatalf("answer: %+v", ans)
	}
}

// TestRequestBodyBound proves a request body over rest.proxy.request.max.bytes
// is refused with 413 instead of being read whole.
func TestRequestBodyBound(t *testing.T) {
	p := start(t, map[string]string{"rest.proxy.request.max.bytes": "1024"})
	p.createTopic("bounded", 1)
	big := `{"records":[{"value":"` + strings.Repeat("x", 2000) + `"}]}`
	p.fails(http.StatusRequestEntityTooLarge, 413, "POST", "/topics/bounded", v2JSON, big)
	p.must(200, "POST", "/topics/bounded", v2JSON, `{"records":[{"value":"small"}]}`, nil)
}

// TestSlowBodyBounded proves a request whose body arrives too slowly is
// cut at rest.proxy.request.timeout.ms instead of holding the connection.
func TestSlowBodyBounded(t *testing.T) {
	p := start(t, map[string]string{"rest.proxy.request.timeout.ms": "1000"})
	p.createTopic("slow", 1)
	pr, pw := io.Pipe()
	defer pw.Close()
	go io.WriteString(pw, `{"records":[`) // and then nothing more
	req, _ := http.NewRequest("POST", p.base+"/topics/slow", pr)
	req.Header.Set("Content-Type", v2JSON)
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the request held the connection for %v", took)
	}
}
