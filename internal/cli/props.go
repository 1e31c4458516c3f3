package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// props is a set of Kafka client properties (key -> value) with Kafka's
// names, gathered from properties files and repeated k=v flags.
type props map[string]string

// parseProps reads k=v pairs as given to --producer-property,
// --consumer-property, --property or --producer-props.
func parseProps(kvs []string) (props, error) {
	p := props{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid property %q: expected key=value", kv)
		}
		p[k] = strings.TrimSpace(v)
	}
	return p, nil
}

// loadPropsFile reads a Java properties file: key=value or key: value per
// line, '#' and '!' comments. An empty path yields no properties.
func loadPropsFile(path string) (props, error) {
	p := props{}
	if path == "" {
		return p, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			p[line] = ""
			continue
		}
		p[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return p, sc.Err()
}

// merge copies other into p; other wins.
func (p props) merge(other props) props {
	for k, v := range other {
		p[k] = v
	}
	return p
}

// bool reads a boolean property, def when unset.
func (p props) bool(key string, def bool) (bool, error) {
	v, ok := p[key]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid value %q for configuration %s: expected true or false", v, key)
	}
	return b, nil
}

// int reads an integer property, def when unset.
func (p props) int(key string, def int64) (int64, error) {
	v, ok := p[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q for configuration %s: expected a number", v, key)
	}
	return n, nil
}

// propOpt maps one property value to client options.
type propOpt func(p props, key string) ([]kgo.Opt, error)

func msOpt[O kgo.Opt](f func(time.Duration) O) propOpt {
	return func(p props, key string) ([]kgo.Opt, error) {
		n, err := p.int(key, 0)
		if err != nil {
			return nil, err
		}
		return []kgo.Opt{f(time.Duration(n) * time.Millisecond)}, nil
	}
}

func int32Opt[O kgo.Opt](f func(int32) O) propOpt {
	return func(p props, key string) ([]kgo.Opt, error) {
		n, err := p.int(key, 0)
		if err != nil {
			return nil, err
		}
		return []kgo.Opt{f(int32(n))}, nil
	}
}

func intOpt[O kgo.Opt](f func(int) O) propOpt {
	return func(p props, key string) ([]kgo.Opt, error) {
		n, err := p.int(key, 0)
		if err != nil {
			return nil, err
		}
		return []kgo.Opt{f(int(n))}, nil
	}
}

// handled marks a property the command reads itself, or one with no
// meaning for a Go client (serializer classes), so it draws no warning.
func handled(props, string) ([]kgo.Opt, error) { return nil, nil }

// commonProps are the properties every client understands.
var commonProps = map[string]propOpt{
	"bootstrap.servers": handled,
	"client.id": func(p props, k string) ([]kgo.Opt, error) {
		return []kgo.Opt{kgo.ClientID(p[k])}, nil
	},
	"client.rack": func(p props, k string) ([]kgo.Opt, error) {
		return []kgo.Opt{kgo.Rack(p[k])}, nil
	},
	"security.protocol":        securityOptions, // security.go, with the keys of securityKeys
	"metadata.max.age.ms":      msOpt(kgo.MetadataMaxAge),
	"connections.max.idle.ms":  msOpt(kgo.ConnIdleTimeout),
	"request.timeout.ms":       handled,
	"retry.backoff.ms":         msOpt(func(d time.Duration) kgo.Opt { return kgo.RetryBackoffFn(func(int) time.Duration { return d }) }),
	"reconnect.backoff.ms":     handled,
	"reconnect.backoff.max.ms": handled,
	"default.api.timeout.ms":   handled,
}

// producerProps are the producer properties mapped to kgo options; acks
// and enable.idempotence are resolved together in producerOptions.
var producerProps = map[string]propOpt{
	"acks":                                  handled,
	"enable.idempotence":                    handled,
	"linger.ms":                             handled,
	"batch.size":                            handled,
	"max.request.size":                      handled,
	"compression.type":                      handled,
	"buffer.memory":                         intOpt(kgo.MaxBufferedBytes),
	"delivery.timeout.ms":                   msOpt(kgo.RecordDeliveryTimeout),
	"retries":                               intOpt(kgo.RecordRetries),
	"max.in.flight.requests.per.connection": intOpt(kgo.MaxProduceRequestsInflightPerBroker),
	"key.serializer":                        handled,
	"value.serializer":                      handled,
	"partitioner.class":                     handled,
	"partitioner.ignore.keys":               handled,
	"partitioner.adaptive.partitioning.enable": handled,
	"request.timeout.ms":                       msOpt(kgo.ProduceRequestTimeout),
	"transactional.id": func(p props, k string) ([]kgo.Opt, error) {
		return nil, fmt.Errorf("%s is not supported by this tool", k)
	},
}

// consumerProps are the consumer properties mapped to kgo options;
// group.id, auto.offset.reset and isolation.level are read by the commands.
var consumerProps = map[string]propOpt{
	"group.id":                  handled,
	"auto.offset.reset":         handled,
	"isolation.level":           handled,
	"enable.auto.commit":        handled,
	"max.poll.records":          handled,
	"key.deserializer":          handled,
	"value.deserializer":        handled,
	"fetch.max.bytes":           int32Opt(kgo.FetchMaxBytes),
	"max.partition.fetch.bytes": int32Opt(kgo.FetchMaxPartitionBytes),
	"fetch.min.bytes":           int32Opt(kgo.FetchMinBytes),
	"fetch.max.wait.ms":         msOpt(kgo.FetchMaxWait),
	"auto.commit.interval.ms":   msOpt(kgo.AutoCommitInterval),
	"session.timeout.ms":        msOpt(kgo.SessionTimeout),
	"heartbeat.interval.ms":     msOpt(kgo.HeartbeatInterval),
	"max.poll.interval.ms":      msOpt(kgo.RebalanceTimeout),
	"group.instance.id": func(p props, k string) ([]kgo.Opt, error) {
		return []kgo.Opt{kgo.InstanceID(p[k])}, nil
	},
}

// clientOptions maps p through the common table and the role's table
// (producerProps or consumerProps), warning on warn about keys neither
// knows, as Kafka's clients log "supplied but isn't a known config".
func clientOptions(p props, role map[string]propOpt, warn io.Writer) ([]kgo.Opt, error) {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var opts []kgo.Opt
	for _, k := range keys {
		fn, ok := role[k]
		if !ok {
			fn, ok = commonProps[k]
		}
		if !ok && slices.Contains(securityKeys, k) {
			fn, ok = handled, true
		}
		if !ok {
			warnf(warn, "The configuration '%s' was supplied but isn't a known config.", k)
			continue
		}
		o, err := fn(p, k)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
	}
	return opts, nil
}

// compressionCodec maps Kafka's compression.type names to kgo codecs.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("invalid compression codec %q: expected none, gzip, snappy, lz4 or zstd", name)
}

// producerDefaults are the batching defaults a tool starts from before
// properties apply: Kafka 4's linger.ms of 5, and kgo's 1 MiB batches.
type producerDefaults struct {
	linger      time.Duration
	batchBytes  int64
	acks        string
	idempotent  bool
	maxBuffered int
	compression string
}

// producerOptions resolves the producer properties that interact: acks and
// enable.idempotence (idempotence needs acks=all, as in Kafka), batch.size
// capped by max.request.size, linger.ms and compression.type, then maps the
// rest through the tables.
func producerOptions(p props, def producerDefaults, warn io.Writer) ([]kgo.Opt, error) {
	opts, err := clientOptions(p, producerProps, warn)
	if err != nil {
		return nil, err
	}
	acks := def.acks
	if v, ok := p["acks"]; ok {
		acks = v
	}
	idempotent, err := p.bool("enable.idempotence", def.idempotent)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(acks) {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1", "0":
		if _, explicit := p["enable.idempotence"]; explicit && idempotent {
			return nil, fmt.Errorf("must set acks to all in order to use the idempotent producer")
		}
		idempotent = false
		if acks == "1" {
			opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
		} else {
			opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
		}
	default:
		return nil, fmt.Errorf("invalid value %q for configuration acks: expected all, -1, 0 or 1", acks)
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	linger, err := p.int("linger.ms", def.linger.Milliseconds())
	if err != nil {
		return nil, err
	}
	batch, err := p.int("batch.size", def.batchBytes)
	if err != nil {
		return nil, err
	}
	maxRequest, err := p.int("max.request.size", batch)
	if err != nil {
		return nil, err
	}
	batch = min(batch, maxRequest)
	if batch <= 0 {
		return nil, fmt.Errorf("batch.size must be positive, got %d", batch)
	}
	codec, err := compressionCodec(firstNonEmpty(p["compression.type"], def.compression))
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.ProducerLinger(time.Duration(linger)*time.Millisecond),
		kgo.ProducerBatchMaxBytes(int32(batch)),
		kgo.ProducerBatchCompression(codec),
	)
	if def.maxBuffered > 0 {
		opts = append(opts, kgo.MaxBufferedRecords(def.maxBuffered))
	}
	return opts, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// warnUnknown names, in one warning on w, the keys of p that known does
// not list, with the closest known key when one is a likely typo: Kafka
// ignores such keys silently, and a misspelt parse.key would cost an hour.
func warnUnknown(w io.Writer, flag string, p props, known []string) {
	var unknown []string
	for k := range p {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		hint := ""
		if near := closest(k, known); near != "" {
			hint = fmt.Sprintf(" (did you mean '%s'?)", near)
		}
		warnf(w, "%s '%s' is not a known property and is ignored%s; known: %s.", flag, k, hint, strings.Join(known, ", "))
	}
}

// closest returns the known key within an edit distance of 2 of k, or "".
func closest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if d := editDistance(k, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
