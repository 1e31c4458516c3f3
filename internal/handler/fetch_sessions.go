package handler

// Fetch sessions (KIP-227). A client asks for a session with session id 0
// and epoch 0; the broker answers a new id, and the client then sends
// incremental fetches naming only the partitions whose fetch position
// changed (and forgotten ones), at epochs 1, 2, ... The broker answers only
// partitions with something new: records, a moved high watermark, last
// stable offset or log start offset, or an error. Epoch -1 closes a session.

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxFetchSessions is Kafka's max.incremental.fetch.session.cache.slots default.
const maxFetchSessions = 1000

// sessionKey names a partition within a session: by topic id from v13, by name before.
type sessionKey struct {
	topic     string
	topicID   [16]byte
	partition int32
}

// sessionPartition is a partition a session fetches, with what the client
// last asked for and what it was last told.
type sessionPartition struct {
	key                  sessionKey
	req                  kmsg.FetchRequestTopicPartition
	sentHighWatermark    int64
	sentLastStableOffset int64
	sentLogStartOffset   int64
	sentAnything         bool
}

// fetchSession is one client's session. mu serializes its fetches: a client
// uses a session for one fetch at a time, and epochs enforce the order.
type fetchSession struct {
	mu       sync.Mutex
	id       int32
	epoch    int32 // the epoch the next request must carry
	parts    []*sessionPartition
	index    map[sessionKey]int
	lastUsed time.Time
}

// fetchSessions is the session cache. Safe for concurrent use.
type fetchSessions struct {
	mu       sync.Mutex // guards sessions
	sessions map[int32]*fetchSession
}

func (c *fetchSessions) get(id int32) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

func (c *fetchSessions) remove(id int32) {
	c.mu.Lock()
	delete(c.sessions, id)
	c.mu.Unlock()
}

// create registers a new session, evicting the least recently used one when
// the cache is full.
func (c *fetchSessions) create(now time.Time) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions == nil {
		c.sessions = map[int32]*fetchSession{}
	}
	if len(c.sessions) >= maxFetchSessions {
		var oldest *fetchSession
		for _, s := range c.sessions {
			if oldest == nil || s.lastUsed.Before(oldest.lastUsed) {
				oldest = s
			}
		}
		delete(c.sessions, oldest.id)
	}
	for {
		id := rand.Int32()
		if _, taken := c.sessions[id]; id != 0 && !taken {
			s := &fetchSession{id: id, epoch: 0, index: map[sessionKey]int{}, lastUsed: now}
			c.sessions[id] = s
			return s
		}
	}
}

// update applies an incremental request: new or changed partitions replace
// their entries, forgotten ones leave.
func (s *fetchSession) update(r *kmsg.FetchRequest, resolve func(kmsg.FetchRequestTopic) (string, [16]byte)) {
	for _, t := range r.Topics {
		name, id := resolve(t)
		for _, p := range t.Partitions {
			key := sessionKey{topic: name, topicID: id, partition: p.Partition}
			if i, ok := s.index[key]; ok {
				s.parts[i].req = p
				continue
			}
			s.index[key] = len(s.parts)
			s.parts = append(s.parts, &sessionPartition{key: key, req: p})
		}
	}
	for _, t := range r.ForgottenTopics {
		for _, p := range t.Partitions {
			s.forget(t, p)
		}
	}
}

func (s *fetchSession) forget(t kmsg.FetchRequestForgottenTopic, partition int32) {
	for i, sp := range s.parts {
		if sp.key.partition != partition {
			continue
		}
		if (t.TopicID != [16]byte{} && sp.key.topicID == t.TopicID) || (t.TopicID == [16]byte{} && sp.key.topic == t.Topic) {
			s.parts = append(s.parts[:i], s.parts[i+1:]...)
			s.index = map[sessionKey]int{}
			for j, rest := range s.parts {
				s.index[rest.key] = j
			}
			return
		}
	}
}

// changed reports whether rp has news for the client since the last
// response, and records what it is told.
func (sp *sessionPartition) changed(rp *kmsg.FetchResponseTopicPartition) bool {
	news := !sp.sentAnything || len(rp.RecordBatches) > 0 || rp.ErrorCode != 0 || rp.PreferredReadReplica >= 0 ||
		rp.HighWatermark != sp.sentHighWatermark || rp.LastStableOffset != sp.sentLastStableOffset ||
		rp.LogStartOffset != sp.sentLogStartOffset
	sp.sentAnything = true
	sp.sentHighWatermark, sp.sentLastStableOffset, sp.sentLogStartOffset = rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset
	return news
}

// sessionFor resolves the session a request uses. It returns the session
// (nil for a sessionless fetch), whether the request is incremental, and an
// error code for the whole response.
func (h *Handler) sessionFor(r *kmsg.FetchRequest) (*fetchSession, bool, int16) {
	if r.Version < 7 {
		return nil, false, 0
	}
	switch {
	case r.SessionID == 0 && r.SessionEpoch == -1:
		return nil, false, 0
	case r.SessionID == 0 && r.SessionEpoch == 0:
		s := h.sessions.create(h.now())
		s.mu.Lock()
		return s, false, 0
	case r.SessionID == 0:
		return nil, false, kerr.InvalidFetchSessionEpoch.Code
	case r.SessionEpoch == -1:
		h.sessions.remove(r.SessionID)
		return nil, false, 0
	case r.SessionEpoch == 0:
		// A full fetch that closes the session and opens a new one: how a
		// client resets after INVALID_FETCH_SESSION_EPOCH.
		h.sessions.remove(r.SessionID)
		s := h.sessions.create(h.now())
		s.mu.Lock()
		return s, false, 0
	}
	s := h.sessions.get(r.SessionID)
	if s == nil {
		return nil, false, kerr.FetchSessionIDNotFound.Code
	}
	s.mu.Lock()
	if r.SessionEpoch != s.epoch {
		s.mu.Unlock()
		return nil, false, kerr.InvalidFetchSessionEpoch.Code
	}
	return s, true, 0
}
