package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

// encodeRequest frames req as a client would: header v1 or v2, then body.
func encodeRequest(req kmsg.Request, correlationID int32, clientID string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(correlationID))
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

// TestParseRequestHeader proves that flexible and non-flexible headers are
// parsed and that the body handed back decodes to the original request.
func TestParseRequestHeader(t *testing.T) {
	for _, version := range []int16{4, 11, 12, 13} {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(version)
		topic := "orders"
		req.Topics = []kmsg.MetadataRequestTopic{{Topic: &topic}}
		frame := encodeRequest(req, 42, "my-client")
		h, body, err := ParseRequestHeader(frame)
		if err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		if h.Key != 3 || h.Version != version || h.CorrelationID != 42 || h.ClientID != "my-client" {
			t.Fatalf("v%d: header %+v", version, h)
		}
		got := kmsg.NewPtrMetadataRequest()
		got.SetVersion(version)
		if err := got.ReadFrom(body); err != nil {
			t.Fatalf("v%d: body: %v", version, err)
		}
		if len(got.Topics) != 1 || *got.Topics[0].Topic != "orders" {
			t.Fatalf("v%d: body decoded to %+v", version, got.Topics)
		}
	}
}

// TestParseRequestHeaderMalformed proves that truncated headers are errors, not panics.
func TestParseRequestHeaderMalformed(t *testing.T) {
	for _, frame := range [][]byte{nil, {0, 3}, {0, 3, 0, 12, 0, 0, 0, 1}, {0, 3, 0, 12, 0, 0, 0, 1, 0, 50, 'a'}} {
		if _, _, err := ParseRequestHeader(frame); !errors.Is(err, ErrMalformed) {
			t.Errorf("frame %v: err = %v, want ErrMalformed", frame, err)
		}
	}
}

// TestReadFrameLimit proves a declared size above the limit is refused
// before anything is allocated or read.
func TestReadFrameLimit(t *testing.T) {
	var in bytes.Buffer
	in.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	if _, err := ReadFrame(&in, 1<<20, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	in.Reset()
	in.Write([]byte{0, 0, 0, 3, 'a', 'b', 'c'})
	got, err := ReadFrame(&in, 10, nil)
	if err != nil || string(got) != "abc" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// FuzzRequestDecode proves that no byte string makes header parsing or body
// decoding panic, whatever key and version it claims.
func FuzzRequestDecode(f *testing.F) {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: "t", Partitions: []kmsg.ProduceRequestTopicPartition{{Records: []byte{1, 2, 3}}}}}
	f.Add(encodeRequest(req, 1, "c"))
	fetch := kmsg.NewPtrFetchRequest()
	fetch.SetVersion(13)
	f.Add(encodeRequest(fetch, 2, ""))
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff, 2, 3, 'a', 'b'})
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, body, err := ParseRequestHeader(frame)
		if err != nil {
			return
		}
		kreq := kmsg.RequestForKey(h.Key)
		if kreq == nil || h.Version < 0 || h.Version > kreq.MaxVersion() {
			return
		}
		kreq.SetVersion(h.Version)
		_ = kreq.ReadFrom(body)
	})
}

// TestSessionClientHost proves a session starts anonymous and shows the
// client's address as Kafka does in group descriptions.
func TestSessionClientHost(t *testing.T) {
	s := NewSession("PLAINTEXT", "PLAINTEXT", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000})
	if s.ClientHost != "/127.0.0.1" || s.Principal != acl.Anonymous {
		t.Fatalf("session %+v", s)
	}
}

// TestSent proves the functions registered with AfterSent run once, when
// the response is sent.
func TestSent(t *testing.T) {
	req := &Request{Session: NewSession("PLAINTEXT", "PLAINTEXT", nil)}
	runs := 0
	req.AfterSent(func() { runs++ })
	req.Sent()
	req.Sent()
	if runs != 1 {
		t.Fatalf("ran %d times, want 1", runs)
	}
}

// TestRegistryAPIsSorted proves APIs lists every key once, by key, with
// its latest registration, whatever the order of Add.
func TestRegistryAPIsSorted(t *testing.T) {
	r := NewRegistry()
	for _, k := range []int16{18, 0, 3, 1, 0} {
		r.Add(k, 0, 1)
	}
	r.Add(3, 2, 5)
	got := r.APIs()
	want := []API{{0, 0, 1}, {1, 0, 1}, {3, 2, 5}, {18, 0, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("APIs %v, want %v", got, want)
	}
	got[0].MaxVersion = 9 // the caller's copy
	if r.APIs()[0].MaxVersion != 1 {
		t.Fatal("APIs shares its slice with the caller")
	}
}
