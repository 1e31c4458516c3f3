package wire

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrAuthentication is a SASL authentication the peer refused, or that
// could not be carried out.
var ErrAuthentication = errors.New("SASL authentication failed")

// Versions of the client's SASL requests: the handshake that announces
// the mechanism, then SaslAuthenticate framing each token (v1: the
// answer carries the session lifetime).
const (
	saslHandshakeVersion    = 1
	saslAuthenticateVersion = 1
)

// authenticate runs one SASL exchange on the connection with c's
// mechanism: SaslHandshake v1, then SaslAuthenticate until the mechanism
// is done. It sets when the next re-authentication is due.
func (c *Client) authenticate(ctx context.Context) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = saslHandshakeVersion, c.sasl.Name()
	resp, err := c.roundTrip(ctx, hs)
	if err != nil {
		return err
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		return fmt.Errorf("%w: handshake with mechanism %s: %w", ErrAuthentication, c.sasl.Name(), kerr.ErrorForCode(code))
	}
	session, msg, err := c.sasl.Authenticate(ctx, c.host)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuthentication, err)
	}
	var lifetime int64
	for done := false; !done; {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version, req.SASLAuthBytes = saslAuthenticateVersion, msg
		resp, err := c.roundTrip(ctx, req)
		if err != nil {
			return err
		}
		ar := resp.(*kmsg.SASLAuthenticateResponse)
		if ar.ErrorCode != 0 {
			reason := ""
			if ar.ErrorMessage != nil {
				reason = ": " + *ar.ErrorMessage
			}
			return fmt.Errorf("%w: %w%s", ErrAuthentication, kerr.ErrorForCode(ar.ErrorCode), reason)
		}
		lifetime = ar.SessionLifetimeMillis
		if done, msg, err = session.Challenge(append([]byte(nil), ar.SASLAuthBytes...)); err != nil {
			return fmt.Errorf("%w: %w", ErrAuthentication, err)
		}
		if done && len(msg) > 0 {
			return fmt.Errorf("%w: mechanism %s has a last message, which SaslAuthenticate cannot carry", ErrAuthentication, c.sasl.Name())
		}
	}
	c.reauthAt = time.Time{}
	if lifetime > 0 {
		// Re-authenticate at 85% of the lifetime, as Kafka's clients
		// do (they pick 85–95%), so the session never lapses mid-request.
		c.reauthAt = time.Now().Add(time.Duration(lifetime) * time.Millisecond * 85 / 100)
	}
	return nil
}
