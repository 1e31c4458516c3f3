package config

import (
	"fmt"
	"strings"
)

// The node's HTTP services (the schema registry, the REST proxy) take the
// security settings of Confluent's services under their prefix:
// <prefix>.ssl.* for an https:// listener, <prefix>.oauthbearer.* for
// authentication.method=BEARER.

// httpServiceDefs are the TLS and bearer-token keys of the service whose
// keys start with prefix.
func httpServiceDefs(prefix, service string) []brokerDef {
	d := func(key, typ, def string, null bool, check checker, doc string) brokerDef {
		return brokerDef{name: prefix + "." + key, typ: typ, def: def, null: null, check: check, doc: doc + " (gregor)."}
	}
	return []brokerDef{
		d("ssl.keystore.type", typeString, "PEM", false, oneOf("PEM", "pem"), "Format of the "+service+"'s key store with an https:// listener: PEM only"),
		d("ssl.keystore.location", typeString, "", true, nil, "A PEM file holding the "+service+"'s private key (unencrypted) and certificate chain"),
		d("ssl.keystore.password", typePassword, "", true, nil, "Password of the "+service+"'s key store; a PEM key must be unencrypted, so it is not used"),
		d("ssl.key.password", typePassword, "", true, nil, "Password of the "+service+"'s private key; a PEM key must be unencrypted, so it is not used"),
		d("ssl.keystore.certificate.chain", typePassword, "", true, nil, "The "+service+"'s certificate chain in PEM, with ssl.keystore.key, instead of ssl.keystore.location"),
		d("ssl.keystore.key", typePassword, "", true, nil, "The "+service+"'s private key in PEM (unencrypted), with ssl.keystore.certificate.chain"),
		d("ssl.truststore.type", typeString, "PEM", false, oneOf("PEM", "pem"), "Format of the "+service+"'s trust store: PEM only"),
		d("ssl.truststore.location", typeString, "", true, nil, "A PEM file of the certificates the "+service+" trusts for client certificates"),
		d("ssl.truststore.password", typePassword, "", true, nil, "Password of the "+service+"'s trust store; not used with PEM"),
		d("ssl.truststore.certificates", typePassword, "", true, nil, "The certificates, in PEM, the "+service+" trusts for client certificates"),
		d("ssl.client.authentication", typeString, "NONE", false, oneOf("NONE", "REQUESTED", "REQUIRED"),
			"Whether the "+service+" asks HTTPS clients for a certificate: NONE, REQUESTED or REQUIRED (Confluent's ssl.client.authentication)"),
		d("ssl.enabled.protocols", typeList, "TLSv1.2,TLSv1.3", false, listOf("TLSv1.2", "TLSv1.3"), "TLS versions the "+service+" enables: TLSv1.2 and TLSv1.3"),
		d("oauthbearer.jwks.endpoint.url", typeString, "", true, nil, "With authentication.method=BEARER: the JWKS (file://, http:// or https://) whose keys the "+service+"'s bearer tokens must be signed with"),
		d("oauthbearer.jwks.endpoint.refresh.ms", typeLong, "3600000", false, positive, "How often the "+service+" reloads its JWKS"),
		d("oauthbearer.expected.issuer", typeString, "", true, nil, "The iss a bearer token of the "+service+" must have; empty: not checked"),
		d("oauthbearer.expected.audience", typeList, "", true, nil, "Audiences of which a bearer token's aud must name one; empty: not checked"),
		d("oauthbearer.sub.claim.name", typeString, "sub", false, nil, "The claim that names a bearer token's principal"),
		d("oauthbearer.groups.claim.name", typeString, "groups", false, nil, "The claim listing a bearer token's groups, matched against "+prefix+".authentication.roles"),
		d("oauthbearer.clock.skew.seconds", typeInt, "30", false, nonNegative, "Clock skew allowed when checking a bearer token's times"),
	}
}

// ServiceTLS reports whether <prefix>.listeners is an https:// listener
// (prefix: schema.registry or rest.proxy).
func (c *Config) ServiceTLS(prefix string) bool {
	_, tls, _ := parseServiceListener(c.Values[prefix+".listeners"])
	return tls
}

// serviceListeners checks schema.registry.listeners and rest.proxy.listeners.
func serviceListeners(v string) string {
	if _, _, err := parseServiceListener(v); err != nil {
		return err.Error()
	}
	return ""
}

// parseServiceListener turns http://host:port or https://host:port into
// host:port and whether it is https.
func parseServiceListener(v string) (addr string, tls bool, err error) {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "https://"); ok {
		if addr, err = parseHTTPListener(rest); err == nil && addr == "" {
			err = fmt.Errorf("%q is not of the form https://host:port", v)
		}
		return addr, true, err
	}
	addr, err = parseHTTPListener(v)
	if err != nil && strings.Contains(err.Error(), "only http://") {
		err = fmt.Errorf("%q: only http:// and https:// are supported", v)
	}
	return addr, false, err
}
