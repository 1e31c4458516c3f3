package quota

import (
	"math"
	"testing"
	"time"

	"gregor/internal/metadata"
)

type limits map[metadata.QuotaEntity]map[string]float64

func (l limits) ClientQuota(e metadata.QuotaEntity, key string) (float64, bool) {
	v, ok := l[e][key]
	return v, ok
}

// TestResolvePrecedence proves Kafka's eight levels of precedence and the
// sensor tags each level counts in, removing the winning level one at a
// time.
func TestResolvePrecedence(t *testing.T) {
	u, c, d := metadata.Named("alice"), metadata.Named("app"), metadata.DefaultName()
	levels := []struct {
		entity metadata.QuotaEntity
		tags   Tags
	}{
		{metadata.QuotaEntity{User: u, ClientID: c}, Tags{User: "alice", ClientID: "app"}},
		{metadata.QuotaEntity{User: u, ClientID: d}, Tags{User: "alice", ClientID: "app"}},
		{metadata.QuotaEntity{User: u}, Tags{User: "alice"}},
		{metadata.QuotaEntity{User: d, ClientID: c}, Tags{User: "alice", ClientID: "app"}},
		{metadata.QuotaEntity{User: d, ClientID: d}, Tags{User: "alice", ClientID: "app"}},
		{metadata.QuotaEntity{User: d}, Tags{User: "alice"}},
		{metadata.QuotaEntity{ClientID: c}, Tags{ClientID: "app"}},
		{metadata.QuotaEntity{ClientID: d}, Tags{ClientID: "app"}},
	}
	l := limits{}
	for i, level := range levels {
		l[level.entity] = map[string]float64{string(Produce): float64(i + 1)}
	}
	l[metadata.QuotaEntity{User: metadata.Named("bob")}] = map[string]float64{string(Produce): 99}
	for i, level := range levels {
		tags, limit, ok := Resolve(l, Produce, "alice", "app")
		if !ok || limit != float64(i+1) || tags != level.tags {
			t.Errorf("level %d: %v %v %v, want %v %v", i+1, tags, limit, ok, level.tags, i+1)
		}
		if _, _, ok := Resolve(l, Fetch, "alice", "app"); ok {
			t.Errorf("level %d: a produce quota applies to fetches", i+1)
		}
		delete(l, level.entity)
	}
	if tags, limit, ok := Resolve(l, Produce, "alice", "app"); ok {
		t.Errorf("no level left, got %v %v", tags, limit)
	}
}

// TestThrottleKeepsTheRate proves that a client that sends as fast as it
// may, pausing only for the throttle times it is given, averages its
// quota, and that the throttle time is Kafka's formula.
func TestThrottleKeepsTheRate(t *testing.T) {
	const quota = 1 << 20
	l := limits{{User: metadata.DefaultName()}: {string(Produce): quota}}
	m := NewManager(Produce, DefaultConfig)
	start := time.Unix(1000, 0)
	now := start
	throttled := 0
	for now.Sub(start) < 60*time.Second {
		d := m.Record(l, "alice", "app", 256<<10, now)
		if d > 0 {
			throttled++
		}
		now = now.Add(5*time.Millisecond + d)
	}
	got := m.Measure(Tags{User: "alice"}, now)
	if math.Abs(got-quota)/quota > 0.1 || throttled == 0 {
		t.Errorf("rate %.0f B/s after 60s at a %d B/s quota (%d throttles)", got, quota, throttled)
	}
	// Kafka's formula: 11 windows of 1s on a new sensor measure over 10s;
	// 20 MiB at once is 2 MiB/s, twice the quota: throttle (2-1)/1 × 10s.
	fresh := NewManager(Produce, DefaultConfig)
	if d := fresh.Record(l, "bob", "x", 20<<20, start); d != 10*time.Second {
		t.Errorf("throttle = %v, want 10s", d)
	}
	req := NewManager(Request, DefaultConfig)
	l[metadata.QuotaEntity{User: metadata.DefaultName()}][string(Request)] = 1
	if d := req.Record(l, "bob", "x", 1000, start); d != time.Second {
		t.Errorf("request throttle = %v, want one window", d)
	}
}

// TestUnrecordAndWindowBound proves that Unrecord takes a value back and
// that a fetch is bounded by (windows-1) windows of quota.
func TestUnrecordAndWindowBound(t *testing.T) {
	l := limits{{ClientID: metadata.Named("c")}: {string(Fetch): 1000}}
	m := NewManager(Fetch, DefaultConfig)
	now := time.Unix(1000, 0)
	if d := m.Record(l, "u", "c", 50000, now); d == 0 {
		t.Fatal("no throttle at 5x the quota")
	}
	m.Unrecord(l, "u", "c", 50000, now)
	if d := m.Record(l, "u", "c", 100, now); d != 0 {
		t.Errorf("throttled after the value was taken back: %v", d)
	}
	if got := m.MaxValueInWindow(l, "u", "c"); got != 10000 {
		t.Errorf("max in window = %v, want 10000", got)
	}
	if got := m.MaxValueInWindow(l, "u", "other"); !math.IsInf(got, 1) {
		t.Errorf("max without quota = %v", got)
	}
}

// TestMutationTokenBucket proves KIP-599's bucket: a burst of quota ×
// windows, a request admitted while the bucket is not in debt even if it
// goes into debt, then refused until the debt is paid back at the quota's
// rate, with that time as the throttle.
func TestMutationTokenBucket(t *testing.T) {
	l := limits{{User: metadata.DefaultName()}: {string(ControllerMutation): 2}} // 2 partitions/s, burst 22
	m := NewMutationManager(DefaultConfig)
	now := time.Unix(1000, 0)
	if ok, d := m.Admit(l, "alice", "c", 20, true, now); !ok || d != 0 {
		t.Fatalf("within the burst: %v %v", ok, d)
	}
	if ok, d := m.Admit(l, "alice", "c", 10, true, now); !ok || d != 4*time.Second {
		t.Fatalf("into debt of 8: %v %v, want admitted with 4s", ok, d)
	}
	if ok, d := m.Admit(l, "alice", "c", 1, true, now.Add(time.Second)); ok || d != 3*time.Second {
		t.Fatalf("in debt: %v %v, want refused with 3s", ok, d)
	}
	if ok, d := m.Admit(l, "alice", "c", 1, false, now.Add(time.Second)); !ok || d != 3500*time.Millisecond {
		t.Fatalf("permissive, in debt: %v %v, want admitted with 3.5s", ok, d)
	}
	if ok, _ := m.Admit(l, "alice", "c", 1, true, now.Add(5*time.Second)); !ok {
		t.Fatal("refused once the debt is paid")
	}
	if ok, d := m.Admit(l, "bob", "c", 100, true, now); !ok || d == 0 {
		t.Fatalf("another user's own bucket: %v %v", ok, d)
	}
}

// TestConnectionRate proves KIP-612's per-IP rate: an address's own quota
// before the default IP's, connections beyond the rate held (at most one
// window) and not counted, other addresses unaffected.
func TestConnectionRate(t *testing.T) {
	l := limits{
		{IP: metadata.DefaultName()}:          {string(ConnectionCreation): 1},
		{IP: metadata.Named("10.0.0.9")}:      {string(ConnectionCreation): 100},
		{ClientID: metadata.Named("ignored")}: {string(Produce): 1},
	}
	m := NewManager(ConnectionCreation, DefaultConfig)
	now := time.Unix(1000, 0)
	admitted := 0
	for range 20 {
		if d := m.RecordConnection(l, "10.0.0.1", now); d == 0 {
			admitted++
		} else if d > time.Second {
			t.Fatalf("throttle %v above one window", d)
		}
	}
	if admitted != 10 { // 1/s over the 10s a new sensor is measured over
		t.Errorf("%d of 20 admitted at 1/s, want 10", admitted)
	}
	for range 20 {
		if d := m.RecordConnection(l, "10.0.0.9", now); d != 0 {
			t.Fatal("an address with its own quota of 100/s was throttled")
		}
	}
	if d := m.RecordConnection(limits{}, "10.0.0.1", now); d != 0 {
		t.Error("throttled without any quota")
	}
}

// TestReplicationQuota proves a replication quota: no limit is never
// exceeded; past the limit it is exceeded until the windows' rate falls
// back under it; the limit changes at once.
func TestReplicationQuota(t *testing.T) {
	c := Config{Windows: 11, Window: time.Second}
	q := NewReplication(c)
	now := time.Unix(1000, 0)
	q.Record(1<<30, now)
	if q.Limited() || q.Exceeded(now) {
		t.Fatal("a quota without a limit throttles")
	}
	q.SetLimit(1000) // 1000 B/s over at least 10 s of windows: 10,000 bytes
	if !q.Limited() || !q.Exceeded(now) {
		t.Fatal("1 GiB within a second is not over 1000 B/s")
	}
	q = NewReplication(c)
	q.SetLimit(1000)
	q.Record(9000, now)
	if q.Exceeded(now) {
		t.Fatal("9000 bytes over 10 s of windows is under 1000 B/s")
	}
	q.Record(2000, now.Add(500*time.Millisecond))
	if !q.Exceeded(now.Add(500 * time.Millisecond)) {
		t.Fatal("11,000 bytes over 10 s of windows is over 1000 B/s")
	}
	if q.Exceeded(now.Add(12 * time.Second)) {
		t.Fatal("still exceeded once the windows holding the bytes expired")
	}
	q.Record(5000, now.Add(12*time.Second))
	q.SetLimit(math.MaxInt64)
	if q.Limited() || q.Exceeded(now.Add(12*time.Second)) {
		t.Fatal("Kafka's default limit (Long.MAX_VALUE) throttles")
	}
}
