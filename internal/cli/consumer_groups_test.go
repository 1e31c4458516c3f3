package cli

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupTestWait bounds every wait on the cluster in these tests.
const groupTestWait = 20 * time.Second

// testClientID is the client id of the test's group members.
const testClientID = "groups-test"

// produceTimed writes n records to one partition of topic, record i with
// timestamp base + i seconds (base zero: now).
func produceTimed(t *testing.T, addr, topic string, partition int32, n int, base time.Time) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var records []*kgo.Record
	for i := range n {
		r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(strconv.Itoa(i))}
		if !base.IsZero() {
			r.Timestamp = base.Add(time.Duration(i) * time.Second)
		}
		records = append(records, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
}

// joinGroup returns a kgo consumer that is the only member of group,
// subscribed to topic, once it holds its partitions. It never commits by
// itself: the test commits what it wants with commitAs.
func joinGroup(t *testing.T, addr, group, topic string) *kgo.Client {
	t.Helper()
	assigned := make(chan struct{}, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID(testClientID),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	select {
	case <-assigned:
	case <-time.After(groupTestWait):
		t.Fatalf("no partitions assigned to the member of %s within %s", group, groupTestWait)
	}
	waitForState(t, addr, group, "Stable")
	return cl
}

// waitForState waits until the coordinator reports group in state: a
// broker may finish a rebalance a little after its members see it.
func waitForState(t *testing.T, addr, group, state string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	last := "not described"
	for ctx.Err() == nil {
		described, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
		if g, ok := described[group]; err == nil && ok && g.Err == nil {
			if last = g.State; last == state {
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("group %s is %s, not %s, after %s", group, last, state, groupTestWait)
}

// commitAs commits offsets of topic's partitions as member cl.
func commitAs(t *testing.T, cl *kgo.Client, topic string, offsets map[int32]int64) {
	t.Helper()
	commit := map[string]map[int32]kgo.EpochOffset{topic: {}}
	for p, o := range offsets {
		commit[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	var commitErr error
	cl.CommitOffsetsSync(ctx, commit, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			commitErr = err
			return
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode != 0 && commitErr == nil {
					commitErr = fmt.Errorf("%s-%d: error code %d", rt.Topic, rp.Partition, rp.ErrorCode)
				}
			}
		}
	})
	if commitErr != nil {
		t.Fatalf("commit: %v", commitErr)
	}
}

// leaveGroup closes member cl, the last member of group, and waits until
// the group is Empty.
func leaveGroup(t *testing.T, addr, group string, cl *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	if err := cl.LeaveGroupContext(ctx); err != nil {
		t.Fatalf("leave group: %v", err)
	}
	cl.Close()
	waitForState(t, addr, group, "Empty")
}

// committedOffsets reads group's committed offsets of topic with kadm.
func committedOffsets(t *testing.T, addr, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	resps, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	out := map[int32]int64{}
	for p, o := range resps[topic] {
		if o.Err == nil && o.At >= 0 {
			out[p] = o.At
		}
	}
	return out
}

// groups runs "consumer-groups --bootstrap-server addr args...".
func groups(t *testing.T, addr string, args ...string) result {
	t.Helper()
	return gregor(t, "", append([]string{"consumer-groups", "--bootstrap-server", addr}, args...)...)
}

// table parses a blank line then a header and rows of whitespace-separated
// cells, as --describe prints them, into one map per row.
func table(t *testing.T, out string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 || lines[0] != "" {
		t.Fatalf("not a blank line then a table: %q", out)
	}
	header := strings.Fields(lines[1])
	var rows []map[string]string
	for _, l := range lines[2:] {
		cells := strings.Fields(l)
		if len(cells) != len(header) {
			t.Fatalf("row %q has %d cells, header %q has %d", l, len(cells), lines[1], len(header))
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = cells[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// number parses a cell that must be a number.
func number(t *testing.T, row map[string]string, column string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(row[column], 10, 64)
	if err != nil {
		t.Fatalf("%s is %q in %v", column, row[column], row)
	}
	return n
}

// lagFixture is a topic with 10 records on partition 0 and 6 on
// partition 1, and a group whose only member committed 4 and 3.
type lagFixture struct {
	addr, topic, group string
	member             *kgo.Client
}

func newLagFixture(t *testing.T) lagFixture {
	t.Helper()
	f := lagFixture{addr: startBroker(t), topic: uniqueTopic(t), group: uniqueTopic(t) + "-group"}
	createTopic(t, f.addr, f.topic, 2)
	produceTimed(t, f.addr, f.topic, 0, 10, time.Time{})
	produceTimed(t, f.addr, f.topic, 1, 6, time.Time{})
	f.member = joinGroup(t, f.addr, f.group, f.topic)
	commitAs(t, f.member, f.topic, map[int32]int64{0: 4, 1: 3})
	return f
}

// checkLagRows checks the --offsets rows of the fixture: committed 4 and
// 3, log end 10 and 6, and LAG = LOG-END-OFFSET - CURRENT-OFFSET.
func (f lagFixture) checkLagRows(t *testing.T, rows []map[string]string, consumerID, clientID string) {
	t.Helper()
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %v", len(rows), rows)
	}
	want := []struct{ current, logEnd int64 }{{4, 10}, {3, 6}}
	for i, r := range rows {
		current, logEnd, lag := number(t, r, "CURRENT-OFFSET"), number(t, r, "LOG-END-OFFSET"), number(t, r, "LAG")
		if r["GROUP"] != f.group || r["TOPIC"] != f.topic || r["PARTITION"] != strconv.Itoa(i) {
			t.Errorf("row %d names %v", i, r)
		}
		if current != want[i].current || logEnd != want[i].logEnd || lag != logEnd-current {
			t.Errorf("partition %d: current %d, log end %d, lag %d; want %d, %d, %d",
				i, current, logEnd, lag, want[i].current, want[i].logEnd, want[i].logEnd-want[i].current)
		}
		if r["CONSUMER-ID"] != consumerID || r["CLIENT-ID"] != clientID || (consumerID != "-") == (r["HOST"] == "-") {
			t.Errorf("partition %d member columns %v, want consumer %q client %q", i, r, consumerID, clientID)
		}
	}
}

func TestConsumerGroupsDescribeActiveGroup(t *testing.T) {
	// A group with a live member is described with its committed offsets,
	// log end offsets and lag, its member and its state, is listed with
	// its state, and can be neither reset nor deleted.
	f := newLagFixture(t)
	memberID, _ := f.member.GroupMetadata()

	r := groups(t, f.addr, "--describe", "--group", f.group)
	if r.err != nil || r.stderr != "" {
		t.Fatalf("describe: %v, stderr %q", r.err, r.stderr)
	}
	f.checkLagRows(t, table(t, r.stdout), memberID, testClientID)

	r = groups(t, f.addr, "--describe", "--group", f.group, "--offsets", "--verbose")
	if rows := table(t, r.stdout); r.err != nil || rows[0]["LEADER-EPOCH"] == "" {
		t.Errorf("--offsets --verbose: %v %q", r.err, r.stdout)
	}

	r = groups(t, f.addr, "--describe", "--group", f.group, "--members", "--verbose")
	rows := table(t, r.stdout)
	if r.err != nil || len(rows) != 1 || rows[0]["CONSUMER-ID"] != memberID || rows[0]["CLIENT-ID"] != testClientID ||
		rows[0]["#PARTITIONS"] != "2" || rows[0]["CURRENT-ASSIGNMENT"] != f.topic+":0,1" ||
		rows[0]["CURRENT-EPOCH"] != "-" || rows[0]["TARGET-EPOCH"] != "-" || rows[0]["TARGET-ASSIGNMENT"] != "-" {
		t.Errorf("--members --verbose: %v %q", r.err, r.stdout)
	}
	r = groups(t, f.addr, "--describe", "--group", f.group, "--members")
	if rows := table(t, r.stdout); r.err != nil || len(rows) != 1 || rows[0]["CURRENT-ASSIGNMENT"] != "" || !strings.HasSuffix(r.stdout, " \n") {
		t.Errorf("--members: %v %q", r.err, r.stdout)
	}

	r = groups(t, f.addr, "--describe", "--group", f.group, "--state")
	state := regexp.MustCompile(`^\nGROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS\n` +
		regexp.QuoteMeta(f.group) + ` +\S+:\d+  \(\d+\) +[a-z-]+ +Stable +1\n$`)
	if r.err != nil || !state.MatchString(r.stdout) {
		t.Errorf("--state: %v %q", r.err, r.stdout)
	}

	checkListed(t, f.addr, f.group, "Stable")

	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-earliest", "--execute")
	refusal := "\nError: Assignments can only be reset if the group '" + f.group + "' is inactive, but the current state is Stable.\n"
	if r.err == nil || !Reported(r.err) || !strings.HasPrefix(r.stdout, refusal) {
		t.Errorf("reset of a stable group: %v %q", r.err, r.stdout)
	}
	if got := committedOffsets(t, f.addr, f.group, f.topic); got[0] != 4 || got[1] != 3 {
		t.Errorf("a refused reset changed the offsets: %v", got)
	}

	r = groups(t, f.addr, "--delete", "--group", f.group)
	if r.err == nil || !Reported(r.err) || !strings.Contains(r.stdout, "\nError: Deletion of some consumer groups failed:\n* Group '"+f.group+"' could not be deleted due to: ") {
		t.Errorf("delete of a stable group: %v %q", r.err, r.stdout)
	}

	r = groups(t, f.addr, "--delete-offsets", "--group", f.group, "--topic", f.topic)
	if r.err == nil || !strings.Contains(r.stdout, "Error: Encountered some partition-level error, see the follow-up details.") ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(f.topic)+` +0 +Error: `).MatchString(r.stdout) {
		t.Errorf("delete-offsets of a subscribed topic: %v %q", r.err, r.stdout)
	}
}

// checkListed checks that --list shows group, that --list --state shows
// it in state, and that the state filter keeps or drops it.
func checkListed(t *testing.T, addr, group, state string) {
	t.Helper()
	r := groups(t, addr, "--list")
	if r.err != nil || !slices.Contains(strings.Split(r.stdout, "\n"), group) {
		t.Errorf("--list lacks %s: %v %q", group, r.err, r.stdout)
	}
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(group) + ` +` + state + ` *$`)
	r = groups(t, addr, "--list", "--state")
	if r.err != nil || !strings.HasPrefix(r.stdout, "GROUP") || !line.MatchString(r.stdout) {
		t.Errorf("--list --state: %v %q", r.err, r.stdout)
	}
	other := "Stable"
	if state == "Stable" {
		other = "Empty"
	}
	for _, filter := range [][]string{{"--state", strings.ToLower(state)}, {"--state=dead," + state}} {
		if r = groups(t, addr, append([]string{"--list"}, filter...)...); r.err != nil || !line.MatchString(r.stdout) {
			t.Errorf("--list %v: %v %q", filter, r.err, r.stdout)
		}
	}
	if r = groups(t, addr, "--list", "--state", other); r.err != nil || line.MatchString(r.stdout) {
		t.Errorf("--list --state %s shows %s: %v %q", other, group, r.err, r.stdout)
	}
}

func TestConsumerGroupsDescribeEmptyGroup(t *testing.T) {
	// Once its member left, a group has no active members: Kafka's note on
	// standard error, and its committed offsets without a consumer.
	f := newLagFixture(t)
	leaveGroup(t, f.addr, f.group, f.member)

	r := groups(t, f.addr, "--describe", "--group", f.group)
	note := "\nConsumer group '" + f.group + "' has no active members.\n"
	if r.err != nil || r.stderr != note {
		t.Fatalf("describe: %v, stderr %q", r.err, r.stderr)
	}
	f.checkLagRows(t, table(t, r.stdout), "-", "-")

	r = groups(t, f.addr, "--describe", "--group", f.group, "--members")
	if r.err != nil || r.stderr != note || len(table(t, r.stdout)) != 0 {
		t.Errorf("--members: %v %q %q", r.err, r.stdout, r.stderr)
	}
	r = groups(t, f.addr, "--describe", "--group", f.group, "--state")
	if rows := table(t, r.stdout); r.err != nil || !strings.Contains(r.stdout, " Empty ") || rows[0]["#MEMBERS"] != "0" {
		t.Errorf("--state: %v %q", r.err, r.stdout)
	}
	checkListed(t, f.addr, f.group, "Empty")
}

func TestConsumerGroupsDescribeMissingGroup(t *testing.T) {
	// A group the cluster does not know is Kafka's error on standard
	// output and a non-zero exit; the other groups are still described.
	f := newLagFixture(t)
	missing := uniqueTopic(t)
	want := "\nError: Consumer group '" + missing + "' does not exist.\n"
	for _, view := range []string{"--offsets", "--members", "--state"} {
		r := groups(t, f.addr, "--describe", "--group", missing, view)
		if r.err == nil || !Reported(r.err) || r.stdout != want {
			t.Errorf("%s: %v %q", view, r.err, r.stdout)
		}
	}
	r := groups(t, f.addr, "--describe", "--group", f.group, "--group", missing)
	if r.err == nil || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "\n"+f.group+" ") {
		t.Errorf("one missing of two: %v %q", r.err, r.stdout)
	}
}

func TestConsumerGroupsDescribeAllGroups(t *testing.T) {
	// --all-groups describes every consumer group, the fixture's among them.
	f := newLagFixture(t)
	r := groups(t, f.addr, "--describe", "--all-groups", "--state")
	if r.err != nil || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(f.group)+` .* Stable +1$`).MatchString(r.stdout) {
		t.Errorf("--all-groups --state: %v %q", r.err, r.stdout)
	}
}

// resetFixture is an empty group (its member left) that committed 4 on
// partition 0 and 3 on partition 1 of a topic whose partition 0 holds
// offsets 2..9 (0 and 1 deleted) and partition 1 offsets 0..5; record i
// of each partition has timestamp base + i seconds.
type resetFixture struct {
	addr, topic, group string
	base               time.Time
}

func newResetFixture(t *testing.T) resetFixture {
	t.Helper()
	f := resetFixture{addr: startBroker(t), topic: uniqueTopic(t), group: uniqueTopic(t) + "-group",
		base: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)}
	createTopic(t, f.addr, f.topic, 2)
	produceTimed(t, f.addr, f.topic, 0, 10, f.base)
	produceTimed(t, f.addr, f.topic, 1, 6, f.base)
	deleteRecordsBefore(t, f.addr, f.topic, 0, 2)
	member := joinGroup(t, f.addr, f.group, f.topic)
	commitAs(t, member, f.topic, map[int32]int64{0: 4, 1: 3})
	leaveGroup(t, f.addr, f.group, member)
	return f
}

// deleteRecordsBefore moves the log start offset of one partition.
func deleteRecordsBefore(t *testing.T, addr, topic string, partition int32, offset int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	before := kadm.Offsets{}
	before.Add(kadm.Offset{Topic: topic, Partition: partition, At: offset, LeaderEpoch: -1})
	resps, err := kadm.NewClient(cl).DeleteRecords(ctx, before)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
}

// newOffsets parses the GROUP TOPIC PARTITION NEW-OFFSET table of group.
func (f resetFixture) newOffsets(t *testing.T, out string) map[int32]int64 {
	t.Helper()
	got := map[int32]int64{}
	for _, r := range table(t, out) {
		if r["GROUP"] != f.group || r["TOPIC"] != f.topic {
			t.Errorf("row %v", r)
		}
		got[int32(number(t, r, "PARTITION"))] = number(t, r, "NEW-OFFSET")
	}
	return got
}

func TestConsumerGroupsResetOffsetsDryRun(t *testing.T) {
	// Each scenario plans Kafka's offsets, clamped to each partition's
	// earliest and latest, and --dry-run (or no --execute) commits none.
	f := newResetFixture(t)
	at := func(d time.Duration) string { return f.base.Add(d).Format("2006-01-02T15:04:05.000Z07:00") }
	cases := []struct {
		args []string
		want map[int32]int64
		warn string // in standard error
	}{
		{[]string{"--to-earliest"}, map[int32]int64{0: 2, 1: 0}, ""},
		{[]string{"--to-latest"}, map[int32]int64{0: 10, 1: 6}, ""},
		{[]string{"--to-current"}, map[int32]int64{0: 4, 1: 3}, ""},
		{[]string{"--to-offset", "5"}, map[int32]int64{0: 5, 1: 5}, ""},
		{[]string{"--to-offset", "100"}, map[int32]int64{0: 10, 1: 6},
			"New offset (100) is higher than latest offset for topic partition " + f.topic + "-0. Value will be set to 10."},
		{[]string{"--to-offset", "1"}, map[int32]int64{0: 2, 1: 1},
			"New offset (1) is lower than earliest offset for topic partition " + f.topic + "-0. Value will be set to 2."},
		{[]string{"--shift-by", "-3"}, map[int32]int64{0: 2, 1: 0}, ""},
		{[]string{"--shift-by", "4"}, map[int32]int64{0: 8, 1: 6}, ""},
		{[]string{"--to-datetime", at(5 * time.Second)}, map[int32]int64{0: 5, 1: 5}, ""},
		{[]string{"--to-datetime", at(4500 * time.Millisecond)}, map[int32]int64{0: 5, 1: 5}, ""},
		{[]string{"--to-datetime", at(-time.Hour)}, map[int32]int64{0: 2, 1: 0}, ""},
		{[]string{"--by-duration", "P36500D"}, map[int32]int64{0: 2, 1: 0}, ""},
	}
	for _, tc := range cases {
		for _, mode := range [][]string{{"--dry-run"}, nil} {
			args := append([]string{"--reset-offsets", "--group", f.group, "--topic", f.topic}, tc.args...)
			r := groups(t, f.addr, append(args, mode...)...)
			if r.err != nil {
				t.Fatalf("%v %v: %v", tc.args, mode, r.err)
			}
			if got := f.newOffsets(t, r.stdout); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%v: new offsets %v, want %v", tc.args, got, tc.want)
			}
			if tc.warn != "" && !strings.Contains(r.stderr, tc.warn) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, r.stderr, tc.warn)
			}
			if mode == nil && !strings.Contains(r.stderr, "No action will be performed as the --execute option is missing") {
				t.Errorf("%v without --dry-run or --execute: stderr %q", tc.args, r.stderr)
			}
		}
	}
	if got := committedOffsets(t, f.addr, f.group, f.topic); fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 4, 1: 3}) {
		t.Errorf("dry runs changed the committed offsets to %v", got)
	}
}

// TestConsumerGroupsResetOffsetsProgress proves --execute commits a
// reset in requests of commitChunk offsets with a progress line on
// standard error once the reset has run long enough, leaving standard
// output as Kafka prints it, and prints no progress for a quick reset.
func TestConsumerGroupsResetOffsetsProgress(t *testing.T) {
	f := newResetFixture(t)
	args := []string{"--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-earliest", "--execute"}
	quick := groups(t, f.addr, args...)
	if quick.err != nil || strings.Contains(quick.stderr, "Progress:") {
		t.Fatalf("a quick reset: %v, stderr %q", quick.err, quick.stderr)
	}
	defer func(interval time.Duration, chunk int) { progressInterval, commitChunk = interval, chunk }(progressInterval, commitChunk)
	progressInterval, commitChunk = 0, 1
	r := groups(t, f.addr, append(args[:len(args)-2], "--to-latest", "--execute")...)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, want := range []string{
		"Progress: 1 of 2 new offsets of group '" + f.group + "' committed (50%), ",
		"Progress: 2 of 2 new offsets of group '" + f.group + "' committed (100%), ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	if strings.Contains(r.stdout, "Progress: ") {
		t.Errorf("progress on standard output: %q", r.stdout)
	}
	if got := committedOffsets(t, f.addr, f.group, f.topic); fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 10, 1: 6}) {
		t.Errorf("committed %v after a reset in two requests", got)
	}
}

func TestConsumerGroupsResetOffsetsScopes(t *testing.T) {
	// --topic t:1 resets one partition, --all-topics those committed; a
	// time after every record falls back to the latest offset, with
	// Kafka's notice.
	f := newResetFixture(t)
	r := groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic+":1", "--to-earliest", "--dry-run")
	if got := f.newOffsets(t, r.stdout); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{1: 0}) {
		t.Errorf("--topic %s:1: %v %v", f.topic, got, r.err)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--all-topics", "--shift-by", "1", "--dry-run")
	if got := f.newOffsets(t, r.stdout); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 5, 1: 4}) {
		t.Errorf("--all-topics: %v %v", got, r.err)
	}
	later := f.base.Add(time.Hour).Format("2006-01-02T15:04:05.000Z")
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-datetime", later, "--dry-run")
	notice := "\nWarn: Partition 1 from topic " + f.topic + " is empty. Falling back to latest known offset.\n"
	if r.err != nil || !strings.Contains(r.stdout, notice) {
		t.Fatalf("time after every record: %v %q", r.err, r.stdout)
	}
	_, plan, _ := strings.Cut(r.stdout, "\nGROUP")
	if got := f.newOffsets(t, "\nGROUP"+plan); fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 10, 1: 6}) {
		t.Errorf("time after every record: %v", got)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic+":7", "--to-earliest")
	if want := `The partitions "` + f.topic + `-7" do not exist`; r.err == nil || r.err.Error() != want {
		t.Errorf("missing partition: %v, want %q", r.err, want)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", "no-such-topic-"+f.topic, "--to-earliest")
	if r.err == nil || !strings.Contains(r.err.Error(), "does not exist") {
		t.Errorf("missing topic: %v", r.err)
	}
}

func TestConsumerGroupsResetOffsetsExecute(t *testing.T) {
	// --execute commits the plan, which describe then shows with the lag
	// it implies; a group that did not exist gets the offsets too.
	f := newResetFixture(t)
	r := groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-offset", "5", "--execute")
	if r.err != nil || r.stderr != "" {
		t.Fatalf("execute: %v %q", r.err, r.stderr)
	}
	if got := committedOffsets(t, f.addr, f.group, f.topic); fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 5, 1: 5}) {
		t.Errorf("committed %v after --to-offset 5 --execute", got)
	}
	r = groups(t, f.addr, "--describe", "--group", f.group)
	for i, row := range table(t, r.stdout) {
		if lag, want := number(t, row, "LAG"), []int64{5, 1}[i]; lag != want {
			t.Errorf("partition %d lag %d, want %d", i, lag, want)
		}
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--shift-by", "-1", "--execute")
	if got := committedOffsets(t, f.addr, f.group, f.topic); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 4, 1: 4}) {
		t.Errorf("committed %v after --shift-by -1 (%v)", got, r.err)
	}

	fresh := uniqueTopic(t) + "-new"
	r = groups(t, f.addr, "--reset-offsets", "--group", fresh, "--topic", f.topic, "--to-latest", "--execute")
	if got := committedOffsets(t, f.addr, fresh, f.topic); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 10, 1: 6}) {
		t.Errorf("new group: committed %v (%v)", got, r.err)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", uniqueTopic(t)+"-none", "--topic", f.topic, "--shift-by", "1")
	if r.err == nil || !strings.Contains(r.err.Error(), "since there is no current committed offset") {
		t.Errorf("--shift-by without a committed offset: %v", r.err)
	}
}

func TestConsumerGroupsResetOffsetsExportAndFromFile(t *testing.T) {
	// --export prints Kafka's CSV plan (without the group column for one
	// --group, with it otherwise) and --from-file applies such a plan,
	// clamped to each partition's offsets, to the groups it names.
	f := newResetFixture(t)
	r := groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-offset", "5", "--dry-run", "--export")
	if want := fmt.Sprintf("%[1]s,0,5\n%[1]s,1,5\n\n", f.topic); r.err != nil || r.stdout != want {
		t.Fatalf("--export with one group: %v %q, want %q", r.err, r.stdout, want)
	}
	other := uniqueTopic(t) + "-other"
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--group", other, "--topic", f.topic+":1", "--to-earliest", "--export")
	first, second := min(f.group, other), max(f.group, other) // groups print in name order
	if want := fmt.Sprintf("%[2]s,%[1]s,1,0\n%[3]s,%[1]s,1,0\n\n", f.topic, first, second); r.err != nil || r.stdout != want {
		t.Fatalf("--export with two groups: %v %q, want %q", r.err, r.stdout, want)
	}

	plan := writeFile(t, "plan.csv", fmt.Sprintf("%[1]s,0,7\n%[1]s,1,100\n", f.topic))
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--from-file", plan, "--execute")
	if got := committedOffsets(t, f.addr, f.group, f.topic); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 7, 1: 6}) {
		t.Errorf("--from-file: committed %v (%v, %q)", got, r.err, r.stderr)
	}
	if warn := "New offset (100) is higher than latest offset for topic partition " + f.topic + "-1"; !strings.Contains(r.stderr, warn) {
		t.Errorf("--from-file past the end: stderr %q lacks %q", r.stderr, warn)
	}

	withGroup := writeFile(t, "groups.csv", fmt.Sprintf("%[2]s,%[1]s,0,3\n%[3]s,%[1]s,1,2\n", f.topic, f.group, other))
	// Two groups, not --all-groups: run against a shared broker
	// (GREGOR_TEST_BOOTSTRAP), other tests' groups have no plan here.
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--group", other, "--from-file", withGroup, "--dry-run")
	if r.err != nil || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(f.group+" ")+` *`+regexp.QuoteMeta(f.topic)+` +0 +3$`).MatchString(r.stdout) {
		t.Errorf("two groups --from-file: %v %q", r.err, r.stdout)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", other, "--from-file", withGroup, "--dry-run")
	if got := committedOffsets(t, f.addr, other, f.topic); r.err != nil || len(got) != 0 || !strings.Contains(r.stdout, other+" "+f.topic) {
		t.Errorf("one group of a four-column plan: %v %v %q", got, r.err, r.stdout)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", uniqueTopic(t)+"-absent", "--from-file", withGroup, "--dry-run")
	if r.err == nil || !strings.Contains(r.stdout, "Error: No reset plan for group ") {
		t.Errorf("a group the plan does not name: %v %q", r.err, r.stdout)
	}
	plan = writeFile(t, "missing.csv", f.topic+",9,1\n")
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--from-file", plan, "--dry-run")
	if want := `The partitions "` + f.topic + `-9" do not exist`; r.err == nil || r.err.Error() != want {
		t.Errorf("plan naming a missing partition: %v, want %q", r.err, want)
	}
}

func TestParseResetPlan(t *testing.T) {
	// A plan is read as Kafka reads it: three columns for the one --group,
	// four otherwise; a later line for a partition wins; bad lines are
	// named.
	for _, tc := range []struct {
		text, group, want, err string
	}{
		{"t,0,5\nt,1,6\n\n", "g", "g:t-0@5 g:t-1@6", ""},
		{"t,0,5\nt,0,2\n", "g", "g:t-0@2", ""},
		{"g,t,0,5\nh,t,1,6\n", "g", "g:t-0@5 h:t-1@6", ""},
		{"g,t,0,5\n", "", "g:t-0@5", ""},
		{"t,0,5\n", "", "", `record 1: expected group,topic,partition,offset, got "t,0,5"`},
		{"t,0,5\ng,t,1,6\n", "g", "", `record 2: expected topic,partition,offset`},
		{"t,x,5\n", "g", "", `invalid partition "x"`},
		{"t,0,-1\n", "g", "", `invalid offset "-1"`},
		{"", "g", "", ""},
	} {
		plans, err := parseResetPlan(tc.text, tc.group)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		var got []string
		for _, g := range sortedKeys(plans) {
			for _, o := range plans[g].Sorted() {
				got = append(got, fmt.Sprintf("%s:%s-%d@%d", g, o.Topic, o.Partition, o.At))
			}
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.text, got, err, tc.want)
		}
	}
}

func TestConsumerGroupsDelete(t *testing.T) {
	// --delete-offsets forgets a topic's offsets and --delete the group,
	// with Kafka's messages; a deleted group no longer exists.
	f := newResetFixture(t)
	r := groups(t, f.addr, "--delete-offsets", "--group", f.group, "--topic", f.topic)
	rows := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(f.topic) + ` +[01] +Successful {5}$`)
	if r.err != nil || !strings.HasPrefix(r.stdout, "Request succeeded for deleting offsets from group "+f.group+".\n\nTOPIC") ||
		len(rows.FindAllString(r.stdout, -1)) != 2 {
		t.Fatalf("delete-offsets: %v %q", r.err, r.stdout)
	}
	if got := committedOffsets(t, f.addr, f.group, f.topic); len(got) != 0 {
		t.Errorf("offsets left after --delete-offsets: %v", got)
	}

	r = groups(t, f.addr, "--delete", "--group", f.group)
	if want := "Deletion of requested consumer groups ('" + f.group + "') was successful.\n"; r.err != nil || r.stdout != want {
		t.Fatalf("delete: %v %q", r.err, r.stdout)
	}
	r = groups(t, f.addr, "--describe", "--group", f.group)
	if want := "\nError: Consumer group '" + f.group + "' does not exist.\n"; r.err == nil || r.stdout != want {
		t.Errorf("describe after delete: %v %q", r.err, r.stdout)
	}
	if r = groups(t, f.addr, "--list"); slices.Contains(strings.Split(r.stdout, "\n"), f.group) {
		t.Errorf("--list after delete: %q", r.stdout)
	}
	r = groups(t, f.addr, "--delete", "--group", f.group)
	if r.err == nil || !Reported(r.err) || !strings.Contains(r.stdout, "* Group '"+f.group+"' could not be deleted due to: ") {
		t.Errorf("second delete: %v %q", r.err, r.stdout)
	}
}

func TestConsumerGroupsFlagErrors(t *testing.T) {
	// Bad combinations fail before connecting, naming the problem.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "exactly one action"},
		{[]string{"--list", "--describe"}, "exactly one action"},
		{[]string{"--describe"}, "option [describe] takes one of these options: [group], [all-groups]"},
		{[]string{"--describe", "--group", "g", "--all-groups"}, "[group] can't be used with option [all-groups]"},
		{[]string{"--describe", "--group", "g", "--members", "--state"}, "at most one of these options"},
		{[]string{"--describe", "--group", "g", "--state", "stable"}, "does not take a value for [state]"},
		{[]string{"--list", "--members"}, "option [members] can only be used with [describe]"},
		{[]string{"--list", "--group", "g"}, "option [group] can only be used with"},
		{[]string{"--list", "--state", "sleepy"}, "invalid state list 'sleepy'. Valid states are: "},
		{[]string{"--list", "--type", "share"}, "invalid types list 'share'. Valid types are: Classic, Consumer"},
		{[]string{"--describe", "--group", "g", "--type"}, "option [type] can only be used with [list]"},
		{[]string{"--delete"}, "option [delete] takes one of these options"},
		{[]string{"--delete", "--group", "g", "--topic", "t"}, "topic-specific offset deletion"},
		{[]string{"--delete-offsets", "--group", "g"}, "option [delete-offsets] takes the following options"},
		{[]string{"--delete-offsets", "--group", "g", "--group", "h", "--topic", "t"}, "one [group]"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t"}, "requires one of the following scenarios"},
		{[]string{"--reset-offsets", "--group", "g", "--to-earliest"}, "one of the reset scopes should be defined: --all-topics, --topic"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t", "--all-topics", "--to-earliest"}, "[all-topics] can't be used with option [topic]"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--to-latest"}, "option [to-earliest] can't be used with option [to-latest]"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--dry-run", "--execute"}, "only accepts one of [execute] and [dry-run]"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t", "--to-datetime", "yesterday"}, "invalid --to-datetime"},
		{[]string{"--reset-offsets", "--group", "g", "--topic", "t", "--by-duration", "1h"}, "invalid --by-duration"},
		{[]string{"--reset-offsets", "--topic", "t", "--to-earliest"}, "option [reset-offsets] takes one of these options"},
		{[]string{"--describe", "--group", "g", "--to-earliest"}, "option [to-earliest] can only be used with [reset-offsets]"},
		{[]string{"--describe", "--group", "g", "--execute"}, "option [execute] can only be used with [reset-offsets]"},
		{[]string{"--describe", "--group", "g", "--export"}, "option [export] can only be used with [reset-offsets]"},
		{[]string{"--reset-offsets", "--group", "g", "--from-file", "/nonexistent/plan.csv"}, "cannot read the reset plan"},
		{[]string{"--reset-offsets", "--group", "g", "--from-file", "p.csv", "--to-latest"}, "can't be used with option"},
		{[]string{"--list", "extra"}, `unexpected argument "extra"`},
	} {
		r := groups(t, "127.0.0.1:1", tc.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, r.err, tc.want)
		}
		if r.elapsed > time.Second {
			t.Errorf("%v: took %v; should fail before connecting", tc.args, r.elapsed)
		}
	}
	r := gregor(t, "", "consumer-groups", "--list")
	if r.err == nil || !strings.Contains(r.err.Error(), "bootstrap-server") {
		t.Errorf("without --bootstrap-server: %v", r.err)
	}
}

func TestParseISODuration(t *testing.T) {
	// --by-duration reads java.time.Duration's PnDTnHnMnS text.
	for in, want := range map[string]time.Duration{
		"PT1H":       time.Hour,
		"pt30m":      30 * time.Minute,
		"P1DT12H":    36 * time.Hour,
		"P2D":        48 * time.Hour,
		"PT0.5S":     500 * time.Millisecond,
		"PT1,25S":    1250 * time.Millisecond,
		"-PT5M":      -5 * time.Minute,
		"PT-1H30M":   -30 * time.Minute,
		"P0DT0H0M7S": 7 * time.Second,
	} {
		if got, err := parseISODuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "1H", "PT1D", "P1H", "PT1.5H", "P99999999999999999999D", "P200000D"} {
		if d, err := parseISODuration(bad); err == nil {
			t.Errorf("%q: %v, want an error", bad, d)
		}
	}
}

func TestParseDatetime(t *testing.T) {
	// --to-datetime takes Kafka's format, in local time or with a zone.
	loc := time.FixedZone("test", 2*3600)
	want := time.Date(2021, 3, 4, 5, 6, 7, 890e6, time.UTC)
	for in, want := range map[string]time.Time{
		"2021-03-04T05:06:07.890Z":      want,
		"2021-03-04T07:06:07.890+02:00": want,
		"2021-03-04T07:06:07.890+0200":  want,
		"2021-03-04T07:06:07.890+02":    want,
		"2021-03-04T07:06:07.890":       want,
		"2021-03-04T07:06:07":           want.Truncate(time.Second),
	} {
		if got, err := parseDatetime(in, loc); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"2021-03-04", "2021-03-04 05:06:07", "yesterday", "2021-13-04T05:06:07.000"} {
		if _, err := parseDatetime(bad, loc); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestResetTarget(t *testing.T) {
	// Each scenario's offset for one partition (start 2, end 10), clamped
	// as Kafka clamps --to-offset and --shift-by and nothing else.
	withCommit := partitionOffsets{committed: 4, start: 2, end: 10, atTime: 7}
	noCommit := partitionOffsets{committed: -1, start: 2, end: 10, atTime: -1}
	for _, tc := range []struct {
		spec    resetSpec
		o       partitionOffsets
		want    int64
		warning bool
		notice  bool
	}{
		{resetSpec{scenario: resetToEarliest}, withCommit, 2, false, false},
		{resetSpec{scenario: resetToLatest}, withCommit, 10, false, false},
		{resetSpec{scenario: resetToCurrent}, withCommit, 4, false, false},
		{resetSpec{scenario: resetToCurrent}, noCommit, 10, false, false},
		{resetSpec{scenario: resetToOffset, n: 6}, noCommit, 6, false, false},
		{resetSpec{scenario: resetToOffset, n: 11}, noCommit, 10, true, false},
		{resetSpec{scenario: resetToOffset, n: 0}, noCommit, 2, true, false},
		{resetSpec{scenario: resetShiftBy, n: 5}, withCommit, 9, false, false},
		{resetSpec{scenario: resetShiftBy, n: -3}, withCommit, 2, true, false},
		{resetSpec{scenario: resetShiftBy, n: 7}, withCommit, 10, true, false},
		{resetSpec{scenario: resetToTime}, withCommit, 7, false, false},
		{resetSpec{scenario: resetToTime}, noCommit, 10, false, true},
	} {
		got, err := tc.spec.target("t", 0, tc.o)
		if err != nil || got.offset != tc.want || (got.warning != "") != tc.warning || (got.notice != "") != tc.notice {
			t.Errorf("%+v on %+v: %+v %v, want %d", tc.spec, tc.o, got, err, tc.want)
		}
	}
	if _, err := (&resetSpec{scenario: resetShiftBy, n: 1}).target("t", 3, noCommit); err == nil ||
		err.Error() != "cannot shift offset for partition t-3 since there is no current committed offset" {
		t.Errorf("shift without a commit: %v", err)
	}
}

// joinConsumerGroup returns a kgo consumer that is the only member of
// group, a group of the consumer protocol (KIP-848), subscribed to topic,
// once the coordinator reports it Stable with every partition assigned.
func joinConsumerGroup(t *testing.T, addr, group, topic string, partitions int) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID(testClientID), kgo.ServerSideBalancer(),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	go cl.PollFetches(context.Background()) // the first poll starts the member's heartbeats
	waitForConsumerGroup(t, addr, group, func(g kadm.DescribedConsumerGroup) bool {
		return g.State == "Stable" && len(g.Members) == 1 && countPartitions(g.Members[0].Assignment) == partitions
	}, "Stable with one member holding every partition")
	return cl
}

// waitForConsumerGroup waits until ConsumerGroupDescribe shows group as
// ok says; want describes that for the failure message.
func waitForConsumerGroup(t *testing.T, addr, group string, ok func(kadm.DescribedConsumerGroup) bool, want string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	last := "not described"
	for ctx.Err() == nil {
		described, err := kadm.NewClient(cl).DescribeConsumerGroups(ctx, group)
		if g, found := described[group]; err == nil && found && g.Err == nil {
			if ok(g) {
				return
			}
			last = fmt.Sprintf("%s with %d members", g.State, len(g.Members))
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("consumer group %s is %s, not %s, after %s", group, last, want, groupTestWait)
}

// newConsumerLagFixture is newLagFixture's topic with a consumer-protocol group.
func newConsumerLagFixture(t *testing.T) lagFixture {
	t.Helper()
	f := lagFixture{addr: startBroker(t), topic: uniqueTopic(t), group: uniqueTopic(t) + "-group"}
	createTopic(t, f.addr, f.topic, 2)
	produceTimed(t, f.addr, f.topic, 0, 10, time.Time{})
	produceTimed(t, f.addr, f.topic, 1, 6, time.Time{})
	f.member = joinConsumerGroup(t, f.addr, f.group, f.topic, 2)
	commitAs(t, f.member, f.topic, map[int32]int64{0: 4, 1: 3})
	return f
}

func TestConsumerGroupsDescribeConsumerProtocolGroup(t *testing.T) {
	// A group of the consumer protocol (KIP-848), which DescribeGroups does
	// not know, is described through ConsumerGroupDescribe in all three
	// views, with Kafka 4's epoch columns, is listed with its type, and
	// once empty has its offsets reset and is deleted.
	f := newConsumerLagFixture(t)
	memberID, _ := f.member.GroupMetadata()

	r := groups(t, f.addr, "--describe", "--group", f.group)
	if r.err != nil || r.stderr != "" {
		t.Fatalf("describe: %v, stdout %q, stderr %q", r.err, r.stdout, r.stderr)
	}
	f.checkLagRows(t, table(t, r.stdout), memberID, testClientID)

	r = groups(t, f.addr, "--describe", "--group", f.group, "--members", "--verbose")
	rows := table(t, r.stdout)
	if r.err != nil || len(rows) != 1 {
		t.Fatalf("--members --verbose: %v %q", r.err, r.stdout)
	}
	m := rows[0]
	if m["CONSUMER-ID"] != memberID || m["CLIENT-ID"] != testClientID || m["#PARTITIONS"] != "2" ||
		m["CURRENT-ASSIGNMENT"] != f.topic+":0,1" || m["TARGET-ASSIGNMENT"] != f.topic+":0,1" ||
		number(t, m, "CURRENT-EPOCH") < 1 || number(t, m, "TARGET-EPOCH") < 1 {
		t.Errorf("--members --verbose: %q", r.stdout)
	}
	header := regexp.MustCompile(`^\nGROUP +CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS +CURRENT-EPOCH +CURRENT-ASSIGNMENT +TARGET-EPOCH +TARGET-ASSIGNMENT *\n`)
	if !header.MatchString(r.stdout) {
		t.Errorf("--members --verbose header: %q", r.stdout)
	}

	r = groups(t, f.addr, "--describe", "--group", f.group, "--state", "--verbose")
	state := regexp.MustCompile(`^\nGROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +GROUP-EPOCH +TARGET-ASSIGNMENT-EPOCH +#MEMBERS\n` +
		regexp.QuoteMeta(f.group) + ` +\S+:\d+  \(\d+\) +\S+ +Stable +[1-9]\d* +[1-9]\d* +1\n$`)
	if r.err != nil || !state.MatchString(r.stdout) {
		t.Errorf("--state --verbose: %v %q", r.err, r.stdout)
	}

	checkListed(t, f.addr, f.group, "Stable")
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(f.group) + ` +Consumer +Stable *$`)
	for _, args := range [][]string{{"--type", "--state"}, {"--type=consumer", "--state"}, {"--state", "--type=Consumer,classic"}} {
		r = groups(t, f.addr, append([]string{"--list"}, args...)...)
		if r.err != nil || !strings.HasPrefix(r.stdout, "GROUP") || !line.MatchString(r.stdout) {
			t.Errorf("--list %v: %v %q", args, r.err, r.stdout)
		}
	}
	r = groups(t, f.addr, "--list", "--type", "classic")
	if r.err != nil || strings.Contains(r.stdout, f.group) || !strings.HasPrefix(r.stdout, "GROUP") {
		t.Errorf("--list --type classic: %v %q", r.err, r.stdout)
	}

	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-earliest", "--execute")
	refusal := "\nError: Assignments can only be reset if the group '" + f.group + "' is inactive, but the current state is Stable.\n"
	if r.err == nil || !strings.HasPrefix(r.stdout, refusal) {
		t.Errorf("reset of a stable consumer group: %v %q", r.err, r.stdout)
	}

	ctx, cancel := context.WithTimeout(context.Background(), groupTestWait)
	defer cancel()
	if err := f.member.LeaveGroupContext(ctx); err != nil {
		t.Fatalf("leave group: %v", err)
	}
	f.member.Close()
	waitForConsumerGroup(t, f.addr, f.group, func(g kadm.DescribedConsumerGroup) bool { return g.State == "Empty" }, "Empty")

	r = groups(t, f.addr, "--describe", "--group", f.group, "--members")
	if note := "\nConsumer group '" + f.group + "' has no active members.\n"; r.err != nil || r.stderr != note || len(table(t, r.stdout)) != 0 {
		t.Errorf("--members of an empty group: %v %q %q", r.err, r.stdout, r.stderr)
	}
	r = groups(t, f.addr, "--reset-offsets", "--group", f.group, "--topic", f.topic, "--to-offset", "5", "--execute")
	if got := committedOffsets(t, f.addr, f.group, f.topic); r.err != nil || fmt.Sprint(got) != fmt.Sprint(map[int32]int64{0: 5, 1: 5}) {
		t.Errorf("reset of the empty group: committed %v (%v %q)", got, r.err, r.stdout)
	}
	r = groups(t, f.addr, "--delete", "--group", f.group)
	if want := "Deletion of requested consumer groups ('" + f.group + "') was successful.\n"; r.err != nil || r.stdout != want {
		t.Fatalf("delete: %v %q", r.err, r.stdout)
	}
	r = groups(t, f.addr, "--describe", "--group", f.group)
	if want := "\nError: Consumer group '" + f.group + "' does not exist.\n"; r.err == nil || r.stdout != want {
		t.Errorf("describe after delete: %v %q", r.err, r.stdout)
	}
}

func TestConsumerGroupsValidateRegex(t *testing.T) {
	// --validate-regex needs no broker and words its verdict as Kafka's
	// tool does, naming RE2's reason for an invalid expression.
	for re, want := range map[string]string{
		"orders-.*": "The regular expression `orders-.*` is valid.\n",
		"[":         "The regular expression `[` is invalid: missing closing ].\n",
		"a(?=b)":    "The regular expression `a(?=b)` is invalid: invalid or unsupported Perl syntax.\n",
	} {
		if out := mustGregor(t, "", "consumer-groups", "--validate-regex", re); out != want {
			t.Errorf("%s: %q, want %q", re, out, want)
		}
	}
	if r := gregor(t, "", "consumer-groups", "--validate-regex", "x", "--list"); r.err == nil || !strings.Contains(r.err.Error(), "exactly one action") {
		t.Errorf("--validate-regex with --list: %v", r.err)
	}
	if r := gregor(t, "", "consumer-groups", "--list"); r.err == nil || !strings.Contains(r.err.Error(), "bootstrap-server") {
		t.Errorf("--list without --bootstrap-server: %v", r.err)
	}
}
