package config

import (
	"strings"
	"testing"
)

// TestVoters proves that controller.quorum.voters is parsed into voters
// and that a malformed or inconsistent value is refused naming the key.
func TestVoters(t *testing.T) {
	c, _, err := Parse(map[string]string{
		"node.id": "2", "controller.quorum.voters": "1@127.0.0.1:9093,2@localhost:9094,3@[::1]:9095",
		"listeners": "PLAINTEXT://:9092,CONTROLLER://:9094", "controller.listener.names": "CONTROLLER",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Voters) != 3 || c.Voters[1] != (Voter{ID: 2, Host: "localhost", Port: 9094}) || c.Voters[2].Addr() != "[::1]:9095" {
		t.Fatalf("voters %+v", c.Voters)
	}
	if l, ok := c.ControllerListener(); !ok || l.Port != 9094 {
		t.Fatalf("controller listener %+v", l)
	}
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"controller.quorum.voters": "1@host"}, "controller.quorum.voters"},
		{map[string]string{"controller.quorum.voters": "x@host:1"}, "controller.quorum.voters"},
		{map[string]string{"controller.quorum.voters": "1@a:1,1@b:2"}, "listed twice"},
		{map[string]string{"controller.quorum.voters": "2@a:1"}, "not one of the voters"},
		{map[string]string{"process.roles": "broker", "controller.quorum.voters": "1@a:1"}, "does not include controller"},
		{map[string]string{"controller.quorum.voters": "1@a:1,2@b:2"}, "controller.listener.names"},
	} {
		if _, _, err := Parse(tc.props); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v) = %v, want an error naming %q", tc.props, err, tc.want)
		}
	}
}
