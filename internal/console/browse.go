package console

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// maxMessages bounds one page of the message browser.
const maxMessages = 100

// browseWait is how long the browser waits for records that are not there.
const browseWait = 2 * time.Second

type message struct {
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       string
	Value     string
	Headers   []kgo.RecordHeader
}

type messagesData struct {
	Topic     string
	Partition int32
	Offset    string
	Timestamp string
	Format    string
	Limit     int
	Messages  []message
	Next      int64 // the offset after the last message shown
}

// messages is the message browser: up to limit records of one partition
// from an offset, or from the first record at or after a timestamp.
func (c *Console) messages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	partition, _ := strconv.Atoi(q.Get("partition"))
	d := messagesData{Topic: r.PathValue("topic"), Partition: int32(partition), Offset: q.Get("offset"),
		Timestamp: q.Get("timestamp"), Format: q.Get("format"), Limit: 20}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		d.Limit = min(n, maxMessages)
	}
	start, err := d.startOffset()
	if err == nil {
		err = c.read(r, &d, start)
	}
	c.render(w, r, "messages.html", "Messages of "+d.Topic, d, err)
}

// startOffset is where to read from: the timestamp's first record, the
// offset given, or the partition's start.
func (d *messagesData) startOffset() (kgo.Offset, error) {
	if d.Timestamp != "" {
		ts, err := parseTimestamp(d.Timestamp)
		if err != nil {
			return kgo.Offset{}, err
		}
		return kgo.NewOffset().AfterMilli(ts), nil
	}
	if d.Offset == "" {
		return kgo.NewOffset().AtStart(), nil
	}
	o, err := strconv.ParseInt(d.Offset, 10, 64)
	if err != nil || o < 0 {
		return kgo.Offset{}, fmt.Errorf("offset %q is not a non-negative number", d.Offset)
	}
	return kgo.NewOffset().At(o), nil
}

// parseTimestamp takes milliseconds since the epoch or an RFC 3339 time
// (as a datetime-local input sends it, without a zone: UTC).
func parseTimestamp(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("timestamp %q is neither milliseconds nor a date and time", s)
}

// read consumes up to d.Limit records of the partition from start with a
// client of its own, and stops at the partition's end or after browseWait.
func (c *Console) read(r *http.Request, d *messagesData, start kgo.Offset) error {
	cl, err := kgo.NewClient(append(c.clientOpts(r),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{d.Topic: {d.Partition: start}}),
		kgo.FetchMaxWait(500*time.Millisecond))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(r.Context(), browseWait)
	defer cancel()
	for len(d.Messages) < d.Limit {
		fs := cl.PollRecords(ctx, d.Limit-len(d.Messages))
		if ctx.Err() != nil {
			return nil
		}
		if err := fs.Err0(); err != nil && !errors.Is(err, ctx.Err()) {
			return err
		}
		for _, rec := range fs.Records() {
			d.Messages = append(d.Messages, message{Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp,
				Key: format(rec.Key, d.Format), Value: format(rec.Value, d.Format), Headers: rec.Headers})
			d.Next = rec.Offset + 1
		}
	}
	return nil
}

// format shows bytes as text, pretty JSON (text when not JSON) or hex.
func format(b []byte, how string) string {
	switch {
	case b == nil:
		return ""
	case how == "hex":
		return hex.Dump(b)
	case how == "json":
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			return out.String()
		}
	}
	if !utf8.Valid(b) {
		return hex.Dump(b)
	}
	return string(b)
}

// produce writes one test message (key, value, headers as key=value
// lines) to the topic, to a partition if one is given.
func (c *Console) produce(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	topic := r.PathValue("topic")
	rec := &kgo.Record{Topic: topic, Value: []byte(r.FormValue("value"))}
	if k := r.FormValue("key"); k != "" {
		rec.Key = []byte(k)
	}
	for _, line := range strings.Split(r.FormValue("headers"), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
	}
	opts := c.clientOpts(r)
	if p, err := strconv.Atoi(r.FormValue("partition")); err == nil && p >= 0 {
		rec.Partition = int32(p)
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := kgo.NewClient(opts...)
	if err == nil {
		defer cl.Close()
		rec, err = cl.ProduceSync(ctx, rec).First()
	}
	notice := "produced"
	if err != nil {
		notice = "produce: " + err.Error()
	} else {
		notice = fmt.Sprintf("produced to partition %d at offset %d", rec.Partition, rec.Offset)
	}
	c.redirect(w, r, "/topics/"+url.PathEscape(topic), notice)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
