package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGetOffsetsTool proves get-offsets against a broker: Kafka's
// topic:partition:offset lines in Kafka's order (by "topic-partition" as
// text, so partition 10 before 2), each --time form, both ways of choosing
// partitions, and Kafka's errors.
func TestGetOffsetsTool(t *testing.T) {
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 12)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, p := range []int32{0, 0, 0, 2} {
		rec := &kgo.Record{Topic: topic, Partition: p, Value: []byte("v"), Timestamp: time.UnixMilli(int64(1000 * (i + 1)))}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(offsets ...string) string {
		var b strings.Builder
		for _, o := range offsets {
			b.WriteString(topic + ":" + o + "\n")
		}
		return b.String()
	}
	all := func(p0, p2 string) string {
		return lines("0:"+p0, "1:0", "10:0", "11:0", "2:"+p2, "3:0", "4:0", "5:0", "6:0", "7:0", "8:0", "9:0")
	}
	base := []string{"get-offsets", "--bootstrap-server", addr}
	for _, tc := range []struct {
		args string
		want string
	}{
		{"--topic " + topic, all("3", "1")},
		{"--topic " + topic + " --time -1", all("3", "1")},
		{"--topic " + topic + " --time earliest", all("0", "0")},
		{"--topic " + topic + " --time -4", all("0", "0")},
		{"--topic " + topic + " --time max-timestamp", lines("0:2", "2:0")},
		{"--topic " + topic + " --time 2000", lines("0:1", "2:0")},
		{"--topic " + topic + " --time 3500", lines("2:0")},
		{"--topic " + topic + " --time 9000", ""},
		{"--topic " + topic + " --time latest-tiered", ""},
		{"--topic " + topic + " --time earliest-pending-upload", ""},
		{"--topic " + topic + " --partitions 0,2", lines("0:3", "2:1")},
		{"--topic " + topic[:len(topic)-2] + ".*," + topic + " --partitions 0", lines("0:3")},
		{"--topic-partitions " + topic + ":0," + topic + ":10-", lines("0:3", "10:0", "11:0")},
		{"--topic-partitions " + topic + ":-2", lines("0:3", "1:0")},
		{"--topic-partitions " + topic + ":2-4", lines("2:1", "3:0")},
	} {
		if out := mustGregor(t, "", append(base, strings.Fields(tc.args)...)...); out != tc.want {
			t.Errorf("get-offsets %s:\n%s\nwant\n%s", tc.args, out, tc.want)
		}
	}
	for args, want := range map[string]string{
		"--topic " + topic + " --time abc":                  "Error occurred: Malformed time argument abc. Please use -1 or latest",
		"--topic " + topic + " --topic-partitions " + topic: "Error occurred: --topic-partitions cannot be used with --topic or --partitions",
		"--topic " + topic + "-none":                        "Error occurred: Could not match any topic-partitions with the specified filters",
		"--topic " + topic + " --partitions x":              "Error occurred: --partitions expects a comma separated list of numeric partition ids, but received: x",
		"--topic [":                                         "Error occurred: [ is an invalid regex.",
		"--topic-partitions " + topic + ":x":                "Error occurred: Invalid rule specification: " + topic + ":x",
	} {
		r := gregor(t, "", append(base, strings.Fields(args)...)...)
		if r.err == nil || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
			t.Errorf("get-offsets %s: %v, stderr %q, want %q", args, r.err, r.stderr, want)
		}
	}
}
