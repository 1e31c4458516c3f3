package node

import (
	"fmt"
	"net/http"

	"gregor/internal/config"
	"gregor/internal/httpauth"
)

// httpAuthenticator returns what wraps an HTTP service for the
// authentication a asks for (nil for NONE), or why the users file cannot
// be used; prefix names the service's configs, realm is the realm clients
// see (Confluent's: SchemaRegistry, KafkaRest).
func httpAuthenticator(prefix, realm string, a config.HTTPAuth) (func(http.Handler) http.Handler, error) {
	if a.Method != "BASIC" {
		return nil, nil
	}
	b, err := httpauth.Load(a.UsersFile, realm, a.Roles)
	if err != nil {
		return nil, fmt.Errorf("%s.authentication.users.file: %w", prefix, err)
	}
	return b.Wrap, nil
}
