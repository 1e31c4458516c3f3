package restproxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Principal propagation (Confluent's confluent.rest.auth.propagate.method):
// each request reaches Kafka as the principal that authenticated it over
// HTTP, so the broker's ACLs decide what it may do. The proxy keeps a
// producer and an admin client per principal and secret, authenticating
// with SASL with the request's own secret (its bearer token, its
// password); a consumer instance is its creator's and answers nobody
// else, and its connections re-authenticate with the creator's latest
// secret when the broker ends their session. A client idle for
// ConsumerInstanceTimeout is closed.

// Propagation is how requests reach Kafka as their principal.
type Propagation struct {
	Bootstrap string // host:port of a listener of the node that enables Mechanism
	// Mechanism is OAUTHBEARER (the secret is a token) or PLAIN,
	// SCRAM-SHA-256 or SCRAM-SHA-512 (the secret is a password).
	Mechanism string
	// Credential returns the principal's name and secret of the request
	// whose context is ctx (set by the HTTP authentication).
	Credential func(ctx context.Context) (name, secret string, ok bool)
}

// errUnauthenticated answers a request that carries no principal to
// propagate (the HTTP authentication lets none through, so this is a
// configuration fault, refused rather than served as the proxy).
var errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: codeUnauthenticated, Message: "Unauthorized: no principal to propagate"}

// secret holds a principal's latest secret: a client's SASL callback reads
// it at each authentication, so a refreshed token takes over when the
// broker ends the session of the last one.
type secret struct{ v atomic.Pointer[string] }

func (s *secret) set(v string) { s.v.Store(&v) }
func (s *secret) get() string  { return *s.v.Load() }

// mechanism returns the SASL mechanism authenticating as name with s.
func (pr *Propagation) mechanism(name string, s *secret) (sasl.Mechanism, error) {
	switch pr.Mechanism {
	case "OAUTHBEARER":
		return refusalAware{oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: s.get()}, nil })}, nil
	case "PLAIN":
		return plain.Plain(func(context.Context) (plain.Auth, error) { return plain.Auth{User: name, Pass: s.get()}, nil }), nil
	case "SCRAM-SHA-256":
		return scram.Sha256(func(context.Context) (scram.Auth, error) { return scram.Auth{User: name, Pass: s.get()}, nil }), nil
	case "SCRAM-SHA-512":
		return scram.Sha512(func(context.Context) (scram.Auth, error) { return scram.Auth{User: name, Pass: s.get()}, nil }), nil
	}
	return nil, fmt.Errorf("SASL mechanism %q cannot propagate principals", pr.Mechanism)
}

// refusalAware is an OAUTHBEARER mechanism whose refusal by the broker
// (RFC 7628's error JSON, which franz-go's mechanism reports as
// unexpected data) is SASL_AUTHENTICATION_FAILED, so that the request is
// answered 40101.
type refusalAware struct{ sasl.Mechanism }

func (m refusalAware) Authenticate(ctx context.Context, host string) (sasl.Session, []byte, error) {
	s, first, err := m.Mechanism.Authenticate(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	return refusalSession{s}, first, nil
}

type refusalSession struct{ sasl.Session }

func (s refusalSession) Challenge(resp []byte) (bool, []byte, error) {
	done, next, err := s.Session.Challenge(resp)
	if err != nil && len(resp) != 0 {
		return false, nil, fmt.Errorf("%w: the broker refused the token: %s", kerr.SaslAuthenticationFailed, resp)
	}
	return done, next, err
}

// kafkaUser is the clients of one principal with one secret.
type kafkaUser struct {
	name     string
	secret   secret
	lastUsed atomic.Int64 // unix nanoseconds
	client   *kgo.Client
	admin    *kgo.Client

	mu      sync.Mutex // guards the fields below
	refs    int        // requests under way that use the clients
	retired bool       // closed when refs drops to 0
	closed  bool
}

// use counts a request that uses the clients until ctx, the request's
// context, ends.
func (ku *kafkaUser) use(ctx context.Context) {
	ku.mu.Lock()
	ku.refs++
	ku.mu.Unlock()
	context.AfterFunc(ctx, func() { ku.release(-1) })
}

// retire closes the clients once no request uses them.
func (ku *kafkaUser) retire() { ku.release(0) }

func (ku *kafkaUser) release(delta int) {
	ku.mu.Lock()
	ku.refs += delta
	if delta == 0 {
		ku.retired = true
	}
	last := ku.retired && ku.refs == 0 && !ku.closed
	if last {
		ku.closed = true
	}
	ku.mu.Unlock()
	if last {
		ku.close()
	}
}

func (ku *kafkaUser) close() {
	ku.client.Close()
	ku.admin.Close()
}

// users are the clients of the principals the proxy acts for, by
// principal and secret: a request authenticates to Kafka with its own
// token or password, never with one an earlier request of the same name
// presented. When a principal comes with a new secret (a refreshed
// token), the clients of its old one are closed once the requests using
// them are over. Safe for concurrent use.
type users struct {
	pr *Propagation

	mu     sync.Mutex // guards the fields below
	bySum  map[[sha256.Size]byte]*kafkaUser
	latest map[string][sha256.Size]byte // a principal's latest secret's key
	closed bool
}

// get returns the clients of the request's principal and secret, making
// them on first use; they stay open until ctx, the request's context,
// ends.
func (u *users) get(ctx context.Context, producerOpts, adminOpts []kgo.Opt) (*kafkaUser, error) {
	name, sec, ok := u.pr.Credential(ctx)
	if !ok {
		return nil, errUnauthenticated
	}
	sum := sha256.Sum256([]byte(name + "\x00" + sec))
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, errors.New("rest proxy closed")
	}
	ku := u.bySum[sum]
	if ku == nil {
		var err error
		if ku, err = u.connect(name, sec, producerOpts, adminOpts); err != nil {
			return nil, err
		}
		if u.bySum == nil {
			u.bySum, u.latest = map[[sha256.Size]byte]*kafkaUser{}, map[string][sha256.Size]byte{}
		}
		if old, ok := u.bySum[u.latest[name]]; ok {
			delete(u.bySum, u.latest[name])
			old.retire()
		}
		u.bySum[sum], u.latest[name] = ku, sum
	}
	ku.use(ctx)
	ku.lastUsed.Store(time.Now().UnixNano())
	return ku, nil
}

func (u *users) connect(name, sec string, producerOpts, adminOpts []kgo.Opt) (*kafkaUser, error) {
	ku := &kafkaUser{name: name}
	ku.secret.set(sec)
	mech, err := u.pr.mechanism(name, &ku.secret)
	if err != nil {
		return nil, err
	}
	auth := []kgo.Opt{kgo.SeedBrokers(u.pr.Bootstrap), kgo.SASL(mech)}
	if ku.client, err = kgo.NewClient(append(auth, producerOpts...)...); err != nil {
		return nil, err
	}
	if ku.admin, err = kgo.NewClient(append(auth, adminOpts...)...); err != nil {
		ku.client.Close()
		return nil, err
	}
	return ku, nil
}

// expireLoop closes the clients of principals idle for timeout, until ctx
// ends.
func (u *users) expireLoop(ctx context.Context, timeout time.Duration) {
	tick(ctx, min(timeout/2, 30*time.Second), func(now time.Time) {
		u.expire(now.Add(-timeout).UnixNano())
	})
}

func (u *users) expire(before int64) {
	u.mu.Lock()
	var idle []*kafkaUser
	for sum, ku := range u.bySum {
		if ku.lastUsed.Load() < before {
			idle = append(idle, ku)
			delete(u.bySum, sum)
			if u.latest[ku.name] == sum {
				delete(u.latest, ku.name)
			}
		}
	}
	u.mu.Unlock()
	for _, ku := range idle { // closed once the requests using them end
		ku.retire()
	}
}

func (u *users) closeAll() {
	u.mu.Lock()
	u.closed = true
	all := u.bySum
	u.bySum, u.latest = nil, nil
	u.mu.Unlock()
	for _, ku := range all {
		ku.mu.Lock()
		ku.closed = true
		ku.mu.Unlock()
		ku.close()
	}
}

// instanceOwner is what ties a consumer instance to its creator when
// principals propagate.
type instanceOwner struct {
	name   string
	secret secret
	opts   []kgo.Opt // the instance's client authenticates as its owner
}

// ownerOf returns the owner a new consumer instance of the request gets;
// nil when principals do not propagate.
func (p *Proxy) ownerOf(ctx context.Context) (*instanceOwner, error) {
	pr := p.cfg.Propagate
	if pr == nil {
		return nil, nil
	}
	name, sec, ok := pr.Credential(ctx)
	if !ok {
		return nil, errUnauthenticated
	}
	o := &instanceOwner{name: name}
	o.secret.set(sec)
	mech, err := pr.mechanism(name, &o.secret)
	if err != nil {
		return nil, err
	}
	o.opts = []kgo.Opt{kgo.SASL(mech)}
	return o, nil
}

// owns reports whether the request comes from the instance's owner, and
// takes its latest secret.
func (p *Proxy) owns(ctx context.Context, inst *instance) bool {
	if inst.owner == nil {
		return true
	}
	name, sec, ok := p.cfg.Propagate.Credential(ctx)
	if !ok || name != inst.owner.name {
		return false
	}
	inst.owner.secret.set(sec)
	return true
}

// adminOf returns the admin client of the request's principal.
func (p *Proxy) adminOf(ctx context.Context) (*kadm.Client, error) {
	ku, err := p.users.get(ctx, p.producerOpts(), p.adminOpts())
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(ku.admin), nil
}
