// Package browser drives Gregor's web console in a real headless Chromium.
//
// The tests run only with GREGOR_BROWSER_TESTS=1. CHROME names the
// browser (default /usr/bin/chromium, Debian's package chromium) and
// GREGOR_SCREENSHOT_DIR the directory the PNG screenshots go to (default
// a new temp dir, which the test logs).
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// browser starts a headless Chromium with a fresh profile and returns a
// tab's context, bounded by timeout. The flags keep it from reaching out
// to the network (sync, component updates, QUIC probes), which on a
// machine without a network can hang it.
func browser(t *testing.T, timeout time.Duration) (context.Context, *bytes.Buffer) {
	t.Helper()
	chrome := os.Getenv("CHROME")
	if chrome == "" {
		chrome = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chrome); err != nil {
		t.Fatalf("no browser at %s (apt-get install chromium, or set CHROME): %v", chrome, err)
	}
	var out bytes.Buffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&out),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	return tab, &out
}

// screenshotDir is where the screenshots go.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("GREGOR_SCREENSHOT_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "gregor-console-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// lagSeries returns the lags of a chart's data-series ("ms:lag ..."),
// consecutive repeats dropped.
func lagSeries(t *testing.T, series string) []int64 {
	t.Helper()
	var lags []int64
	for _, s := range strings.Fields(series) {
		_, v, ok := strings.Cut(s, ":")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("bad sample %q in data-series %q", s, series)
		}
		if len(lags) == 0 || lags[len(lags)-1] != n {
			lags = append(lags, n)
		}
	}
	return lags
}

// TestConsoleInBrowser creates a topic and produces a message through the
// console's forms, finds the message in the message browser (as pretty
// JSON), and follows a consumer group's lag on its page and in its chart
// while records arrive and the group commits, with a screenshot of each
// page (and of the group page at a phone's width).
func TestConsoleInBrowser(t *testing.T) {
	if os.Getenv("GREGOR_BROWSER_TESTS") != "1" {
		t.Skip("drives a headless Chromium; set GREGOR_BROWSER_TESTS=1 to run it")
	}
	dir := screenshotDir(t)
	tn := nodetest.Start(t, "", nil)
	base := "http://" + tn.AdminAddr().String()
	ctx, chromeOut := browser(t, 3*time.Minute)

	// run runs actions; on failure it keeps a screenshot of the page and
	// the browser's output.
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
				_ = os.WriteFile(filepath.Join(dir, "failed.png"), png, 0o644)
			}
			t.Fatalf("%s: %v\nbrowser output:\n%s", step, err, chromeOut)
		}
	}
	// submit clicks a form's button and waits for the page it leads to.
	submit := func(step, button string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button, chromedp.NodeVisible))
		if err != nil || resp.Status != 200 {
			t.Fatalf("%s: %v (response %+v)", step, err, resp)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("screenshot %s is not a PNG", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	run("open the overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible("section.cards", chromedp.NodeVisible))
	if got := text("dl"); !strings.Contains(got, tn.ClusterID) {
		t.Errorf("overview does not show the cluster ID %s: %q", tn.ClusterID, got)
	}
	shot("1-overview")

	// Create a topic through the form.
	run("fill the create form", chromedp.Navigate(base+"/topics"),
		chromedp.SendKeys(`form[action="/topics"] input[name="name"]`, "browser-demo", chromedp.NodeVisible),
		chromedp.SetValue(`form[action="/topics"] input[name="partitions"]`, "2"))
	submit("create the topic", `form[action="/topics"] button`)
	if got := text("p.notice"); got != "created browser-demo" {
		t.Fatalf("after create: notice %q", got)
	}
	if got := text("main table tbody"); strings.Count(got, "\n")+1 != 2 {
		t.Errorf("the new topic's page shows partitions %q, want 2 rows", got)
	}

	// Produce a message through the form.
	const form = `form[action="/topics/browser-demo/produce"] `
	run("fill the produce form",
		chromedp.SendKeys(form+`input[name="key"]`, "browser-key", chromedp.NodeVisible),
		chromedp.SetValue(form+`input[name="partition"]`, "0"),
		chromedp.SendKeys(form+`textarea[name="value"]`, `{"hello":"browser","n":1}`),
		chromedp.SendKeys(form+`textarea[name="headers"]`, "origin=chromium"))
	submit("produce", form+"button")
	if got := text("p.notice"); got != "produced to partition 0 at offset 0" {
		t.Fatalf("after produce: notice %q", got)
	}
	shot("2-topic")

	// Find it in the message browser, shown as pretty JSON.
	submit("open the message browser", `a[href="/topics/browser-demo/messages"]`)
	run("choose JSON", chromedp.SetValue(`select[name="format"]`, "json", chromedp.NodeVisible))
	submit("read partition 0", `main form button`)
	msg := text("article.msg")
	for _, want := range []string{"0:0", "browser-key", "\"hello\": \"browser\",\n  \"n\": 1", "origin", "chromium"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message browser shows %q, without %q", msg, want)
		}
	}
	shot("3-messages")

	// A consumer group that read and committed the first record, while
	// more records arrive: its lag is the gap, on its page and its chart.
	cl, err := kgo.NewClient(kgo.SeedBrokers(tn.Addr), kgo.ClientID("browser-reader"),
		kgo.ConsumerGroup("browser-readers"), kgo.ConsumeTopics("browser-demo"), kgo.DisableAutoCommit(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RetryTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pollCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if fs := cl.PollRecords(pollCtx, 1); fs.Err0() != nil || len(fs.Records()) == 0 {
		t.Fatalf("the group read nothing: %v", fs.Err0())
	}
	commit := func(offset int64) {
		t.Helper()
		var cerr error
		cl.CommitOffsetsSync(pollCtx, map[string]map[int32]kgo.EpochOffset{"browser-demo": {0: {Epoch: -1, Offset: offset}}},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				cerr = err
				if resp == nil {
					return
				}
				for _, tp := range resp.Topics {
					for _, p := range tp.Partitions {
						cerr = errors.Join(cerr, kerr.ErrorForCode(p.ErrorCode))
					}
				}
			})
		if cerr != nil {
			t.Fatalf("commit %d: %v", offset, cerr)
		}
	}
	produce := func(n int) {
		t.Helper()
		for i := range n {
			if err := cl.ProduceSync(pollCtx, &kgo.Record{Topic: "browser-demo", Partition: 0, Value: fmt.Appendf(nil, "more %d", i)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	lagOf := func() string {
		t.Helper()
		return strings.TrimSpace(text(`main table tbody tr:first-child td.lag`))
	}
	commit(1)
	produce(4) // end 5, committed 1
	run("open the group", chromedp.Navigate(base+"/groups/browser-readers"), chromedp.WaitVisible("td.lag", chromedp.NodeVisible))
	if got := lagOf(); got != "4" {
		t.Errorf("lag of partition 0 shown as %q, want 4", got)
	}
	time.Sleep(1200 * time.Millisecond) // spreads the chart's samples over time
	produce(3)                          // end 8
	run("reload the group", chromedp.Reload(), chromedp.WaitVisible("td.lag", chromedp.NodeVisible))
	if got := lagOf(); got != "7" {
		t.Errorf("lag of partition 0 shown as %q, want 7", got)
	}
	time.Sleep(1200 * time.Millisecond)
	commit(6) // lag 2
	run("reload the group", chromedp.Reload(), chromedp.WaitVisible("svg.lagchart", chromedp.NodeVisible))
	if got := lagOf(); got != "2" {
		t.Errorf("lag of partition 0 shown as %q, want 2", got)
	}
	if got := text("section.cards"); !regexp.MustCompile(`\b2\s+total lag`).MatchString(got) {
		t.Errorf("the group's cards show %q, without a total lag of 2", got)
	}
	if got := text("main table"); !strings.Contains(got, "browser-reader") {
		t.Errorf("the members table %q does not show the consumer", got)
	}
	series, err := chromedp.Run(ctx, chromedp.AttributeValue("svg.lagchart", "data-series"))
	if err != nil || !series.Exists {
		t.Fatalf("the lag chart has no data-series: %v", err)
	}
	if lags := lagSeries(t, series.Value); len(lags) < 3 || fmt.Sprint(lags[len(lags)-3:]) != "[4 7 2]" {
		t.Errorf("the lag chart's series %q, want it to end with lags 4, 7, 2", series.Value)
	}
	shot("4-group")

	run("open the groups", chromedp.Navigate(base+"/groups"), chromedp.WaitVisible("td.spark svg", chromedp.NodeVisible))
	shot("5-groups")
	run("a phone's width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/groups/browser-readers"),
		chromedp.WaitVisible("svg.lagchart", chromedp.NodeVisible))
	shot("6-group-phone")
}
