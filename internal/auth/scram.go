package auth

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

// SCRAM (RFC 5802, RFC 7677) with SHA-256 and SHA-512, from the standard
// library's crypto/pbkdf2 and crypto/hmac: the protocol is a few lines of
// message parsing around them, and a library would add a dependency for
// no less code here.

// scramHash returns the hash of a SCRAM mechanism, or nil.
func scramHash(mechanism string) func() hash.Hash {
	switch mechanism {
	case "SCRAM-SHA-256":
		return sha256.New
	case "SCRAM-SHA-512":
		return sha512.New
	}
	return nil
}

// ScramCredentialFromSaltedPassword derives what the server keeps from a
// salted password (AlterUserScramCredentials sends the salted password,
// not the password).
func ScramCredentialFromSaltedPassword(mechanism string, salt, saltedPassword []byte, iterations int32) (metadata.ScramCredential, error) {
	h := scramHash(mechanism)
	if h == nil {
		return metadata.ScramCredential{}, fmt.Errorf("unsupported SCRAM mechanism %q", mechanism)
	}
	clientKey := hmacOf(h, saltedPassword, []byte("Client Key"))
	return metadata.ScramCredential{
		Salt: salt, Iterations: iterations,
		StoredKey: hashOf(h, clientKey), ServerKey: hmacOf(h, saltedPassword, []byte("Server Key")),
	}, nil
}

// SaltPassword is RFC 5802's Hi(password, salt, iterations).
func SaltPassword(mechanism, password string, salt []byte, iterations int) ([]byte, error) {
	h := scramHash(mechanism)
	if h == nil {
		return nil, fmt.Errorf("unsupported SCRAM mechanism %q", mechanism)
	}
	return pbkdf2.Key(h, password, salt, iterations, h().Size())
}

func hmacOf(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

func hashOf(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// errAuthentication is every failed authentication: the client is told
// nothing about which part was wrong.
var errAuthentication = errors.New("authentication failed: invalid credentials")

// CredentialLookup finds a user's SCRAM credential for a mechanism.
type CredentialLookup func(user, mechanism string) (metadata.ScramCredential, bool)

// scramExchange is the server side of one SCRAM authentication: client
// first, server first, client final, server final. Not safe for
// concurrent use: its connection's goroutine owns it.
type scramExchange struct {
	mechanism string
	hash      func() hash.Hash
	lookup    CredentialLookup
	tokens    TokenLookup // delegation tokens; nil when disabled
	secret    string      // delegation.token.secret.key

	step            int
	user            string
	gs2Header       string
	clientFirstBare string
	serverFirst     string
	nonce           string
	cred            metadata.ScramCredential
	// owner and tokenExpiry are set when the client authenticates with
	// a delegation token: the session acts as the token's owner.
	owner       acl.Principal
	tokenExpiry time.Time
}

// Step takes the client's next message and returns the answer; done is
// true once the client has proved its password.
func (s *scramExchange) Step(msg []byte) (answer []byte, done bool, err error) {
	s.step++
	switch s.step {
	case 1:
		answer, err = s.clientFirst(string(msg))
		return answer, false, err
	case 2:
		answer, err = s.clientFinal(string(msg))
		return answer, err == nil, err
	}
	return nil, false, errAuthentication
}

// Principal is the authenticated user.
func (s *scramExchange) Principal() acl.Principal {
	if s.owner != (acl.Principal{}) {
		return s.owner
	}
	return acl.Principal{Type: "User", Name: s.user}
}

func (s *scramExchange) clientFirst(msg string) ([]byte, error) {
	parts := strings.SplitN(msg, ",", 3)
	if len(parts) != 3 || (parts[0] != "n" && parts[0] != "y") || parts[1] != "" {
		return nil, errAuthentication // channel binding or an authorization id: not supported
	}
	s.gs2Header, s.clientFirstBare = parts[0]+",,", parts[2]
	attrs, extensions := scramAttributes(s.clientFirstBare), scramExtensions(s.clientFirstBare)
	user, ok := unescapeSaslName(attrs["n"])
	if !ok || user == "" || attrs["r"] == "" || attrs["m"] != "" || len(attrs) != 2 {
		return nil, errAuthentication
	}
	var cred metadata.ScramCredential
	var found bool
	if extensions["tokenauth"] == "true" {
		cred, found = s.tokenCredential(user)
	} else {
		cred, found = s.lookup(user, s.mechanism)
	}
	if !found {
		return nil, errAuthentication
	}
	s.user, s.cred = user, cred
	s.nonce = attrs["r"] + randomNonce()
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(cred.Salt), cred.Iterations)
	return []byte(s.serverFirst), nil
}

func (s *scramExchange) clientFinal(msg string) ([]byte, error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, errAuthentication
	}
	withoutProof := msg[:i]
	attrs := scramAttributes(withoutProof)
	proof, err := base64.StdEncoding.DecodeString(msg[i+3:])
	if err != nil || attrs["c"] != base64.StdEncoding.EncodeToString([]byte(s.gs2Header)) || attrs["r"] != s.nonce {
		return nil, errAuthentication
	}
	authMessage := []byte(s.clientFirstBare + "," + s.serverFirst + "," + withoutProof)
	signature := hmacOf(s.hash, s.cred.StoredKey, authMessage)
	if len(proof) != len(signature) {
		return nil, errAuthentication
	}
	clientKey := make([]byte, len(proof))
	subtle.XORBytes(clientKey, proof, signature)
	if subtle.ConstantTimeCompare(hashOf(s.hash, clientKey), s.cred.StoredKey) != 1 {
		return nil, errAuthentication
	}
	serverSignature := hmacOf(s.hash, s.cred.ServerKey, authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSignature)), nil
}

// scramAttributes splits "a=1,b=2" into its attributes.
func scramAttributes(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && len(k) == 1 {
			out[k] = v
		}
	}
	return out
}

// scramExtensions returns the extensions of a client's first message:
// the attributes after the nonce whose names are longer than one letter
// (KIP-84: "tokenauth=true" for a delegation token).
func scramExtensions(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && len(k) > 1 {
			out[k] = v
		}
	}
	return out
}

// unescapeSaslName decodes RFC 5802's "=2C" and "=3D"; any other "=" is invalid.
func unescapeSaslName(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}

func randomNonce() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}
