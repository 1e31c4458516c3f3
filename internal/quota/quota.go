package quota

import (
	"math"
	"sync"
	"time"

	"gregor/internal/metadata"
)

// Type is a kind of client quota, named by its config key.
type Type string

// The quota types a Manager enforces.
const (
	Produce Type = "producer_byte_rate"
	Fetch   Type = "consumer_byte_rate"
	Request Type = "request_percentage"
	// ConnectionCreation is the connections an IP address may open per
	// second (KIP-612), counted per address.
	ConnectionCreation Type = "connection_creation_rate"
)

// Config is the sampling of every sensor: quota.window.num windows of
// quota.window.size.seconds.
type Config struct {
	Windows int
	Window  time.Duration
}

// DefaultConfig is Kafka's: 11 windows of one second.
var DefaultConfig = Config{Windows: 11, Window: time.Second}

// Limits are the configured quotas; *metadata.Image is one.
type Limits interface {
	ClientQuota(e metadata.QuotaEntity, key string) (float64, bool)
}

// Tags name the sensor a client's usage is counted in (Kafka's metric
// tags user and client-id); an empty part is not part of the quota's
// entity.
type Tags struct {
	User     string
	ClientID string
	IP       string // connection_creation_rate only
}

// Resolve returns the quota of type t that applies to user and clientID,
// and the tags of the sensor it is counted in, by Kafka's precedence
// (see the package comment); ok is false when no quota applies.
func Resolve(l Limits, t Type, user, clientID string) (tags Tags, limit float64, ok bool) {
	u, c, du, dc := metadata.Named(user), metadata.Named(clientID), metadata.DefaultName(), metadata.DefaultName()
	both, userOnly, clientOnly := Tags{User: user, ClientID: clientID}, Tags{User: user}, Tags{ClientID: clientID}
	for _, level := range []struct {
		entity metadata.QuotaEntity
		tags   Tags
	}{
		{metadata.QuotaEntity{User: u, ClientID: c}, both},
		{metadata.QuotaEntity{User: u, ClientID: dc}, both},
		{metadata.QuotaEntity{User: u}, userOnly},
		{metadata.QuotaEntity{User: du, ClientID: c}, both},
		{metadata.QuotaEntity{User: du, ClientID: dc}, both},
		{metadata.QuotaEntity{User: du}, userOnly},
		{metadata.QuotaEntity{ClientID: c}, clientOnly},
		{metadata.QuotaEntity{ClientID: dc}, clientOnly},
	} {
		if v, found := l.ClientQuota(level.entity, string(t)); found {
			return level.tags, v, true
		}
	}
	return Tags{}, 0, false
}

// sensorExpiry is how long an unused sensor is kept.
const sensorExpiry = time.Hour

// Manager counts the usage of one quota type per sensor and computes
// throttle times. It is safe for concurrent use.
type Manager struct {
	typ    Type
	config Config
	bound  time.Duration // longest throttle; 0: unbounded

	mu      sync.Mutex // guards the fields below
	sensors map[Tags]*sensor
	swept   time.Time // when unused sensors were last dropped
}

type sensor struct {
	rate     rate
	lastUsed time.Time
}

// NewManager returns a manager of quota type t. The throttles of the
// request and connection quotas are bounded by one window, as in Kafka;
// byte rates are not.
func NewManager(t Type, c Config) *Manager {
	m := &Manager{typ: t, config: c, sensors: map[Tags]*sensor{}}
	if t == Request || t == ConnectionCreation {
		m.bound = c.Window
	}
	return m
}

// ResolveIP returns the connection_creation_rate of ip: its own, or the
// default IP's.
func ResolveIP(l Limits, ip string) (limit float64, ok bool) {
	for _, e := range []metadata.QuotaEntity{{IP: metadata.Named(ip)}, {IP: metadata.DefaultName()}} {
		if v, found := l.ClientQuota(e, string(ConnectionCreation)); found {
			return v, true
		}
	}
	return 0, false
}

// RecordConnection counts a new connection from ip at now against its
// connection_creation_rate and returns how long to hold it before closing
// it: zero admits it. A refused connection is not counted, as in Kafka.
func (m *Manager) RecordConnection(l Limits, ip string, now time.Time) time.Duration {
	limit, ok := ResolveIP(l, ip)
	if !ok {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sensorLocked(Tags{IP: ip}, now)
	d := m.recordLocked(s, 1, limit, now)
	if d > 0 {
		s.rate.record(-1, now, m.config)
	}
	return d
}

// Type returns the quota type m enforces.
func (m *Manager) Type() Type { return m.typ }

// Record counts value against the quota that applies to user and clientID
// at now, and returns how long the client must be throttled: zero when it
// is within its quota or has none.
func (m *Manager) Record(l Limits, user, clientID string, value float64, now time.Time) time.Duration {
	tags, limit, ok := Resolve(l, m.typ, user, clientID)
	if !ok {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recordLocked(m.sensorLocked(tags, now), value, limit, now)
}

// recordLocked adds value to s and returns the throttle it earns under limit.
func (m *Manager) recordLocked(s *sensor, value, limit float64, now time.Time) time.Duration {
	s.rate.record(value, now, m.config)
	measured := s.rate.measure(now, m.config)
	if measured <= limit {
		return 0
	}
	throttle := time.Duration((measured - limit) / limit * float64(s.rate.span(now, m.config)))
	if m.bound > 0 && throttle > m.bound {
		throttle = m.bound
	}
	return throttle.Round(time.Millisecond)
}

// Unrecord takes back a value Record counted: a fetch that is throttled
// answers no data, so its bytes must not count (as Kafka's
// unrecordQuotaSensor).
func (m *Manager) Unrecord(l Limits, user, clientID string, value float64, now time.Time) {
	tags, _, ok := Resolve(l, m.typ, user, clientID)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sensorLocked(tags, now).rate.record(-value, now, m.config)
}

// MaxValueInWindow is the most a client may use in the windows that the
// rate covers, (windows-1) × window × quota: what a single fetch response
// is bounded by. It is +Inf without a quota.
func (m *Manager) MaxValueInWindow(l Limits, user, clientID string) float64 {
	_, limit, ok := Resolve(l, m.typ, user, clientID)
	if !ok {
		return math.Inf(1)
	}
	return limit * float64(m.config.Windows-1) * m.config.Window.Seconds()
}

// Measure returns the current rate of the sensor with tags, for tests and
// metrics; zero without one.
func (m *Manager) Measure(tags Tags, now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sensors[tags]
	if !ok {
		return 0
	}
	return s.rate.measure(now, m.config)
}

func (m *Manager) sensorLocked(tags Tags, now time.Time) *sensor {
	m.sweepLocked(now)
	s, ok := m.sensors[tags]
	if !ok {
		s = &sensor{}
		m.sensors[tags] = s
	}
	s.lastUsed = now
	return s
}

// sweepLocked drops the sensors unused for sensorExpiry, at most once a
// minute.
func (m *Manager) sweepLocked(now time.Time) {
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for tags, s := range m.sensors {
		if now.Sub(s.lastUsed) > sensorExpiry {
			delete(m.sensors, tags)
		}
	}
}
