package auth

import (
	"fmt"
	"strings"

	"gregor/internal/acl"
	"gregor/internal/config"
)

// StandardAuthorizer is the authorizer.class.name of Kafka's KRaft
// authorizer, whose semantics Authorizer follows.
const StandardAuthorizer = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"

// Authorizer decides whether a principal may do an operation on a
// resource, from the ACLs of the metadata image, as Kafka's
// StandardAuthorizer does: super users may do everything; otherwise a
// matching DENY refuses, a matching ALLOW allows, and a resource no ACL
// applies to is allowed only with allow.everyone.if.no.acl.found. It is
// read-only once built and safe for concurrent use.
type Authorizer struct {
	superUsers   map[acl.Principal]bool
	allowIfNoACL bool
	acls         func() *acl.Index // the ACLs of the image last published
}

// NewAuthorizer returns the authorizer c configures with authorizer.class.name,
// super.users and allow.everyone.if.no.acl.found, reading the ACLs in
// effect from acls; nil when authorizer.class.name is empty (everything is
// allowed, as in Kafka without an authorizer). A class other than Kafka's
// StandardAuthorizer is refused.
func NewAuthorizer(c *config.Config, acls func() *acl.Index) (*Authorizer, error) {
	switch class := strings.TrimSpace(c.Value("authorizer.class.name")); class {
	case "":
		return nil, nil
	case StandardAuthorizer:
	default:
		return nil, fmt.Errorf("authorizer.class.name: %q is not supported: use %s", class, StandardAuthorizer)
	}
	a := &Authorizer{superUsers: map[acl.Principal]bool{}, allowIfNoACL: strings.EqualFold(c.Value("allow.everyone.if.no.acl.found"), "true"), acls: acls}
	for _, s := range strings.Split(c.Value("super.users"), ";") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := acl.ParsePrincipal(s)
		if err != nil {
			return nil, fmt.Errorf("super.users: %w", err)
		}
		a.superUsers[p] = true
	}
	return a, nil
}

// Authorize reports whether p, connected from host (an IP address, as an
// ACL names it), may do op on r.
func (a *Authorizer) Authorize(p acl.Principal, host string, op acl.Operation, r acl.Resource) bool {
	if a.superUsers[p] {
		return true
	}
	v := a.acls().Check(p, host, op, r)
	return v.Allowed || !v.Found && a.allowIfNoACL
}

// AuthorizeAny reports whether p, from host, may do op on some resource of
// type t (Kafka's authorizeByResourceType).
func (a *Authorizer) AuthorizeAny(p acl.Principal, host string, op acl.Operation, t acl.ResourceType) bool {
	if a.superUsers[p] {
		return true
	}
	allowed, found := a.acls().CheckAny(p, host, op, t)
	return allowed || !found && a.allowIfNoACL
}
