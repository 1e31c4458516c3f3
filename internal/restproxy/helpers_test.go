package restproxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

const (
	v2     = "application/vnd.kafka.v2+json"
	v2JSON = "application/vnd.kafka.json.v2+json"
	v2Bin  = "application/vnd.kafka.binary.v2+json"
)

// proxy is a node and the base URL of its REST proxy.
type proxy struct {
	t    *testing.T
	node *nodetest.TestNode
	base string
}

// start starts a node with props; scheme, if given, is the REST proxy's
// (http by default).
func start(t *testing.T, props map[string]string, scheme ...string) *proxy {
	t.Helper()
	tn := nodetest.Start(t, "", props)
	if tn.RESTProxyAddr() == nil {
		t.Fatal("the REST proxy does not listen")
	}
	s := "http"
	if len(scheme) > 0 {
		s = scheme[0]
	}
	return &proxy{t: t, node: tn, base: s + "://" + tn.RESTProxyAddr().String()}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// do sends one request and returns the status and the body.
func (p *proxy) do(method, path, contentType, body string, header ...string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// must sends one request and decodes the answer into out (if not nil),
// failing unless the status is want.
func (p *proxy) must(want int, method, path, contentType, body string, out any, header ...string) string {
	p.t.Helper()
	status, got := p.do(method, path, contentType, body, header...)
	if status != want {
		p.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, got)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			p.t.Fatalf("%s %s: %v in %s", method, path, err, got)
		}
	}
	return got
}

type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// fails checks that a request fails with status and Confluent's error code.
func (p *proxy) fails(status, code int, method, path, contentType, body string, header ...string) {
	p.t.Helper()
	var e errorBody
	p.must(status, method, path, contentType, body, &e, header...)
	if e.ErrorCode != code || e.Message == "" {
		p.t.Fatalf("%s %s: error %+v, want code %d and a message", method, path, e, code)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (p *proxy) kafka() *kgo.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.node.Addr))
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(cl.Close)
	return cl
}

func (p *proxy) createTopic(name string, partitions int32) {
	p.t.Helper()
	resp, err := kadm.NewClient(p.kafka()).CreateTopic(testContext(p.t), partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

// consume reads n records of topic from the start, through Kafka.
func (p *proxy) consume(topic string, n int) []*kgo.Record {
	p.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.node.Addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		p.t.Fatal(err)
	}
	defer cl.Close()
	ctx := testContext(p.t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			p.t.Fatalf("consumed %d of %d records of %s", len(out), n, topic)
		}
		out = append(out, fs.Records()...)
	}
	return out
}
