// Package httpauth is HTTP basic authentication for the node's HTTP
// services (the schema registry, the REST proxy), as Confluent's services
// configure it with authentication.method=BASIC, authentication.roles and
// a JAAS PropertyFileLoginModule users file. A request without valid
// credentials is answered 401 with WWW-Authenticate and Confluent's error
// body {"error_code":401,"message":"Unauthorized"}; a user without one of
// the roles, 403 {"error_code":403,"message":"Forbidden"}.
//
// The users file is Jetty's property user store, one user a line:
//
//	# comment
//	alice: secret,admin,developer
//	bob: MD5:5f4dcc3b5aa765d61d8327deb882cf99,user
//
// A password is plain text or MD5: and the hex MD5 digest of the
// password. Jetty's OBF: and CRYPT: forms are refused when loading.
package httpauth

import (
	"bufio"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
)

// user is one line of a users file.
type user struct {
	plain  []byte // the password, if given in plain text
	md5sum []byte // else its MD5 digest
	roles  []string
}

// Basic checks HTTP basic credentials against a users file. It is
// immutable and safe for concurrent use.
type Basic struct {
	realm string
	users map[string]user
	roles []string // a user needs one of them; "*" among them lets every user in
}

// Load reads the users file at path for realm (the name clients see in
// WWW-Authenticate); roles are the roles of which a user needs one.
func Load(path, realm string, roles []string) (*Basic, error) {
	if path == "" {
		return nil, fmt.Errorf("BASIC authentication needs a users file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	defer f.Close()
	users, err := parseUsers(bufio.NewScanner(f))
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(roles) == 0 {
		roles = []string{"*"}
	}
	return &Basic{realm: realm, users: users, roles: roles}, nil
}

func parseUsers(sc *bufio.Scanner) (map[string]user, error) {
	users := map[string]user{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, ":=")
		if i < 0 {
			return nil, fmt.Errorf("line %d: want user: password[,role...]", n)
		}
		name, rest := strings.TrimSpace(line[:i]), line[i+1:]
		if name == "" {
			return nil, fmt.Errorf("line %d: want user: password[,role...]", n)
		}
		fields := strings.Split(rest, ",")
		u, err := parsePassword(strings.TrimSpace(fields[0]))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, name, err)
		}
		for _, r := range fields[1:] {
			if r = strings.TrimSpace(r); r != "" {
				u.roles = append(u.roles, r)
			}
		}
		users[name] = u
	}
	return users, sc.Err()
}

func parsePassword(p string) (user, error) {
	switch {
	case strings.HasPrefix(p, "MD5:"):
		sum, err := hex.DecodeString(p[len("MD5:"):])
		if err != nil || len(sum) != md5.Size {
			return user{}, fmt.Errorf("MD5: needs the 32 hex digits of a digest")
		}
		return user{md5sum: sum}, nil
	case strings.HasPrefix(p, "OBF:"), strings.HasPrefix(p, "CRYPT:"):
		return user{}, fmt.Errorf("%s passwords are not supported (use plain text or MD5:)", p[:strings.IndexByte(p, ':')])
	case p == "":
		return user{}, fmt.Errorf("empty password")
	}
	return user{plain: []byte(p)}, nil
}

// check returns the user's roles if name and password match.
func (b *Basic) check(name, password string) ([]string, bool) {
	u, ok := b.users[name]
	if !ok {
		return nil, false
	}
	if u.md5sum != nil {
		sum := md5.Sum([]byte(password))
		return u.roles, subtle.ConstantTimeCompare(sum[:], u.md5sum) == 1
	}
	return u.roles, subtle.ConstantTimeCompare([]byte(password), u.plain) == 1
}

// permitted reports whether a user with roles may use the service.
func (b *Basic) permitted(roles []string) bool {
	if slices.Contains(b.roles, "*") {
		return true
	}
	for _, r := range roles {
		if slices.Contains(b.roles, r) {
			return true
		}
	}
	return false
}

// Wrap returns next behind basic authentication.
func (b *Basic) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, password, ok := r.BasicAuth()
		roles, valid := b.check(name, password)
		switch {
		case !ok || !valid:
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", b.realm))
			writeError(w, http.StatusUnauthorized, "Unauthorized")
		case !b.permitted(roles):
			writeError(w, http.StatusForbidden, "Forbidden")
		default:
			next.ServeHTTP(w, r.WithContext(WithCredential(r.Context(), Credential{User: name, Secret: password})))
		}
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"error_code\":%d,\"message\":%q}\n", status, msg)
}
