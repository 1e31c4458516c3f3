package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// aclsFlags are kafka-acls.sh's flags.
type aclsFlags struct {
	conn                            connFlags
	add, remove, list               bool
	topics, groups, txnIDs          []string
	delegationTokens, users         []string
	cluster                         bool
	patternType                     string
	allowPrincipals, denyPrincipals []string
	allowHosts, denyHosts           []string
	principal                       string
	operations                      []string
	producer, consumer, idempotent  bool
	force                           bool
}

func newACLsCommand() *cobra.Command {
	f := &aclsFlags{}
	cmd := &cobra.Command{
		Use:   "acls",
		Short: "Add, remove and list ACLs (kafka-acls.sh)",
		Long: `Add, remove and list ACLs, as kafka-acls.sh does, through CreateAcls,
DeleteAcls and DescribeAcls. The node needs an authorizer
(authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer).

Exactly one of --add, --remove or --list. Resources: --topic, --group,
--transactional-id, --delegation-token (a token id), --user-principal (a
User principal, for CreateTokens and DescribeTokens; each repeatable) and
--cluster, with
--resource-pattern-type literal (the default), prefixed, or, to --list and
--remove, match or any. --allow-principal and --deny-principal (User:alice)
with --allow-host and --deny-host (default *) and --operation (repeatable:
Read, Write, Create, Delete, Alter, Describe, ClusterAction,
DescribeConfigs, AlterConfigs, IdempotentWrite, CreateTokens,
DescribeTokens, All). --producer adds
Write, Describe and Create on the topics (and IdempotentWrite on the
cluster with --idempotent); --consumer Read and Describe on the topics and
Read on the group. --remove asks for confirmation unless --force.`,
		Example: `  # Let alice read topics starting with orders, in group billing
  gregor acls --bootstrap-server localhost:9092 --add --allow-principal User:alice \
    --consumer --topic orders --resource-pattern-type prefixed --group billing

  # List the ACLs of one topic, and every ACL that applies to it
  gregor acls --bootstrap-server localhost:9092 --list --topic orders
  gregor acls --bootstrap-server localhost:9092 --list --topic orders --resource-pattern-type match`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runACLs(cmd, f) },
	}
	fl := cmd.Flags()
	f.conn.register(cmd, true)
	fl.BoolVar(&f.add, "add", false, "add ACLs")
	fl.BoolVar(&f.remove, "remove", false, "remove ACLs")
	fl.BoolVar(&f.list, "list", false, "list ACLs")
	fl.StringArrayVar(&f.topics, "topic", nil, "a topic (repeatable; * for every topic)")
	fl.StringArrayVar(&f.groups, "group", nil, "a consumer group (repeatable; * for every group)")
	fl.StringArrayVar(&f.txnIDs, "transactional-id", nil, "a transactional id (repeatable; * for every one)")
	fl.StringArrayVar(&f.delegationTokens, "delegation-token", nil, "a delegation token id (repeatable; * for every one)")
	fl.StringArrayVar(&f.users, "user-principal", nil, "a User principal, as User:alice, whose tokens the ACL is about (repeatable)")
	fl.BoolVar(&f.cluster, "cluster", false, "the cluster")
	fl.StringVar(&f.patternType, "resource-pattern-type", "literal", "literal, prefixed, match or any")
	fl.StringArrayVar(&f.allowPrincipals, "allow-principal", nil, "a principal to allow, as User:alice (repeatable)")
	fl.StringArrayVar(&f.denyPrincipals, "deny-principal", nil, "a principal to deny (repeatable)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "a host the allowed principals may connect from (default *)")
	fl.StringArrayVar(&f.denyHosts, "deny-host", nil, "a host the denied principals are denied from (default *)")
	fl.StringVar(&f.principal, "principal", "", "with --list: only the ACLs of this principal")
	fl.StringArrayVar(&f.operations, "operation", nil, "an operation (repeatable; default All)")
	fl.BoolVar(&f.producer, "producer", false, "the ACLs a producer needs")
	fl.BoolVar(&f.consumer, "consumer", false, "the ACLs a consumer needs")
	fl.BoolVar(&f.idempotent, "idempotent", false, "with --producer: IdempotentWrite on the cluster too")
	fl.BoolVar(&f.force, "force", false, "remove without asking for confirmation")
	refuse(cmd,
		refusal{"bootstrap-controller", true, "ACLs are managed through the brokers (--bootstrap-server)"},
	)
	return cmd
}

func runACLs(cmd *cobra.Command, f *aclsFlags) error {
	n := 0
	for _, b := range []bool{f.add, f.remove, f.list} {
		if b {
			n++
		}
	}
	if n != 1 {
		return errors.New("Command must include exactly one action: --list, --add, --remove.")
	}
	pattern, err := parsePatternType(f.patternType, f.add)
	if err != nil {
		return err
	}
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	switch {
	case f.add:
		return addACLsCmd(ctx, cmd.OutOrStdout(), cl, f, pattern)
	case f.remove:
		return removeACLsCmd(ctx, cmd, cl, f, pattern)
	}
	return listACLsCmd(ctx, cmd.OutOrStdout(), cl, f, pattern)
}

func parsePatternType(s string, adding bool) (kadm.ACLPattern, error) {
	var p kadm.ACLPattern
	if err := p.UnmarshalText([]byte(strings.ToLower(s))); err != nil || p == kadm.ACLPatternUnknown {
		return p, fmt.Errorf("--resource-pattern-type: expected literal, prefixed, match or any, got %q", s)
	}
	if adding && p != kadm.ACLPatternLiteral && p != kadm.ACLPatternPrefixed {
		return p, fmt.Errorf("A '--resource-pattern-type' value of '%s' is not valid when adding acls.", strings.ToUpper(s))
	}
	return p, nil
}

// resource is one resource pattern the command names, with the
// operations it applies to it.
type resource struct {
	typ  kmsg.ACLResourceType
	name string
	ops  []kmsg.ACLOperation
}

// resources lists the named resources with their operations: the
// convenience flags' sets, else --operation (default All).
func (f *aclsFlags) resources() ([]resource, error) {
	ops, err := parseOperations(f.operations)
	if err != nil {
		return nil, err
	}
	var out []resource
	add := func(typ kmsg.ACLResourceType, names []string, ops ...kmsg.ACLOperation) {
		for _, n := range names {
			out = append(out, resource{typ: typ, name: n, ops: ops})
		}
	}
	switch {
	case f.producer || f.consumer:
		if f.producer {
			add(kmsg.ACLResourceTypeTopic, f.topics, kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationCreate)
			add(kmsg.ACLResourceTypeTransactionalId, f.txnIDs, kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe)
			if f.idempotent {
				add(kmsg.ACLResourceTypeCluster, []string{"kafka-cluster"}, kmsg.ACLOperationIdempotentWrite)
			}
		}
		if f.consumer {
			add(kmsg.ACLResourceTypeTopic, f.topics, kmsg.ACLOperationRead, kmsg.ACLOperationDescribe)
			add(kmsg.ACLResourceTypeGroup, f.groups, kmsg.ACLOperationRead)
		}
	default:
		add(kmsg.ACLResourceTypeTopic, f.topics, ops...)
		add(kmsg.ACLResourceTypeGroup, f.groups, ops...)
		add(kmsg.ACLResourceTypeTransactionalId, f.txnIDs, ops...)
		add(kmsg.ACLResourceTypeDelegationToken, f.delegationTokens, ops...)
		add(kmsg.ACLResourceTypeUser, f.users, ops...)
		if f.cluster {
			add(kmsg.ACLResourceTypeCluster, []string{"kafka-cluster"}, ops...)
		}
	}
	return out, nil
}

func parseOperations(names []string) ([]kmsg.ACLOperation, error) {
	if len(names) == 0 {
		return []kmsg.ACLOperation{kmsg.ACLOperationAll}, nil
	}
	var out []kmsg.ACLOperation
	for _, n := range names {
		op, err := kmsg.ParseACLOperation(strings.ReplaceAll(strings.ToLower(n), "_", ""))
		if err != nil || op == kmsg.ACLOperationUnknown || op == kmsg.ACLOperationAny {
			return nil, fmt.Errorf("--operation: unknown operation %q", n)
		}
		out = append(out, op)
	}
	return out, nil
}

// entries are the (principal, host, permission) triples of the command.
type entry struct {
	principal, host string
	permission      kmsg.ACLPermissionType
}

func (f *aclsFlags) entries() []entry {
	var out []entry
	add := func(principals, hosts []string, perm kmsg.ACLPermissionType) {
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		for _, p := range principals {
			for _, h := range hosts {
				out = append(out, entry{p, h, perm})
			}
		}
	}
	add(f.allowPrincipals, f.allowHosts, kmsg.ACLPermissionTypeAllow)
	add(f.denyPrincipals, f.denyHosts, kmsg.ACLPermissionTypeDeny)
	return out
}

func addACLsCmd(ctx context.Context, w io.Writer, cl *kgo.Client, f *aclsFlags, pattern kadm.ACLPattern) error {
	res, err := f.resources()
	if err != nil {
		return err
	}
	entries := f.entries()
	if len(res) == 0 || len(entries) == 0 {
		return errors.New("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs, and a resource (--topic, --group, --transactional-id, --delegation-token, --user-principal or --cluster).")
	}
	req := kmsg.NewPtrCreateACLsRequest()
	for _, r := range res {
		// Kafka 4.2's AclCommand: "Adding ACLs for resource `R`: ", the
		// entries one a line (the first after a space), a blank line.
		var lines []string
		for _, e := range entries {
			for _, op := range r.ops {
				c := kmsg.NewCreateACLsRequestCreation()
				c.ResourceType, c.ResourceName, c.ResourcePatternType = r.typ, r.name, kmsg.ACLResourcePatternType(pattern)
				c.Principal, c.Host, c.Operation, c.PermissionType = e.principal, e.host, op, e.permission
				req.Creations = append(req.Creations, c)
				lines = append(lines, "\t"+entryString(e.principal, e.host, op, e.permission))
			}
		}
		fmt.Fprintf(w, "Adding ACLs for resource `%s`: \n %s\n\n", patternString(r.typ, r.name, pattern), strings.Join(lines, "\n"))
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			return fmt.Errorf("Error while executing ACL command: %s", kafkaError(kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage)))
		}
	}
	return nil
}

func removeACLsCmd(ctx context.Context, cmd *cobra.Command, cl *kgo.Client, f *aclsFlags, pattern kadm.ACLPattern) error {
	res, err := f.resources()
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return errors.New("You must specify one of: --topic, --group, --transactional-id, --delegation-token, --user-principal, --cluster when trying to remove ACLs.")
	}
	if !f.force && !confirm(cmd, "Are you sure you want to delete all ACLs for the given resources? (y/n)") {
		return nil
	}
	req := kmsg.NewPtrDeleteACLsRequest()
	for _, r := range res {
		req.Filters = append(req.Filters, f.filters(r, pattern)...)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, r := range resp.Results { // Kafka 4.2's tool prints nothing on success
		if r.ErrorCode != 0 {
			return fmt.Errorf("Error while executing ACL command: %s", kafkaError(kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage)))
		}
	}
	return nil
}

// filters are the DeleteAcls filters of one resource: one per entry and
// operation when principals are given, else every ACL of the resource.
func (f *aclsFlags) filters(r resource, pattern kadm.ACLPattern) []kmsg.DeleteACLsRequestFilter {
	base := kmsg.NewDeleteACLsRequestFilter()
	base.ResourceType, base.ResourceName, base.ResourcePatternType = r.typ, kmsg.StringPtr(r.name), kmsg.ACLResourcePatternType(pattern)
	base.Operation, base.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	entries := f.entries()
	if len(entries) == 0 {
		return []kmsg.DeleteACLsRequestFilter{base}
	}
	var out []kmsg.DeleteACLsRequestFilter
	for _, e := range entries {
		for _, op := range r.ops {
			flt := base
			flt.Principal, flt.Host, flt.Operation, flt.PermissionType = kmsg.StringPtr(e.principal), kmsg.StringPtr(e.host), op, e.permission
			out = append(out, flt)
		}
	}
	return out
}

func listACLsCmd(ctx context.Context, w io.Writer, cl *kgo.Client, f *aclsFlags, pattern kadm.ACLPattern) error {
	res, err := f.resources()
	if err != nil {
		return err
	}
	reqs := []*kmsg.DescribeACLsRequest{}
	for _, r := range res {
		reqs = append(reqs, describeFilter(r.typ, kmsg.StringPtr(r.name), pattern, f.principal))
	}
	if len(res) == 0 {
		reqs = append(reqs, describeFilter(kmsg.ACLResourceTypeAny, nil, kadm.ACLPatternAny, f.principal))
	}
	if f.principal != "" {
		fmt.Fprintf(w, "ACLs for principal `%s`\n", f.principal)
	}
	for _, req := range reqs {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("Error while executing ACL command: %s", kafkaError(kerr.ErrorForCode(resp.ErrorCode), deref(resp.ErrorMessage)))
		}
		for _, r := range resp.Resources {
			fmt.Fprintf(w, "Current ACLs for resource `%s`:\n", patternString(r.ResourceType, r.ResourceName, kadm.ACLPattern(r.ResourcePatternType)))
			for _, a := range r.ACLs {
				fmt.Fprintf(w, "\t%s\n", entryString(a.Principal, a.Host, a.Operation, a.PermissionType))
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func describeFilter(typ kmsg.ACLResourceType, name *string, pattern kadm.ACLPattern, principal string) *kmsg.DescribeACLsRequest {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourceName, req.ResourcePatternType = typ, name, kmsg.ACLResourcePatternType(pattern)
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if principal != "" {
		req.Principal = kmsg.StringPtr(principal)
	}
	return req
}

// patternString renders a resource pattern as Kafka's ResourcePattern.toString.
func patternString(typ kmsg.ACLResourceType, name string, pattern kadm.ACLPattern) string {
	return fmt.Sprintf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)", typ.String(), name, kmsg.ACLResourcePatternType(pattern).String())
}

// entryString renders an entry as Kafka's AccessControlEntry.toString.
func entryString(principal, host string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) string {
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s)", principal, host, op.String(), perm.String())
}

// confirm asks on the command's output and reads y from its input.
func confirm(cmd *cobra.Command, question string) bool {
	fmt.Fprintln(cmd.OutOrStdout(), question)
	line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
