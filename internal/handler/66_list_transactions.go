package handler

// ListTransactions: v0–2.
//
// Behaviour: lists the transactional ids of the __transaction_state
// partitions this node leads, filtered by state names (an unknown name is
// answered in unknown_state_filters), by producer ids, from v1 by running
// longer than duration_filter_ms when it is not negative (by the start of
// its transaction in progress or last ended; an id that never began one
// has a start of -1, so it always passes, as in Kafka), and from v2 by a regular expression that must match the whole id
// (INVALID_REGULAR_EXPRESSION when it does not compile). A partition still
// loading answers COORDINATOR_LOAD_IN_PROGRESS. As Kafka, only the ids the
// principal may DESCRIBE are listed.
// Differences from Kafka: the id filter uses Go's regexp syntax (RE2),
// not Java's.

import (
	"context"
	"regexp"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/txn"
)

func init() { register(66, 0, 2, requires(describeOnTransactionalID), (*Handler).listTransactions) }

func (h *Handler) listTransactions(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListTransactionsRequest)
	resp := r.ResponseKind().(*kmsg.ListTransactionsResponse)
	states := map[string]bool{}
	for _, s := range r.StateFilters {
		if slices.Contains(kmsg.TransactionStateStrings(), s) {
			states[s] = true
		} else {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, s)
		}
	}
	var pattern *regexp.Regexp
	if r.TransactionalIDPattern != nil && *r.TransactionalIDPattern != "" {
		var err error
		if _, err = regexp.Compile(*r.TransactionalIDPattern); err == nil {
			pattern, err = regexp.Compile("^(?:" + *r.TransactionalIDPattern + ")$")
		}
		if err != nil {
			resp.ErrorCode = kerr.InvalidRegularExpression.Code
			return resp, nil
		}
	}
	now := h.now()
	durationFilter := int64(-1)
	if r.Version >= 1 {
		durationFilter = r.DurationFilterMillis
	}
	running := func(d txn.Description) bool {
		start := int64(-1)
		if !d.Start.IsZero() {
			start = d.Start.UnixMilli()
		}
		return durationFilter < 0 || now.UnixMilli()-start > durationFilter
	}
	keep := func(d txn.Description) bool {
		return (len(r.StateFilters) == 0 || states[d.State.String()]) &&
			(len(r.ProducerIDFilters) == 0 || slices.Contains(r.ProducerIDFilters, int64(d.ProducerID))) &&
			running(d) &&
			(pattern == nil || pattern.MatchString(d.TransactionalID))
	}
	ds, err := h.Txn.List(keep)
	resp.ErrorCode = errorCode(err)
	for _, d := range ds {
		if !h.allowed(req, acl.Describe, acl.TransactionalID, d.TransactionalID) {
			continue
		}
		resp.TransactionStates = append(resp.TransactionStates, kmsg.ListTransactionsResponseTransactionState{
			TransactionalID: d.TransactionalID, ProducerID: int64(d.ProducerID), TransactionState: d.State.String(),
		})
	}
	return resp, nil
}
