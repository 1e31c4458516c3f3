// Package auth decides who a client is: TLS for the listeners that use it
// (PEM key and trust stores, TLS 1.2 and 1.3 only, client certificates and
// the principal they name, reloading of changed files on new handshakes).
//
// It knows neither the server nor the handlers: the server asks it for a
// listener's tls.Config and for the principal of a finished handshake.
package auth
