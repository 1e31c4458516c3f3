package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The SASL mechanisms a console login can use (http.console.sasl.mechanism).
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

const (
	sessionIdle = 10 * time.Minute // a login's client unused this long is closed
	maxSessions = 256              // logins kept at once; the least recently used goes first
	realm       = `Basic realm="Gregor console", charset="UTF-8"`
)

// session is one user's logged-in client of the node.
type session struct {
	user     string
	password [sha256.Size]byte // to tell a changed password from the same one
	mech     sasl.Mechanism
	client   *kgo.Client
	used     time.Time
}

// sessions are the logins the console keeps, by user name.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
}

type sessionKey struct{}

// mechanism returns the SASL mechanism of user with password.
func (c *Console) mechanism(user, password string) sasl.Mechanism {
	switch c.cfg.SASLMechanism {
	case MechanismScramSHA256:
		return scram.Auth{User: user, Pass: password}.AsSha256Mechanism()
	case MechanismScramSHA512:
		return scram.Auth{User: user, Pass: password}.AsSha512Mechanism()
	default:
		return plain.Auth{User: user, Pass: password}.AsMechanism()
	}
}

// login serves next as the user the request's HTTP Basic credentials name,
// authenticated by the node with SASL; it answers 401 with a challenge
// when there are none or the node refuses them.
func (c *Console) login(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if !ok || user == "" {
			c.challenge(w, "log in with a user the cluster knows ("+c.cfg.SASLMechanism+")")
			return
		}
		s, err := c.session(r.Context(), user, password)
		if err != nil {
			if errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.UnsupportedSaslMechanism) {
				c.challenge(w, "the cluster refused the login of "+user)
				return
			}
			http.Error(w, "console: reaching the cluster as "+user+": "+err.Error(), http.StatusBadGateway)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

func (c *Console) challenge(w http.ResponseWriter, why string) {
	w.Header().Set("WWW-Authenticate", realm)
	http.Error(w, why, http.StatusUnauthorized)
}

// session returns user's logged-in client, creating it (and proving the
// password to the node) when there is none or the password differs.
func (c *Console) session(ctx context.Context, user, password string) (*session, error) {
	sum := sha256.Sum256([]byte(password))
	now := time.Now()
	c.logins.mu.Lock()
	c.expire(now)
	if s := c.logins.byID[user]; s != nil && subtle.ConstantTimeCompare(s.password[:], sum[:]) == 1 {
		s.used = now
		c.logins.mu.Unlock()
		return s, nil
	}
	c.logins.mu.Unlock()

	mech := c.mechanism(user, password)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.cfg.Bootstrap), kgo.ClientID("gregor-console"), kgo.SASL(mech))
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, err
	}
	s := &session{user: user, password: sum, mech: mech, client: cl, used: now}
	c.logins.mu.Lock()
	defer c.logins.mu.Unlock()
	if old := c.logins.byID[user]; old != nil {
		old.client.Close()
	}
	c.logins.byID[user] = s
	for len(c.logins.byID) > maxSessions {
		c.evictOldest()
	}
	return s, nil
}

// expire closes the sessions idle for longer than sessionIdle. The caller
// holds c.logins.mu.
func (c *Console) expire(now time.Time) {
	for id, s := range c.logins.byID {
		if now.Sub(s.used) > sessionIdle {
			s.client.Close()
			delete(c.logins.byID, id)
		}
	}
}

// evictOldest closes the least recently used session. The caller holds
// c.logins.mu.
func (c *Console) evictOldest() {
	var oldest *session
	for _, s := range c.logins.byID {
		if oldest == nil || s.used.Before(oldest.used) {
			oldest = s
		}
	}
	if oldest != nil {
		oldest.client.Close()
		delete(c.logins.byID, oldest.user)
	}
}

// closeSessions closes every login's client.
func (c *Console) closeSessions() {
	c.logins.mu.Lock()
	defer c.logins.mu.Unlock()
	for id, s := range c.logins.byID {
		s.client.Close()
		delete(c.logins.byID, id)
	}
}

// requestSession is the login serving r; nil without logins.
func requestSession(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

// principal is how the pages name who is logged in: "User:alice", or ""
// without logins.
func principal(r *http.Request) string {
	if s := requestSession(r); s != nil {
		return fmt.Sprintf("User:%s", s.user)
	}
	return ""
}
