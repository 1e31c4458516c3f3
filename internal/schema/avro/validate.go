package avro

import (
	"encoding/binary"
	"errors"
	"fmt"

	havro "github.com/hamba/avro/v2"
)

// walker checks that a payload is a value of a schema by walking both,
// as a reader would skip the value: no value is built, nothing is
// allocated. It accepts what decoding with hamba/avro accepts
// (FuzzValidateMatchesDecode): a boolean is the byte 0 or 1, as the
// specification says; strings are not checked as UTF-8.
type walker struct {
	b []byte
	// items bounds the array and map items a payload may declare, so
	// that items of zero bytes (null, empty records) cannot loop long.
	items int
}

// maxWalkDepth bounds nesting: a recursive schema nests as deep as its
// payload says.
const maxWalkDepth = 1000

var (
	errTruncated = errors.New("payload ends inside a value")
	// errBlockTooLarge: an array or map block declares more items than
	// the payload could hold (hamba/avro's decoder would loop over them).
	errBlockTooLarge = errors.New("block declares more items than the payload can hold")
)

// long reads an Avro long: a zigzag varint of at most 10 bytes, the bits
// of a 10th byte past the 64th dropped, as Java's and hamba/avro's
// decoders take it.
func (w *walker) long() (int64, error) {
	var u uint64
	for i := range 10 {
		if i >= len(w.b) {
			return 0, errTruncated
		}
		c := w.b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			w.b = w.b[i+1:]
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, errors.New("varint overflows a long")
}

// int reads an Avro int: a zigzag varint of at most 5 bytes, whose value
// wraps to 32 bits as Java's and hamba/avro's decoders take it.
func (w *walker) int() (int64, error) {
	v, n := binary.Uvarint(w.b)
	switch {
	case n == 0:
		return 0, errTruncated
	case n < 0 || n > 5:
		return 0, errors.New("varint overflows an int")
	}
	w.b = w.b[n:]
	u := uint32(v)
	return int64(int32(u>>1) ^ -int32(u&1)), nil
}

func (w *walker) skip(n int64) error {
	if n < 0 {
		return fmt.Errorf("negative length %d", n)
	}
	if n > int64(len(w.b)) {
		return errTruncated
	}
	w.b = w.b[n:]
	return nil
}

func (w *walker) walk(s havro.Schema, depth int) error {
	if depth > maxWalkDepth {
		return fmt.Errorf("value nests deeper than %d", maxWalkDepth)
	}
	switch s := s.(type) {
	case *havro.NullSchema:
		return nil
	case *havro.PrimitiveSchema:
		return w.primitive(s.Type())
	case *havro.RecordSchema:
		for _, f := range s.Fields() {
			if err := w.walk(f.Type(), depth+1); err != nil {
				return fmt.Errorf("field %s: %w", f.Name(), err)
			}
		}
		return nil
	case *havro.EnumSchema:
		i, err := w.int()
		if err == nil && (i < 0 || i >= int64(len(s.Symbols()))) {
			return fmt.Errorf("enum %s has no symbol %d", s.FullName(), i)
		}
		return err
	case *havro.ArraySchema:
		return w.blocks(func() error { return w.walk(s.Items(), depth+1) })
	case *havro.MapSchema:
		return w.blocks(func() error {
			n, err := w.long()
			if err == nil {
				err = w.skip(n)
			}
			if err == nil {
				err = w.walk(s.Values(), depth+1)
			}
			return err
		})
	case *havro.UnionSchema:
		i, err := w.long() // a long, as hamba/avro reads it (Java: an int)
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(s.Types())) {
			return fmt.Errorf("union has no branch %d", i)
		}
		return w.walk(s.Types()[i], depth+1)
	case *havro.FixedSchema:
		return w.skip(int64(s.Size()))
	case *havro.RefSchema:
		return w.walk(s.Schema(), depth+1)
	}
	return fmt.Errorf("schema type %s cannot be validated", s.Type())
}

func (w *walker) primitive(t havro.Type) error {
	var err error
	switch t {
	case havro.Null:
	case havro.Boolean:
		if len(w.b) == 0 {
			return errTruncated
		}
		if w.b[0] > 1 {
			return fmt.Errorf("invalid boolean byte %d", w.b[0])
		}
		w.b = w.b[1:]
	case havro.Int:
		_, err = w.int()
	case havro.Long:
		_, err = w.long()
	case havro.Float:
		err = w.skip(4)
	case havro.Double:
		err = w.skip(8)
	case havro.String, havro.Bytes:
		var n int64
		if n, err = w.long(); err == nil {
			err = w.skip(n)
		}
	default:
		err = fmt.Errorf("schema type %s cannot be validated", t)
	}
	return err
}

// blocks walks the blocks of an array or map, item for each item.
func (w *walker) blocks(item func() error) error {
	for {
		count, err := w.long()
		if err != nil || count == 0 {
			return err
		}
		sized := count < 0 // a block with its size in bytes
		if sized {
			count = -count
		}
		if count > int64(w.items) || count < 0 {
			return fmt.Errorf("%w: %d", errBlockTooLarge, count)
		}
		if sized {
			if _, err := w.long(); err != nil {
				return err
			}
		}
		w.items -= int(count)
		for range count {
			if err := item(); err != nil {
				return err
			}
		}
	}
}
