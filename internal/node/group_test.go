package node_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
)

// groupProps lets tests use short session timeouts.
var groupProps = map[string]string{"group.min.session.timeout.ms": "200"}

// groupMember is a kgo group consumer that keeps polling in the background.
type groupMember struct {
	cl     *kgo.Client
	killed chan struct{}
	mu     sync.Mutex
	conns  []net.Conn
	stop   context.CancelFunc
	done   chan struct{}
}

// startMember starts a consumer in group g on topic. Its connections go
// through a dialer that kill cuts, as if the process died: no LeaveGroup.
func startMember(t *testing.T, addr, g, topic string, opts ...kgo.Opt) *groupMember {
	t.Helper()
	m := &groupMember{killed: make(chan struct{}), done: make(chan struct{})}
	dial := func(ctx context.Context, network, host string) (net.Conn, error) {
		select {
		case <-m.killed:
			return nil, errors.New("member killed")
		default:
		}
		c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, host)
		if err == nil {
			m.mu.Lock()
			m.conns = append(m.conns, c)
			m.mu.Unlock()
		}
		return c, err
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(addr), kgo.Dialer(dial), kgo.ConsumerGroup(g), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(1500 * time.Millisecond), kgo.HeartbeatInterval(200 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RetryTimeout(10 * time.Second),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx)
		}
	}()
	t.Cleanup(m.close)
	return m
}

func (m *groupMember) kill() {
	select {
	case <-m.killed:
		return
	default:
	}
	close(m.killed)
	m.mu.Lock()
	for _, c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.close()
}

func (m *groupMember) close() {
	m.stop()
	<-m.done
	m.cl.Close()
}

// assignments returns each member's partition count, by member id.
func assignments(t *testing.T, adm *kadm.Client, g string) (string, map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	described, err := adm.DescribeGroups(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	dg := described[g]
	if errors.Is(dg.Err, kerr.GroupIDNotFound) {
		return "Dead", nil
	}
	if dg.Err != nil {
		t.Fatalf("describe %s: %v", g, dg.Err)
	}
	out := map[string]int{}
	for _, m := range dg.Members {
		n := 0
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, tp := range c.Topics {
				n += len(tp.Partitions)
			}
		}
		out[m.MemberID] = n
	}
	return dg.State, out
}

// waitAssignment waits until the stable group has want members with per
// partitions each.
func waitAssignment(t *testing.T, adm *kadm.Client, g string, members, per int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var state string
	var got map[string]int
	for time.Now().Before(deadline) {
		state, got = assignments(t, adm, g)
		ok := state == "Stable" && len(got) == members
		for _, n := range got {
			ok = ok && n == per
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %s: state %s, assignment %v; want %d members with %d partitions each", g, state, got, members, per)
}

// TestGroupBalancesAndFailsOver: three members of a group on six partitions
// get two each; when one dies without leaving, the other two own all six
// once its session has expired.
func TestGroupBalancesAndFailsOver(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	createTopic(t, tn.Addr, "orders", 6, nil)
	adm := kadm.NewClient(newClient(t, tn.Addr))
	var ms []*groupMember
	for i := 0; i < 3; i++ {
		ms = append(ms, startMember(t, tn.Addr, "billing", "orders"))
	}
	waitAssignment(t, adm, "billing", 3, 2)
	ms[2].kill()
	waitAssignment(t, adm, "billing", 2, 3)
}

// TestGroupNoLossNoDuplicatesAcrossRebalance: members that commit what they
// processed before giving partitions up make the group process every record
// exactly once while members join.
func TestGroupNoLossNoDuplicatesAcrossRebalance(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	exactlyOnceWhileJoining(t, tn.Addr, kgo.SessionTimeout(3*time.Second), kgo.HeartbeatInterval(200*time.Millisecond))
}

// exactlyOnceWhileJoining produces 3000 records to a 6-partition topic and
// has members of group "etl" (with opts) join one after another while the
// others consume; each member commits what it processed before it allows a
// rebalance. Every record must be processed exactly once.
func exactlyOnceWhileJoining(t *testing.T, addr string, opts ...kgo.Opt) {
	t.Helper()
	createTopic(t, addr, "events", 6, nil)
	const total = 3000
	produceSync(t, newClient(t, addr), "events", "e", total, 97)

	var mu sync.Mutex
	seen := map[string]int{}
	processed := 0
	consume := func(ctx context.Context, name string, started chan<- struct{}) error {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.ConsumerGroup("etl"), kgo.ConsumeTopics("events"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
			kgo.ClientID(name)}, opts...)...)
		if err != nil {
			return err
		}
		defer cl.Close()
		defer cl.AllowRebalance() // a client blocking rebalances cannot leave the group
		close(started)
		for ctx.Err() == nil {
			fs := cl.PollRecords(ctx, 20)
			if err := fs.Err0(); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			recs := fs.Records()
			mu.Lock()
			for _, r := range recs {
				seen[fmt.Sprintf("%d/%d", r.Partition, r.Offset)]++
			}
			processed += len(recs)
			mu.Unlock()
			if len(recs) > 0 {
				if err := cl.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
					return fmt.Errorf("%s: commit: %w", name, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			cl.AllowRebalance()
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	start := func(name string) {
		started := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- consume(ctx, name, started)
		}()
		<-started
	}
	waitProcessed := func(n int) {
		for {
			mu.Lock()
			p := processed
			mu.Unlock()
			if p >= n || ctx.Err() != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	start("a")
	waitProcessed(300)
	start("b")
	waitProcessed(1200)
	start("c")
	waitProcessed(total)
	if ctx.Err() != nil {
		mu.Lock()
		t.Errorf("timed out with %d of %d records processed", processed, total)
		mu.Unlock()
	}
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != total {
		t.Errorf("processed %d distinct records, want %d", len(seen), total)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("record %s processed %d times", k, n)
		}
	}
}

// rawMember drives the group protocol by hand.
type rawMember struct {
	t          *testing.T
	cl         *kgo.Client
	group      string
	id         string
	generation int32
}

func joinRaw(t *testing.T, cl *kgo.Client, g string, instance *string) (*rawMember, *kmsg.JoinGroupResponse) {
	t.Helper()
	m := &rawMember{t: t, cl: cl, group: g}
	resp := m.join(instance, "consumer", "range")
	if resp.ErrorCode == kerr.MemberIDRequired.Code {
		m.id = resp.MemberID
		resp = m.join(instance, "consumer", "range")
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatalf("join %s: %v", g, err)
	}
	m.id, m.generation = resp.MemberID, resp.Generation
	return m, resp
}

func (m *rawMember) join(instance *string, protocolType, protocol string) *kmsg.JoinGroupResponse {
	m.t.Helper()
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.InstanceID = m.group, m.id, instance
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 10000, 3000
	req.ProtocolType = protocolType
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{"t"}
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = protocol, meta.AppendTo(nil)
	req.Protocols = append(req.Protocols, p)
	resp, err := req.RequestWith(testContext(m.t), m.cl)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp
}

func (m *rawMember) sync(assignments map[string][]byte) int16 {
	m.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = m.group, m.id, m.generation
	for id, a := range assignments {
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = id, a
		req.GroupAssignment = append(req.GroupAssignment, ga)
	}
	resp, err := req.RequestWith(testContext(m.t), m.cl)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp.ErrorCode
}

func (m *rawMember) heartbeat(generation int32) int16 {
	m.t.Helper()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = m.group, m.id, generation
	resp, err := req.RequestWith(testContext(m.t), m.cl)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp.ErrorCode
}

func commitRaw(t *testing.T, cl *kgo.Client, g, member string, generation int32, topic string, offset int64) int16 {
	t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.MemberID, req.Generation = g, member, generation
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = topic
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.LeaderEpoch = 0, offset, -1
	rt.Partitions = append(rt.Partitions, p)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	var wantCode int16
	if want != nil {
		wantCode = want.Code
	}
	if got != wantCode {
		t.Errorf("%s: got %v, want %v", what, kerr.ErrorForCode(got), want)
	}
}

// TestGroupProtocolErrors checks the fencing and validation errors of the
// group protocol, and that they leave other groups alone.
func TestGroupProtocolErrors(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	createTopic(t, tn.Addr, "t", 1, nil)
	// OffsetCommit v10 names topics by id; these raw commits name them.
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(8, 9)
	cl := newClient(t, tn.Addr, kgo.MaxVersions(versions))

	// A healthy group that must not be disturbed by the rest.
	other, _ := joinRaw(t, cl, "bystander", nil)
	wantCode(t, "bystander sync", other.sync(map[string][]byte{other.id: {}}), nil)

	m, resp := joinRaw(t, cl, "g", nil)
	if resp.LeaderID != m.id || len(resp.Members) != 1 || resp.Generation != 1 {
		t.Fatalf("first join: leader %q members %d generation %d", resp.LeaderID, len(resp.Members), resp.Generation)
	}
	wantCode(t, "leader sync", m.sync(map[string][]byte{m.id: []byte("a")}), nil)
	wantCode(t, "heartbeat", m.heartbeat(m.generation), nil)

	// A rejoin with new protocols starts generation 2: generation 1 is stale.
	stale := m.generation
	resp = m.join(nil, "consumer", "range")
	wantCode(t, "rejoin", resp.ErrorCode, nil)
	m.generation = resp.Generation
	if m.generation != stale+1 {
		t.Fatalf("rejoin generation %d, want %d", m.generation, stale+1)
	}
	wantCode(t, "sync with stale generation", (&rawMember{t: t, cl: cl, group: "g", id: m.id, generation: stale}).sync(nil), kerr.IllegalGeneration)
	wantCode(t, "sync", m.sync(map[string][]byte{m.id: []byte("b")}), nil)
	wantCode(t, "heartbeat with stale generation", m.heartbeat(stale), kerr.IllegalGeneration)
	wantCode(t, "commit with stale generation", commitRaw(t, cl, "g", m.id, stale, "t", 5), kerr.IllegalGeneration)
	wantCode(t, "commit with current generation", commitRaw(t, cl, "g", m.id, m.generation, "t", 5), nil)
	wantCode(t, "commit by unknown member", commitRaw(t, cl, "g", "nobody", m.generation, "t", 5), kerr.UnknownMemberID)
	wantCode(t, "simple commit into an active group", commitRaw(t, cl, "g", "", -1, "t", 5), kerr.IllegalGeneration)
	wantCode(t, "commit to unknown partition", commitRaw(t, cl, "g", m.id, m.generation, "missing", 5), kerr.UnknownTopicOrPartition)

	stranger := &rawMember{t: t, cl: cl, group: "g", id: "stranger", generation: m.generation}
	wantCode(t, "heartbeat of unknown member", stranger.heartbeat(m.generation), kerr.UnknownMemberID)
	wantCode(t, "join with unknown member id", stranger.join(nil, "consumer", "range").ErrorCode, kerr.UnknownMemberID)
	wantCode(t, "heartbeat in unknown group", (&rawMember{t: t, cl: cl, group: "nope", id: "x"}).heartbeat(1), kerr.UnknownMemberID)

	newcomer := &rawMember{t: t, cl: cl, group: "g"}
	wantCode(t, "join with another protocol type", newcomer.join(nil, "connect", "range").ErrorCode, kerr.InconsistentGroupProtocol)
	wantCode(t, "join with no common protocol", newcomer.join(nil, "consumer", "roundrobin").ErrorCode, kerr.InconsistentGroupProtocol)

	short := kmsg.NewPtrJoinGroupRequest()
	short.Group, short.SessionTimeoutMillis, short.RebalanceTimeoutMillis, short.ProtocolType = "g2", 10, 1000, "consumer"
	short.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{}}}
	sresp, err := short.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "session timeout below the minimum", sresp.ErrorCode, kerr.InvalidSessionTimeout)

	// Empty and oversized group ids go to the broker directly (no coordinator
	// lookup is possible for them).
	broker := cl.SeedBrokers()[0]
	for _, g := range []string{"", strings.Repeat("g", 40000)} {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.ProtocolType = g, 10000, 1000, "consumer"
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{}}}
		r, err := req.RequestWith(testContext(t), broker)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, fmt.Sprintf("join with group id of %d bytes", len(g)), r.ErrorCode, kerr.InvalidGroupID)
		c := kmsg.NewPtrOffsetCommitRequest()
		c.Group, c.Generation = g, -1
		c.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}}}
		cr, err := c.RequestWith(testContext(t), broker)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, fmt.Sprintf("commit with group id of %d bytes", len(g)), cr.Topics[0].Partitions[0].ErrorCode, kerr.InvalidGroupID)
	}

	// Oversized metadata string on commit.
	big := kmsg.NewPtrOffsetCommitRequest()
	big.Group, big.Generation = "simple", -1
	big.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1, Metadata: kmsg.StringPtr(strings.Repeat("m", 5000))}}}}
	bresp, err := big.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "commit metadata above offset.metadata.max.bytes", bresp.Topics[0].Partitions[0].ErrorCode, kerr.OffsetMetadataTooLarge)

	// Member metadata too large for __consumer_offsets: the join succeeds,
	// storing the assignment fails as Kafka's does, and the group recovers.
	huge := &rawMember{t: t, cl: cl, group: "huge"}
	hreq := kmsg.NewPtrJoinGroupRequest()
	hreq.Group, hreq.SessionTimeoutMillis, hreq.RebalanceTimeoutMillis, hreq.ProtocolType = "huge", 10000, 1000, "consumer"
	hreq.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: make([]byte, 2<<20)}}
	hreq.MemberID = "" // v4+: answered MEMBER_ID_REQUIRED first
	hresp, err := hreq.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	hreq.MemberID = hresp.MemberID
	if hresp, err = hreq.RequestWith(testContext(t), cl); err != nil || hresp.ErrorCode != 0 {
		t.Fatalf("join with 2 MiB metadata: %v %v", err, kerr.ErrorForCode(hresp.ErrorCode))
	}
	huge.id, huge.generation = hresp.MemberID, hresp.Generation
	wantCode(t, "sync of a group too large to store", huge.sync(map[string][]byte{huge.id: {}}), kerr.UnknownServerError)

	// The bystander is still fine.
	wantCode(t, "bystander heartbeat", other.heartbeat(other.generation), nil)
}

// TestStaticMemberRestartWithoutRebalance: a static member (group.instance.id)
// that restarts within its session timeout gets its partitions back without
// a rebalance: the other member never loses its assignment.
func TestStaticMemberRestartWithoutRebalance(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	createTopic(t, tn.Addr, "s", 4, nil)
	adm := kadm.NewClient(newClient(t, tn.Addr))
	var revokedMu sync.Mutex
	revoked := 0
	onRevoke := kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
		revokedMu.Lock()
		for _, ps := range lost {
			revoked += len(ps)
		}
		revokedMu.Unlock()
	})
	// b joins first and leads; a restarts. (A restarted static leader is
	// told to skip the assignment, and franz-go then asks for a rebalance
	// itself, as it would against Kafka.)
	b := startMember(t, tn.Addr, "st", "s", onRevoke, kgo.InstanceID("static-b"), kgo.SessionTimeout(20*time.Second))
	waitAssignment(t, adm, "st", 1, 4)
	static := []kgo.Opt{kgo.InstanceID("static-a"), kgo.SessionTimeout(20 * time.Second)}
	a := startMember(t, tn.Addr, "st", "s", static...)
	waitAssignment(t, adm, "st", 2, 2)
	_, before := assignments(t, adm, "st")
	_, generation := b.cl.GroupMetadata()

	a.close() // a static member does not leave the group when it closes
	revokedMu.Lock()
	revoked = 0
	revokedMu.Unlock()
	startMember(t, tn.Addr, "st", "s", static...)
	time.Sleep(2 * time.Second)
	state, after := assignments(t, adm, "st")
	if state != "Stable" || len(after) != 2 {
		t.Fatalf("after restart: state %s members %v", state, after)
	}
	if _, g := b.cl.GroupMetadata(); g != generation {
		t.Errorf("generation went from %d to %d: the restart caused a rebalance", generation, g)
	}
	revokedMu.Lock()
	defer revokedMu.Unlock()
	if revoked != 0 {
		t.Errorf("the other member lost %d partitions during a static restart", revoked)
	}
	changed := 0
	for id := range after {
		if _, ok := before[id]; !ok {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("member ids before %v after %v: want exactly the restarted member replaced", before, after)
	}
}

// TestCommittedOffsetsSurviveRestart: offsets committed by a consumer group
// and by a simple commit are there after a restart, with metadata and
// leader epoch; lag is log end minus committed.
func TestCommittedOffsetsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	tn := nodetest.Start(t, dir, groupProps)
	createTopic(t, tn.Addr, "o", 3, nil)
	produceSync(t, newClient(t, tn.Addr), "o", "x", 300, 3)
	adm := kadm.NewClient(newClient(t, tn.Addr))
	ctx := testContext(t)

	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "o", Partition: 0, At: 10, LeaderEpoch: 0, Metadata: "first"})
	offsets.Add(kadm.Offset{Topic: "o", Partition: 2, At: 42, LeaderEpoch: -1, Metadata: ""})
	committed, err := adm.CommitOffsets(ctx, "manual", offsets)
	if err != nil || committed.Error() != nil {
		t.Fatalf("commit: %v %v", err, committed.Error())
	}

	// A real group consumes everything and commits.
	consumed := 0
	cl := newClient(t, tn.Addr, kgo.ConsumerGroup("readers"), kgo.ConsumeTopics("o"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	for consumed < 300 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of 300", consumed)
		}
		consumed += len(fs.Records())
		if err := cl.CommitRecords(ctx, fs.Records()...); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()

	tn.Shutdown()
	tn = nodetest.Start(t, dir, groupProps)
	adm = kadm.NewClient(newClient(t, tn.Addr))
	ctx = testContext(t)
	got, err := adm.FetchOffsets(ctx, "manual")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := got.Lookup("o", 0); o.At != 10 || o.Metadata != "first" || o.LeaderEpoch != 0 {
		t.Errorf("manual o/0 after restart: %+v", o.Offset)
	}
	if o, _ := got.Lookup("o", 2); o.At != 42 {
		t.Errorf("manual o/2 after restart: %+v", o.Offset)
	}
	if _, ok := got.Lookup("o", 1); ok {
		t.Errorf("manual o/1 was never committed but is there")
	}
	readers, err := adm.FetchOffsets(ctx, "readers")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	sum := int64(0)
	ends.Each(func(e kadm.ListedOffset) {
		if e.Offset == 0 {
			return // nothing consumed, nothing committed
		}
		o, ok := readers.Lookup(e.Topic, e.Partition)
		if !ok || o.At != e.Offset {
			t.Errorf("readers %s/%d: committed %v (found %v), log end %d", e.Topic, e.Partition, o.At, ok, e.Offset)
		}
		sum += o.At
	})
	if sum != 300 {
		t.Errorf("committed offsets sum to %d, want 300", sum)
	}
	lags, err := adm.Lag(ctx, "manual")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lags["manual"].Lag.Sorted() {
		end, _ := ends.Lookup(l.Topic, l.Partition)
		if want := end.Offset - l.Commit.At; l.Commit.At >= 0 && l.Lag != want {
			t.Errorf("lag of %s/%d = %d, want %d", l.Topic, l.Partition, l.Lag, want)
		}
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := listed["readers"]; !ok || g.State != "Empty" || g.ProtocolType != "consumer" {
		t.Errorf("readers after restart: %+v (listed %v)", g, listed.Groups())
	}
}

// TestGroupAdmin covers DescribeGroups, ListGroups with filters,
// OffsetDelete and DeleteGroups, and their errors.
func TestGroupAdmin(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	createTopic(t, tn.Addr, "a", 2, nil)
	createTopic(t, tn.Addr, "b", 1, nil)
	adm := kadm.NewClient(newClient(t, tn.Addr))
	ctx := testContext(t)

	m := startMember(t, tn.Addr, "live", "a", kgo.ClientID("live-client"))
	waitAssignment(t, adm, "live", 1, 2)
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "a", Partition: 0, At: 0, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: "b", Partition: 0, At: 0, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "idle", offs); err != nil {
		t.Fatal(err)
	}

	described, err := adm.DescribeGroups(ctx, "live", "missing")
	if err != nil {
		t.Fatal(err)
	}
	live := described["live"]
	if live.State != "Stable" || live.ProtocolType != "consumer" || live.Protocol == "" || len(live.Members) != 1 {
		t.Fatalf("describe live: %+v", live)
	}
	if mem := live.Members[0]; mem.ClientID != "live-client" || mem.ClientHost != "/127.0.0.1" {
		t.Errorf("member client id %q host %q", mem.ClientID, mem.ClientHost)
	}
	if missing := described["missing"]; missing.State != "Dead" || !errors.Is(missing.Err, kerr.GroupIDNotFound) {
		t.Errorf("describe missing: state %q err %v", missing.State, missing.Err)
	}

	stable, err := adm.ListGroups(ctx, "Stable")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := stable["live"]; !ok || len(stable) != 1 {
		t.Errorf("groups in state Stable: %v", stable.Groups())
	}
	empty, err := adm.ListGroups(ctx, "empty")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := empty["idle"]; !ok || len(empty) != 1 {
		t.Errorf("groups in state Empty: %v", empty.Groups())
	}

	deleted, err := adm.DeleteGroups(ctx, "live", "idle", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(deleted["live"].Err, kerr.NonEmptyGroup) || deleted["idle"].Err != nil || !errors.Is(deleted["missing"].Err, kerr.GroupIDNotFound) {
		t.Errorf("delete groups: live %v, idle %v, missing %v", deleted["live"].Err, deleted["idle"].Err, deleted["missing"].Err)
	}
	if got, _ := adm.FetchOffsets(ctx, "idle"); len(got) != 0 {
		t.Errorf("offsets of a deleted group: %v", got)
	}

	// OffsetDelete: a live group keeps the offsets of a topic it consumes.
	var commitErr error
	m.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{"a": {1: {Epoch: -1, Offset: 0}}},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			commitErr = err
			if err == nil {
				commitErr = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
			}
		})
	if commitErr != nil {
		t.Fatal(commitErr)
	}
	tps := kadm.TopicsSet{}
	tps.Add("a", 1)
	res, err := adm.DeleteOffsets(ctx, "live", tps)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Error(); !errors.Is(err, kerr.GroupSubscribedToTopic) {
		t.Errorf("delete offsets of a subscribed topic: %v", err)
	}
	m.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err = adm.DeleteOffsets(ctx, "live", tps)
		if err == nil && res.Error() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delete offsets after the member left: %v %v", err, res.Error())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _ := adm.FetchOffsets(ctx, "live"); len(got) != 0 {
		t.Errorf("offsets after OffsetDelete: %v", got)
	}
}

// TestInternalTopicRefusesClientProduce: clients cannot write into
// __consumer_offsets, which would corrupt the groups stored there.
func TestInternalTopicRefusesClientProduce(t *testing.T) {
	tn := nodetest.Start(t, "", groupProps)
	createTopic(t, tn.Addr, "t", 1, nil)
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "t", Partition: 0, At: 1, LeaderEpoch: -1})
	adm := kadm.NewClient(newClient(t, tn.Addr))
	if _, err := adm.CommitOffsets(testContext(t), "g", offs); err != nil { // creates __consumer_offsets
		t.Fatal(err)
	}
	cl := newClient(t, tn.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "__consumer_offsets", Partition: 0, Key: []byte("junk"), Value: []byte("junk")}).FirstErr()
	if !errors.Is(err, kerr.InvalidTopicException) {
		t.Fatalf("produce to __consumer_offsets: %v", err)
	}
}

// TestConsumerOffsetsCompacted: __consumer_offsets is compacted by the log
// cleaner, and a coordinator that reloads the compacted partition sees the
// latest offset of every partition and group.
func TestConsumerOffsetsCompacted(t *testing.T) {
	dir := t.TempDir()
	props := map[string]string{
		"group.min.session.timeout.ms": "200", "offsets.topic.num.partitions": "1",
		"offsets.topic.segment.bytes": "1048576", "log.cleaner.backoff.ms": "50",
		"log.roll.ms": "100", // segments roll by time, so most of the log is cleanable
	}
	tn := nodetest.Start(t, dir, props)
	createTopic(t, tn.Addr, "c", 4, nil)
	adm := kadm.NewClient(newClient(t, tn.Addr))
	ctx := testContext(t)
	const rounds = 3000
	for i := 1; i <= rounds; i++ {
		offs := kadm.Offsets{}
		for p := int32(0); p < 4; p++ {
			offs.Add(kadm.Offset{Topic: "c", Partition: p, At: int64(i*10) + int64(p), LeaderEpoch: -1, Metadata: strings.Repeat("m", 64)})
		}
		if _, err := adm.CommitOffsets(ctx, fmt.Sprintf("g%d", i%3), offs); err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 {
			time.Sleep(150 * time.Millisecond) // past log.roll.ms: the next commit rolls a segment
		}
	}
	// One more commit after log.roll.ms rolls the last full segment.
	time.Sleep(150 * time.Millisecond)
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "c", Partition: 0, At: int64(rounds*10) + 0, LeaderEpoch: -1, Metadata: strings.Repeat("m", 64)})
	if _, err := adm.CommitOffsets(ctx, "g0", offs); err != nil {
		t.Fatal(err)
	}
	log, ok := tn.Node.Log("__consumer_offsets", 0)
	if !ok {
		t.Fatal("no __consumer_offsets-0")
	}
	// 12,001 commit records of about 125 bytes were written; 12 keys remain.
	deadline := time.Now().Add(30 * time.Second)
	for log.Size() > 32<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("__consumer_offsets-0 still %d bytes: not compacted", log.Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tn.Shutdown()
	tn = nodetest.Start(t, dir, props)
	adm = kadm.NewClient(newClient(t, tn.Addr))
	for g := 0; g < 3; g++ {
		last := rounds - (rounds-g)%3 // the last round i with i%3 == g
		got, err := adm.FetchOffsets(testContext(t), fmt.Sprintf("g%d", g))
		if err != nil {
			t.Fatal(err)
		}
		for p := int32(0); p < 4; p++ {
			if o, _ := got.Lookup("c", p); o.At != int64(last*10)+int64(p) {
				t.Errorf("g%d c/%d after compaction and restart: %d, want %d", g, p, o.At, last*10+int(p))
			}
		}
	}
}
