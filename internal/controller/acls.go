package controller

import (
	"fmt"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// ACLs (CreateAcls, DeleteAcls): each binding to create and each filter to
// delete by is one item, answered on its own, as Kafka's
// AclControlManager answers them.

// CreateACLsRequest stores ACLs. A binding already stored is not stored
// twice, and succeeds.
type CreateACLsRequest struct{ Bindings []acl.Binding }

// CreateACLsResponse has one error per binding, in request order.
type CreateACLsResponse struct{ Errs []error }

// DeleteACLsRequest deletes every stored ACL that one of Filters selects.
type DeleteACLsRequest struct{ Filters []acl.Filter }

// DeleteACLsResponse has one result per filter, in request order.
type DeleteACLsResponse struct{ Results []DeletedACLs }

// DeletedACLs is what one filter deleted, or Err, why it deleted nothing.
type DeletedACLs struct {
	Bindings []acl.Binding
	Err      error
}

func (CreateACLsRequest) isRequest()   {}
func (DeleteACLsRequest) isRequest()   {}
func (CreateACLsResponse) isResponse() {}
func (DeleteACLsResponse) isResponse() {}

// createACLs validates each binding and returns the records of the new ones.
func createACLs(img *metadata.Image, newID func() kafka.TopicID, req CreateACLsRequest) ([]metadata.Record, CreateACLsResponse) {
	stored := map[acl.Binding]bool{}
	for _, a := range img.ACLs() {
		stored[a.Binding] = true
	}
	var recs []metadata.Record
	resp := CreateACLsResponse{Errs: make([]error, len(req.Bindings))}
	for i, b := range req.Bindings {
		if err := b.Validate(); err != nil {
			resp.Errs[i] = fmt.Errorf("%w: %v", ErrInvalidRequest, err)
			continue
		}
		if !stored[b] {
			stored[b] = true
			recs = append(recs, metadata.Record{Type: metadata.TypeACL, ACL: &metadata.ACLRecord{ID: newID(), Binding: b}})
		}
	}
	return recs, resp
}

// deleteACLs returns the removal records of the ACLs the filters select;
// an ACL two filters select is answered by the first.
func deleteACLs(img *metadata.Image, req DeleteACLsRequest) ([]metadata.Record, DeleteACLsResponse) {
	all := img.ACLs()
	removed := map[kafka.TopicID]bool{}
	var recs []metadata.Record
	resp := DeleteACLsResponse{Results: make([]DeletedACLs, len(req.Filters))}
	for i, f := range req.Filters {
		if err := f.Validate(); err != nil {
			resp.Results[i].Err = fmt.Errorf("%w: %v", ErrInvalidRequest, err)
			continue
		}
		for _, a := range all {
			if removed[a.ID] || !f.Matches(a.Binding) {
				continue
			}
			removed[a.ID] = true
			resp.Results[i].Bindings = append(resp.Results[i].Bindings, a.Binding)
			recs = append(recs, metadata.Record{Type: metadata.TypeRemoveACL, RemoveACL: &metadata.RemoveACLRecord{ID: a.ID}})
		}
	}
	return recs, resp
}
