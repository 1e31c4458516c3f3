package protobuf

import (
	"strings"
	"testing"
)

// TestCodecRoundTrip proves that JSON becomes the message-index list [0]
// and the first message, and decodes back.
func TestCodecRoundTrip(t *testing.T) {
	p, err := Format{}.Parse(`syntax = "proto3"; package shop; message Order { int64 id = 1; string note = 2; repeated string tags = 3; } message Other { int32 x = 1; }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	pp := p.(*Parsed)
	payload, err := pp.FromJSON([]byte(`{"id":"7","note":"hi","tags":["a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if payload[0] != 0 {
		t.Fatalf("payload starts %x, want the message-index list [0]", payload[:1])
	}
	if err := pp.Validate(payload); err != nil {
		t.Fatal(err)
	}
	out, err := pp.ToJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.ReplaceAll(string(out), " ", ""); s != `{"id":"7","note":"hi","tags":["a"]}` {
		t.Fatalf("ToJSON = %s", out)
	}
	if _, err := pp.FromJSON([]byte(`{"nope":1}`)); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}
