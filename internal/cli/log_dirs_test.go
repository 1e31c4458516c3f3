package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogDirsTool proves log-dirs against a broker: Kafka's two lines and
// its JSON document with the partitions of the --topic-list topics, sizes
// that grow with what was written, and Kafka's errors.
func TestLogDirsTool(t *testing.T) {
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 2)
	mustGregor(t, "a\nb\nc\n", "console-producer", "--bootstrap-server", addr, "--topic", topic)
	out := mustGregor(t, "", "log-dirs", "--bootstrap-server", addr, "--describe", "--topic-list", topic)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "Querying brokers for log directories information" ||
		!strings.HasPrefix(lines[1], "Received log directory information from brokers ") {
		t.Fatalf("log-dirs printed:\n%s", out)
	}
	var doc struct {
		Brokers []struct {
			Broker  int32
			LogDirs []struct {
				Partitions []struct {
					Partition string
					Size      int64
					OffsetLag int64
					IsFuture  bool
				}
				Error  *string
				LogDir string
			}
		}
		Version int
	}
	if err := json.Unmarshal([]byte(lines[2]), &doc); err != nil || doc.Version != 1 || len(doc.Brokers) == 0 {
		t.Fatalf("JSON %s: %v", lines[2], err)
	}
	if !strings.HasPrefix(lines[2], `{"brokers":[{"broker":`) || !strings.Contains(lines[2], `"logDirs":[{"partitions":[{"partition":"`+topic+`-0","size":`) {
		t.Errorf("keys not in Kafka's order: %s", lines[2])
	}
	var size int64
	var names []string
	for _, b := range doc.Brokers {
		for _, d := range b.LogDirs {
			if d.Error != nil || d.LogDir == "" {
				t.Errorf("log dir %+v", d)
			}
			for _, p := range d.Partitions {
				names = append(names, p.Partition)
				size += p.Size
			}
		}
	}
	if strings.Join(names, ",") != topic+"-0,"+topic+"-1" || size == 0 {
		t.Errorf("partitions %v, %d bytes in all", names, size)
	}

	for args, want := range map[string]string{
		"--topic-list " + topic:         `Missing required argument "[describe]"`,
		"--describe --broker-list 4242": "ERROR: The given brokers do not exist from --broker-list: 4242. Current existent brokers: ",
		"--describe --broker-list one":  `--broker-list: expected broker ids as "0,1,2", got "one"`,
	} {
		r := gregor(t, "", append([]string{"log-dirs", "--bootstrap-server", addr}, strings.Fields(args)...)...)
		if r.err == nil || !strings.HasPrefix(r.err.Error(), want) {
			t.Errorf("log-dirs %s: %v, want %q", args, r.err, want)
		}
	}
}
