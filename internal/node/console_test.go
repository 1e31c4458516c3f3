package node_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"gregor/internal/node/nodetest"
)

// get fetches path from the node's admin listener and returns the body,
// failing unless the status is want.
func get(t *testing.T, tn *nodetest.TestNode, path string, want int) string {
	t.Helper()
	resp, err := http.Get("http://" + tn.AdminAddr().String() + path)
	return body(t, resp, err, want)
}

func post(t *testing.T, tn *nodetest.TestNode, path string, form url.Values, want int) string {
	t.Helper()
	resp, err := http.PostForm("http://"+tn.AdminAddr().String()+path, form)
	return body(t, resp, err, want)
}

func body(t *testing.T, resp *http.Response, err error, want int) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s, want %d\n%s", resp.Request.Method, resp.Request.URL, resp.Status, want, b)
	}
	return string(b)
}

func mustContain(t *testing.T, page, what string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s does not show %q", what, w)
		}
	}
}

// TestConsoleEndToEnd proves the console, through the protocol, creates a
// topic, produces a message with a header to it, finds that message in the
// browser (as text, pretty JSON and hex), alters a topic config, shows a
// group's lag per partition, and deletes the topic only when confirmed.
func TestConsoleEndToEnd(t *testing.T) {
	tn := nodetest.Start(t, "", nil)
	mustContain(t, get(t, tn, "/", 200), "overview", "Cluster ID", tn.ClusterID, "controller")

	page := post(t, tn, "/topics", url.Values{"name": {"console-demo"}, "partitions": {"2"}, "replication": {"-1"}}, 200)
	mustContain(t, page, "the new topic's page", "created console-demo", "Partitions")
	mustContain(t, get(t, tn, "/topics", 200), "topic list", "console-demo")

	page = post(t, tn, "/topics/console-demo/produce", url.Values{"key": {"k1"}, "value": {`{"hello":"gregor"}`},
		"partition": {"1"}, "headers": {"source=console"}}, 200)
	mustContain(t, page, "the produce answer", "produced to partition 1 at offset 0")

	browser := get(t, tn, "/topics/console-demo/messages?partition=1&offset=0&format=json", 200)
	mustContain(t, browser, "the message browser", "1:0", "k1", "&#34;hello&#34;: &#34;gregor&#34;", "source", "console")
	mustContain(t, get(t, tn, "/topics/console-demo/messages?partition=1&offset=0&format=hex", 200), "hex view", "7b 22 68 65")
	mustContain(t, get(t, tn, "/topics/console-demo/messages?partition=1&timestamp=0", 200), "browse by timestamp", "k1")

	page = post(t, tn, "/topics/console-demo/config", url.Values{"key": {"retention.ms"}, "value": {"3600000"}}, 200)
	mustContain(t, page, "the altered topic", "set retention.ms", "3600000")

	adm := kadm.NewClient(newClient(t, tn.Addr))
	offsets := kadm.Offsets{}
	offsets.AddOffset("console-demo", 1, 0, -1)
	if _, err := adm.CommitOffsets(testContext(t), "console-readers", offsets); err != nil {
		t.Fatal(err)
	}
	mustContain(t, get(t, tn, "/groups", 200), "group list", "console-readers")
	mustContain(t, get(t, tn, "/groups/console-readers", 200), "group page", `data-lag="1"`, "console-demo", "Total lag over time")

	// The lag chart's series holds each sample's lag, oldest first: the lag
	// of 1 above, then 0 once the group has committed the end.
	offsets.AddOffset("console-demo", 1, 1, -1)
	if _, err := adm.CommitOffsets(testContext(t), "console-readers", offsets); err != nil {
		t.Fatal(err)
	}
	page = get(t, tn, "/groups/console-readers", 200)
	if !regexp.MustCompile(`data-series="(\d+:\d+ )*\d+:1( \d+:0)+"`).MatchString(page) {
		t.Errorf("the group's lag chart does not show lag 1 then 0:\n%s", page)
	}
	mustContain(t, get(t, tn, "/groups", 200), "the groups' trend column", `class="lagchart"`)

	page = post(t, tn, "/topics/console-demo/delete", url.Values{"confirm": {"wrong"}}, 200)
	mustContain(t, page, "an unconfirmed delete", "not deleted")
	page = post(t, tn, "/topics/console-demo/delete", url.Values{"confirm": {"console-demo"}}, 200)
	mustContain(t, page, "a confirmed delete", "deleted console-demo")
}

// TestConsoleReadOnly proves http.console.read.only hides the forms and
// refuses every change with 403, while pages still answer.
func TestConsoleReadOnly(t *testing.T) {
	tn := nodetest.Start(t, "", map[string]string{"http.console.read.only": "true"})
	createTopic(t, tn.Addr, "watched", 1, nil)
	page := get(t, tn, "/topics/watched", 200)
	mustContain(t, page, "read-only topic page", "read-only", "watched")
	if strings.Contains(page, "Delete topic") || strings.Contains(page, "Produce a test message") {
		t.Errorf("read-only page shows forms that change things")
	}
	post(t, tn, "/topics", url.Values{"name": {"sneaky"}, "partitions": {"1"}}, 403)
	post(t, tn, "/topics/watched/delete", url.Values{"confirm": {"watched"}}, 403)
}
