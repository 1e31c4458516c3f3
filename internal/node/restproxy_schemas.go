package node

import (
	"context"
	"errors"
	"fmt"

	"gregor/internal/restproxy"
	"gregor/internal/schema"
	"gregor/internal/schemareg"
)

// proxySchemas is the REST proxy's Registry: the node's schema registry,
// once serveSchemaRegistry has made it; restproxy.ErrNoRegistry when the
// node serves none.
type proxySchemas struct {
	src     *registrySchemas
	formats map[schema.Type]schema.Format
}

func newProxySchemas(src *registrySchemas) *proxySchemas {
	s := &proxySchemas{src: src, formats: map[schema.Type]schema.Format{}}
	for _, f := range schemaFormats() {
		s.formats[f.Type()] = f
	}
	return s
}

func (s *proxySchemas) reg() (*schemareg.Registry, error) {
	if reg := s.src.reg.Load(); reg != nil {
		return reg, nil
	}
	return nil, restproxy.ErrNoRegistry
}

// proxyError turns the registry's errors into the proxy's.
func proxyError(err error) error {
	var e *schemareg.Error
	if errors.As(err, &e) {
		return &restproxy.RegistryError{Code: e.Code, Message: e.Message}
	}
	return err
}

func (s *proxySchemas) Parse(typ schema.Type, text string) (schema.Parsed, error) {
	f := s.formats[typ]
	if f == nil {
		return nil, fmt.Errorf("schema type %s is not served", typ)
	}
	return f.Parse(text, nil)
}

func (s *proxySchemas) ByID(ctx context.Context, id int) (schema.Parsed, error) {
	reg, err := s.reg()
	if err != nil {
		return nil, err
	}
	p, err := reg.Parsed(ctx, id)
	return p, proxyError(err)
}

func request(p schema.Parsed) schemareg.SchemaRequest {
	return schemareg.SchemaRequest{Schema: p.Canonical(), SchemaType: p.Type()}
}

func (s *proxySchemas) Lookup(ctx context.Context, subject string, p schema.Parsed) (int, int, error) {
	reg, err := s.reg()
	if err != nil {
		return 0, 0, err
	}
	v, err := reg.Lookup(ctx, subject, request(p), false, false)
	return v.ID, v.Version, proxyError(err)
}

// LookupID looks the schema with id up in subject as Confluent's client
// does, by its text and references.
func (s *proxySchemas) LookupID(ctx context.Context, subject string, id int) (int, error) {
	reg, err := s.reg()
	if err != nil {
		return 0, err
	}
	sc, err := reg.SchemaByID(ctx, id)
	if err != nil {
		return 0, proxyError(err)
	}
	req := schemareg.SchemaRequest{Schema: sc.Schema, SchemaType: schema.Type(sc.SchemaType)}
	for _, ref := range sc.References {
		req.References = append(req.References, schema.Reference(ref))
	}
	v, err := reg.Lookup(ctx, subject, req, false, false)
	return v.Version, proxyError(err)
}

func (s *proxySchemas) Register(ctx context.Context, subject string, p schema.Parsed) (int, error) {
	reg, err := s.reg()
	if err != nil {
		return 0, err
	}
	id, err := reg.Register(ctx, subject, request(p), false)
	return id, proxyError(err)
}

func (s *proxySchemas) Version(ctx context.Context, subject string, n int) (int, int, schema.Parsed, error) {
	reg, err := s.reg()
	if err != nil {
		return 0, 0, nil, err
	}
	v, err := reg.Version(ctx, subject, n, false)
	if err != nil {
		return 0, 0, nil, proxyError(err)
	}
	p, err := reg.Parsed(ctx, v.ID)
	return v.ID, v.Version, p, proxyError(err)
}

func (s *proxySchemas) Generation() int64 { return s.src.Generation() }
