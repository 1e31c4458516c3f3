package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestDeleteRecordsTool proves delete-records against a broker: Kafka's
// lines for deleted partitions, -1 as the high watermark, a per-partition
// error for an offset past the end and an unknown topic, and Kafka's
// refusals of a bad file.
func TestDeleteRecordsTool(t *testing.T) {
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 2)
	mustGregor(t, "k1:a\nk2:b\nk3:c\nk4:d\nk5:e\n", "console-producer", "--bootstrap-server", addr, "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=:", "--producer-property", "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner")
	ends := mustGregor(t, "", "get-offsets", "--bootstrap-server", addr, "--topic", topic)
	var end0, end1 int64
	if _, err := fmt.Sscanf(ends, topic+":0:%d\n"+topic+":1:%d\n", &end0, &end1); err != nil || end0+end1 != 5 {
		t.Fatalf("get-offsets: %q (%v)", ends, err)
	}
	plan := func(entries ...string) string {
		return writeFile(t, "delete.json", `{"partitions":[`+strings.Join(entries, ",")+`],"version":1}`)
	}
	entry := func(topic string, p int, off int64) string {
		return fmt.Sprintf(`{"topic":%q,"partition":%d,"offset":%d}`, topic, p, off)
	}
	base := []string{"delete-records", "--bootstrap-server", addr, "--offset-json-file"}

	out := mustGregor(t, "", append(base, plan(entry(topic, 1, -1), entry(topic, 0, 1)))...)
	want := fmt.Sprintf("Executing records delete operation\nRecords delete operation completed:\n"+
		"partition: %s-0\tlow_watermark: 1\npartition: %s-1\tlow_watermark: %d\n", topic, topic, end1)
	if out != want {
		t.Errorf("delete:\n%s\nwant\n%s", out, want)
	}
	if out := mustGregor(t, "", "get-offsets", "--bootstrap-server", addr, "--topic", topic, "--time", "earliest"); out !=
		fmt.Sprintf("%s:0:1\n%s:1:%d\n", topic, topic, end1) {
		t.Errorf("start offsets after the delete: %q", out)
	}

	out = mustGregor(t, "", append(base, plan(entry(topic, 0, end0+10), entry(topic+"-missing", 0, 1)))...)
	for _, line := range []string{
		"partition: " + topic + "-0\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: ",
		"partition: " + topic + "-missing-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: ",
	} {
		if !strings.Contains(out, "\n"+line) {
			t.Errorf("errors:\n%s\nwant a line starting %q", out, line)
		}
	}

	for body, want := range map[string]string{
		`garbage`:                       "The input string is not a valid JSON",
		`{"version":2,"partitions":[]}`: "Not supported version field value 2",
		`{"version":1}`:                 "Missing partitions field",
		`{"partitions":[` + entry(topic, 0, 1) + "," + entry(topic, 0, 2) + `]}`: "Offset json file contains duplicate topic partitions: " + topic + "-0",
	} {
		r := gregor(t, "", append(base, writeFile(t, "bad.json", body))...)
		if r.err == nil || r.err.Error() != want || r.stdout != "" {
			t.Errorf("%s: %v %q, want %q", body, r.err, r.stdout, want)
		}
	}
}
