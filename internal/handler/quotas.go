package handler

import (
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/quota"
)

// Quotas are the client quota managers of a node (see internal/quota):
// produce and fetch byte rates, request-handler time and controller
// mutations. A nil *Quotas enforces nothing.
type Quotas struct {
	Produce, Fetch, Request *quota.Manager
	Mutation                *quota.MutationManager
	Connection              *quota.Manager // connection_creation_rate, applied by the server
}

// NewQuotas returns the managers of every quota type, sampled by c, and
// the controller mutation quota's bucket sized by mutation.
func NewQuotas(c, mutation quota.Config) *Quotas {
	return &Quotas{
		Produce:    quota.NewManager(quota.Produce, c),
		Fetch:      quota.NewManager(quota.Fetch, c),
		Request:    quota.NewManager(quota.Request, c),
		Mutation:   quota.NewMutationManager(mutation),
		Connection: quota.NewManager(quota.ConnectionCreation, c),
	}
}

// errThrottlingQuotaExceeded refuses a topic change over the client's
// controller_mutation_rate (KIP-599), with Kafka's message.
var errThrottlingQuotaExceeded = kerr.ThrottlingQuotaExceeded

// admitMutation applies the controller_mutation_rate quota to a change of
// partitions partitions and puts the throttle in resp. A strict request
// (the versions of KIP-599) is refused while the client's bucket is in
// debt; an older one is only throttled.
func (h *Handler) admitMutation(req *Request, resp kmsg.Response, partitions int, strict bool) bool {
	if !h.quotasActive() || partitions <= 0 {
		return true
	}
	ok, d := h.Quotas.Mutation.Admit(h.Metadata.Image(), req.Principal.Name, req.Header.ClientID, float64(partitions), strict, h.now())
	throttle(req, resp, d)
	return ok
}

// refuseMutation is the error code and message of a topic refused by
// admitMutation.
func refuseMutation() (int16, *string) {
	return errThrottlingQuotaExceeded.Code, kmsg.StringPtr("The throttling quota has been exceeded.")
}

// selfThrottled are the APIs that record their own quotas, because a
// throttle changes what they answer or what they count: Produce (bytes,
// and no request quota for acks=0) and Fetch (bytes, and an empty answer
// when throttled).
var selfThrottled = map[int16]bool{0: true, 1: true}

// exemptFromRequestQuota are the inter-broker APIs Kafka never throttles
// (their principal has CLUSTER_ACTION): a replica's fetch is Fetch with a
// replica id, handled in throttleFetch.
var exemptFromRequestQuota = map[int16]bool{27: true} // WriteTxnMarkers

// quotasActive reports whether any client quota is configured: without
// one, nothing is counted.
func (h *Handler) quotasActive() bool {
	return h.Quotas != nil && h.Metadata.Image().HasClientQuotas()
}

// handlerTime is the time req has spent in its handler since start, less
// the time it waited: Kafka's request-handler thread time.
func (h *Handler) handlerTime(req *Request, start time.Time) time.Duration {
	return max(h.now().Sub(start)-req.Waited, 0)
}

// recordRequestTime counts the handler time of req against its client's
// request_percentage quota and returns the throttle it earns.
func (h *Handler) recordRequestTime(req *Request, start time.Time) time.Duration {
	if !h.quotasActive() {
		return 0
	}
	percent := float64(h.handlerTime(req, start)) * 100 / float64(time.Second)
	return h.Quotas.Request.Record(h.Metadata.Image(), req.Principal.Name, req.Header.ClientID, percent, h.now())
}

// throttleAfterServe applies the request quota to an API that does not
// record its own, and puts the throttle time in the response.
func (h *Handler) throttleAfterServe(req *Request, resp kmsg.Response, start time.Time) {
	key := req.Header.Key
	if !h.quotasActive() || selfThrottled[key] || exemptFromRequestQuota[key] || req.Body == nil {
		return
	}
	throttle(req, resp, h.recordRequestTime(req, start))
}

// throttle raises req's throttle to d and writes it into resp.
func throttle(req *Request, resp kmsg.Response, d time.Duration) {
	if d <= req.Throttle {
		return
	}
	req.Throttle = d
	if t, ok := resp.(kmsg.SetThrottleResponse); ok {
		t.SetThrottle(int32(min(d.Milliseconds(), math.MaxInt32)))
	}
}

// fetchQuotaBound is the most a consumer's fetch may return under its
// consumer_byte_rate quota (Kafka's getMaxValueInQuotaWindow).
func (h *Handler) fetchQuotaBound(req *Request) int32 {
	if !h.quotasActive() {
		return math.MaxInt32
	}
	bound := h.Quotas.Fetch.MaxValueInWindow(h.Metadata.Image(), req.Principal.Name, req.Header.ClientID)
	return int32(min(bound, math.MaxInt32))
}

// throttleProduce counts a produce request's size against its client's
// producer_byte_rate quota and, unless acks=0, its handler time against
// request_percentage (Kafka exempts acks=0 from the request quota), and
// throttles by the longer. resp is nil for acks=0: the connection is
// still muted.
func (h *Handler) throttleProduce(req *Request, acks int16, resp kmsg.Response, start time.Time) {
	if !h.quotasActive() {
		return
	}
	d := h.Quotas.Produce.Record(h.Metadata.Image(), req.Principal.Name, req.Header.ClientID, float64(req.Size), h.now())
	if acks != 0 {
		d = max(d, h.recordRequestTime(req, start))
	}
	throttle(req, resp, d)
}

// throttleFetch counts a consumer's fetch, of bytes record bytes, against
// its consumer_byte_rate quota and its handler time against
// request_percentage. When either throttles, the bytes are taken back and
// the caller answers no data, as Kafka does; it reports whether so.
// Followers' fetches are exempt.
func (h *Handler) throttleFetch(req *Request, r *kmsg.FetchRequest, resp kmsg.Response, bytes int, start time.Time) bool {
	if !h.quotasActive() || fetchReplicaID(r) >= 0 {
		return false
	}
	img, now, user, clientID := h.Metadata.Image(), h.now(), req.Principal.Name, req.Header.ClientID
	d := max(h.Quotas.Fetch.Record(img, user, clientID, float64(bytes), now), h.recordRequestTime(req, start))
	if d == 0 {
		return false
	}
	h.Quotas.Fetch.Unrecord(img, user, clientID, float64(bytes), now)
	throttle(req, resp, d)
	return true
}
