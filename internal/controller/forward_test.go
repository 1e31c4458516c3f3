package controller

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gregor/internal/acl"
)

// TestEveryRequestCanBeForwarded proves that every exported request type
// (and the response it is answered with) can cross to the active
// controller, and that every error sentinel of the package crosses as
// itself: a type or sentinel added without its entry in forward.go would
// work on the leader and fail, or lose its Kafka code, everywhere else.
func TestEveryRequestCanBeForwarded(t *testing.T) {
	requests, sentinels := declared(t)
	for _, name := range requests {
		if _, ok := forwarded[name]; !ok {
			t.Errorf("%s is not in forwarded (forward.go)", name)
		}
		resp := strings.TrimSuffix(name, "Request") + "Response"
		_, typed := forwarded[resp]
		if !typed && !itemResponseNames[resp] {
			t.Errorf("%s, the answer to %s, cannot be decoded after forwarding", resp, name)
		}
	}
	// Every sentinel crosses as itself but the transport's own and Run's
	// (which stops the node rather than answer a request).
	localOnly := map[string]bool{"ErrClusterID": true, "ErrMetadataLogFailed": true}
	var crossing int
	for _, name := range sentinels {
		if !localOnly[name] {
			crossing++
		}
	}
	var listed int
	for _, e := range errorCodes {
		if !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded) {
			listed++
		}
		if back := fromWire(toWire(fmt.Errorf("wrapped: %w", e))); !errors.Is(back, e) {
			t.Errorf("%v does not come back as itself", e)
		}
	}
	if crossing != listed {
		t.Errorf("the package declares %d sentinels that cross to the controller, errorCodes lists %d: add the new one to errorCodes", crossing, listed)
	}
}

// itemResponseNames are the responses that cross as an itemResponse.
var itemResponseNames = map[string]bool{
	"CreateTopicsResponse": true, "DeleteTopicsResponse": true, "CreatePartitionsResponse": true,
	"AlterConfigsResponse": true, "AlterScramCredentialsResponse": true, "AlterClientQuotasResponse": true,
	"CreateACLsResponse": true, "DeleteACLsResponse": true,
	"ElectLeadersResponse": true, "AlterPartitionReassignmentsResponse": true,
}

// declared returns the exported types with an isRequest method and the
// exported package-level error variables of the package's non-test files.
func declared(t *testing.T) (requests, sentinels []string) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pkgs["controller"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.Name == "isRequest" && d.Recv != nil {
					if id, ok := d.Recv.List[0].Type.(*ast.Ident); ok && ast.IsExported(id.Name) {
						requests = append(requests, id.Name)
					}
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if vs, ok := spec.(*ast.ValueSpec); ok {
						for _, n := range vs.Names {
							if strings.HasPrefix(n.Name, "Err") {
								sentinels = append(sentinels, n.Name)
							}
						}
					}
				}
			}
		}
	}
	if len(requests) == 0 || len(sentinels) == 0 {
		t.Fatal("found no request types or sentinels: is the parse wrong?")
	}
	return requests, sentinels
}

// TestForwardedRepliesKeepTheirErrors proves that responses carrying an
// error per item come back from the active controller with each error
// wrapping its sentinel, in order, and the rest of the response intact.
func TestForwardedRepliesKeepTheirErrors(t *testing.T) {
	bindings := []acl.Binding{{Pattern: acl.Pattern{Type: acl.Topic, Name: "orders", PatternType: acl.Literal},
		Entry: acl.Entry{Principal: "User:alice", Host: "*", Operation: acl.Read, Permission: acl.Allow}}}
	for _, resp := range []Response{
		DeleteACLsResponse{Results: []DeletedACLs{{Bindings: bindings}, {Err: fmt.Errorf("%w: bad filter", ErrInvalidRequest)}}},
		CreateACLsResponse{Errs: []error{nil, fmt.Errorf("%w: bad binding", ErrInvalidRequest)}},
		ElectLeadersResponse{Results: []PartitionResult{{Topic: "t", Partition: 1, Err: fmt.Errorf("%w: bad type", ErrInvalidRequest)}},
			Topics: []string{"t", "u"}},
	} {
		back, err := decodeReply(encodeReply(reply{resp: resp}))
		if err != nil {
			t.Fatalf("%T: %v", resp, err)
		}
		if !reflect.DeepEqual(errorsOfResponse(back.resp), errorsOfResponse(resp)) {
			t.Errorf("%T came back as %+v", resp, back.resp)
		}
		if d, ok := back.resp.(DeleteACLsResponse); ok && !reflect.DeepEqual(d.Results[0].Bindings, bindings) {
			t.Errorf("deleted bindings came back as %+v", d.Results[0].Bindings)
		}
		if e, ok := back.resp.(ElectLeadersResponse); ok && !slices.Equal(e.Topics, []string{"t", "u"}) {
			t.Errorf("the topics of an election of every partition came back as %v", e.Topics)
		}
	}
}

// errorsOfResponse renders a response's per-item errors as the sentinel
// each wraps and its message, for comparison.
func errorsOfResponse(r Response) []string {
	_, errs := splitErrors(r)
	var out []string
	for _, e := range errs {
		if e == nil {
			out = append(out, "")
			continue
		}
		out = append(out, fmt.Sprint(errors.Is(e, ErrInvalidRequest), e.Error()))
	}
	return out
}
