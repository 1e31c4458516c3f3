package handler

// Fetch: v4–18.
//
// Behaviour: reads whole stored batches from each requested partition,
// bounded by the high watermark (read_uncommitted and read_committed alike,
// since the last stable offset equals the high watermark until transactions
// exist), by partition_max_bytes and by max_bytes for the whole response,
// with KIP-74's rule that the first batch of the response is returned whole
// even above the limits. When fewer than min_bytes are available it waits
// up to max_wait_ms for appends to any requested partition (long polling).
// current_leader_epoch (v9+) is checked: older answers FENCED_LEADER_EPOCH,
// newer UNKNOWN_LEADER_EPOCH. v13+ names topics by id (UNKNOWN_TOPIC_ID).
// Fetch sessions (KIP-227): the broker answers session id 0, i.e. it
// creates no session and every fetch is a full fetch, which the protocol
// allows and every client handles; an incremental fetch on a session id
// answers FETCH_SESSION_ID_NOT_FOUND.
// Differences from Kafka: no incremental sessions yet, no follower fetches.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/partition"
)

func init() { register(1, 4, 18, (*Handler).fetch) }

// maxFetchWait bounds max_wait_ms so that a hostile value cannot park a
// connection forever.
const maxFetchWait = 5 * time.Minute

func (h *Handler) fetch(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.FetchRequest)
	resp := r.ResponseKind().(*kmsg.FetchResponse)
	if code := checkFetchSession(r); code != 0 {
		resp.ErrorCode = code
		return resp, nil
	}
	f := h.newFetch(r)
	defer f.close()
	wait := min(time.Duration(max(r.MaxWaitMillis, 0))*time.Millisecond, maxFetchWait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		resp.Topics = f.read()
		if f.bytes >= int(r.MinBytes) || f.errors > 0 || wait == 0 {
			return resp, nil
		}
		select {
		case <-f.changed:
		case <-timer.C:
			resp.Topics = f.read()
			return resp, nil
		case <-ctx.Done():
			return resp, nil
		}
	}
}

func checkFetchSession(r *kmsg.FetchRequest) int16 {
	switch {
	case r.Version < 7:
		return 0
	case r.SessionID != 0:
		return kerr.FetchSessionIDNotFound.Code
	case r.SessionEpoch != 0 && r.SessionEpoch != -1:
		return kerr.InvalidFetchSessionEpoch.Code
	}
	return 0
}

// fetchTarget is one requested partition, resolved once per request.
type fetchTarget struct {
	topic     string
	topicID   [16]byte
	req       kmsg.FetchRequestTopicPartition
	part      *partition.Partition
	errorCode int16
}

type fetchState struct {
	r       *kmsg.FetchRequest
	targets []fetchTarget
	changed chan struct{}
	bytes   int
	errors  int
}

func (h *Handler) newFetch(r *kmsg.FetchRequest) *fetchState {
	f := &fetchState{r: r, changed: make(chan struct{}, 1)}
	img := h.Controller.Image()
	for _, t := range r.Topics {
		name, code := t.Topic, int16(0)
		if r.Version >= 13 {
			if topic, ok := img.TopicByID(kafka.TopicID(t.TopicID)); ok {
				name = topic.Name
			} else {
				code = kerr.UnknownTopicID.Code
			}
		}
		for _, p := range t.Partitions {
			ft := fetchTarget{topic: name, topicID: t.TopicID, req: p, errorCode: code}
			if code == 0 {
				part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: name, Partition: p.Partition})
				ft.part, ft.errorCode = part, errorCode(err)
			}
			if ft.part != nil {
				ft.part.Watch(f.changed)
			}
			f.targets = append(f.targets, ft)
		}
	}
	return f
}

func (f *fetchState) close() {
	for _, t := range f.targets {
		if t.part != nil {
			t.part.Unwatch(f.changed)
		}
	}
}

// read builds the response topics from the current state of every target.
func (f *fetchState) read() []kmsg.FetchResponseTopic {
	f.bytes, f.errors = 0, 0
	remaining := f.r.MaxBytes
	if f.r.Version < 3 || remaining <= 0 {
		remaining = 1<<31 - 1
	}
	var out []kmsg.FetchResponseTopic
	for i := range f.targets {
		t := &f.targets[i]
		if len(out) == 0 || out[len(out)-1].Topic != t.topic || out[len(out)-1].TopicID != t.topicID {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = t.topic, t.topicID
			out = append(out, rt)
		}
		rp := f.readPartition(t, &remaining)
		out[len(out)-1].Partitions = append(out[len(out)-1].Partitions, rp)
	}
	return out
}

func (f *fetchState) readPartition(t *fetchTarget, remaining *int32) kmsg.FetchResponseTopicPartition {
	rp := kmsg.NewFetchResponseTopicPartition()
	rp.Partition = t.req.Partition
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
	if t.errorCode != 0 {
		rp.ErrorCode = t.errorCode
		f.errors++
		return rp
	}
	p := t.part
	if code := checkLeaderEpoch(t.req.CurrentLeaderEpoch, p.LeaderEpoch()); code != 0 {
		rp.ErrorCode = code
		f.errors++
		return rp
	}
	hw := p.HighWatermark()
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = hw, hw, p.LogStartOffset()
	limit := min(t.req.PartitionMaxBytes, *remaining)
	if limit <= 0 && f.bytes > 0 {
		return rp
	}
	data, err := p.Read(t.req.FetchOffset, max(limit, 0), f.bytes == 0)
	if err != nil {
		rp.ErrorCode = errorCode(err)
		f.errors++
		return rp
	}
	rp.RecordBatches = data
	f.bytes += len(data)
	*remaining -= int32(len(data))
	return rp
}

// checkLeaderEpoch compares a client's view of the leader epoch with ours
// (KIP-320); -1 means the client does not know it.
func checkLeaderEpoch(client, ours int32) int16 {
	switch {
	case client == -1 || client == ours:
		return 0
	case client < ours:
		return kerr.FencedLeaderEpoch.Code
	default:
		return kerr.UnknownLeaderEpoch.Code
	}
}
