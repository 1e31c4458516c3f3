package restproxy_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

type recordOut struct {
	Topic     string `json:"topic"`
	Key       any    `json:"key"`
	Value     any    `json:"value"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// poll polls the instance at path until it has handed out n records in
// all, or fails after 20s.
func (p *proxy) poll(path, accept string, n int) []recordOut {
	p.t.Helper()
	var all []recordOut
	deadline := time.Now().Add(20 * time.Second)
	for len(all) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("polled %d of %d records: %+v", len(all), n, all)
		}
		var got []recordOut
		p.must(200, "GET", path+"/records?timeout=1000", "", "", &got, "Accept", accept)
		all = append(all, got...)
	}
	return all
}

type committed struct {
	Offsets []struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	} `json:"offsets"`
}

// TestV2ConsumerSubscribe proves a subscribed consumer instance: created
// once per name, it polls the json records produced through the proxy,
// refuses another Accept format, commits what it handed out or the
// offsets named (the group then resumes after them, as Confluent's API
// means them), seeks to the beginning, the end and an offset, reports its
// subscription and assignment, and is gone once deleted.
func TestV2ConsumerSubscribe(t *testing.T) {
	p := start(t, nil)
	p.createTopic("sub", 2)
	for i := 0; i < 6; i++ {
		p.must(200, "POST", "/topics/sub", v2JSON, fmt.Sprintf(`{"records":[{"value":{"i":%d},"partition":%d}]}`, i, i%2), nil)
	}
	var created struct {
		InstanceID string `json:"instance_id"`
		BaseURI    string `json:"base_uri"`
	}
	p.must(200, "POST", "/consumers/g-sub", v2, `{"name":"c1","format":"json","auto.offset.reset":"earliest","auto.commit.enable":"false"}`, &created)
	if created.InstanceID != "c1" || created.BaseURI != p.base+"/consumers/g-sub/instances/c1" {
		t.Fatalf("created: %+v", created)
	}
	p.fails(409, 40902, "POST", "/consumers/g-sub", v2, `{"name":"c1","format":"json"}`)
	inst := "/consumers/g-sub/instances/c1"
	p.fails(409, 40903, "GET", inst+"/records", "", "", "Accept", v2JSON)
	p.must(204, "POST", inst+"/subscription", v2, `{"topics":["sub"]}`, nil)
	var sub struct{ Topics []string }
	p.must(200, "GET", inst+"/subscription", "", "", &sub)
	if !slices.Equal(sub.Topics, []string{"sub"}) {
		t.Fatalf("subscription: %+v", sub)
	}
	p.fails(406, 40601, "GET", inst+"/records", "", "", "Accept", v2Bin)

	recs := p.poll(inst, v2JSON, 6)
	values := map[string]bool{}
	for _, r := range recs {
		values[fmt.Sprint(r.Value)] = true
		if r.Topic != "sub" || r.Key != nil {
			t.Fatalf("record: %+v", r)
		}
	}
	if len(values) != 6 || !values["map[i:5]"] {
		t.Fatalf("values: %v", values)
	}
	var as struct {
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
		} `json:"partitions"`
	}
	p.must(200, "GET", inst+"/assignments", "", "", &as)
	if len(as.Partitions) != 2 {
		t.Fatalf("assignments: %+v", as)
	}

	parts := `{"partitions":[{"topic":"sub","partition":0},{"topic":"sub","partition":1}]}`
	var c committed
	p.must(200, "GET", inst+"/offsets", v2, parts, &c)
	if len(c.Offsets) != 0 {
		t.Fatalf("committed before any commit: %+v", c)
	}
	p.must(200, "POST", inst+"/offsets", v2, "", nil)
	p.must(200, "GET", inst+"/offsets", v2, parts, &c)
	if len(c.Offsets) != 2 || c.Offsets[0].Offset != 3 || c.Offsets[1].Offset != 3 {
		t.Fatalf("committed after commit all: %+v", c)
	}
	p.must(200, "POST", inst+"/offsets", v2, `{"offsets":[{"topic":"sub","partition":1,"offset":0}]}`, nil)
	p.must(200, "GET", inst+"/offsets", v2, parts, &c)
	if len(c.Offsets) != 2 || c.Offsets[1].Partition != 1 || c.Offsets[1].Offset != 1 {
		t.Fatalf("committed after commit of offset 0: %+v", c)
	}

	p.must(204, "POST", inst+"/positions/beginning", v2, `{"partitions":[{"topic":"sub","partition":0}]}`, nil)
	again := p.poll(inst, v2JSON, 3)
	if again[0].Partition != 0 || again[0].Offset != 0 || len(again) != 3 {
		t.Fatalf("after seek to the beginning: %+v", again)
	}
	p.must(204, "POST", inst+"/positions", v2, `{"offsets":[{"topic":"sub","partition":1,"offset":2}]}`, nil)
	again = p.poll(inst, v2JSON, 1)
	if again[0].Partition != 1 || again[0].Offset != 2 {
		t.Fatalf("after seek to offset 2: %+v", again)
	}
	p.must(204, "POST", inst+"/positions/end", v2, parts, nil)
	var none []recordOut
	p.must(200, "GET", inst+"/records?timeout=200", "", "", &none, "Accept", v2JSON)
	if len(none) != 0 {
		t.Fatalf("after seek to the end: %+v", none)
	}

	p.must(204, "DELETE", inst+"/subscription", "", "", nil)
	p.must(200, "GET", inst+"/subscription", "", "", &sub)
	if len(sub.Topics) != 0 {
		t.Fatalf("after unsubscribe: %+v", sub)
	}
	p.must(204, "DELETE", inst, "", "", nil)
	p.fails(404, 40403, "DELETE", inst, "", "")
	p.fails(404, 40403, "GET", inst+"/records", "", "", "Accept", v2JSON)
	p.fails(404, 40403, "POST", inst+"/subscription", v2, `{"topics":["sub"]}`)
	p.fails(404, 40403, "POST", inst+"/offsets", v2, "")
}

// TestV2ConsumerAssign proves a binary consumer instance assigned
// partitions by hand starts from the group's committed offset, hands out
// base64 keys and values, and commits through the group without joining
// it; and that subscribing then is refused.
func TestV2ConsumerAssign(t *testing.T) {
	p := start(t, nil)
	p.createTopic("asg", 1)
	for i := 0; i < 4; i++ {
		p.must(200, "POST", "/topics/asg", v2Bin, fmt.Sprintf(`{"records":[{"key":"%s","value":"%s"}]}`,
			base64.StdEncoding.EncodeToString([]byte{byte(i)}), base64.StdEncoding.EncodeToString([]byte(fmt.Sprint("v", i)))), nil)
	}
	adm := kadm.NewClient(p.kafka())
	offsets := kadm.Offsets{}
	offsets.AddOffset("asg", 0, 1, -1)
	if _, err := adm.CommitOffsets(testContext(t), "g-asg", offsets); err != nil {
		t.Fatal(err)
	}
	p.must(200, "POST", "/consumers/g-asg", v2, `{"name":"b1","format":"binary"}`, nil)
	inst := "/consumers/g-asg/instances/b1"
	p.must(204, "POST", inst+"/assignments", v2, `{"partitions":[{"topic":"asg","partition":0}]}`, nil)
	p.fails(409, 40903, "POST", inst+"/subscription", v2, `{"topics":["asg"]}`)
	recs := p.poll(inst, v2Bin, 3)
	if recs[0].Offset != 1 || recs[0].Key != base64.StdEncoding.EncodeToString([]byte{1}) || recs[0].Value != base64.StdEncoding.EncodeToString([]byte("v1")) {
		t.Fatalf("records: %+v", recs)
	}
	p.must(200, "POST", inst+"/offsets", v2, "", nil)
	got, err := adm.FetchOffsets(testContext(t), "g-asg")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := got.Lookup("asg", 0); o.At != 4 {
		t.Fatalf("committed %+v, want 4", o)
	}
	p.must(204, "DELETE", inst, "", "", nil)
}

// TestV2ConsumerBadRequests proves bad instance configurations and formats
// get Confluent's codes: 42204 for an invalid config, 42206 for a schema
// format the proxy cannot serve without a registry.
func TestV2ConsumerBadRequests(t *testing.T) {
	p := start(t, nil)
	p.fails(422, 42204, "POST", "/consumers/g", v2, `{"name":"x","format":"xml"}`)
	p.fails(422, 42204, "POST", "/consumers/g", v2, `{"name":"x","auto.offset.reset":"sometimes"}`)
	p.fails(422, 42204, "POST", "/consumers/g", v2, `{"name":"x","auto.commit.enable":"maybe"}`)
	p.fails(422, 42206, "POST", "/consumers/g", v2, `{"name":"x","format":"avro"}`)
	p.fails(422, 42204, "POST", "/consumers/g", v2, `{"name":"x","consumer.request.timeout.ms":"soon"}`)
	p.fails(415, 415, "POST", "/consumers/g", "text/plain", `{"name":"x"}`)
	var created struct {
		InstanceID string `json:"instance_id"`
	}
	p.must(200, "POST", "/consumers/g", v2, "", &created)
	if !strings.HasPrefix(created.InstanceID, "rest-consumer-") {
		t.Fatalf("a generated name: %+v", created)
	}
	inst := "/consumers/g/instances/" + created.InstanceID
	p.fails(409, 40903, "POST", inst+"/subscription", v2, `{}`)
	p.fails(400, 400, "GET", inst+"/records?timeout=soon", "", "", "Accept", v2Bin)
	p.fails(406, 406, "GET", inst+"/records", "", "", "Accept", "text/html")

	// consumer.request.timeout.ms is how long a poll without a timeout waits.
	p.createTopic("quiet", 1)
	p.must(200, "POST", "/consumers/g", v2, `{"name":"patient","consumer.request.timeout.ms":"2500"}`, nil)
	p.must(204, "POST", "/consumers/g/instances/patient/subscription", v2, `{"topics":["quiet"]}`, nil)
	started := time.Now()
	p.must(200, "GET", "/consumers/g/instances/patient/records", "", "", nil, "Accept", v2Bin)
	if took := time.Since(started); took < 2*time.Second || took > 15*time.Second {
		t.Fatalf("a poll of an instance with consumer.request.timeout.ms=2500 took %v", took)
	}
}

// TestConsumerInstanceExpires proves an idle instance is closed after
// rest.proxy.consumer.instance.timeout.ms, and a used one is not.
func TestConsumerInstanceExpires(t *testing.T) {
	p := start(t, map[string]string{"rest.proxy.consumer.instance.timeout.ms": "800"})
	p.must(200, "POST", "/consumers/g-exp", v2, `{"name":"idle"}`, nil)
	p.must(200, "POST", "/consumers/g-exp", v2, `{"name":"busy"}`, nil)
	// busy is used every 200ms for 2.5s; idle is not used at all.
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		p.must(200, "GET", "/consumers/g-exp/instances/busy/subscription", "", "", nil)
	}
	p.fails(404, 40403, "GET", "/consumers/g-exp/instances/idle/subscription", "", "")
	p.must(200, "GET", "/consumers/g-exp/instances/busy/subscription", "", "", nil)
	p.must(200, "POST", "/consumers/g-exp", v2, `{"name":"idle"}`, nil) // the name is free again
}

// TestV2JSONConsumerNonJSONRecord proves a json consumer meeting a record
// that is not JSON answers 50002 and meets it again on the next poll
// instead of skipping it, as a Kafka consumer whose deserializer fails.
func TestV2JSONConsumerNonJSONRecord(t *testing.T) {
	p := start(t, nil)
	p.createTopic("raw", 1)
	p.must(200, "POST", "/topics/raw", v2Bin, `{"records":[{"value":"bm90IGpzb24="}]}`, nil)
	p.must(200, "POST", "/consumers/g-raw", v2, `{"name":"j","format":"json","auto.offset.reset":"earliest"}`, nil)
	inst := "/consumers/g-raw/instances/j"
	p.must(204, "POST", inst+"/subscription", v2, `{"topics":["raw"]}`, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := p.do("GET", inst+"/records?timeout=1000", "", "", "Accept", v2JSON)
		if status == 500 && strings.Contains(body, "50002") {
			break
		}
		if status != 200 || body != "[]\n" || time.Now().After(deadline) {
			t.Fatalf("poll: %d %s", status, body)
		}
	}
	p.fails(500, 50002, "GET", inst+"/records?timeout=1000", "", "", "Accept", v2JSON)
}

// pollAs is poll with the request headers header.
func (p *proxy) pollAs(path, accept string, n int, header []string) []recordOut {
	p.t.Helper()
	var all []recordOut
	deadline := time.Now().Add(20 * time.Second)
	for len(all) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("polled %d of %d records: %+v", len(all), n, all)
		}
		var got []recordOut
		p.must(200, "GET", path+"/records?timeout=1000", "", "", &got, append([]string{"Accept", accept}, header...)...)
		all = append(all, got...)
	}
	return all
}
