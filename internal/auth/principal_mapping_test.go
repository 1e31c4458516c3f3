package auth

import (
	"errors"
	"testing"
)

// TestPrincipalMappingRules proves Kafka's ssl.principal.mapping.rules on
// a table whose expected names and refusals are what Kafka 4.2's
// SslPrincipalMapper answers for the same rules and names.
func TestPrincipalMappingRules(t *testing.T) {
	const duke = "CN=duke,OU=JavaSoft,O=Sun Microsystems,L=Palo Alto,ST=CA,C=US"
	for _, c := range []struct {
		rules, dn, want string
		invalid         bool
		noMatch         bool
	}{
		{rules: "DEFAULT", dn: "CN=alice,O=Example", want: "CN=alice,O=Example"},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/", dn: "CN=kafka-server1,OU=ServiceUsers,O=Org,C=US", want: "kafka-server1"},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/", dn: "CN=kafka-server1,OU=Other,O=Org,C=US", noMatch: true},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, DEFAULT", dn: "CN=kafka-server1,OU=Other,O=Org,C=US", want: "CN=kafka-server1,OU=Other,O=Org,C=US"},
		{rules: "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L", dn: duke, want: "duke@javasoft"},
		{rules: "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/U", dn: duke, want: "DUKE@JAVASOFT"},
		{rules: "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT", dn: "OU=JavaSoft,O=Sun Microsystems,C=US", want: "OU=JavaSoft,O=Sun Microsystems,C=US"},
		{rules: "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT", dn: "cn=Duke,OU=JavaSoft,O=Sun Microsystems,C=US", want: "duke"},
		{rules: `RULE:^CN=([^,]*),O=(.*)$/$1\/$2/`, dn: "CN=a,O=b", want: "a/b"},
		{rules: "RULE:^CN=(.*)$/$1x/", dn: "CN=a", want: "ax"},
		{rules: "RULE:^(.*)$/$1x/", dn: "CN=a", want: "CN=ax"},
		{rules: "RULE:^CN=([^,]*),.*$/$1/  ,  , RULE:^O=(.*)$/org-$1/", dn: "O=acme", want: "org-acme"},
		{rules: "", dn: "CN=a", noMatch: true},
		{rules: "DEFAUL", invalid: true},
		{rules: "DEFAULT/L", invalid: true},
		{rules: "RULE:CN=(.*?),OU=ServiceUsers.*/$1", invalid: true},
		{rules: "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/", invalid: true},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U", invalid: true},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/L", invalid: true},
		{rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU", invalid: true},
		{rules: "RULE:^CN=(.*)$/$1/ DEFAULT", invalid: true},
	} {
		m, err := ParsePrincipalMappingRules(c.rules)
		if c.invalid {
			if err == nil {
				t.Errorf("%q: accepted, Kafka refuses it", c.rules)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.rules, err)
			continue
		}
		got, err := m.Name(c.dn)
		switch {
		case c.noMatch && !errors.Is(err, ErrNoMatchingRule):
			t.Errorf("%q on %q: %q %v, want no matching rule", c.rules, c.dn, got, err)
		case !c.noMatch && (err != nil || got != c.want):
			t.Errorf("%q on %q: %q %v, want %q", c.rules, c.dn, got, err, c.want)
		}
	}
}
