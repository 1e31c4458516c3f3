package cli

// delegation-tokens: kafka-delegation-tokens.sh (DelegationTokenCommand).
// Creates, renews, expires and describes delegation tokens, printing what
// Kafka's tool prints. Token requests are served only on authenticated
// connections: --command-config names the SASL or TLS settings, as
// Kafka's tool requires.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type delegationTokenFlags struct {
	conn                               connFlags
	create, renew, expire, describe    bool
	maxLifeTime, renewTime, expiryTime int64
	renewers, owners                   []string
	hmac                               string
}

func newDelegationTokensCommand() *cobra.Command {
	f := &delegationTokenFlags{}
	cmd := &cobra.Command{
		Use:   "delegation-tokens",
		Short: "Create, renew, expire or describe delegation tokens (kafka-delegation-tokens.sh)",
		Long: `Manage delegation tokens, as kafka-delegation-tokens.sh does. A token
authenticates with SCRAM: its id as the user name, its HMAC as the password,
and tokenauth=true (sasl.jaas.config's ScramLoginModule option). The broker
serves token requests only on authenticated connections (SASL, or TLS with a
client certificate), and never on one authenticated by a token.`,
		Example: `  gregor delegation-tokens --bootstrap-server localhost:9093 --command-config admin.properties \
      --create --max-life-time-period -1 --renewer-principal User:bob
  gregor delegation-tokens --bootstrap-server localhost:9093 --command-config admin.properties \
      --renew --hmac HMAC --renew-time-period -1
  gregor delegation-tokens --bootstrap-server localhost:9093 --command-config admin.properties \
      --expire --hmac HMAC --expiry-time-period -1
  gregor delegation-tokens --bootstrap-server localhost:9093 --command-config admin.properties \
      --describe --owner-principal User:alice`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			return f.conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
				out := newPrinter(cmd.OutOrStdout())
				err := f.run(ctx, cl, out)
				if ferr := out.flush(); err == nil {
					err = ferr
				}
				if err != nil {
					var ke *kerr.Error
					if errors.As(err, &ke) {
						fmt.Fprintln(cmd.ErrOrStderr(), tokenException(ke))
						return reported{err}
					}
				}
				return err
			})
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVar(&f.create, "create", false, "Create a new delegation token. Use --renewer-principal option to pass renewer principals.")
	fl.BoolVar(&f.renew, "renew", false, "Renew delegation token. Use --renew-time-period option to set renew time period.")
	fl.BoolVar(&f.expire, "expire", false, "Expire delegation token. Use --expiry-time-period option to expire the token.")
	fl.BoolVar(&f.describe, "describe", false, "Describe delegation tokens for the given principals. Use --owner-principal to pass owner/renewer principals.")
	fl.Int64Var(&f.maxLifeTime, "max-life-time-period", -1, "Max life period for the token in milliseconds; -1: the server's delegation.token.max.lifetime.ms.")
	fl.Int64Var(&f.renewTime, "renew-time-period", -1, "Renew time period in milliseconds; -1: the server's delegation.token.expiry.time.ms.")
	fl.Int64Var(&f.expiryTime, "expiry-time-period", -1, "Expiry time period in milliseconds; -1 invalidates the token at once.")
	fl.StringArrayVar(&f.renewers, "renewer-principal", nil, "renewer is a Kafka principal, principalType:name (repeatable).")
	fl.StringArrayVar(&f.owners, "owner-principal", nil, "owner is a Kafka principal, principalType:name (repeatable).")
	fl.StringVar(&f.hmac, "hmac", "", "HMAC of the delegation token")
	cmd.Flags().Lookup("command-config").Usage = "REQUIRED: a properties file with the security configs of an authenticated connection"
	return cmd
}

// check applies Kafka's argument rules, in its words.
func (f *delegationTokenFlags) check(cmd *cobra.Command) error {
	actions := 0
	for _, a := range []bool{f.create, f.renew, f.expire, f.describe} {
		if a {
			actions++
		}
	}
	if actions != 1 {
		return errors.New("Command must include exactly one action: --create, --renew, --expire or --describe")
	}
	given := cmd.Flags().Changed
	required := map[string][]string{"create": {"max-life-time-period"}, "renew": {"hmac", "renew-time-period"}, "expire": {"hmac", "expiry-time-period"}}
	invalid := map[string][]string{
		"create":   {"hmac", "renew-time-period", "expiry-time-period"},
		"renew":    {"renewer-principal", "max-life-time-period", "expiry-time-period", "owner-principal"},
		"expire":   {"renew", "max-life-time-period", "renew-time-period", "owner-principal"},
		"describe": {"renew-time-period", "max-life-time-period", "hmac", "expiry-time-period"},
	}
	for _, action := range []string{"create", "renew", "expire", "describe"} {
		if !given(action) {
			continue
		}
		if !given("command-config") {
			return errors.New(`Missing required argument "[command-config]"`)
		}
		for _, r := range required[action] {
			if !given(r) {
				return fmt.Errorf(`Missing required argument "[%s]"`, r)
			}
		}
		for _, bad := range invalid[action] {
			if given(bad) {
				return fmt.Errorf(`Option "[%s]" can't be used with option "[%s]"`, action, bad)
			}
		}
	}
	return nil
}

func (f *delegationTokenFlags) run(ctx context.Context, cl *kgo.Client, out *printer) error {
	switch {
	case f.create:
		return f.runCreate(ctx, cl, out)
	case f.renew:
		return f.runRenew(ctx, cl, out)
	case f.expire:
		return f.runExpire(ctx, cl, out)
	}
	return f.runDescribe(ctx, cl, out)
}

func (f *delegationTokenFlags) runCreate(ctx context.Context, cl *kgo.Client, out *printer) error {
	renewers, err := parsePrincipals(f.renewers)
	if err != nil {
		return err
	}
	owners, err := parsePrincipals(f.owners)
	if err != nil {
		return err
	}
	out.linef("Calling create token operation with renewers :%s , max-life-time-period :%d", principalList(renewers), f.maxLifeTime)
	req := kmsg.NewPtrCreateDelegationTokenRequest()
	if len(owners) > 0 {
		req.OwnerPrincipalType, req.OwnerPrincipalName = &owners[0][0], &owners[0][1]
	}
	for _, r := range renewers {
		rr := kmsg.NewCreateDelegationTokenRequestRenewer()
		rr.PrincipalType, rr.PrincipalName = r[0], r[1]
		req.Renewers = append(req.Renewers, rr)
	}
	req.MaxLifetimeMillis = f.maxLifeTime
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return err
	}
	out.linef("Created delegation token with tokenId : %s", resp.TokenID)
	renewerNames := make([]string, len(renewers))
	for i, r := range renewers {
		renewerNames[i] = r[0] + ":" + r[1]
	}
	printTokens(out, []tokenRow{{
		id: resp.TokenID, hmac: resp.HMAC, owner: resp.PrincipalType + ":" + resp.PrincipalName,
		requester: requesterOf(resp.TokenRequesterPrincipalType, resp.TokenRequesterPrincipalName, resp.PrincipalType+":"+resp.PrincipalName),
		renewers:  renewerNames, issue: resp.IssueTimestamp, expiry: resp.ExpiryTimestamp, max: resp.MaxTimestamp,
	}})
	return nil
}

func (f *delegationTokenFlags) runRenew(ctx context.Context, cl *kgo.Client, out *printer) error {
	out.linef("Calling renew token operation with hmac :%s , renew-time-period :%d", f.hmac, f.renewTime)
	req := kmsg.NewPtrRenewDelegationTokenRequest()
	req.HMAC, req.RenewTimeMillis = decodeHMAC(f.hmac), f.renewTime
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return err
	}
	out.raw([]byte("Completed renew operation. New expiry date : " + tokenDate(resp.ExpiryTimestamp)))
	return nil
}

func (f *delegationTokenFlags) runExpire(ctx context.Context, cl *kgo.Client, out *printer) error {
	out.linef("Calling expire token operation with hmac :%s , expire-time-period :%d", f.hmac, f.expiryTime)
	req := kmsg.NewPtrExpireDelegationTokenRequest()
	req.HMAC, req.ExpiryPeriodMillis = decodeHMAC(f.hmac), f.expiryTime
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return err
	}
	out.raw([]byte("Completed expire operation. New expiry date : " + tokenDate(resp.ExpiryTimestamp)))
	return nil
}

// runDescribe asks for the tokens of the given owners. Without
// --owner-principal Kafka's tool sends an empty owner list, which the
// broker answers with no token; so does this one.
func (f *delegationTokenFlags) runDescribe(ctx context.Context, cl *kgo.Client, out *printer) error {
	owners, err := parsePrincipals(f.owners)
	if err != nil {
		return err
	}
	if len(owners) == 0 {
		out.line("Calling describe token operation for current user.")
	} else {
		out.linef("Calling describe token operation for owners: %s", principalList(owners))
	}
	req := kmsg.NewPtrDescribeDelegationTokenRequest()
	req.Owners = []kmsg.DescribeDelegationTokenRequestOwner{}
	for _, o := range owners {
		ro := kmsg.NewDescribeDelegationTokenRequestOwner()
		ro.PrincipalType, ro.PrincipalName = o[0], o[1]
		req.Owners = append(req.Owners, ro)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return err
	}
	rows := make([]tokenRow, 0, len(resp.TokenDetails))
	for _, d := range resp.TokenDetails {
		r := tokenRow{id: d.TokenID, hmac: d.HMAC, owner: d.PrincipalType + ":" + d.PrincipalName,
			requester: requesterOf(d.TokenRequesterPrincipalType, d.TokenRequesterPrincipalName, d.PrincipalType+":"+d.PrincipalName),
			issue:     d.IssueTimestamp, expiry: d.ExpiryTimestamp, max: d.MaxTimestamp}
		for _, rn := range d.Renewers {
			r.renewers = append(r.renewers, rn.PrincipalType+":"+rn.PrincipalName)
		}
		rows = append(rows, r)
	}
	out.raw([]byte(fmt.Sprintf("Total number of tokens : %d", len(rows))))
	printTokens(out, rows)
	return nil
}

// tokenRow is one token as the tool prints it.
type tokenRow struct {
	id, owner, requester string
	hmac                 []byte
	renewers             []string
	issue, expiry, max   int64
}

// printTokens prints Kafka's token table: a blank line and the header,
// then a blank line before each token.
func printTokens(out *printer, rows []tokenRow) {
	const format = "%-15s %-30s %-15s %-15s %-25s %-15s %-15s %-15s"
	out.line("")
	out.linef(format, "TOKENID", "HMAC", "OWNER", "REQUESTER", "RENEWERS", "ISSUEDATE", "EXPIRYDATE", "MAXDATE")
	for _, r := range rows {
		out.line("")
		out.linef(format, r.id, base64.StdEncoding.EncodeToString(r.hmac), r.owner, r.requester,
			"["+strings.Join(r.renewers, ", ")+"]", tokenDate(r.issue), tokenDate(r.expiry), tokenDate(r.max))
	}
}

// requesterOf is the token's requester, or its owner from a broker too old
// to say (before v3).
func requesterOf(typ, name, owner string) string {
	if name == "" {
		return owner
	}
	return typ + ":" + name
}

// tokenDate formats a time as the tool does: local time, to the minute.
func tokenDate(ms int64) string { return time.UnixMilli(ms).Format("2006-01-02T15:04") }

// parsePrincipals parses principalType:name arguments.
func parsePrincipals(args []string) ([][2]string, error) {
	var out [][2]string
	for _, a := range args {
		typ, name, ok := strings.Cut(a, ":")
		if !ok {
			return nil, fmt.Errorf("expected a string in format principalType:principalName but got %s", a)
		}
		out = append(out, [2]string{typ, name})
	}
	return out, nil
}

func principalList(ps [][2]string) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p[0] + ":" + p[1]
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// decodeHMAC decodes the base64 HMAC the tool prints; text that is not
// base64 is sent as it is, and matches no token.
func decodeHMAC(s string) []byte {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return []byte(s)
}

// tokenException renders a token error as the first line of the Java
// tool's report: the exception Kafka's client raises, with its message.
func tokenException(ke *kerr.Error) string {
	if e, ok := tokenExceptions[ke.Code]; ok {
		return "org.apache.kafka.common.errors." + e[0] + ": " + e[1]
	}
	return javaException(ke, "")
}

var tokenExceptions = map[int16][2]string{
	kerr.DelegationTokenAuthDisabled.Code:        {"DelegationTokenDisabledException", "Delegation Token feature is not enabled."},
	kerr.DelegationTokenNotFound.Code:            {"DelegationTokenNotFoundException", "Delegation Token is not found on server."},
	kerr.DelegationTokenOwnerMismatch.Code:       {"DelegationTokenOwnerMismatchException", "Specified Principal is not valid Owner/Renewer."},
	kerr.DelegationTokenRequestNotAllowed.Code:   {"UnsupportedByAuthenticationException", "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."},
	kerr.DelegationTokenAuthorizationFailed.Code: {"DelegationTokenAuthorizationException", "Delegation Token authorization failed."},
	kerr.DelegationTokenExpired.Code:             {"DelegationTokenExpiredException", "Delegation Token is expired."},
	kerr.InvalidPrincipalType.Code:               {"InvalidPrincipalTypeException", "Supplied principalType is not supported."},
}
