package kafkadiff

import (
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// SCRAM credentials. A credential's salted password is the client's to
// choose and neither broker shows it, so the alterations compare by their
// results (error codes) and the credentials by what Describe shows: the
// mechanism and the iterations. Results are sorted by user, as Kafka lists
// them in its hash maps' order.

func init() {
	byKey[50] = describeUserScramCredentialsKey
	byKey[51] = alterUserScramCredentialsKey
}

// Kafka's ScramMechanism codes.
const (
	scramSHA256 int8 = 1
	scramSHA512 int8 = 2
)

// describeUserScramCredentialsKey describes unknown users, an empty name,
// a user named twice, an empty list and every user (null), where only
// this scenario's users are compared.
func describeUserScramCredentialsKey(s *session, v int16) any {
	u, missing := s.name("u"), s.name("missing")
	s.alterScram(scramUpsertion(u, scramSHA256, 4096))
	s.describeScramUntil(u, 1)
	return []any{
		s.describeScram(v, []string{u, missing}),
		s.describeScram(v, []string{""}),
		s.describeScram(v, []string{missing, missing, u}),
		s.describeScram(v, []string{}),
		s.describeScram(v, nil),
	}
}

// alterUserScramCredentialsKey sends each refused alteration in a
// request of its own, then sets a credential and describes it.
func alterUserScramCredentialsKey(s *session, v int16) any {
	u := s.name("u")
	del := func(user string, mechanism int8) kmsg.AlterUserSCRAMCredentialsRequestDeletion {
		d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
		d.Name, d.Mechanism = user, mechanism
		return d
	}
	var out []any
	for _, req := range []*kmsg.AlterUserSCRAMCredentialsRequest{
		alterScramRequest(nil, scramUpsertion(u, 3, 4096)),
		alterScramRequest(nil, scramUpsertion(u, scramSHA256, 4095)),
		alterScramRequest(nil, scramUpsertion(u, scramSHA512, 16385)),
		alterScramRequest(nil, scramUpsertion("", scramSHA256, 4096)),
		alterScramRequest([]kmsg.AlterUserSCRAMCredentialsRequestDeletion{del(u, scramSHA256)}, scramUpsertion(u, scramSHA256, 4096)),
		alterScramRequest(nil, scramUpsertion(u, scramSHA256, 4096), scramUpsertion(u, scramSHA512, 4096)),
		alterScramRequest([]kmsg.AlterUserSCRAMCredentialsRequestDeletion{del(u, scramSHA256), del("", scramSHA256), del(s.name("v"), 0)}),
	} {
		out = append(out, s.alter(v, req))
	}
	out = append(out, s.alter(v, alterScramRequest(nil, scramUpsertion(u, scramSHA512, 8192), scramUpsertion(s.name("v"), scramSHA256, 4096))))
	return append(out, s.describeScramUntil(u, 1))
}

func scramUpsertion(user string, mechanism int8, iterations int32) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
	u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	u.Name, u.Mechanism, u.Iterations = user, mechanism, iterations
	u.Salt, u.SaltedPassword = []byte("kafkadiff-salt"), make([]byte, 32)
	if mechanism == scramSHA512 {
		u.SaltedPassword = make([]byte, 64)
	}
	return u
}

func alterScramRequest(deletions []kmsg.AlterUserSCRAMCredentialsRequestDeletion, upsertions ...kmsg.AlterUserSCRAMCredentialsRequestUpsertion) *kmsg.AlterUserSCRAMCredentialsRequest {
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	req.Deletions, req.Upsertions = deletions, upsertions
	return req
}

func (s *session) alter(v int16, req *kmsg.AlterUserSCRAMCredentialsRequest) *kmsg.AlterUserSCRAMCredentialsResponse {
	resp := s.do(req, v).(*kmsg.AlterUserSCRAMCredentialsResponse)
	slices.SortStableFunc(resp.Results, func(a, b kmsg.AlterUserSCRAMCredentialsResponseResult) int {
		return strings.Compare(a.User, b.User)
	})
	return resp
}

// alterScram sets credentials at the highest common version.
func (s *session) alterScram(upsertions ...kmsg.AlterUserSCRAMCredentialsRequestUpsertion) {
	s.alter(s.max(51), alterScramRequest(nil, upsertions...))
}

// describeScram describes the users named (nil sends null), keeping
// the results of this session's users, sorted by user.
func (s *session) describeScram(v int16, users []string) *kmsg.DescribeUserSCRAMCredentialsResponse {
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	if users != nil {
		req.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{}
	}
	for _, u := range users {
		req.Users = append(req.Users, kmsg.DescribeUserSCRAMCredentialsRequestUser{Name: u})
	}
	resp := s.do(req, v).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	resp.Results = slices.DeleteFunc(resp.Results, func(r kmsg.DescribeUserSCRAMCredentialsResponseResult) bool {
		return r.User != "" && !strings.HasPrefix(r.User, s.prefix)
	})
	slices.SortStableFunc(resp.Results, func(a, b kmsg.DescribeUserSCRAMCredentialsResponseResult) int {
		return strings.Compare(a.User, b.User)
	})
	for _, r := range resp.Results {
		slices.SortFunc(r.CredentialInfos, func(a, b kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo) int {
			return int(a.Mechanism) - int(b.Mechanism)
		})
	}
	return resp
}

// describeScramUntil describes user until it has n credentials: Kafka
// applies a change through its metadata log, a moment after answering.
func (s *session) describeScramUntil(user string, n int) *kmsg.DescribeUserSCRAMCredentialsResponse {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp := s.describeScram(s.max(50), []string{user})
		if len(resp.Results) == 1 && len(resp.Results[0].CredentialInfos) >= n || time.Now().After(deadline) {
			return resp
		}
	}
}
