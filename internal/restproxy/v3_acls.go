package restproxy

// REST Proxy v3: ACLs, as Confluent's proxy serves them.
//
//	GET    /v3/clusters/{cluster_id}/acls        the ACLs a filter matches (KafkaAclList)
//	POST   /v3/clusters/{cluster_id}/acls        creates one: 201, Location, no body
//	POST   /v3/clusters/{cluster_id}/acls:batch  creates {"data":[...]}: 204
//	DELETE /v3/clusters/{cluster_id}/acls        deletes what a filter matches: {"data":[deleted]}
//
// A filter is the query parameters resource_type, resource_name,
// pattern_type, principal, host, operation and permission; an absent or
// empty string matches any. Enum values are Kafka's names in any case. On
// GET the enums default to ANY; on DELETE they must be given (400), so
// that a bare DELETE cannot remove every ACL. An enum value that is not
// one is 404 ("The valid values for ResourceType do not include ..."), as
// Confluent's parameter conversion answers; UNKNOWN is 400. Creating
// refuses ANY (and MATCH, UNKNOWN patterns) with 400, a missing body
// with 422 (42206). Kafka refusing the request (SECURITY_DISABLED on a
// node without an authorizer, INVALID_REQUEST) is 400 with 40002 and the
// broker's message.
//
// Differences from Confluent's: the ACLs of a batch are created one
// request at a time, so a batch that fails part-way leaves the ACLs
// before the failure created; a CLUSTER filter naming anything other than
// kafka-cluster (the one cluster resource) matches nothing without asking
// Kafka.

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func (p *Proxy) routesV3ACLs(m *http.ServeMux) {
	const c = "/v3/clusters/{cluster}"
	m.HandleFunc("GET "+c+"/acls", p.v3(p.searchACLs))
	m.HandleFunc("POST "+c+"/acls", p.v3(p.createACL))
	m.HandleFunc("POST "+c+"/acls:batch", p.v3(p.createACLBatch))
	m.HandleFunc("DELETE "+c+"/acls", p.v3(p.deleteACLs))
}

// aclEnum is one of Kafka's ACL enums: its values' names, indexed by
// Kafka's code for them.
type aclEnum struct {
	name   string // Confluent's name of the type, for errors
	values []string
}

var (
	aclResourceTypes = aclEnum{"ResourceType", []string{"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN"}}
	aclPatternTypes  = aclEnum{"PatternType", []string{"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"}}
	aclOperations    = aclEnum{"Operation", []string{"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER",
		"DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE"}}
	aclPermissions = aclEnum{"Permission", []string{"UNKNOWN", "ANY", "DENY", "ALLOW"}}
)

// Kafka's codes of the enum values the proxy treats specially.
const (
	aclUnknown  int8 = 0
	aclAny      int8 = 1
	aclMatch    int8 = 2 // pattern type
	aclCluster  int8 = 4 // resource type
	aclDeny     int8 = 2 // permission
	aclAllow    int8 = 3 // permission
	clusterName      = "kafka-cluster"
)

// parse returns the code of the value named s, in any case.
func (e aclEnum) parse(s string) (int8, bool) {
	i := slices.Index(e.values, strings.ToUpper(s))
	return int8(i), i >= 0
}

// String returns the name of code; codes Confluent does not know are
// UNKNOWN.
func (e aclEnum) String(code int8) string {
	if code < 0 || int(code) >= len(e.values) {
		return e.values[aclUnknown]
	}
	return e.values[code]
}

// aclBinding is an ACL, or a filter of ACLs where an empty string matches
// any.
type aclBinding struct {
	resourceType int8
	resourceName string
	patternType  int8
	principal    string
	host         string
	operation    int8
	permission   int8
}

// compareACLs orders ACLs as Confluent's proxy lists them: by each field
// in turn, enums by their codes.
func compareACLs(a, b aclBinding) int {
	return cmp.Or(cmp.Compare(a.resourceType, b.resourceType), cmp.Compare(a.resourceName, b.resourceName),
		cmp.Compare(a.patternType, b.patternType), cmp.Compare(a.principal, b.principal), cmp.Compare(a.host, b.host),
		cmp.Compare(a.operation, b.operation), cmp.Compare(a.permission, b.permission))
}

// query is the binding as the query of its URL, values encoded as Java's
// URLEncoder does, so that links are Confluent's byte for byte.
func (a aclBinding) query() string {
	var b strings.Builder
	for i, kv := range [][2]string{{"resource_type", aclResourceTypes.String(a.resourceType)}, {"resource_name", a.resourceName},
		{"pattern_type", aclPatternTypes.String(a.patternType)}, {"principal", a.principal}, {"host", a.host},
		{"operation", aclOperations.String(a.operation)}, {"permission", aclPermissions.String(a.permission)}} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + strings.NewReplacer("%2A", "*", "~", "%7E").Replace(url.QueryEscape(kv[1])))
	}
	return b.String()
}

// builder returns kadm's builder of the binding: for a filter, every ACL
// it matches; for an ACL, the ACL.
func (a aclBinding) builder() *kadm.ACLBuilder {
	b := kadm.NewACLs().ResourcePatternType(kadm.ACLPattern(a.patternType)).Operations(kadm.ACLOperation(a.operation))
	names := nonEmpty(a.resourceName)
	switch aclResourceTypes.String(a.resourceType) {
	case "ANY":
		b.AnyResource(names...)
	case "TOPIC":
		b.Topics(names...)
	case "GROUP":
		b.Groups(names...)
	case "CLUSTER":
		b.Clusters()
	case "TRANSACTIONAL_ID":
		b.TransactionalIDs(names...)
	case "DELEGATION_TOKEN":
		b.DelegationTokens(names...)
	}
	principals, hosts := nonEmpty(a.principal), nonEmpty(a.host)
	if a.permission == aclAllow || a.permission == aclAny {
		b.Allow(principals...).AllowHosts(hosts...)
	}
	if a.permission == aclDeny || a.permission == aclAny {
		b.Deny(principals...).DenyHosts(hosts...)
	}
	return b
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// matchesNoCluster reports whether a is a CLUSTER filter naming another
// resource than the one cluster, which kadm's builder cannot send.
func (a aclBinding) matchesNoCluster() bool {
	return a.resourceType == aclCluster && a.resourceName != "" && a.resourceName != clusterName
}

type aclV3 struct {
	Kind         string       `json:"kind"`
	Metadata     resourceMeta `json:"metadata"`
	ClusterID    string       `json:"cluster_id"`
	ResourceType string       `json:"resource_type"`
	ResourceName string       `json:"resource_name"`
	PatternType  string       `json:"pattern_type"`
	Principal    string       `json:"principal"`
	Host         string       `json:"host"`
	Operation    string       `json:"operation"`
	Permission   string       `json:"permission"`
}

func (p *Proxy) aclsV3(r v3req, acls []aclBinding) []aclV3 {
	slices.SortFunc(acls, compareACLs)
	out := make([]aclV3, 0, len(acls))
	for _, a := range acls {
		out = append(out, aclV3{Kind: "KafkaAcl", Metadata: resourceMeta{Self: r.base + "/acls?" + a.query()}, ClusterID: p.cfg.ClusterID,
			ResourceType: aclResourceTypes.String(a.resourceType), ResourceName: a.resourceName,
			PatternType: aclPatternTypes.String(a.patternType), Principal: a.principal, Host: a.host,
			Operation: aclOperations.String(a.operation), Permission: aclPermissions.String(a.permission)})
	}
	return out
}

// aclFilter reads the filter of the query. Absent enums are def; with
// unspecified, the 400 for UNKNOWN says they may not be left out.
func aclFilter(r v3req, def int8, unspecified string) (aclBinding, error) {
	q := r.URL.Query()
	f := aclBinding{resourceName: q.Get("resource_name"), principal: q.Get("principal"), host: q.Get("host")}
	for _, e := range []struct {
		param string
		enum  aclEnum
		code  *int8
	}{
		{"resource_type", aclResourceTypes, &f.resourceType}, {"pattern_type", aclPatternTypes, &f.patternType},
		{"operation", aclOperations, &f.operation}, {"permission", aclPermissions, &f.permission},
	} {
		*e.code = def
		if !q.Has(e.param) {
			continue
		}
		code, ok := e.enum.parse(q.Get(e.param))
		if !ok {
			return f, errorf(http.StatusNotFound, http.StatusNotFound, "The valid values for %s do not include '%s'", e.enum.name, q.Get(e.param))
		}
		*e.code = code
	}
	for _, c := range []struct {
		param string
		code  int8
	}{{"resource_type", f.resourceType}, {"pattern_type", f.patternType}, {"operation", f.operation}, {"permission", f.permission}} {
		if c.code == aclUnknown {
			return f, errorf(http.StatusBadRequest, http.StatusBadRequest, "Bad Request: %s cannot be %sUNKNOWN", c.param, unspecified)
		}
	}
	return f, nil
}

func (p *Proxy) searchACLs(w http.ResponseWriter, r v3req) {
	f, found, err := filtered(r, aclAny, "", describeACLs)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaAclList", r.base+"/acls?"+f.query(), p.aclsV3(r, found)))
}

// filtered reads the request's filter (see aclFilter) and runs do with it.
func filtered(r v3req, def int8, unspecified string, do func(v3req, aclBinding) ([]aclBinding, error)) (aclBinding, []aclBinding, error) {
	f, err := aclFilter(r, def, unspecified)
	if err != nil || f.matchesNoCluster() {
		return f, nil, err
	}
	acls, err := do(r, f)
	return f, acls, err
}

func describeACLs(r v3req, f aclBinding) ([]aclBinding, error) {
	results, err := r.adm.DescribeACLs(r.ctx, f.builder())
	return filterResults(r, results, err, func(res kadm.DescribeACLsResult) ([]aclBinding, string, error) {
		var out []aclBinding
		for _, d := range res.Described {
			out = append(out, aclBinding{int8(d.Type), d.Name, int8(d.Pattern), d.Principal, d.Host, int8(d.Operation), int8(d.Permission)})
		}
		return out, res.ErrMessage, res.Err
	})
}

// filterResults gathers the ACLs of kadm's results, one for each filter
// it sent, or answers the first error.
func filterResults[R any](r v3req, results []R, err error, of func(R) ([]aclBinding, string, error)) ([]aclBinding, error) {
	if err != nil {
		return nil, aclError(r, err, "")
	}
	var out []aclBinding
	for _, res := range results {
		acls, message, err := of(res)
		if err != nil {
			return nil, aclError(r, err, message)
		}
		out = append(out, acls...)
	}
	return out, nil
}

func (p *Proxy) deleteACLs(w http.ResponseWriter, r v3req) {
	_, deleted, err := filtered(r, aclUnknown, "unspecified or ", deleteACLs)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, struct {
		Data []aclV3 `json:"data"`
	}{p.aclsV3(r, deleted)})
}

func deleteACLs(r v3req, f aclBinding) ([]aclBinding, error) {
	results, err := r.adm.DeleteACLs(r.ctx, f.builder())
	return filterResults(r, results, err, func(res kadm.DeleteACLsResult) ([]aclBinding, string, error) {
		var out []aclBinding
		for _, d := range res.Deleted {
			if d.Err == nil { // a match Kafka failed to delete is not answered as deleted
				out = append(out, aclBinding{int8(d.Type), d.Name, int8(d.Pattern), d.Principal, d.Host, int8(d.Operation), int8(d.Permission)})
			}
		}
		return out, res.ErrMessage, res.Err
	})
}

// createACLRequest is one ACL to create; every field is required.
type createACLRequest struct {
	ResourceType *string `json:"resource_type"`
	ResourceName *string `json:"resource_name"`
	PatternType  *string `json:"pattern_type"`
	Principal    *string `json:"principal"`
	Host         *string `json:"host"`
	Operation    *string `json:"operation"`
	Permission   *string `json:"permission"`
}

var errNullACLPayload = errorf(http.StatusUnprocessableEntity, http.StatusUnprocessableEntity,
	"Error: 42206 : Payload error. Null input provided. Data is required.")

// binding checks the request as Confluent's proxy does: the body's shape
// first (400), then what may not be created (400).
func (c createACLRequest) binding() (aclBinding, error) {
	var a aclBinding
	var missing []string
	for _, s := range []struct {
		field string
		value *string
		out   *string
	}{{"resource_name", c.ResourceName, &a.resourceName}, {"principal", c.Principal, &a.principal}, {"host", c.Host, &a.host}} {
		if s.value == nil {
			missing = append(missing, s.field)
			continue
		}
		*s.out = *s.value
	}
	for _, e := range []struct {
		field string
		enum  aclEnum
		value *string
		out   *int8
	}{
		{"resource_type", aclResourceTypes, c.ResourceType, &a.resourceType}, {"pattern_type", aclPatternTypes, c.PatternType, &a.patternType},
		{"operation", aclOperations, c.Operation, &a.operation}, {"permission", aclPermissions, c.Permission, &a.permission},
	} {
		if e.value == nil {
			missing = append(missing, e.field)
			continue
		}
		code, ok := e.enum.parse(*e.value)
		if !ok {
			return a, errorf(http.StatusBadRequest, http.StatusBadRequest, "Cannot deserialize %s from %q: not one of the values accepted (%s)",
				e.enum.name, *e.value, strings.Join(e.enum.values, ", "))
		}
		*e.out = code
	}
	if len(missing) > 0 {
		return a, errorf(http.StatusBadRequest, http.StatusBadRequest, "Missing required properties: %s", strings.Join(missing, ", "))
	}
	return a, a.creatable()
}

// creatable refuses the filters' wildcards in an ACL to create.
func (a aclBinding) creatable() error {
	bad := func(format string, args ...any) error {
		return errorf(http.StatusBadRequest, http.StatusBadRequest, "Bad Request: "+format, args...)
	}
	switch {
	case a.resourceType == aclAny || a.resourceType == aclUnknown:
		return bad("resource_type cannot be ANY")
	case a.patternType == aclAny || a.patternType == aclMatch || a.patternType == aclUnknown:
		return bad("pattern_type cannot be %s", aclPatternTypes.String(a.patternType))
	case a.operation == aclAny || a.operation == aclUnknown:
		return bad("operation cannot be ANY")
	case a.permission == aclAny || a.permission == aclUnknown:
		return bad("permission cannot be ANY")
	case a.resourceType == aclCluster && a.resourceName != clusterName:
		return errorf(http.StatusBadRequest, codeKafkaBadRequest, "the only valid name for the CLUSTER resource is %s", clusterName)
	}
	return nil
}

func (p *Proxy) createACL(w http.ResponseWriter, r v3req) {
	var req *createACLRequest
	if err := readJSON(w, r.Request, p.cfg.MaxRequestBytes, &req, true); err != nil {
		writeV3Error(w, err)
		return
	}
	if req == nil {
		writeV3Error(w, errNullACLPayload)
		return
	}
	a, err := req.binding()
	if err == nil {
		err = createACLs(r, a)
	}
	if err != nil {
		writeV3Error(w, err)
		return
	}
	w.Header().Set("Location", r.base+"/acls?"+a.query())
	w.WriteHeader(http.StatusCreated)
}

func (p *Proxy) createACLBatch(w http.ResponseWriter, r v3req) {
	var req *struct {
		Data []*createACLRequest `json:"data"`
	}
	if err := readJSON(w, r.Request, p.cfg.MaxRequestBytes, &req, true); err != nil {
		writeV3Error(w, err)
		return
	}
	if req == nil {
		writeV3Error(w, errNullACLPayload)
		return
	}
	if req.Data == nil || slices.Contains(req.Data, nil) {
		writeV3Error(w, errorf(http.StatusUnprocessableEntity, http.StatusUnprocessableEntity,
			"Error: 42206 : Payload error. Empty input provided. Data is required."))
		return
	}
	acls := make([]aclBinding, 0, len(req.Data))
	for _, c := range req.Data {
		a, err := c.binding()
		if err != nil {
			writeV3Error(w, err)
			return
		}
		acls = append(acls, a)
	}
	if err := createACLs(r, acls...); err != nil {
		writeV3Error(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createACLs creates acls, one CreateAcls request each (kadm's builder
// creates the product of its fields, not a list).
func createACLs(r v3req, acls ...aclBinding) error {
	for _, a := range acls {
		results, err := r.adm.CreateACLs(r.ctx, a.builder())
		if err != nil {
			return aclError(r, err, "")
		}
		for _, res := range results {
			if res.Err != nil {
				return aclError(r, res.Err, res.ErrMessage)
			}
		}
	}
	return nil
}

// aclError is Confluent's answer to Kafka refusing an ACL request: 400
// with 40002 for a node without an authorizer or an invalid request,
// with the broker's message if it sent one; else as any Kafka error.
func aclError(r v3req, err error, message string) error {
	for _, k := range []error{kerr.SecurityDisabled, kerr.InvalidRequest, kerr.UnknownServerError} {
		if errors.Is(err, k) {
			if message == "" {
				message = err.Error()
			}
			return errorf(http.StatusBadRequest, codeKafkaBadRequest, "%s", message)
		}
	}
	if message != "" && authError(err) == nil {
		return errorf(http.StatusInternalServerError, http.StatusInternalServerError, "%v: %s", err, message)
	}
	return timeoutOr(r.ctx, err)
}
