package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLineReaderAsKafka(t *testing.T) {
	// Lines become headers, key and value as Kafka's LineMessageReader
	// makes them, null.marker included, and its errors are Kafka's.
	r, err := newLineReader(props{"parse.headers": "TRUE", "parse.key": "true", "null.marker": "NUL"})
	if err != nil {
		t.Fatal(err)
	}
	var rec kgo.Record
	if err := r.record(&rec, []byte("h1:v1,h2:NUL\tk\tval\tue"), 1); err != nil {
		t.Fatal(err)
	}
	if string(rec.Key) != "k" || string(rec.Value) != "val\tue" || len(rec.Headers) != 2 ||
		rec.Headers[0].Key != "h1" || string(rec.Headers[0].Value) != "v1" || rec.Headers[1].Value != nil {
		t.Errorf("got key %q value %q headers %+v", rec.Key, rec.Value, rec.Headers)
	}
	if err := r.record(&rec, []byte("NUL\tNUL\tNUL"), 2); err != nil || rec.Key != nil || rec.Value != nil || rec.Headers != nil {
		t.Errorf("null markers: key %q value %q headers %v err %v", rec.Key, rec.Value, rec.Headers, err)
	}
	err = r.record(&rec, []byte("no-delimiter"), 3)
	if want := "No headers delimiter found on line number 3: 'no-delimiter'"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if _, err := newLineReader(props{"headers.separator": ":"}); err == nil ||
		err.Error() != "headers.separator and headers.key.separator may not be equal" {
		t.Errorf("equal separators: %v", err)
	}
}

func TestUnknownPropertyWarns(t *testing.T) {
	// A misspelt reader property is named in a warning with the likely key.
	var w bytes.Buffer
	warnUnknown(&w, "--property", props{"parse.keys": "true", "parse.key": "true"}, lineReaderProps)
	if got := w.String(); !strings.Contains(got, "'parse.keys' is not a known property") ||
		!strings.Contains(got, "did you mean 'parse.key'?") || strings.Count(got, "\n") != 1 {
		t.Errorf("warning %q", got)
	}
}

func TestFormatterAsKafka(t *testing.T) {
	// DefaultMessageFormatter's layout: a separator only between printed
	// fields, the line separator after the last, nothing when all are off.
	for _, tc := range []struct {
		props props
		want  string
	}{
		{props{"print.key": "true", "print.value": "false"}, "k\n"},
		{props{"print.value": "false"}, ""},
		{props{"print.partition": "true", "print.epoch": "true", "key.separator": "|"}, "Partition:3|Epoch:7|v\n"},
		{props{"print.headers": "yes"}, "v\n"}, // only "true" is true, as in Kafka
	} {
		f, err := newRecordFormatter(tc.props)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		out := newPrinter(&b)
		f.write(out, &kgo.Record{Key: []byte("k"), Value: []byte("v"), Partition: 3, LeaderEpoch: 7})
		out.flush()
		if b.String() != tc.want {
			t.Errorf("%v: printed %q, want %q", tc.props, b.String(), tc.want)
		}
	}
	if err := checkFormatter("kafka.tools.LoggingMessageFormatter", props{}); err == nil ||
		!strings.Contains(err.Error(), "is not supported") {
		t.Errorf("LoggingMessageFormatter: %v", err)
	}
}

func TestFlagErrorsAndConflicts(t *testing.T) {
	// A bad number names the flag and what was expected; an option that
	// the action does not take is refused in Kafka's words.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--create", "--topic", "t", "--partitions", "abc"},
			`--partitions: expected an integer from -2147483648 to 2147483647, got "abc"`},
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--create", "--topic", "t", "--partitions", "99999999999"},
			`--partitions: expected an integer from -2147483648 to 2147483647, got "99999999999"`},
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--create", "--topic", "t", "--replication-factor", "40000"},
			`--replication-factor: expected an integer from -32768 to 32767, got "40000"`},
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--list", "--partitions", "3"},
			`Option "[partitions]" can't be used with option "[list]"`},
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--describe", "--topics-with-overrides", "--at-min-isr-partitions"},
			`Option "[topics-with-overrides]" can't be used with option "[at-min-isr-partitions]"`},
		{[]string{"console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--include", "t.*"},
			"exactly one of --include/--topic is required"},
	} {
		r := gregor(t, "", tc.args...)
		if r.err == nil || r.err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.args, r.err, tc.want)
		}
	}
}

func TestNotKafkaPort(t *testing.T) {
	// A port where an HTTP server answers is named as not a Kafka broker.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, args := range [][]string{
		{"topics", "--bootstrap-server", addr, "--list"},
		{"console-producer", "--bootstrap-server", addr, "--topic", "t"},
		{"console-consumer", "--bootstrap-server", addr, "--topic", "t"},
		{"consumer-groups", "--bootstrap-server", addr, "--list"},
		{"configs", "--bootstrap-server", addr, "--describe", "--entity-type", "topics"},
		{"metadata-quorum", "--bootstrap-server", addr, "describe", "--status"},
	} {
		r := gregor(t, "", args...)
		if want := "no Kafka broker answered at " + addr + " (is it another service?)"; r.err == nil || r.err.Error() != want {
			t.Errorf("%v: error %v, want %q", args, r.err, want)
		}
	}
	r := gregor(t, "", "metadata-quorum", "--bootstrap-controller", addr, "describe", "--status")
	if want := "no Kafka controller answered at " + addr + " (is it another service?)"; r.err == nil || r.err.Error() != want {
		t.Errorf("metadata-quorum --bootstrap-controller: error %v, want %q", r.err, want)
	}
}

func TestIncludeAndTopicOverrides(t *testing.T) {
	// --include consumes every topic its regular expression matches, and
	// --topics-with-overrides lists only topics with an override.
	addr := startBroker(t)
	prefix := uniqueTopic(t)
	a, b := prefix+"-a", prefix+"-b"
	createTopic(t, addr, a, 1)
	mustGregor(t, "", "topics", "--bootstrap-server", addr, "--create", "--topic", b, "--partitions", "1",
		"--config", "retention.ms=1000000")
	mustGregor(t, "one\n", "console-producer", "--bootstrap-server", addr, "--topic", a)
	mustGregor(t, "two\n", "console-producer", "--bootstrap-server", addr, "--topic", b)
	out := mustGregor(t, "", "console-consumer", "--bootstrap-server", addr, "--include", prefix+"-.*",
		"--from-beginning", "--max-messages", "2", "--timeout-ms", "10000")
	if lines := strings.Fields(out); len(lines) != 2 || !strings.Contains(out, "one") || !strings.Contains(out, "two") {
		t.Errorf("--include printed %q", out)
	}
	out = mustGregor(t, "", "topics", "--bootstrap-server", addr, "--describe", "--topics-with-overrides",
		"--topic", prefix+"-.*")
	if !strings.Contains(out, "Topic: "+b) || strings.Contains(out, "Topic: "+a) || strings.Contains(out, "Partition:") {
		t.Errorf("--topics-with-overrides printed %q", out)
	}
}
